"""routing's use cases: one async function per command or event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.domain.assignment import RoutingRequest, route_case
from services.routing.domain.directory import Directory
from shared.consumer import ConsumedEvent, bound_event_context
from shared.errors import TransientError
from shared.events.case_events import CaseAssigned, CaseSubmitted
from shared.events.envelope import Envelope
from shared.logging import get_logger

log = get_logger(__name__)

SOURCE = "minyi/routing"


async def on_case_events(
    events: Sequence[ConsumedEvent],
    *,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
) -> None:
    snapshot: Directory | None = None
    for event in events:
        if event.envelope.type != CaseSubmitted.TYPE:
            continue
        with bound_event_context(event):
            if snapshot is None:
                snapshot = await directory.load()
                if snapshot is None:
                    # Nothing to route to yet: wait for the directory rather than lose the case.
                    raise TransientError("the directory is empty; load it (seed-demo or import)")
            await assign_case(event.envelope, cases=cases, directory=snapshot)


async def assign_case(
    envelope: Envelope, *, cases: RoutedCaseRepository, directory: Directory
) -> None:
    submitted = envelope.payload(CaseSubmitted)
    if await cases.exists(submitted.case_id):
        log.info("case.already_routed", case_id=submitted.case_id)
        return
    request = RoutingRequest(
        case_id=submitted.case_id,
        category=submitted.category,
        representative_code=submitted.representative_code,
        liaison_point_id=submitted.liaison_point_id,
    )
    candidates = (
        [r.code for r in directory.serving(request.liaison_point_id)]
        if request.liaison_point_id
        else []
    )
    decision = route_case(request, directory=directory, open_load=await cases.open_load(candidates))
    now = datetime.now(UTC)
    assigned = Envelope.wrap(
        CaseAssigned(
            case_id=submitted.case_id,
            category=submitted.category,
            station_id=decision.station_id,
            station_name=decision.station_name,
            liaison_point_id=decision.liaison_point_id,
            representative_code=decision.representative_code,
            representative_name=decision.representative_name,
            reason=decision.reason,
            assigned_at=now,
        ),
        source=SOURCE,
        subject=submitted.case_id,
        correlation_id=envelope.correlationid,
    )
    added = await cases.add_assignment(
        case_id=submitted.case_id,
        category=submitted.category,
        decision=decision,
        cause_event_id=envelope.id,
        assigned_at=now,
        event=assigned,
    )
    if added:
        log.info(
            "case.assigned",
            case_id=submitted.case_id,
            station=decision.station_id,
            representative=decision.representative_code,
            reason=decision.reason,
        )
