"""Dilapidated-house repair stages: every move from every stage, status and kind of actor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

import pytest

from services.routing.domain.house_repair import (
    CATEGORY,
    INITIAL_STAGE,
    STAGE_STATUSES,
    STAGED_STATUSES,
    STAGES,
    TRANSITIONS,
    NotHouseRepair,
    Stage,
    StageChangeNotAllowed,
    change_stage,
    count_stages,
    decide_stage,
    next_stages,
    stage_of,
)
from services.routing.domain.workflow import (
    Actor,
    CaseState,
    NotPermitted,
    OutOfScope,
    Status,
)
from shared.events.case_events import CASE_EVENT_TYPES, CaseStageChanged
from shared.events.envelope import Envelope

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
STAFF = Actor(role="staff", username="xijie-staff", station_id="xijie")
HEAD = Actor(role="station_head", username="xijie-head", station_id="xijie")
OTHER_STAFF = Actor(role="staff", username="jianchi-staff", station_id="jianchi")
HOLDER = Actor(role="representative", username="rep-0416", representative_code="0416")
HOUSING = Actor(role="department", username="housing-handler", department_id="housing")
SUPERVISOR = Actor(role="supervisor", username="city-supervisor")
ADMIN = Actor(role="admin", username="admin")
ALL_STATUSES: tuple[Status, ...] = get_args(Status)

# The table as the station reports it, written out by hand.
EXPECTED: dict[Stage, list[Stage]] = {
    "under_governance": ["design", "expropriated"],
    "design": ["repairing", "expropriated"],
    "repairing": ["repaired", "expropriated"],
    "repaired": ["acceptance_passed"],
    "acceptance_passed": [],
    "expropriated": [],
}


def case(status: Status = "handling", *, transferred_to: str | None = None) -> CaseState:
    return CaseState(
        case_id="c-1",
        station_id="xijie",
        status=status,
        representative_code="0416",
        transferred_to=transferred_to,
        version=4,
    )


def test_the_stages_run_from_under_governance_to_acceptance_or_expropriation() -> None:
    assert STAGES == (
        "under_governance",
        "design",
        "repairing",
        "repaired",
        "acceptance_passed",
        "expropriated",
    )
    assert INITIAL_STAGE == "under_governance"
    assert set(TRANSITIONS) == set(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_next_stages_follow_the_table_in_stage_order(stage: Stage) -> None:
    assert next_stages(stage) == EXPECTED[stage]


@pytest.mark.parametrize("target", STAGES)
@pytest.mark.parametrize("current", STAGES)
def test_each_stage_change_is_allowed_exactly_along_the_table(
    current: Stage, target: Stage
) -> None:
    if target in EXPECTED[current]:
        assert change_stage(current, target) == target
    else:
        with pytest.raises(StageChangeNotAllowed) as raised:
            change_stage(current, target)
        assert raised.value.current == current
        assert raised.value.target == target
        assert raised.value.allowed == EXPECTED[current]
        message = str(raised.value)
        assert current in message and target in message
        assert all(allowed in message for allowed in EXPECTED[current])


def test_the_happy_path_walks_every_stage_once() -> None:
    stage: Stage = INITIAL_STAGE
    walked = [stage]
    while next_stages(stage):
        stage = change_stage(stage, next_stages(stage)[0])
        walked.append(stage)
    assert walked == ["under_governance", "design", "repairing", "repaired", "acceptance_passed"]


@pytest.mark.parametrize("current", ["under_governance", "design", "repairing"])
def test_expropriation_is_reachable_until_the_repair_is_done(current: Stage) -> None:
    assert change_stage(current, "expropriated") == "expropriated"


@pytest.mark.parametrize("current", ["repaired", "acceptance_passed", "expropriated"])
def test_a_repaired_accepted_or_expropriated_house_cannot_be_expropriated(
    current: Stage,
) -> None:
    with pytest.raises(StageChangeNotAllowed):
        change_stage(current, "expropriated")


@pytest.mark.parametrize("stage", ["acceptance_passed", "expropriated"])
def test_acceptance_and_expropriation_are_final(stage: Stage) -> None:
    assert next_stages(stage) == []
    with pytest.raises(StageChangeNotAllowed, match="allowed: none"):
        change_stage(stage, "design")


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_an_approved_house_repair_case_without_a_stored_stage_is_under_governance(
    status: Status,
) -> None:
    expected = INITIAL_STAGE if status in STAGED_STATUSES else None
    assert stage_of(category=CATEGORY, status=status, stored=None) == expected


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_a_stored_stage_counts_only_once_the_case_is_approved(status: Status) -> None:
    expected = "design" if status in STAGED_STATUSES else None
    assert stage_of(category=CATEGORY, status=status, stored="design") == expected


def test_the_staged_statuses_are_those_after_approval_that_were_not_withdrawn() -> None:
    assert {"handling", "transferred", "reopened", "responded"} == STAGE_STATUSES
    assert STAGE_STATUSES | {"closed"} == STAGED_STATUSES


@pytest.mark.parametrize("category", ["parking", "drainage", "other", "house"])
def test_other_categories_have_no_stage(category: str) -> None:
    assert stage_of(category=category, status="handling", stored="design") is None


def test_counts_give_every_stage_and_skip_unstaged_cases() -> None:
    counts = count_stages(
        [
            (CATEGORY, "handling", None),
            (CATEGORY, "transferred", None),
            (CATEGORY, "handling", "design"),
            (CATEGORY, "closed", "acceptance_passed"),
            (CATEGORY, "responded", "expropriated"),
            (CATEGORY, "in_review", None),  # not approved yet
            (CATEGORY, "rejected", None),  # withdrawn
            ("parking", "handling", None),  # another category
        ]
    )
    assert list(counts) == list(STAGES)
    assert counts == {
        "under_governance": 2,
        "design": 1,
        "repairing": 0,
        "repaired": 0,
        "acceptance_passed": 1,
        "expropriated": 1,
    }


def test_counts_of_nothing_are_all_zero() -> None:
    assert count_stages([]) == dict.fromkeys(STAGES, 0)


@pytest.mark.parametrize("actor", [STAFF, HEAD])
@pytest.mark.parametrize("status", sorted(STAGE_STATUSES))
def test_station_staff_move_an_approved_case_and_the_change_is_an_event(
    actor: Actor, status: Status
) -> None:
    decision = decide_stage(
        case(status),
        category=CATEGORY,
        stored=None,
        target="design",
        note="设计单位已进场",
        actor=actor,
        now=NOW,
    )
    assert (decision.source, decision.target) == ("under_governance", "design")
    assert decision.event == CaseStageChanged(
        case_id="c-1",
        station_id="xijie",
        actor_role="staff",
        actor_id=actor.username,
        at=NOW,
        from_stage="under_governance",
        to_stage="design",
        note="设计单位已进场",
    )


def test_the_decision_starts_from_the_stored_stage() -> None:
    decision = decide_stage(
        case(),
        category=CATEGORY,
        stored="repairing",
        target="repaired",
        note=None,
        actor=STAFF,
        now=NOW,
    )
    assert (decision.event.from_stage, decision.event.to_stage) == ("repairing", "repaired")
    assert decision.event.note is None


@pytest.mark.parametrize("status", sorted(set(ALL_STATUSES) - STAGE_STATUSES))
def test_no_stage_change_outside_handling_and_the_conflict_says_why(status: Status) -> None:
    with pytest.raises(StageChangeNotAllowed) as raised:
        decide_stage(
            case(status),
            category=CATEGORY,
            stored="design" if status == "closed" else None,
            target="repairing",
            note=None,
            actor=STAFF,
            now=NOW,
        )
    assert raised.value.allowed == []
    assert raised.value.current == ("design" if status == "closed" else None)


def test_a_skipped_stage_is_refused_naming_the_current_stage_and_the_allowed_ones() -> None:
    with pytest.raises(StageChangeNotAllowed) as raised:
        decide_stage(
            case(),
            category=CATEGORY,
            stored="design",
            target="repaired",
            note=None,
            actor=STAFF,
            now=NOW,
        )
    assert raised.value.current == "design"
    assert raised.value.allowed == ["repairing", "expropriated"]
    assert "design" in str(raised.value)


def test_a_case_of_another_category_has_no_stages() -> None:
    with pytest.raises(NotHouseRepair, match="parking"):
        decide_stage(
            case(),
            category="parking",
            stored=None,
            target="design",
            note=None,
            actor=STAFF,
            now=NOW,
        )


@pytest.mark.parametrize("actor", [OTHER_STAFF, Actor(role="representative", username="rep-0412")])
def test_a_case_outside_the_actors_scope_is_not_found(actor: Actor) -> None:
    with pytest.raises(OutOfScope):
        decide_stage(
            case(),
            category=CATEGORY,
            stored=None,
            target="design",
            note=None,
            actor=actor,
            now=NOW,
        )


@pytest.mark.parametrize("actor", [HOLDER, SUPERVISOR, ADMIN])
def test_only_station_staff_change_stages(actor: Actor) -> None:
    with pytest.raises(NotPermitted):
        decide_stage(
            case(),
            category=CATEGORY,
            stored=None,
            target="design",
            note=None,
            actor=actor,
            now=NOW,
        )


def test_a_department_holding_the_case_may_not_change_its_stage() -> None:
    with pytest.raises(NotPermitted):
        decide_stage(
            case("transferred", transferred_to="housing"),
            category=CATEGORY,
            stored=None,
            target="design",
            note=None,
            actor=HOUSING,
            now=NOW,
        )


def test_the_stage_event_is_a_case_event_and_round_trips_in_its_envelope() -> None:
    assert CASE_EVENT_TYPES["case.stage_changed"] is CaseStageChanged
    event = CaseStageChanged(
        case_id="c-1",
        station_id="xijie",
        actor_role="staff",
        actor_id="xijie-staff",
        at=NOW,
        from_stage=None,
        to_stage="under_governance",
    )
    envelope = Envelope.wrap(event, source="minyi/routing", subject="c-1", correlation_id="r")
    assert Envelope.from_bytes(envelope.to_bytes()).payload(CaseStageChanged) == event
