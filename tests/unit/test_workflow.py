"""The handling workflow: every action from every state, for every kind of actor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

import pytest
from pydantic import TypeAdapter

from services.routing.domain.workflow import (
    RULES,
    Accept,
    ActionName,
    ActionNotAllowed,
    Actor,
    CaseState,
    Command,
    Decline,
    NotPermitted,
    OutOfScope,
    Progress,
    Reassign,
    Respond,
    Status,
    Transfer,
    allowed_actions,
    can_see,
    decide,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
STAFF = Actor(role="staff", username="xijie-staff", station_id="xijie")
OTHER_STAFF = Actor(role="staff", username="jianchi-staff", station_id="jianchi")
HOLDER = Actor(role="representative", username="rep-0412", representative_code="0412")
OTHER_REP = Actor(role="representative", username="rep-0413", representative_code="0413")
HOUSING = Actor(role="department", username="housing-handler", department_id="housing")
SUPERVISOR = Actor(role="supervisor", username="city-supervisor")

EXAMPLES: dict[ActionName, dict[str, object]] = {
    "accept": {},
    "decline": {"reason": "不在我的联系范围"},
    "begin_review": {},
    "approve": {},
    "reject": {"reason": "不属于人大代表联络站受理范围"},
    "merge": {"into_case_id": "other-case"},
    "transfer": {"department_id": "housing", "note": "请住建局处理"},
    "progress": {"note": "已现场查看"},
    "respond": {"response": "已增设20个停车位，感谢您的建议。"},
    "close": {},
    "reassign": {"representative_code": "0414", "reason": "分担工作量"},
    "return": {"reason": "答复未回应居民的诉求"},
}


def command(action: ActionName) -> Command:
    adapter: TypeAdapter[Command] = TypeAdapter(Command)
    return adapter.validate_python({"action": action, **EXAMPLES[action]})


def case(status: Status, *, transferred_to: str | None = None) -> CaseState:
    return CaseState(
        case_id="c-1",
        station_id="xijie",
        status=status,
        representative_code="0412",
        transferred_to=transferred_to,
        version=3,
    )


def actor_for(action: ActionName) -> Actor:
    if action == "return":
        return SUPERVISOR
    return HOLDER if action in ("accept", "decline") else STAFF


ALL_STATUSES: tuple[Status, ...] = get_args(Status)


@pytest.mark.parametrize("action", list(RULES))
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_each_action_is_allowed_exactly_from_its_source_states(
    action: ActionName, status: Status
) -> None:
    state = case(status)
    actor = actor_for(action)
    rule = RULES[action]
    if status in rule.sources:
        decision = decide(state, command(action), actor=actor, now=NOW, department_name="住建局")
        assert decision.source == status
        assert decision.target == (rule.target or status)
        assert len(decision.events) == 1
        event = decision.events[0]
        assert (event.case_id, event.station_id, event.actor_id, event.at) == (
            "c-1",
            "xijie",
            actor.username,
            NOW,
        )
    else:
        with pytest.raises(ActionNotAllowed) as raised:
            decide(state, command(action), actor=actor, now=NOW, department_name="住建局")
        assert raised.value.status == status
        assert raised.value.allowed == allowed_actions(state, actor)
        assert action not in raised.value.allowed
        assert status in str(raised.value)


@pytest.mark.parametrize(
    ("action", "event_type"),
    [
        ("accept", "case.accepted"),
        ("decline", "case.declined"),
        ("reject", "case.rejected"),
        ("merge", "case.merged"),
        ("transfer", "case.transferred"),
        ("progress", "case.progressed"),
        ("respond", "case.responded"),
        ("close", "case.closed"),
        ("reassign", "case.reassigned"),
        ("approve", "case.reviewed"),
        ("begin_review", "case.reviewed"),
        ("return", "case.returned"),
    ],
)
def test_each_action_emits_its_lifecycle_event(action: ActionName, event_type: str) -> None:
    source = next(iter(sorted(RULES[action].sources)))
    decision = decide(
        case(source), command(action), actor=actor_for(action), now=NOW, department_name="住建局"
    )
    assert event_type == decision.events[0].TYPE


def test_the_happy_path_walks_the_whole_lifecycle() -> None:
    path: list[tuple[ActionName, Actor, Status]] = [
        ("accept", HOLDER, "accepted"),
        ("begin_review", STAFF, "in_review"),
        ("approve", STAFF, "handling"),
        ("transfer", STAFF, "transferred"),
        ("progress", HOUSING, "transferred"),
        ("respond", STAFF, "responded"),
        ("close", STAFF, "closed"),
    ]
    state = case("assigned")
    for action, actor, expected in path:
        decision = decide(state, command(action), actor=actor, now=NOW, department_name="住建局")
        assert decision.target == expected
        transferred = decision.changes.get("transferred_to", state.transferred_to)
        state = state.model_copy(update={"status": decision.target, "transferred_to": transferred})
    assert state.status == "closed"


def test_only_the_holder_may_accept_or_decline() -> None:
    with pytest.raises(OutOfScope):
        decide(case("assigned"), Accept(), actor=OTHER_REP, now=NOW)
    with pytest.raises(NotPermitted):
        decide(case("assigned"), Accept(), actor=STAFF, now=NOW)


def test_staff_of_another_station_cannot_even_see_the_case() -> None:
    assert not can_see(case("handling"), OTHER_STAFF)
    with pytest.raises(OutOfScope):
        decide(case("handling"), Respond(response="答复内容很长很长"), actor=OTHER_STAFF, now=NOW)


def test_a_department_records_progress_only_on_cases_transferred_to_it() -> None:
    mine = case("transferred", transferred_to="housing")
    assert allowed_actions(mine, HOUSING) == ["progress"]
    decision = decide(mine, Progress(note="已派人维修"), actor=HOUSING, now=NOW)
    assert decision.events[0].actor_role == "department"
    with pytest.raises(OutOfScope):
        decide(
            case("transferred", transferred_to="water"),
            Progress(note="已派人维修"),
            actor=HOUSING,
            now=NOW,
        )


def test_a_supervisor_sees_every_case_but_takes_no_action() -> None:
    state = case("handling")
    assert can_see(state, SUPERVISOR)
    assert allowed_actions(state, SUPERVISOR) == []
    with pytest.raises(NotPermitted):
        decide(state, Respond(response="答复内容很长很长"), actor=SUPERVISOR, now=NOW)


def test_decline_and_reassign_ask_the_handler_to_route_again() -> None:
    declined = decide(case("assigned"), Decline(reason="不在我的片区"), actor=HOLDER, now=NOW)
    reassigned = decide(
        case("accepted"),
        Reassign(representative_code=None, reason="站内统筹"),
        actor=STAFF,
        now=NOW,
    )
    assert declined.reroute and reassigned.reroute
    assert not decide(case("assigned"), Accept(), actor=HOLDER, now=NOW).reroute


def test_transfer_records_the_department_and_needs_a_known_one() -> None:
    decision = decide(
        case("handling"),
        Transfer(department_id="housing"),
        actor=STAFF,
        now=NOW,
        department_name="市住房和城乡建设局",
    )
    assert decision.changes == {"transferred_to": "housing"}
    with pytest.raises(ValueError, match="unknown department"):
        decide(case("handling"), Transfer(department_id="nowhere"), actor=STAFF, now=NOW)


def test_a_case_cannot_be_merged_into_itself() -> None:
    adapter: TypeAdapter[Command] = TypeAdapter(Command)
    merge = adapter.validate_python({"action": "merge", "into_case_id": "c-1"})
    with pytest.raises(ValueError, match="itself"):
        decide(case("handling"), merge, actor=STAFF, now=NOW)


def test_the_station_sees_its_buttons_for_each_state() -> None:
    assert allowed_actions(case("assigned"), STAFF) == ["merge", "reassign"]
    assert allowed_actions(case("accepted"), STAFF) == [
        "begin_review",
        "approve",
        "reject",
        "merge",
        "reassign",
    ]
    assert allowed_actions(case("handling"), STAFF) == ["merge", "transfer", "progress", "respond"]
    assert allowed_actions(case("responded"), STAFF) == ["close"]
    assert allowed_actions(case("closed"), STAFF) == []
    assert allowed_actions(case("assigned"), HOLDER) == ["accept", "decline"]
