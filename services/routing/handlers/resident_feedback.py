"""What the resident says about the response: a rating, or a reopening that puts the case back in
the station's hands with a fresh response deadline. Each is applied once, by event id."""

from __future__ import annotations

from collections.abc import Sequence

from services.routing.adapters.case_documents import audit_entry, rating_audit, watch_for
from services.routing.adapters.case_repository import ExternalChange, RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.domain.imports import rated_by_import
from services.routing.domain.loads import load_shift
from services.routing.domain.sla import SlaRules
from shared.dispatch import Event
from shared.events.case_events import CaseRated, CaseReopened
from shared.logging import get_logger

log = get_logger(__name__)


async def on_ratings(events: Sequence[Event[CaseRated]], *, cases: RoutedCaseRepository) -> None:
    """Each rating once, by event id; an imported case's was recorded with the case."""
    await cases.apply_external_many(
        [
            ExternalChange(
                case_id=event.data.case_id,
                event_id=event.id,
                changes={"rating": event.data.rating},
                audit=rating_audit(event.data.rating, at=event.data.at),
            )
            for event in events
            if not rated_by_import(event.data)
        ]
    )


async def on_reopenings(
    events: Sequence[Event[CaseReopened]],
    *,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    sla: SlaRules,
) -> None:
    for event in events:
        with event.log_context():
            await _reopen(event, cases=cases, directory=directory, sla=sla)


async def _reopen(
    event: Event[CaseReopened],
    *,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    sla: SlaRules,
) -> None:
    reopened = event.data
    # A reopened case gets a fresh response deadline (its category's), and may be escalated
    # for it again.
    case = await cases.get(reopened.case_id)
    category = case["category"] if case else ""
    snapshot = await directory.load()
    days = sla.policy(directory=snapshot, category=category).respond_days
    respond = {
        "respond_due": sla.calendar.add_working_days(reopened.at, days),
        "respond_escalated": False,
        # What the new deadline is counted from, for a recount with another calendar.
        "respond_from": reopened.at,
        "respond_days": days,
    }
    reopened_case = {**(case or {}), "sla": {**((case or {}).get("sla") or {}), **respond}}
    applied = await cases.apply_external(
        case_id=reopened.case_id,
        event_id=event.id,
        watch=watch_for(reopened_case, status="reopened"),
        changes={"status": "reopened", **{f"sla.{name}": v for name, v in respond.items()}},
        increments={"reopen_count": 1},
        audit=audit_entry(
            at=reopened.at,
            actor_role="resident",
            actor_id=None,
            action="reopen",
            source=None,
            target="reopened",
            note=reopened.reason,
        ),
    )
    if applied and case is not None:
        await cases.loads.shift(
            load_shift(
                (case.get("representative_code"), case["status"]),
                (case.get("representative_code"), "reopened"),
            )
        )
    log.info("case.reopened", case_id=reopened.case_id)
