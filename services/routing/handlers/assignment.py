"""New cases: route each to a holder (docs/routing-rules.md), or record an imported past case as
it was (domain/imports.py). A run of `case.submitted` events costs a fixed number of store round
trips, whatever its length."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.routing.adapters.case_documents import assignment_document, imported_record
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.domain.assignment import (
    RoutingDecision,
    RoutingRequest,
    load_candidates,
    route_case,
)
from services.routing.domain.directory import Directory
from services.routing.domain.imports import is_history
from services.routing.domain.loads import combined, load_shift
from services.routing.domain.sla import SlaRules
from services.routing.handlers.common import assigned_event
from shared.dispatch import Event
from shared.errors import TransientError
from shared.events.case_events import CaseSubmitted
from shared.logging import get_logger
from shared.mongo import Document

log = get_logger(__name__)


async def assign_cases(
    events: Sequence[Event[CaseSubmitted]],
    *,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    sla: SlaRules,
) -> None:
    """Route new cases: one read of who is routed already, one of the candidates' loads, one
    insert of the assignments (each with its event) and one move of the loads."""
    if not events:
        return
    snapshot = await directory.load()
    if snapshot is None:
        # Nothing to route to yet: wait for the directory rather than lose the cases.
        raise TransientError("the directory is empty; load it (seed-demo)")
    events = await record_imported_cases(events, cases=cases, directory=snapshot)
    new: dict[str, Event[CaseSubmitted]] = {}
    for event in events:
        new.setdefault(event.data.case_id, event)
    routed = await cases.routed(new)
    for case_id in routed:
        log.info("case.already_routed", case_id=case_id, correlation_id=new[case_id].correlation_id)
    pending = [event for case_id, event in new.items() if case_id not in routed]
    requests = [routing_request(event.data) for event in pending]
    load = dict(
        await cases.loads.of(
            code for r in requests for code in load_candidates(r, directory=snapshot)
        )
    )
    now = datetime.now(UTC)
    documents: list[Document] = []
    decisions: dict[str, tuple[RoutingDecision, Event[CaseSubmitted]]] = {}
    for event, request in zip(pending, requests, strict=True):
        submitted = event.data
        decision = route_case(request, directory=snapshot, open_load=load)
        if decision.representative_code is not None:
            # The batch's own assignments count for the next case of the batch.
            load[decision.representative_code] = load.get(decision.representative_code, 0) + 1
        decisions[submitted.case_id] = (decision, event)
        documents.append(
            assignment_document(
                case_id=submitted.case_id,
                category=submitted.category,
                text=submitted.text,
                channel=submitted.channel,
                submitted_at=submitted.submitted_at,
                decision=decision,
                cause_event_id=event.id,
                assigned_at=now,
                meeting_id=submitted.meeting_id,
                attachment_count=submitted.attachment_count,
                # A past case nobody held enters the loop now: its clock starts at the import,
                # or every imported backlog case would be escalated on arrival.
                deadlines=sla.deadlines(
                    now if submitted.imported else submitted.submitted_at,
                    directory=snapshot,
                    category=submitted.category,
                ),
                event=assigned_event(
                    decision,
                    case_id=submitted.case_id,
                    category=submitted.category,
                    round_=1,
                    at=now,
                    correlation_id=event.correlation_id,
                ),
            )
        )
    added = await cases.add_assignments(documents)
    await cases.loads.shift(
        combined(
            load_shift(None, (decisions[case_id][0].representative_code, "assigned"))
            for case_id in added
        )
    )
    for case_id in sorted(added):
        decision, event = decisions[case_id]
        log.info(
            "case.assigned",
            case_id=case_id,
            station=decision.station_id,
            representative=decision.representative_code,
            reason=decision.reason,
            correlation_id=event.correlation_id,
        )


def routing_request(submitted: CaseSubmitted) -> RoutingRequest:
    return RoutingRequest(
        case_id=submitted.case_id,
        category=submitted.category,
        representative_code=submitted.representative_code,
        liaison_point_id=submitted.liaison_point_id,
        location=(submitted.location.lat, submitted.location.lon) if submitted.location else None,
        station_id=submitted.station_id,
    )


async def record_imported_cases(
    events: Sequence[Event[CaseSubmitted]], *, cases: RoutedCaseRepository, directory: Directory
) -> list[Event[CaseSubmitted]]:
    """Record the imported cases among these `case.submitted` events as they were, in one
    write (a redelivered one is recorded already and changes nothing); returns the others —
    live cases and imported ones still `submitted` — for the caller to route."""
    to_route: list[Event[CaseSubmitted]] = []
    records: list[Document] = []
    for event in events:
        if is_history(event.data):
            records.append(imported_record(event.data, event_id=event.id, directory=directory))
        else:
            to_route.append(event)
    if not records:
        return to_route
    stored = await cases.add_imported(records)
    await cases.loads.shift(
        combined(
            load_shift(None, (r["representative_code"], r["status"]))
            for r in records
            if r["_id"] in stored
        )
    )
    # One line per batch: an import brings thousands of cases at once.
    log.info("case.imports_recorded", recorded=len(stored), already=len(records) - len(stored))
    return to_route
