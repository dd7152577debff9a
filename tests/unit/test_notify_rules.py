"""Who hears about each case event: the rules table, event type by event type."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notify.domain.delivery import PushChannel
from services.notify.domain.rules import RULES, Recipient, followed_event_types, recipients
from shared.events.case_events import (
    CASE_EVENT_TYPES,
    CaseAccepted,
    CaseAssigned,
    CaseClosed,
    CaseEscalated,
    CaseMeetingDecided,
    CaseMerged,
    CaseMessageSent,
    CaseRated,
    CaseRejected,
    CaseReopened,
    CaseResponded,
    CaseReturned,
    CaseSubmitted,
    CaseSuggestionAnswered,
    CaseSuggestionLinked,
    CaseSupervised,
    CaseSupervisionEscalated,
    CaseTransferred,
)
from shared.events.envelope import EventData

AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
WHO = {"case_id": "case-1", "station_id": "xijie", "at": AT}


def assigned(representative_code: str | None = "0412", round: int = 1) -> CaseAssigned:
    return CaseAssigned(
        case_id="case-1",
        category="parking",
        station_id="xijie",
        station_name="西街联络站",
        representative_code=representative_code,
        representative_name="张献平" if representative_code else None,
        reason="qr: representative 0412",
        round=round,
        assigned_at=AT,
    )


SAMPLES: dict[str, EventData] = {
    "assigned to a representative": assigned("0412"),
    "assigned to the station queue": assigned(None),
    "accepted": CaseAccepted(**WHO, actor_role="representative", representative_code="0412"),
    "rejected": CaseRejected(**WHO, actor_role="staff", actor_id="li", reason="不属于受理范围"),
    "transferred": CaseTransferred(
        **WHO, actor_role="staff", department_id="transport", department_name="市交通局"
    ),
    "responded": CaseResponded(**WHO, actor_role="staff", response="已在东侧增设20个车位。"),
    "closed": CaseClosed(**WHO, actor_role="staff"),
    "reopened": CaseReopened(**WHO, actor_role="resident", reason="车位仍然不够"),
    "merged": CaseMerged(**WHO, actor_role="staff", actor_id="li", into_case_id="case-0"),
    "message to the resident": CaseMessageSent(
        **WHO, actor_role="staff", message_id="m1", direction="to_resident", text="请补充照片"
    ),
    "message to the station": CaseMessageSent(
        **WHO, actor_role="resident", message_id="m2", direction="to_station", text="照片已上传"
    ),
    "escalated": CaseEscalated(
        **WHO, actor_role="system", deadline="accept", due_at=datetime(2025, 3, 17, tzinfo=UTC)
    ),
    "supervised": CaseSupervised(
        **WHO,
        actor_role="staff",
        actor_id="city-supervisor",
        supervision_id="s1",
        reason="群众反映强烈，请加快办理",
        due_at=datetime(2025, 3, 20, tzinfo=UTC),
        representative_code="0412",
    ),
    "supervision escalated": CaseSupervisionEscalated(
        **WHO,
        actor_role="system",
        supervision_id="s1",
        due_at=datetime(2025, 3, 20, tzinfo=UTC),
        representative_code="0412",
    ),
    "returned": CaseReturned(
        **WHO, actor_role="staff", reason="答复未回应诉求", representative_code="0412"
    ),
    "suggestion linked": CaseSuggestionLinked(
        **WHO,
        actor_role="representative",
        suggestion_id="sg1",
        number="2025-001",
        title="关于增设停车位的建议",
        lead_representative="0412",
        department_id="transport",
        department_name="市交通局",
        answer_due=datetime(2025, 6, 12).date(),
        linked_cases=2,
    ),
    "suggestion answered": CaseSuggestionAnswered(
        **WHO,
        actor_role="department",
        suggestion_id="sg1",
        number="2025-001",
        title="关于增设停车位的建议",
        department_id="transport",
        department_name="市交通局",
        answer="年内新增车位200个",
        round=1,
    ),
    "meeting decided": CaseMeetingDecided(
        **WHO,
        actor_role="staff",
        meeting_id="m1",
        item_id="1",
        held_on=datetime(2025, 6, 1).date(),
        item_title="白云社区：停车管理（3件）",
        decision="东门空地改建停车场",
        decided_cases=3,
    ),
}

RESIDENT: tuple[PushChannel, ...] = ("sms", "email")
STAFF: tuple[PushChannel, ...] = ("im", "email")
URGENT: tuple[PushChannel, ...] = ("sms", "im", "email")

EXPECTED: dict[str, list[Recipient]] = {
    "assigned to a representative": [
        Recipient(
            "representative:0412", "representative", "case.assigned:representative", False, STAFF
        )
    ],
    "assigned to the station queue": [
        Recipient("station:xijie", "station", "case.assigned:station", False, STAFF)
    ],
    "accepted": [Recipient("case:case-1", "case", "case.accepted:case", False, RESIDENT)],
    "rejected": [Recipient("case:case-1", "case", "case.rejected:case", False, RESIDENT)],
    "transferred": [
        Recipient("case:case-1", "case", "case.transferred:case", False, RESIDENT),
        Recipient(
            "department:transport", "department", "case.transferred:department", False, STAFF
        ),
    ],
    "responded": [Recipient("case:case-1", "case", "case.responded:case", False, RESIDENT)],
    "closed": [Recipient("case:case-1", "case", "case.closed:case", False, RESIDENT)],
    "reopened": [Recipient("case:case-1", "case", "case.reopened:case", False, RESIDENT)],
    # A duplicate merged into another: its resident, who then follows the surviving case.
    "merged": [Recipient("case:case-1", "case", "case.merged:case", False, RESIDENT)],
    # A question from the station waits in the case's inbox; it is not pushed.
    "message to the resident": [Recipient("case:case-1", "case", "case.message_sent:case", False)],
    "message to the station": [
        Recipient("station:xijie", "station", "case.message_sent:station", False)
    ],
    "escalated": [
        Recipient(
            "station_head:xijie",
            "station_head",
            "case.escalated:station_head",
            True,
            ("sms", "im", "email"),
        )
    ],
    # Supervision: the station head urgently, and the representative handling the case.
    "supervised": [
        Recipient(
            "station_head:xijie", "station_head", "case.supervised:station_head", True, URGENT
        ),
        Recipient(
            "representative:0412", "representative", "case.supervised:representative", False, STAFF
        ),
    ],
    "supervision escalated": [
        Recipient(
            "station_head:xijie",
            "station_head",
            "case.supervision_escalated:station_head",
            True,
            URGENT,
        ),
        Recipient(
            "representative:0412",
            "representative",
            "case.supervision_escalated:representative",
            True,
            STAFF,
        ),
    ],
    "returned": [
        Recipient("station:xijie", "station", "case.returned:station", False, STAFF),
        Recipient("station_head:xijie", "station_head", "case.returned:station_head", False, STAFF),
        Recipient(
            "representative:0412", "representative", "case.returned:representative", False, STAFF
        ),
    ],
    # A formal suggestion took the case up, then was answered: the resident, by push too.
    "suggestion linked": [
        Recipient("case:case-1", "case", "case.suggestion_linked:case", False, RESIDENT)
    ],
    "suggestion answered": [
        Recipient("case:case-1", "case", "case.suggestion_answered:case", False, RESIDENT)
    ],
    "meeting decided": [
        Recipient("case:case-1", "case", "case.meeting_decided:case", False, RESIDENT)
    ],
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_followed_event_reaches_exactly_its_audiences(name: str) -> None:
    assert recipients(SAMPLES[name]) == EXPECTED[name]


def test_the_samples_cover_every_followed_event_type() -> None:
    assert {event.TYPE for event in SAMPLES.values()} == followed_event_types()


@pytest.mark.parametrize("representative_code", ["0412", None])
def test_a_later_assignment_round_reaches_the_same_holder(representative_code: str | None) -> None:
    assert recipients(assigned(representative_code, round=2)) == recipients(
        assigned(representative_code)
    )


def test_events_nobody_follows_reach_nobody() -> None:
    quiet = [
        CaseSubmitted(
            case_id="case-1", category="parking", text="停车难", channel="web", submitted_at=AT
        ),
        CaseRated(**WHO, actor_role="resident", rating="satisfied"),
    ]
    assert [recipients(event) for event in quiet] == [[], []]


def test_only_escalations_and_supervision_are_urgent() -> None:
    assert {rule.event_type for rule in RULES if rule.urgent} == {
        CaseEscalated.TYPE,
        CaseSupervised.TYPE,
        CaseSupervisionEscalated.TYPE,
    }


def test_residents_hear_by_sms_or_email_of_exactly_the_steps_the_issue_names() -> None:
    pushed = {rule.event_type for rule in RULES if rule.audience == "case" and rule.push}
    assert pushed == {
        "case.accepted",
        "case.rejected",
        "case.transferred",
        "case.responded",
        "case.closed",
        "case.reopened",
        "case.merged",
        "case.suggestion_linked",
        "case.suggestion_answered",
        "case.meeting_decided",
    }


def test_every_rule_names_a_real_case_event() -> None:
    assert followed_event_types() <= set(CASE_EVENT_TYPES)


def test_the_residents_following_a_case_hear_its_answer_as_residents_of_their_own_case() -> None:
    answered = SAMPLES["responded"]
    found = recipients(answered, followers=["case-merged", "s0123"])
    assert [(r.address, r.template_key, r.push) for r in found] == [
        ("case:case-1", "case.responded:case", ("sms", "email")),
        ("case:case-merged", "case.responded:follower", ("sms", "email")),
        ("case:s0123", "case.responded:follower", ("sms", "email")),
    ]
    # A meeting's decision reaches them too, in their own words.
    decided = recipients(SAMPLES["meeting decided"], followers=["case-merged"])
    assert [(r.address, r.template_key) for r in decided] == [
        ("case:case-1", "case.meeting_decided:case"),
        ("case:case-merged", "case.meeting_decided:follower"),
    ]
    # Followers hear the answer only: not the station's other steps.
    assert recipients(SAMPLES["accepted"], followers=["case-merged"]) == recipients(
        SAMPLES["accepted"]
    )
