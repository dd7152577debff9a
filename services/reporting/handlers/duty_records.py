"""Folding what only the duty records read into the representatives' daily buckets: formal
suggestions (代表建议), once per suggestion id however many cases it links — one write per run.

The live consumer waits out a rebuild, as the other projections do; the rebuild replays through
`replay_suggestions`."""

from __future__ import annotations

from collections.abc import Sequence

from services.reporting.adapters.read_models import ReadModels, token
from services.reporting.domain.contributions import Contribution
from services.reporting.domain.duty_record import suggestion_contributions
from services.reporting.handlers.projections import wait_for_rebuild
from shared.dispatch import Event
from shared.events.case_events import CaseSuggestionLinked
from shared.logging import get_logger

log = get_logger(__name__)


async def apply_suggestions(
    events: Sequence[Event[CaseSuggestionLinked]], *, read_models: ReadModels
) -> int:
    """The same suggestion published for each case it links carries the same token into the
    same buckets (its day, its station), so the buckets' `seen` guard counts it once."""
    changes: list[tuple[str, Contribution]] = []
    for event in events:
        linked = event.data
        changes.extend(
            (token("g", linked.suggestion_id), c)
            for c in suggestion_contributions(linked, zone=read_models.zone)
        )
    return await read_models.add(changes)


async def on_suggestions(
    events: Sequence[Event[CaseSuggestionLinked]], *, read_models: ReadModels
) -> None:
    await wait_for_rebuild(read_models)
    new = await apply_suggestions(events, read_models=read_models)
    log.info("reporting.suggestions_counted", events=len(events), new=new)


async def replay_suggestions(
    events: Sequence[Event[CaseSuggestionLinked]], *, read_models: ReadModels
) -> None:
    await apply_suggestions(events, read_models=read_models)
