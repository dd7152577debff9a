"""The history of a valid row: the events a live case would have produced to end where it did,
and the resident's view folded from them by the live timeline rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.intake.domain.cases import CaseSnapshot, TimelineStep
from services.intake.domain.history_import.references import Holder
from services.intake.domain.history_import.rows import REACHED, HistoryRow
from services.intake.domain.timeline import RETENTION_SINCE, change_for
from shared.events.case_events import (
    CaseAccepted,
    CaseAction,
    CaseAssigned,
    CaseClosed,
    CaseRated,
    CaseRejected,
    CaseResponded,
    CaseStatus,
    CaseSubmitted,
    ImportedHistory,
)
from shared.events.envelope import EventData

# Who the handling events of an imported case name as their actor (actor_role "system").
IMPORT_ACTOR = "import"
# What the resident reads when the file gave no response text or rejection reason.
NO_RESPONSE = "已答复（历史记录，未附答复内容）"
NO_REJECTION_REASON = "不予受理（历史记录，未附理由）"


def step_times(row: HistoryRow) -> dict[str, datetime]:
    """The time of every step the case went through: a step the file gave no time for
    happened, as far as anyone can tell, when the step before it did."""
    times: dict[str, datetime] = {}
    previous = row.submitted_at
    for name in REACHED[row.status]:
        previous = getattr(row, name) or previous
        times[name] = previous
    return times


def history_events(row: HistoryRow, *, case_id: str, holder: Holder) -> list[EventData]:
    """The events a live case would have produced to end where this one did, in order:
    `case.submitted` (with `imported`), then as the status implies `case.assigned`,
    `case.accepted`, `case.rejected` or `case.responded` and `case.closed`, and `case.rated`."""
    times = step_times(row)
    events: list[EventData] = [
        CaseSubmitted(
            case_id=case_id,
            category=row.category,
            text=row.text,
            channel=row.channel,
            representative_code=row.representative_code,
            liaison_point_id=row.liaison_point_id,
            station_id=row.station_id,
            submitted_at=row.submitted_at,
            imported=ImportedHistory(
                external_id=row.external_id,
                status=row.status,
                station_id=holder.station_id,
                representative_code=holder.representative_code,
                assigned_at=times.get("assigned_at"),
                accepted_at=times.get("accepted_at"),
                responded_at=times.get("responded_at"),
                closed_at=times.get("closed_at"),
                rating=row.rating,
            ),
        )
    ]
    if row.status == "submitted" or holder.station_id is None:
        return events
    station_id = holder.station_id
    events.append(
        CaseAssigned(
            case_id=case_id,
            category=row.category,
            station_id=station_id,
            station_name=holder.station_name or station_id,
            liaison_point_id=row.liaison_point_id,
            representative_code=holder.representative_code,
            representative_name=holder.representative_name,
            reason=f"imported history (external id {row.external_id})",
            round=1,
            assigned_at=times["assigned_at"],
        )
    )
    if row.status == "assigned":
        return events
    events.append(
        CaseAccepted(
            case_id=case_id,
            station_id=station_id,
            actor_role="system",
            actor_id=IMPORT_ACTOR,
            at=times["accepted_at"],
            # As routing does for a case in a station's queue: no representative, no code.
            representative_code=holder.representative_code or "",
        )
    )
    if row.status == "rejected":
        events.append(
            CaseRejected(
                case_id=case_id,
                station_id=station_id,
                actor_role="system",
                actor_id=IMPORT_ACTOR,
                at=times["closed_at"],
                reason=row.rejection_reason or NO_REJECTION_REASON,
            )
        )
        return events
    if row.status == "accepted":
        return events
    events.append(
        CaseResponded(
            case_id=case_id,
            station_id=station_id,
            actor_role="system",
            actor_id=IMPORT_ACTOR,
            at=times["responded_at"],
            response=row.response or NO_RESPONSE,
        )
    )
    if row.status == "closed":
        events.append(
            CaseClosed(
                case_id=case_id,
                station_id=station_id,
                actor_role="system",
                actor_id=IMPORT_ACTOR,
                at=times["closed_at"],
            )
        )
    if row.rating is not None:
        events.append(
            CaseRated(
                case_id=case_id,
                station_id=station_id,
                actor_role="system",
                actor_id=IMPORT_ACTOR,
                at=times[REACHED[row.status][-1]],
                rating=row.rating,
            )
        )
    return events


def occurred_at(event: EventData) -> datetime:
    """When the event happened: the time its envelope carries (CloudEvents `time`)."""
    if isinstance(event, CaseSubmitted):
        return event.submitted_at
    if isinstance(event, CaseAssigned):
        return event.assigned_at
    if isinstance(event, CaseAction):
        return event.at
    raise ValueError(f"no time for {event.TYPE}")


@dataclass(frozen=True)
class ResidentView:
    """What intake stores for the resident, as if each event had come back from Kafka."""

    status: CaseStatus
    timeline: tuple[TimelineStep, ...]
    fields: Mapping[str, Any]
    updated_at: datetime


def resident_view(events: Sequence[EventData]) -> ResidentView:
    """The resident's view after `events` (the first is `case.submitted`), by the same
    timeline rules a live case follows (`timeline.change_for`)."""
    submitted = events[0]
    if not isinstance(submitted, CaseSubmitted):
        raise ValueError("the first event of a case is case.submitted")
    case = CaseSnapshot(case_id=submitted.case_id, version=1, status="submitted")
    steps = [TimelineStep(status="submitted", at=submitted.submitted_at)]
    fields: dict[str, Any] = {}
    for event in events[1:]:
        change = change_for(event, current=case)
        fields.update(change.fields)
        if change.status is not None:
            case = case.model_copy(update={"status": change.status})
        if change.step is not None:
            steps.append(change.step)
    # An imported case has no contact (personal data is never imported) and nobody can join
    # an ended one, so the contact retention job has nothing to do with it. Off its index:
    # 100,000 imported ended cases made every pass of that job read all of them.
    fields.pop(RETENTION_SINCE, None)
    return ResidentView(
        status=case.status, timeline=tuple(steps), fields=fields, updated_at=steps[-1].at
    )
