"""Supervision (督办) and return for redo: who may urge or send back which case, the deadline's
bounds, which records are escalated once, what the resident sees, and what reporting counts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest

from services.intake.domain.cases import CaseSnapshot
from services.intake.domain.timeline import change_for
from services.reporting.domain.case_state import CaseState as ReportedCase
from services.reporting.domain.case_state import apply_event
from services.reporting.domain.contributions import Contribution
from services.reporting.domain.summaries import summarize_stations
from services.routing.domain.supervision import (
    MAX_AHEAD,
    InvalidDeadline,
    Supervise,
    SupervisionNotAllowed,
    answered_by_response,
    decide_supervision,
    due_moment,
    next_supervision_due,
    outcome,
    overdue_records,
)
from services.routing.domain.workflow import (
    OPEN,
    Actor,
    CaseState,
    NotPermitted,
    OutOfScope,
    Return,
    Status,
    allowed_actions,
    decide,
)
from shared.events.case_events import (
    CaseAccepted,
    CaseAssigned,
    CaseResponded,
    CaseReturned,
    CaseSupervised,
    CaseSupervisionEscalated,
)
from shared.events.envelope import EventData

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
SUPERVISOR = Actor(role="supervisor", username="city-supervisor")
ADMIN = Actor(role="admin", username="admin")
STAFF = Actor(role="staff", username="xijie-staff", station_id="xijie")
HEAD = Actor(role="station_head", username="xijie-head", station_id="xijie")
OTHER_STAFF = Actor(role="staff", username="jianchi-staff", station_id="jianchi")
HOLDER = Actor(role="representative", username="rep-0412", representative_code="0412")
ALL_STATUSES: tuple[Status, ...] = get_args(Status)


def case(status: Status) -> CaseState:
    return CaseState(
        case_id="c-1", station_id="xijie", status=status, representative_code="0412", version=4
    )


def supervise(state: CaseState, actor: Actor = SUPERVISOR, **order: Any) -> CaseSupervised:
    command = Supervise.model_validate(
        {"reason": "群众反映强烈，请加快办理", "deadline": date(2026, 11, 30), **order}
    )
    return decide_supervision(
        state, command, actor=actor, supervision_id="s-1", now=NOW, timezone=SHANGHAI
    )


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_a_supervisor_may_supervise_exactly_the_open_cases(status: Status) -> None:
    if status in OPEN:
        event = supervise(case(status))
        assert (event.case_id, event.actor_id, event.representative_code) == (
            "c-1",
            "city-supervisor",
            "0412",
        )
    else:
        with pytest.raises(SupervisionNotAllowed, match=f"a case that is {status}"):
            supervise(case(status))


def test_admins_supervise_too_but_no_one_at_a_station_does() -> None:
    assert supervise(case("handling"), ADMIN).actor_id == "admin"
    for actor in (STAFF, HEAD, HOLDER):
        with pytest.raises(NotPermitted):
            supervise(case("handling"), actor)
    with pytest.raises(OutOfScope):  # another station's case does not exist for its staff
        supervise(case("handling"), OTHER_STAFF)


def test_a_date_deadline_falls_at_the_end_of_that_day_local_time() -> None:
    event = supervise(case("handling"), deadline=date(2026, 11, 30))
    assert event.due_at == datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)
    moment = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert due_moment(moment, timezone=SHANGHAI) == moment


@pytest.mark.parametrize(
    ("deadline", "problem"),
    [
        (date(2026, 11, 24), "in the future"),  # yesterday
        (datetime(2026, 11, 25, 0, 59, tzinfo=UTC), "in the future"),  # a minute ago
        (date(2027, 3, 1), "within 90 days"),
    ],
)
def test_a_deadline_in_the_past_or_too_far_ahead_is_refused(
    deadline: date | datetime, problem: str
) -> None:
    with pytest.raises(InvalidDeadline, match=problem):
        supervise(case("handling"), deadline=deadline)


def test_today_and_the_furthest_deadline_are_accepted() -> None:
    assert supervise(case("handling"), deadline=date(2026, 11, 25)).due_at > NOW
    furthest = NOW + MAX_AHEAD
    assert supervise(case("handling"), deadline=furthest).due_at == furthest


def test_a_deadline_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Supervise.model_validate({"reason": "请加快", "deadline": "2026-11-30T10:00:00"})


def record(due: datetime, *, escalated: bool = False, at: datetime = NOW) -> dict[str, Any]:
    return {"id": f"s-{due.isoformat()}", "at": at, "due_at": due, "escalated": escalated}


def test_each_passed_supervision_of_an_open_case_is_escalated_once() -> None:
    passed, escalated, ahead = NOW - timedelta(hours=1), NOW - timedelta(days=1), NOW + timedelta(1)
    records = [record(passed), record(escalated, escalated=True), record(ahead)]

    assert overdue_records(records, status="handling", now=NOW) == [0]
    # The next deadline to watch skips what was escalated; an answered case has none.
    assert next_supervision_due(records, status="handling") == passed
    assert next_supervision_due(records[1:], status="handling") == ahead
    assert overdue_records(records, status="responded", now=NOW) == []
    assert next_supervision_due(records, status="responded") is None


def test_a_response_answers_the_pending_records_which_are_then_never_escalated() -> None:
    due = NOW + timedelta(days=2)
    records = [record(due), record(NOW - timedelta(days=1), escalated=True), record(due)]
    assert answered_by_response(records) == [0, 2]
    answered = [{**r, "answered_at": NOW} if i in (0, 2) else r for i, r in enumerate(records)]
    # Reopened or returned later, past the deadline: nothing left to escalate or watch.
    later = due + timedelta(days=1)
    assert overdue_records(answered, status="handling", now=later) == []
    assert next_supervision_due(answered, status="handling") is None


def test_the_outcome_is_met_by_an_answer_in_time_and_missed_otherwise() -> None:
    due = NOW + timedelta(days=2)
    assert outcome(record(due)) == "pending"
    assert outcome({**record(due), "answered_at": NOW + timedelta(days=1)}) == "met"
    assert outcome({**record(due), "answered_at": NOW + timedelta(days=3)}) == "missed"
    assert outcome(record(due, escalated=True)) == "missed"


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_only_supervisors_and_admins_return_a_response_and_only_a_responded_one(
    status: Status,
) -> None:
    for actor in (SUPERVISOR, ADMIN):
        assert ("return" in allowed_actions(case(status), actor)) == (status == "responded")
    for actor in (STAFF, HEAD, HOLDER):
        assert "return" not in allowed_actions(case(status), actor)


def test_a_return_puts_the_case_back_to_handling_with_the_reason() -> None:
    decision = decide(
        case("responded"), Return(reason="答复未回应居民诉求"), actor=SUPERVISOR, now=NOW
    )
    assert (decision.source, decision.target) == ("responded", "handling")
    [event] = decision.events
    assert isinstance(event, CaseReturned)
    assert (event.reason, event.actor_id, event.representative_code) == (
        "答复未回应居民诉求",
        "city-supervisor",
        "0412",
    )
    with pytest.raises(NotPermitted):
        decide(case("responded"), Return(reason="答复不充分"), actor=STAFF, now=NOW)


def test_a_return_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        Return(reason="")


WHO = {"case_id": "c-1", "station_id": "xijie", "at": NOW}


def test_the_resident_sees_the_redo_but_not_the_supervision() -> None:
    current = CaseSnapshot(case_id="c-1", status="responded", version=5)
    supervised = CaseSupervised(
        **WHO, actor_role="staff", supervision_id="s", reason="内部督办事由", due_at=NOW
    )
    overdue = CaseSupervisionEscalated(**WHO, actor_role="system", supervision_id="s", due_at=NOW)
    for event in (supervised, overdue):
        change = change_for(event, current=current)
        assert (change.status, change.step) == (None, None)
    returned = change_for(
        CaseReturned(**WHO, actor_role="staff", reason="内部退回理由"), current=current
    )
    assert returned.status == "handling"
    assert returned.step is not None
    assert returned.step.note == "答复经督办退回，正在重新办理"
    assert "内部" not in returned.step.note


def station_counts(events: Iterable[EventData]) -> dict[str, Any]:
    """The station's figures after folding `events` into one case, as reporting sums them."""
    state = ReportedCase(case_id="c-1")
    made: list[Contribution] = []
    for event in events:
        state, contributions = apply_event(state, event, zone=SHANGHAI)
        made.extend(contributions)
    buckets = [
        {"station_id": c.station_id, "counts": nest(c.counts)}
        for c in made
        if c.dimension == "station"
    ]
    [xijie] = summarize_stations(buckets)
    return xijie.model_dump()


def nest(counts: dict[str, int]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for name, value in counts.items():
        head, _, rest = name.partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            nested[head] = value
    return nested


def story(*later: EventData) -> list[EventData]:
    assigned = CaseAssigned(
        case_id="c-1",
        category="parking",
        station_id="xijie",
        station_name="西街",
        representative_code="0412",
        reason="qr",
        assigned_at=NOW,
    )
    accepted = CaseAccepted(**WHO, actor_role="representative", representative_code="0412")
    return [assigned, accepted, *later]


def supervised_event(sid: str, due: datetime) -> CaseSupervised:
    return CaseSupervised(**WHO, actor_role="staff", supervision_id=sid, reason="督办", due_at=due)


def responded_at(at: datetime) -> CaseResponded:
    return CaseResponded(**{**WHO, "at": at}, actor_role="staff", response="已处理")


def test_reporting_counts_supervisions_their_outcomes_and_returns() -> None:
    day = timedelta(days=1)
    figures = station_counts(
        story(
            supervised_event("s1", NOW + day),
            supervised_event("s2", NOW + 3 * day),
            # s1 passes unanswered: routing escalates it, a miss.
            CaseSupervisionEscalated(
                **{**WHO, "at": NOW + day}, actor_role="system", supervision_id="s1", due_at=NOW
            ),
            responded_at(NOW + 2 * day),  # s2 answered in time
            CaseReturned(**{**WHO, "at": NOW + 2 * day}, actor_role="staff", reason="不充分"),
            supervised_event("s3", NOW + 3 * day),
            responded_at(NOW + 4 * day),  # s3 answered late
        )
    )
    assert {
        name: figures[name]
        for name in (
            "supervised",
            "supervised_cases",
            "supervision_met",
            "supervision_missed",
            "returned",
            "responded",
        )
    } == {
        "supervised": 3,
        "supervised_cases": 1,
        "supervision_met": 1,
        "supervision_missed": 2,
        "returned": 1,
        "responded": 2,
    }


def test_an_escalation_after_the_answer_is_not_counted_twice() -> None:
    figures = station_counts(
        story(
            supervised_event("s1", NOW + timedelta(days=1)),
            responded_at(NOW + timedelta(hours=1)),
            CaseSupervisionEscalated(**WHO, actor_role="system", supervision_id="s1", due_at=NOW),
        )
    )
    assert (figures["supervision_met"], figures["supervision_missed"]) == (1, 0)
