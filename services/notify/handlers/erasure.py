"""intake erased a resident's data (`case.erased` on case-events), or the contact's tombstone
reached notify (on resident-contacts): notify forgets the contact and scrubs what it kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.notify.adapters.erasure import ContactErasure
from shared.dispatch import Event
from shared.events.case_events import CaseErased
from shared.logging import get_logger

log = get_logger(__name__)


async def on_erasures(events: Sequence[Event[CaseErased]], *, erasures: ContactErasure) -> None:
    for event in events:
        erased = event.data
        with event.log_context():
            await erasures.erase(erased.case_id, scope=erased.scope, at=erased.erased_at)
            log.info("case.erased", case_id=erased.case_id, scope=erased.scope)


async def on_contact_tombstone(key: bytes, *, erasures: ContactErasure) -> None:
    """The delete record intake publishes for an erased contact: the same as erasing the
    contact (the case's `case.erased` may come later on its own topic, or already came)."""
    case_id, _, supporter = key.decode().partition("/")
    # A supporter's record ("me too") is keyed `<case id>/<supporter id>` and kept under the
    # supporter's id: forgetting it leaves the case's own resident alone. Their pushes are
    # the case's, so the case id finds them.
    await erasures.erase(
        case_id, scope="contact", at=datetime.now(UTC), supporter_id=supporter or None
    )
    log.info("resident.contact_forgotten", case_id=case_id, supporter=bool(supporter))
