"""A resident's action by tracking code (rate, reopen, reply), decided by a pure rule and stored
with its event in one version-guarded write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.intake.adapters.case_documents import snapshot_of
from services.intake.adapters.case_repository import CaseRepository
from services.intake.domain.cases import CaseSnapshot
from services.intake.domain.errors import CaseNotFound
from services.intake.domain.merged import SURVIVING, as_follower
from services.intake.domain.resident_actions import refused
from services.intake.domain.timeline import change_for
from services.intake.handlers import SOURCE
from shared.events.case_events import CaseAction, CaseRated
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.mongo import Document
from shared.optimistic import on_current_state

log = get_logger(__name__)


class _LostRace(Exception):
    """A routing event reached the case between the resident's read and write."""

    def __init__(self, latest: Document) -> None:
        super().__init__(latest["_id"])
        self.latest = latest


async def resident_action(
    *,
    tracking_code: str,
    decide: Callable[[CaseSnapshot], CaseAction],
    cases: CaseRepository,
    correlation_id: str,
    now: datetime,
) -> Document:
    """A resident's action by tracking code (rate, reopen, reply): `decide` is the pure rule.

    Decide, then store the change and its event in one write guarded by the version read; a
    routing event landing meanwhile makes it decide again on the case as it is now.

    The same write marks the event applied, so it changes nothing when it comes back from Kafka.
    Raises CaseNotFound, and ActionRefused when the rule refuses.
    """

    async def attempt() -> Document:
        return await _resident_action_once(
            tracking_code=tracking_code,
            decide=decide,
            cases=cases,
            correlation_id=correlation_id,
            now=now,
        )

    try:
        return await on_current_state(attempt, lost_race=_LostRace)
    except _LostRace as lost:
        raise refused(
            snapshot_of(lost.latest), detail="the case changed meanwhile; please try again", now=now
        ) from None


async def _resident_action_once(
    *,
    tracking_code: str,
    decide: Callable[[CaseSnapshot], CaseAction],
    cases: CaseRepository,
    correlation_id: str,
    now: datetime,
) -> Document:
    document = await cases.with_surviving(await cases.by_tracking_code(tracking_code))
    if document is None:
        raise CaseNotFound(tracking_code)
    case = snapshot_of(document)
    # A merged case's resident acts on the surviving case's answer, on their own case.
    surviving = document.get(SURVIVING)
    data = decide(as_follower(case, rated_at=document.get("rated_at"), surviving=surviving))
    if isinstance(data, CaseRated) and surviving is not None:
        data = data.model_copy(update={"answer_of": surviving["_id"]})
    envelope = Envelope.wrap(
        data, source=SOURCE, subject=case.case_id, correlation_id=correlation_id, time=now
    )
    change = change_for(data, current=case)
    stored = await cases.apply_change(
        case=case, event_id=envelope.id, change=change, events=[envelope]
    )
    latest = await cases.with_surviving(await cases.by_tracking_code(tracking_code))
    if latest is None:
        raise CaseNotFound(tracking_code)
    if not stored:
        log.info("case.resident_action_lost_race", case_id=case.case_id, event_type=data.TYPE)
        raise _LostRace(latest)
    log.info("case.resident_action", case_id=case.case_id, event_type=data.TYPE)
    return latest
