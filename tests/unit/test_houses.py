"""Dilapidated houses: registering, households' consent, the stage table on the house, linking
cases, who may do what, and what the events carry (figures, never an address or a flat)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.reporting.domain.house_repair import HouseFigures, consent_figures, house_stages
from services.routing.adapters.directory_repository import DEMO_DIRECTORY, read_directory_file
from services.routing.domain.house_repair import (
    FollowsHouse,
    Stage,
    StageChangeNotAllowed,
    decide_stage,
    follow_house,
)
from services.routing.domain.houses import (
    CaseOfAnotherHouse,
    House,
    InvalidHouse,
    RecordConsent,
    RegisterHouse,
    can_see_house,
    count_stages,
    house_scope,
    link_case,
    move_house,
    record_consent,
    register_house,
)
from services.routing.domain.workflow import Actor, CaseState, NotPermitted
from shared.events.case_events import HOUSE_STAGES
from shared.events.envelope import EventData
from shared.events.house_events import HOUSE_EVENT_TYPES, HouseEvent

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DIRECTORY = read_directory_file(DEMO_DIRECTORY)
STAFF = Actor(role="staff", username="xijie-staff", station_id="xijie")
HEAD = Actor(role="station_head", username="xijie-head", station_id="xijie")
OTHER_STAFF = Actor(role="staff", username="jianchi-staff", station_id="jianchi")
REP = Actor(role="representative", username="rep-0416", representative_code="0416")
SUPERVISOR = Actor(role="supervisor", username="city-supervisor")
ADMIN = Actor(role="admin", username="admin")

BODY: dict[str, Any] = {
    "liaison_point_id": "xixin",
    "address": "西新社区  解放街 12 号 2 幢",
    "floor_area_m2": 420.5,
    "households": ["2-101", "2-201", "2-301"],
}


def registered(actor: Actor = STAFF, **changes: Any) -> House:
    command = RegisterHouse.model_validate({**BODY, **changes})
    house, _ = register_house(command, house_id="h-1", actor=actor, directory=DIRECTORY, now=NOW)
    return house


def case(status: str = "handling", station: str = "xijie", case_id: str = "c-1") -> CaseState:
    return CaseState(
        case_id=case_id, station_id=station, status=status, representative_code="0416", version=3
    )


def test_a_registered_house_is_under_governance_with_every_household_not_yet_asked() -> None:
    command = RegisterHouse.model_validate(BODY)
    house, event = register_house(
        command, house_id="h-1", actor=STAFF, directory=DIRECTORY, now=NOW
    )
    assert house.station_id == "xijie" and house.stage == "under_governance"
    assert house.address == "西新社区 解放街 12 号 2 幢"  # spacing folded
    assert [h.consent for h in house.households] == ["not_asked"] * 3
    assert (house.consenting, house.objecting, house.version) == (0, 0, 1)
    assert event.TYPE == "house.registered" and event.households == 3
    assert event.stage == "under_governance" and event.version == 1


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"households": ["2-101", "2-101"]}, "listed twice"),
        ({"households": []}, "at least 1"),
        ({"households": ["王小明"]}, "pattern"),
        ({"households": ["13800001111 张"]}, "pattern"),
        ({"floor_area_m2": 0}, "greater than 0"),
        ({"address": " "}, "address"),
        ({"phone": "13800001111"}, "Extra inputs"),
    ],
)
def test_a_register_command_refuses_what_is_not_a_building(
    changes: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        RegisterHouse.model_validate({**BODY, **changes})
    assert fragment in str(refused.value)


def test_only_a_stations_staff_and_head_register_houses_at_their_own_points() -> None:
    assert registered(HEAD).registered_by == "xijie-head"
    for actor in (REP, SUPERVISOR, ADMIN):
        with pytest.raises(NotPermitted):
            registered(actor)
    with pytest.raises(InvalidHouse, match="not in xijie"):
        registered(liaison_point_id="jianchi_centre")


def test_a_households_consent_is_recorded_once_and_counted() -> None:
    house = registered()
    after, event = record_consent(house, label="2-201", consent="consented", actor=STAFF, now=NOW)
    assert event is not None and (event.from_consent, event.to_consent) == (
        "not_asked",
        "consented",
    )
    assert (after.consenting, after.objecting, after.version) == (1, 0, 2)
    assert event.consenting == 1 and event.version == 2
    same, nothing = record_consent(after, label="2-201", consent="consented", actor=STAFF, now=NOW)
    assert nothing is None and same is after
    objected, _ = record_consent(after, label="2-301", consent="objected", actor=HEAD, now=NOW)
    assert (objected.consenting, objected.objecting) == (1, 1)
    with pytest.raises(InvalidHouse, match="no household 9-999"):
        record_consent(house, label="9-999", consent="objected", actor=STAFF, now=NOW)
    with pytest.raises(NotPermitted):
        record_consent(house, label="2-201", consent="objected", actor=OTHER_STAFF, now=NOW)
    with pytest.raises(ValidationError):
        RecordConsent.model_validate({"household": "2-201", "consent": "maybe"})


def test_the_stage_table_moves_the_house_one_step_at_a_time() -> None:
    house = registered()
    for target in ("design", "repairing", "repaired", "acceptance_passed"):
        house, event = move_house(house, target=target, note=None, actor=STAFF, now=NOW)
        assert event.to_stage == target == house.stage
    assert [s.to_stage for s in house.history] == [
        "design",
        "repairing",
        "repaired",
        "acceptance_passed",
    ]
    assert house.allowed_stages == [] and house.version == 5
    with pytest.raises(StageChangeNotAllowed, match="a house at stage acceptance_passed"):
        move_house(house, target="expropriated", note=None, actor=STAFF, now=NOW)


def test_a_skipped_stage_is_refused_with_what_is_allowed() -> None:
    with pytest.raises(StageChangeNotAllowed) as refused:
        move_house(registered(), target="repairing", note=None, actor=STAFF, now=NOW)
    assert refused.value.current == "under_governance"
    assert refused.value.allowed == ["design", "expropriated"]


def test_another_stations_staff_may_not_move_a_house() -> None:
    with pytest.raises(NotPermitted):
        move_house(registered(), target="design", note=None, actor=OTHER_STAFF, now=NOW)


def test_a_house_has_several_cases_each_linked_once() -> None:
    house = registered()
    one, event = link_case(
        house, case=case(), category="house_repair", linked_to=None, actor=STAFF, now=NOW
    )
    assert event is not None and event.case_id == "c-1" and one.case_ids == ["c-1"]
    again, nothing = link_case(
        one, case=case(), category="house_repair", linked_to="h-1", actor=STAFF, now=NOW
    )
    assert nothing is None and again is one
    two, _ = link_case(
        one,
        case=case("closed", case_id="c-2"),
        category="house_repair",
        linked_to=None,
        actor=HEAD,
        now=NOW,
    )
    assert two.case_ids == ["c-1", "c-2"]


@pytest.mark.parametrize(
    ("state", "category", "linked_to", "error"),
    [
        (case(station="jianchi"), "house_repair", None, InvalidHouse),
        (case(), "parking", None, InvalidHouse),
        (case("rejected"), "house_repair", None, InvalidHouse),
        (case("merged"), "house_repair", None, InvalidHouse),
        (case(), "house_repair", "h-2", CaseOfAnotherHouse),
    ],
)
def test_a_case_that_does_not_belong_to_the_house_is_not_linked(
    state: CaseState, category: str, linked_to: str | None, error: type[Exception]
) -> None:
    with pytest.raises(error):
        link_case(
            registered(), case=state, category=category, linked_to=linked_to, actor=STAFF, now=NOW
        )


def test_a_linked_case_follows_its_house_and_is_not_moved_on_its_own() -> None:
    handling = case()
    step = follow_house(
        handling,
        category="house_repair",
        stored=None,
        target="design",
        note="设计单位进场",
        actor=STAFF,
        now=NOW,
    )
    assert step is not None and (step.from_stage, step.to_stage) == ("under_governance", "design")
    for state, stored in (
        (case("closed"), "design"),
        (case("accepted"), None),
        (handling, "design"),
    ):
        assert (
            follow_house(
                state,
                category="house_repair",
                stored=stored,  # type: ignore[arg-type]
                target="design",
                note=None,
                actor=STAFF,
                now=NOW,
            )
            is None
        )
    with pytest.raises(FollowsHouse, match="follows house h-1"):
        decide_stage(
            handling,
            category="house_repair",
            stored=None,
            target="design",
            note=None,
            actor=STAFF,
            now=NOW,
            house_id="h-1",
        )


def test_houses_are_read_by_their_station_and_the_city() -> None:
    house = registered()
    assert house_scope(STAFF) == "xijie" and house_scope(SUPERVISOR) is None
    assert house_scope(ADMIN) is None
    with pytest.raises(NotPermitted):
        house_scope(REP)
    assert can_see_house(house, HEAD) and can_see_house(house, SUPERVISOR)
    assert not can_see_house(house, OTHER_STAFF) and not can_see_house(house, REP)


def test_the_storys_stage_counts_come_out_of_houses() -> None:
    story: dict[Stage, int] = {
        "design": 60,
        "repairing": 50,
        "repaired": 38,
        "acceptance_passed": 165,
        "expropriated": 5,
    }
    stages = [stage for stage, n in story.items() for _ in range(n)]
    counts = count_stages(stages)
    assert list(counts) == list(HOUSE_STAGES)
    assert counts["under_governance"] == 0 and sum(counts.values()) == 318
    assert counts["repairing"] + counts["repaired"] == 88


def event_fields(model: type[EventData]) -> set[str]:
    return set(model.model_fields)


def test_house_events_carry_figures_never_an_address_a_flat_or_free_text() -> None:
    allowed = set(HouseEvent.model_fields) | {
        "floor_area_m2",
        "from_consent",
        "to_consent",
        "from_stage",
        "to_stage",
        "case_id",
    }
    for model in HOUSE_EVENT_TYPES.values():
        assert event_fields(model) <= allowed, model.TYPE
        assert not {"address", "label", "household", "note"} & event_fields(model)


def figures(house_id: str, station: str, stage: str, version: int, **more: int) -> HouseFigures:
    return HouseFigures(
        house_id=house_id,
        station_id=station,
        stage=stage,
        version=version,
        households=more.get("households", 3),
        consenting=more.get("consenting", 0),
        objecting=more.get("objecting", 0),
    )


def test_reporting_counts_each_house_once_per_station_and_the_city() -> None:
    rows = [
        figures("h-1", "xijie", "design", 2, consenting=2, objecting=1),
        figures("h-2", "xijie", "acceptance_passed", 6, consenting=3),
        figures("h-3", "jianchi", "design", 2),
    ]
    stages = house_stages(rows)
    assert stages == {
        "xijie": {"design": 1, "acceptance_passed": 1},
        "jianchi": {"design": 1},
    }
    consents = consent_figures(rows)
    assert consents["xijie"].model_dump() == {
        "houses": 2,
        "households": 6,
        "consenting": 5,
        "objecting": 1,
    }
    assert consents["jianchi"].households == 3


def test_a_late_or_repeated_event_never_takes_a_house_back() -> None:
    newer = figures("h-1", "xijie", "repairing", 3)
    older = figures("h-1", "xijie", "design", 2)
    assert newer.supersedes(older) and not older.supersedes(newer)
    assert not newer.supersedes(newer)


def test_house_history_steps_keep_their_time() -> None:
    house, _ = move_house(registered(), target="design", note="n", actor=STAFF, now=NOW)
    later, _ = move_house(
        house, target="repairing", note=None, actor=STAFF, now=NOW + timedelta(days=3)
    )
    assert [s.at for s in later.history] == [NOW, NOW + timedelta(days=3)]
    assert later.history[0].note == "n" and later.updated_at == NOW + timedelta(days=3)
