"""Residents joined a case ("me too", intake's `case.supported`): routing shows the count."""

from __future__ import annotations

from collections.abc import Sequence

from services.routing.adapters.case_repository import RoutedCaseRepository
from shared.dispatch import Event
from shared.events.case_events import CaseSupported


async def on_supported(
    events: Sequence[Event[CaseSupported]], *, cases: RoutedCaseRepository
) -> None:
    counts: dict[str, int] = {}
    for event in events:
        supported = event.data
        counts[supported.case_id] = max(counts.get(supported.case_id, 0), supported.supporters)
    await cases.record_supporters(counts)
