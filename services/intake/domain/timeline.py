"""How each case event changes what the resident sees. Pure: no I/O, data in, data out.

Every event maps to a `TimelineChange`: the new status (None: unchanged), the public step
(None: the resident must not see this event) and the fields to set on the stored case.
Internal details never reach a step: a representative's reason to decline, a reassignment,
an SLA escalation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.cases import CaseSnapshot, TimelineStep, assignment_note
from shared.events.case_events import (
    CaseAccepted,
    CaseAction,
    CaseAssigned,
    CaseClosed,
    CaseDeclined,
    CaseEscalated,
    CaseFollowedUp,
    CaseMeetingDecided,
    CaseMerged,
    CaseMessageSent,
    CaseProgressed,
    CaseRated,
    CaseReassigned,
    CaseRejected,
    CaseReopened,
    CaseResponded,
    CaseReturned,
    CaseReviewed,
    CaseStageChanged,
    CaseStatus,
    CaseSubmitted,
    CaseSuggestionAnswered,
    CaseSuggestionEvaluated,
    CaseSuggestionLinked,
    CaseSupervised,
    CaseSupervisionEscalated,
    CaseSupported,
    CaseTransferred,
    Rating,
)
from shared.events.envelope import EventData

RATING_LABELS: dict[Rating, str] = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
}


FOLLOW_UP_CHANNELS = {"phone": "电话回访", "in_person": "当面回访"}


# When the case last ended (closed, rejected or merged): the contact retention counts from
# here. The retention job reads it through a sparse index and removes it once it has run, so the
# index holds only ended cases whose contact has not been dealt with yet (docs/operations.md).
RETENTION_SINCE = "retention_since"


class UnknownCaseEvent(ValueError):
    """An event type intake does not map (case.submitted is intake's own, never consumed)."""


class TimelineChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: CaseStatus | None = Field(default=None, description="None: the status is unchanged.")
    step: TimelineStep | None = Field(default=None, description="None: nothing to show.")
    fields: dict[str, Any] = Field(default_factory=dict)


HOUSE_STAGE_LABELS = {
    "under_governance": "已受理治理",
    "design": "方案设计中",
    "repairing": "修缮中",
    "repaired": "修缮完成",
    "acceptance_passed": "已通过验收",
    "expropriated": "已征收拆除",
}


def change_for(event: EventData, *, current: CaseSnapshot) -> TimelineChange:
    """What `event` changes in the resident's view of the case `current`."""
    fields: dict[str, Any] = {}
    if isinstance(event, CaseAction):
        # The station that last acted: resident actions are attributed to it.
        fields["station_id"] = event.station_id
    match event:
        case CaseAssigned():
            return _assigned(event)
        case CaseAccepted():
            return _moved("accepted", event.at, "代表已受理", fields)
        case CaseDeclined():
            # The representative's reason is internal: the resident only learns it moves on.
            return _moved("declined", event.at, "代表暂时无法办理，正在重新分派", fields)
        case CaseReviewed(outcome="started"):
            return _moved("in_review", event.at, "正在审核", fields)
        case CaseReviewed():
            return _moved("handling", event.at, "审核通过，正在办理", fields)
        case CaseRejected():
            fields["rejection_reason"] = event.reason
            fields[RETENTION_SINCE] = event.at
            return _moved("rejected", event.at, f"不予受理：{event.reason}", fields)
        case CaseMerged():
            fields["merged_into_case_id"] = event.into_case_id
            fields[RETENTION_SINCE] = event.at
            return _moved("merged", event.at, "已与反映同一事项的意见建议合并办理", fields)
        case CaseTransferred():
            fields["transferred_to"] = event.department_id
            note = f"已转交{event.department_name}办理"
            return _moved("transferred", event.at, note, fields)
        case CaseProgressed():
            step = TimelineStep(status=current.status, at=event.at, note=event.note)
            return TimelineChange(step=step, fields=fields)
        case CaseResponded():
            fields.update(
                response=event.response, responded_at=event.at, rated_since_response=False
            )
            return _moved("responded", event.at, "已答复", fields)
        case CaseClosed():
            fields[RETENTION_SINCE] = event.at
            return _moved("closed", event.at, "已办结", fields)
        case CaseRated():
            fields.update(rating=event.rating, rated_at=event.at, rated_since_response=True)
            note = f"评价：{RATING_LABELS[event.rating]}"
            step = TimelineStep(status=current.status, at=event.at, note=note)
            return TimelineChange(step=step, fields=fields)
        case CaseReopened():
            fields.update(reopened_at=event.at, reopen_count=current.reopen_count + 1)
            # The resident reads their own reason; anyone else's stays internal.
            note = f"申请重新办理：{event.reason}" if event.actor_role == "resident" else "重新办理"
            return _moved("reopened", event.at, note, fields)
        case CaseReassigned():
            # The case.assigned that follows shows where it went.
            return TimelineChange(fields=fields)
        case CaseEscalated() | CaseSupervised() | CaseSupervisionEscalated():
            # For the station head and the holder, not the resident.
            return TimelineChange()
        case CaseFollowedUp():
            # Recorded by staff from a call or a visit, and marked so: it is not the resident's
            # own rating, which stays possible (`rating` and `rate` are untouched).
            how = FOLLOW_UP_CHANNELS[event.channel]
            note = f"回访评价（{how}，工作人员记录）：{RATING_LABELS[event.rating]}"
            step = TimelineStep(status=current.status, at=event.at, note=note)
            return TimelineChange(step=step, fields=fields)
        case CaseReturned():
            # The supervisor's reason is for the station; the resident learns it is redone.
            return _moved("handling", event.at, "答复经督办退回，正在重新办理", fields)
        case CaseMessageSent():
            # The conversation is kept apart from the timeline, keyed by message id.
            fields[f"messages.{event.message_id}"] = {
                "from": "station" if event.direction == "to_resident" else "resident",
                "text": event.text,
                "at": event.at,
            }
            fields["awaiting_reply"] = event.direction == "to_resident"
            return TimelineChange(fields=fields)
        case CaseStageChanged():
            # Dilapidated-house repair: residents follow the repair stage by stage.
            fields["house_repair_stage"] = event.to_stage
            label = HOUSE_STAGE_LABELS.get(event.to_stage, event.to_stage)
            note = f"危旧房治理进度：{label}" + (f"（{event.note}）" if event.note else "")
            step = TimelineStep(status=current.status, at=event.at, note=note)
            return TimelineChange(step=step, fields=fields)
        case CaseSuggestionLinked():
            # A formal suggestion (代表建议) took the case up: a step, the status unchanged.
            note = f"已形成代表建议：{event.title}"
            return TimelineChange(step=TimelineStep(status=current.status, at=event.at, note=note))
        case CaseSuggestionAnswered():
            note = f"代表建议《{event.title}》已获{event.department_name}答复：{event.answer}"
            return TimelineChange(step=TimelineStep(status=current.status, at=event.at, note=note))
        case CaseSuggestionEvaluated():
            # The representative's evaluation is for the department and the session.
            return TimelineChange()
        case CaseMeetingDecided():
            # A deliberation meeting (议事会) decided the matter: the resident reads it.
            held = event.held_on.isoformat()
            note = f"议事会（{held}）议定《{event.item_title}》：{event.decision}"
            return TimelineChange(step=TimelineStep(status=current.status, at=event.at, note=note))
        case CaseSupported():
            # Intake's own: the count was stored with the event when the supporter joined.
            return TimelineChange()
        case CaseSubmitted():
            raise UnknownCaseEvent("case.submitted is intake's own event, not a change")
    raise UnknownCaseEvent(f"no timeline rule for {event.TYPE}")


_SNAPSHOT_FIELDS = frozenset(CaseSnapshot.model_fields) - {"case_id", "version"}


def advanced(current: CaseSnapshot, change: TimelineChange) -> CaseSnapshot:
    """The case as the rules see it once `change` is stored: the next event of a batch is
    judged against this, as it would be after reading the case again."""
    update: dict[str, Any] = {k: v for k, v in change.fields.items() if k in _SNAPSHOT_FIELDS}
    if change.status is not None:
        update["status"] = change.status
    return current.model_copy(update={**update, "version": current.version + 1})


def _moved(status: CaseStatus, at: datetime, note: str, fields: dict[str, Any]) -> TimelineChange:
    return TimelineChange(
        status=status, step=TimelineStep(status=status, at=at, note=note), fields=fields
    )


def _assigned(event: CaseAssigned) -> TimelineChange:
    holder = assignment_note(event)
    if event.round == 1:
        note = holder
    elif event.representative_code is None:
        note = f"转回联络站待重新分派：{holder}"
    else:
        note = f"已改由其他代表办理：{holder}"
    return TimelineChange(
        status="assigned",
        step=TimelineStep(status="assigned", at=event.assigned_at, note=note),
        fields={
            "station": {"id": event.station_id, "name": event.station_name},
            "station_id": event.station_id,
            # Where routing placed it: the point suggestions compare drafts with.
            **({"liaison_point_id": event.liaison_point_id} if event.liaison_point_id else {}),
            "representative": (
                {"code": event.representative_code, "name": event.representative_name}
                if event.representative_code
                else None
            ),
        },
    )
