"""How every case event changes what the resident sees (services/intake/domain/timeline.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.intake.domain.cases import CaseSnapshot
from services.intake.domain.timeline import UnknownCaseEvent, advanced, change_for
from shared.events.case_events import (
    CASE_EVENT_TYPES,
    CaseAccepted,
    CaseAssigned,
    CaseClosed,
    CaseDeclined,
    CaseEscalated,
    CaseMerged,
    CaseMessageSent,
    CaseProgressed,
    CaseRated,
    CaseReassigned,
    CaseRejected,
    CaseReopened,
    CaseResponded,
    CaseReviewed,
    CaseStageChanged,
    CaseStatus,
    CaseSubmitted,
    CaseTransferred,
)
from shared.events.envelope import EventData

AT = datetime(2025, 3, 20, 10, 0, tzinfo=UTC)
STATION = "xijie"


def snapshot(**changes: Any) -> CaseSnapshot:
    data: dict[str, Any] = {"case_id": "c1", "version": 3, "status": "handling"}
    data.update(changes)
    return CaseSnapshot.model_validate(data)


def action(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "case_id": "c1",
        "station_id": STATION,
        "actor_role": "staff",
        "actor_id": "li.na",
        "at": AT,
    }
    base.update(fields)
    return base


def assigned(**changes: Any) -> CaseAssigned:
    data: dict[str, Any] = {
        "case_id": "c1",
        "category": "parking",
        "station_id": STATION,
        "station_name": "西街联络站",
        "representative_code": "0412",
        "representative_name": "张献平",
        "reason": "qr: representative 0412",
        "assigned_at": AT,
    }
    data.update(changes)
    return CaseAssigned.model_validate(data)


def test_a_first_assignment_shows_the_station_and_the_representative() -> None:
    change = change_for(assigned(), current=snapshot(status="submitted"))

    assert change.status == "assigned"
    assert change.step is not None
    assert (change.step.status, change.step.at, change.step.note) == (
        "assigned",
        AT,
        "西街联络站 · 张献平",
    )
    assert change.fields["station"] == {"id": STATION, "name": "西街联络站"}
    assert change.fields["station_id"] == STATION
    assert change.fields["representative"] == {"code": "0412", "name": "张献平"}


def test_a_later_assignment_says_another_representative_took_the_case() -> None:
    change = change_for(
        assigned(round=2, representative_code="0533", representative_name="陈明"),
        current=snapshot(status="declined"),
    )

    assert change.status == "assigned"
    assert change.step is not None
    assert change.step.note is not None
    assert "其他代表" in change.step.note
    assert change.step.note.endswith("西街联络站 · 陈明")


def test_an_assignment_to_the_station_queue_names_no_representative() -> None:
    change = change_for(
        assigned(representative_code=None, representative_name=None),
        current=snapshot(status="submitted"),
    )

    assert change.step is not None
    assert change.step.note == "西街联络站"
    assert change.fields["representative"] is None


def test_acceptance_moves_the_case_to_accepted() -> None:
    change = change_for(
        CaseAccepted(**action(actor_role="representative", representative_code="0412")),
        current=snapshot(status="assigned"),
    )

    assert change.status == "accepted"
    assert change.step is not None and change.step.status == "accepted"


def test_a_decline_is_shown_without_the_representatives_internal_reason() -> None:
    reason = "本人下周出差，无法处理"
    change = change_for(
        CaseDeclined(
            **action(actor_role="representative", representative_code="0412", reason=reason)
        ),
        current=snapshot(status="assigned"),
    )

    assert change.status == "declined"
    assert change.step is not None and change.step.note
    assert reason not in change.step.note
    assert reason not in str(change.fields)


@pytest.mark.parametrize(
    ("outcome", "status"), [("started", "in_review"), ("approved", "handling")]
)
def test_a_review_moves_the_case_to_in_review_then_handling(
    outcome: str, status: CaseStatus
) -> None:
    change = change_for(
        CaseReviewed(**action(outcome=outcome)), current=snapshot(status="accepted")
    )

    assert change.status == status
    assert change.step is not None and change.step.status == status


def test_a_rejection_shows_its_reason_to_the_resident() -> None:
    change = change_for(
        CaseRejected(**action(reason="属于司法程序，不在受理范围")),
        current=snapshot(status="in_review"),
    )

    assert change.status == "rejected"
    assert change.fields["rejection_reason"] == "属于司法程序，不在受理范围"
    assert change.step is not None and change.step.note
    assert "属于司法程序，不在受理范围" in change.step.note


def test_a_merge_records_the_case_it_joined() -> None:
    change = change_for(
        CaseMerged(**action(into_case_id="c0")), current=snapshot(status="accepted")
    )

    assert change.status == "merged"
    assert change.fields["merged_into_case_id"] == "c0"
    assert change.step is not None and change.step.status == "merged"


def test_a_transfer_names_the_department_but_not_its_internal_note() -> None:
    change = change_for(
        CaseTransferred(
            **action(department_id="traffic", department_name="区交通局", note="内部：加急")
        ),
        current=snapshot(status="handling"),
    )

    assert change.status == "transferred"
    assert change.step is not None and change.step.note
    assert "区交通局" in change.step.note
    assert "加急" not in change.step.note


@pytest.mark.parametrize("status", ["handling", "transferred", "reopened"])
def test_progress_adds_a_step_and_keeps_the_status(status: CaseStatus) -> None:
    change = change_for(
        CaseProgressed(**action(note="已现场查看，正在协调车位")), current=snapshot(status=status)
    )

    assert change.status is None
    assert change.step is not None
    assert (change.step.status, change.step.note) == (status, "已现场查看，正在协调车位")


def test_a_response_is_shown_and_opens_a_new_rating() -> None:
    change = change_for(
        CaseResponded(**action(response="已新增30个车位")),
        current=snapshot(status="transferred", rating="dissatisfied", rated_since_response=True),
    )

    assert change.status == "responded"
    assert change.fields["response"] == "已新增30个车位"
    assert change.fields["responded_at"] == AT
    assert change.fields["rated_since_response"] is False
    assert change.step is not None and change.step.status == "responded"


def test_closing_moves_the_case_to_closed() -> None:
    change = change_for(CaseClosed(**action()), current=snapshot(status="responded"))

    assert change.status == "closed"
    assert change.step is not None and change.step.status == "closed"


@pytest.mark.parametrize("status", ["responded", "closed"])
def test_a_rating_is_recorded_and_keeps_the_status(status: CaseStatus) -> None:
    change = change_for(
        CaseRated(**action(actor_role="resident", actor_id=None, rating="basically_satisfied")),
        current=snapshot(status=status),
    )

    assert change.status is None
    assert change.fields["rating"] == "basically_satisfied"
    assert change.fields["rated_since_response"] is True
    assert change.step is not None
    assert (change.step.status, change.step.note) == (status, "评价：基本满意")


def test_a_residents_reopen_counts_and_shows_their_reason() -> None:
    change = change_for(
        CaseReopened(**action(actor_role="resident", actor_id=None, reason="车位仍然不够用")),
        current=snapshot(status="responded", reopen_count=0),
    )

    assert change.status == "reopened"
    assert change.fields["reopened_at"] == AT
    assert change.fields["reopen_count"] == 1
    assert change.step is not None and change.step.note
    assert "车位仍然不够用" in change.step.note


def test_a_reopen_by_staff_counts_without_showing_its_reason() -> None:
    change = change_for(
        CaseReopened(**action(reason="内部复核要求重办")),
        current=snapshot(status="closed", reopen_count=1),
    )

    assert change.status == "reopened"
    assert change.fields["reopen_count"] == 2
    assert change.step is not None and change.step.note
    assert "内部复核" not in change.step.note


def test_a_reassignment_shows_nothing_until_the_following_assignment() -> None:
    change = change_for(
        CaseReassigned(
            **action(from_representative="0412", to_representative="0533", reason="工作调整")
        ),
        current=snapshot(status="accepted"),
    )

    assert change.status is None
    assert change.step is None
    assert "工作调整" not in str(change.fields)


def test_an_escalation_is_invisible_to_the_resident() -> None:
    change = change_for(
        CaseEscalated(**action(actor_role="system", actor_id=None, deadline="accept", due_at=AT)),
        current=snapshot(status="assigned"),
    )

    assert change.status is None
    assert change.step is None
    assert change.fields == {}


def test_every_handling_event_remembers_the_station_that_acted() -> None:
    change = change_for(
        CaseProgressed(**action(station_id="dongjie", note="进展")),
        current=snapshot(station_id=STATION),
    )

    assert change.fields["station_id"] == "dongjie"


def test_the_submission_is_not_a_timeline_change() -> None:
    submitted = CaseSubmitted(
        case_id="c1", category="parking", text="停车位太少", channel="web", submitted_at=AT
    )

    with pytest.raises(UnknownCaseEvent):
        change_for(submitted, current=snapshot(status="submitted"))


def test_an_event_type_without_a_rule_is_refused() -> None:
    class CaseHovered(EventData):
        TYPE = "case.hovered"

    with pytest.raises(UnknownCaseEvent):
        change_for(CaseHovered(), current=snapshot())


def test_every_event_type_but_the_submission_has_a_rule() -> None:
    covered = {
        CaseAssigned,
        CaseAccepted,
        CaseDeclined,
        CaseReviewed,
        CaseRejected,
        CaseMerged,
        CaseTransferred,
        CaseProgressed,
        CaseResponded,
        CaseClosed,
        CaseRated,
        CaseReopened,
        CaseReassigned,
        CaseEscalated,
        CaseStageChanged,
        CaseMessageSent,
        # Follow-up calls and supervision (tests/unit/test_follow_up_and_supervision.py).
        *(
            CASE_EVENT_TYPES[t]
            for t in (
                "case.followed_up",
                "case.supervised",
                "case.supervision_escalated",
                "case.returned",
                # Formal suggestions (tests/unit/test_suggestions.py).
                "case.suggestion_linked",
                "case.suggestion_answered",
                "case.suggestion_evaluated",
                # Deliberation meetings' decisions (tests/unit/test_meeting_agenda.py).
                "case.meeting_decided",
                # "Me too" (tests/unit/test_similar_case_record.py).
                "case.supported",
            )
        ),
    }

    assert set(CASE_EVENT_TYPES.values()) - {CaseSubmitted} == covered


def test_a_house_repair_stage_change_is_a_step_without_a_status_change() -> None:
    change = change_for(
        CaseStageChanged(**action(), from_stage="design", to_stage="repairing", note="施工队进场"),
        current=snapshot(status="handling"),
    )
    assert change.status is None
    assert change.step is not None
    assert change.step.status == "handling"
    assert change.step.note == "危旧房治理进度：修缮中（施工队进场）"
    assert change.fields["house_repair_stage"] == "repairing"


def test_a_question_from_the_station_awaits_the_resident_and_an_answer_ends_the_wait() -> None:
    asked = change_for(
        CaseMessageSent(
            **action(), message_id="m1", direction="to_resident", text="具体位置在哪？"
        ),
        current=snapshot(),
    )
    assert asked.step is None and asked.status is None
    assert asked.fields["awaiting_reply"] is True
    assert asked.fields["messages.m1"]["from"] == "station"
    answered = change_for(
        CaseMessageSent(
            **action(actor_role="resident", actor_id=None),
            message_id="m2",
            direction="to_station",
            text="在3号楼东侧",
        ),
        current=snapshot(awaiting_reply=True),
    )
    assert answered.fields["awaiting_reply"] is False
    assert answered.fields["messages.m2"]["from"] == "resident"


def test_a_batch_judges_each_event_against_the_case_as_the_previous_one_left_it() -> None:
    case = snapshot(status="handling", rating=None)
    responded = CaseResponded(**action(response="已安排施工队"))
    rated = CaseRated(**action(actor_role="resident", actor_id=None, rating="satisfied"))
    reopened = CaseReopened(**action(actor_role="resident", actor_id=None, reason="没修好"))

    after_response = advanced(case, change_for(responded, current=case))
    after_rating = advanced(after_response, change_for(rated, current=after_response))
    reopen = change_for(reopened, current=after_rating)

    assert after_response.status == "responded" and after_response.version == case.version + 1
    assert after_response.responded_at == AT and not after_response.rated_since_response
    assert after_rating.status == "responded" and after_rating.rating == "satisfied"
    assert after_rating.rated_since_response
    assert reopen.fields["reopen_count"] == case.reopen_count + 1


def test_advancing_keeps_what_the_change_does_not_touch() -> None:
    case = snapshot(status="handling", reopen_count=1, station_id="jianchi")

    after = advanced(
        case, change_for(CaseEscalated(**action(deadline="respond", due_at=AT)), current=case)
    )

    assert after.model_dump(exclude={"version"}) == case.model_dump(exclude={"version"})
