"""intake erased a resident's data (`case.erased`): routing scrubs its copy of the case, once."""

from __future__ import annotations

from collections.abc import Sequence

from services.routing.adapters.erasure import RoutedCaseErasure
from shared.dispatch import Event
from shared.events.case_events import CaseErased
from shared.logging import get_logger
from shared.optimistic import on_current_state

log = get_logger(__name__)


class _LostRace(Exception):
    """The case changed between the read and the guarded write."""


async def on_erasures(events: Sequence[Event[CaseErased]], *, erasures: RoutedCaseErasure) -> None:
    """Idempotent: an erased case carries `erased`, and a redelivered event finds it there."""
    for event in events:
        erased = event.data
        if erased.scope != "all":
            continue  # a contact's retention: routing never holds the contact
        with event.log_context():
            await _erase(erased, erasures=erasures)


async def _erase(erased: CaseErased, *, erasures: RoutedCaseErasure) -> None:
    async def attempt() -> bool:
        document = await erasures.get(erased.case_id)
        if document is None or "erased" in document:
            return False
        if not await erasures.erase(document, at=erased.erased_at):
            raise _LostRace(erased.case_id)
        return True

    # A busy case (a staff action landing between the read and the write) is read again.
    if await on_current_state(attempt, lost_race=_LostRace, attempts=10):
        log.info("case.erased", case_id=erased.case_id)
    else:
        log.info("case.erasure_skipped", case_id=erased.case_id, reason="unknown or erased")
