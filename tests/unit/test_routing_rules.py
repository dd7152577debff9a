"""Who gets a new case, and the reason given: `route_case` over small hand-built directories."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from services.routing.domain.assignment import RoutingDecision, RoutingRequest, route_case
from services.routing.domain.directory import Directory

NO_ONE_GIVEN = "no representative or liaison point given"


def rep(
    code: str,
    *,
    station: str = "west",
    points: tuple[str, ...] = ("elm",),
    specialties: tuple[str, ...] = (),
    active: bool = True,
    name: str | None = None,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name or f"Rep {code}",
        "level": "county",
        "station": station,
        "points": list(points),
        "specialties": list(specialties),
        "active": active,
    }


def point(
    point_id: str, *, station: str = "west", name: str | None = None, active: bool = True
) -> dict[str, Any]:
    return {
        "id": point_id,
        "station": station,
        "name": name or f"Point {point_id}",
        "kind": "community",
        "active": active,
    }


def directory(
    *,
    representatives: list[dict[str, Any]] | None = None,
    points: list[dict[str, Any]] | None = None,
    default_station: str = "west",
) -> Directory:
    """Two stations (West, East), points elm and oak at West, pine at East, and the reps given."""
    return Directory.model_validate(
        {
            "default_station": default_station,
            "categories": [
                {"code": "parking", "name": "停车位", "name_en": "Parking"},
                {"code": "drainage", "name": "排水", "name_en": "Drainage"},
            ],
            "stations": [
                {"id": "west", "name": "West Station", "name_en": "West"},
                {"id": "east", "name": "East Station", "name_en": "East"},
            ],
            "liaison_points": points
            if points is not None
            else [
                point("elm", name="Elm"),
                point("oak", name="Oak"),
                point("pine", station="east", name="Pine"),
            ],
            "representatives": representatives or [],
        }
    )


def route(
    where: Directory,
    *,
    case_id: str = "case-1",
    category: str = "parking",
    representative_code: str | None = None,
    liaison_point_id: str | None = None,
    open_load: Mapping[str, int] | None = None,
) -> RoutingDecision:
    request = RoutingRequest(
        case_id=case_id,
        category=category,
        representative_code=representative_code,
        liaison_point_id=liaison_point_id,
    )
    return route_case(request, directory=where, open_load=open_load or {})


# --- QR codes ------------------------------------------------------------------------------


def test_qr_submission_goes_to_the_representative_on_the_code() -> None:
    where = directory(representatives=[rep("0412", name="张献平"), rep("0413")])

    decision = route(where, representative_code="0412", open_load={"0412": 50})

    assert decision.representative_code == "0412"
    assert decision.representative_name == "张献平"
    assert decision.station_id == "west"
    assert decision.station_name == "West Station"
    assert decision.reason == "qr: representative 0412"


def test_qr_submission_keeps_the_point_scanned_when_the_representative_serves_it() -> None:
    where = directory(representatives=[rep("0412", points=("elm", "oak"))])

    decision = route(where, representative_code="0412", liaison_point_id="oak")

    assert decision.liaison_point_id == "oak"


def test_qr_submission_uses_the_representatives_first_point_when_given_one_is_not_theirs() -> None:
    where = directory(representatives=[rep("0412", points=("oak", "elm"))])

    assert route(where, representative_code="0412", liaison_point_id="pine").liaison_point_id == (
        "oak"
    )
    assert route(where, representative_code="0412").liaison_point_id == "oak"


def test_qr_submission_to_a_representative_without_points_has_no_point() -> None:
    where = directory(representatives=[rep("0412", points=())])

    decision = route(where, representative_code="0412", liaison_point_id="elm")

    assert decision.representative_code == "0412"
    assert decision.liaison_point_id is None


def test_qr_submission_lands_in_the_representatives_own_station() -> None:
    where = directory(representatives=[rep("0601", station="east", points=("pine",))])

    decision = route(where, representative_code="0601")

    assert (decision.station_id, decision.station_name) == ("east", "East Station")


def test_qr_for_an_inactive_representative_falls_back_to_the_point_group() -> None:
    where = directory(representatives=[rep("0412", active=False), rep("0413")])

    decision = route(where, representative_code="0412", liaison_point_id="elm")

    assert decision.representative_code == "0413"
    assert decision.liaison_point_id == "elm"
    assert decision.reason == (
        "representative 0412 not active or unknown; point Elm, least load 0 of 1"
    )


def test_qr_for_an_unknown_representative_falls_back_to_the_point_group() -> None:
    where = directory(representatives=[rep("0413")])

    decision = route(where, representative_code="9999", liaison_point_id="elm")

    assert decision.representative_code == "0413"
    assert decision.reason.startswith("representative 9999 not active or unknown; point Elm, ")


def test_qr_for_an_inactive_representative_without_a_point_goes_to_the_default_station_queue() -> (
    None
):
    where = directory(
        representatives=[rep("0601", station="east", points=("pine",), active=False)],
        default_station="west",
    )

    decision = route(where, representative_code="0601")

    assert decision.representative_code is None
    assert decision.representative_name is None
    assert decision.liaison_point_id is None
    assert decision.station_id == "west"
    assert decision.reason.startswith("representative 0601 not active or unknown; ")
    assert decision.reason.endswith("station queue of West Station")


def test_qr_for_an_unknown_representative_at_a_point_without_anyone_goes_to_that_points_queue() -> (
    None
):
    where = directory(representatives=[])

    decision = route(where, representative_code="9999", liaison_point_id="pine")

    assert decision.representative_code is None
    assert (decision.station_id, decision.liaison_point_id) == ("east", "pine")
    assert decision.reason == (
        "representative 9999 not active or unknown; point Pine has no active representative; "
        "station queue of East Station"
    )


# --- the point's service group ---------------------------------------------------------------


def test_specialist_for_the_category_is_chosen_over_a_less_loaded_generalist() -> None:
    where = directory(representatives=[rep("0001"), rep("0002", specialties=("parking",))])

    decision = route(where, category="parking", liaison_point_id="elm", open_load={"0002": 7})

    assert decision.representative_code == "0002"
    assert decision.reason == "point Elm, parking specialist, least load 7 of 1"


def test_least_loaded_specialist_wins_among_specialists() -> None:
    specialists = [rep(code, specialties=("parking",)) for code in ("0001", "0002", "0003")]
    where = directory(representatives=[*specialists, rep("0004")])

    decision = route(
        where,
        liaison_point_id="elm",
        open_load={"0001": 4, "0002": 2, "0003": 3, "0004": 0},
    )

    assert decision.representative_code == "0002"
    assert decision.reason == "point Elm, parking specialist, least load 2 of 3"


def test_without_specialists_the_least_loaded_representative_wins() -> None:
    where = directory(representatives=[rep(c) for c in ("0001", "0002", "0003", "0004", "0005")])
    loads = {"0001": 5, "0002": 3, "0003": 2, "0004": 9, "0005": 4}

    decision = route(where, category="drainage", liaison_point_id="elm", open_load=loads)

    assert decision.representative_code == "0003"
    assert decision.reason == "point Elm, least load 2 of 5"


def test_representatives_without_a_recorded_load_count_as_zero() -> None:
    where = directory(representatives=[rep("0001"), rep("0002")])

    decision = route(where, liaison_point_id="elm", open_load={"0001": 1})

    assert decision.representative_code == "0002"
    assert decision.reason == "point Elm, least load 0 of 2"


def test_specialists_of_another_category_are_treated_as_generalists() -> None:
    where = directory(representatives=[rep("0001", specialties=("drainage",)), rep("0002")])

    decision = route(where, category="parking", liaison_point_id="elm", open_load={"0001": 1})

    assert decision.representative_code == "0002"
    assert "specialist" not in decision.reason


def test_inactive_representatives_are_not_in_the_points_group() -> None:
    where = directory(representatives=[rep("0001", active=False), rep("0002")])

    decision = route(where, liaison_point_id="elm", open_load={"0002": 9})

    assert decision.representative_code == "0002"
    assert decision.reason == "point Elm, least load 9 of 1"


def test_only_representatives_serving_the_point_are_in_its_group() -> None:
    where = directory(representatives=[rep("0001", points=("oak",)), rep("0002")])

    decision = route(where, liaison_point_id="elm", open_load={"0002": 3})

    assert decision.representative_code == "0002"
    assert decision.liaison_point_id == "elm"


def test_a_case_at_a_point_goes_to_the_chosen_representatives_station() -> None:
    where = directory(representatives=[rep("0601", station="east", points=("pine",))])

    decision = route(where, liaison_point_id="pine")

    assert (decision.station_id, decision.station_name) == ("east", "East Station")
    assert decision.liaison_point_id == "pine"


def test_ties_are_broken_the_same_way_for_the_same_case_id() -> None:
    where = directory(representatives=[rep(c) for c in ("0001", "0002", "0003")])

    chosen = {
        route(where, case_id="case-42", liaison_point_id="elm").representative_code
        for _ in range(20)
    }

    assert len(chosen) == 1


def test_ties_are_broken_the_same_way_whatever_the_directory_order() -> None:
    codes = ["0001", "0002", "0003", "0004"]
    forward = directory(representatives=[rep(c) for c in codes])
    backward = directory(representatives=[rep(c) for c in reversed(codes)])

    for n in range(50):
        case_id = f"case-{n}"
        assert (
            route(forward, case_id=case_id, liaison_point_id="elm").representative_code
            == route(backward, case_id=case_id, liaison_point_id="elm").representative_code
        )


def test_ties_are_rotated_so_every_tied_representative_gets_cases() -> None:
    where = directory(representatives=[rep(c) for c in ("0001", "0002", "0003", "0004")])

    chosen = [
        route(where, case_id=f"case-{n}", liaison_point_id="elm").representative_code
        for n in range(200)
    ]

    assert set(chosen) == {"0001", "0002", "0003", "0004"}
    assert min(chosen.count(c) for c in set(chosen)) >= 20  # roughly even, not one lucky rep


def test_only_the_least_loaded_share_the_tie() -> None:
    where = directory(representatives=[rep(c) for c in ("0001", "0002", "0003")])
    loads = {"0001": 1, "0002": 1, "0003": 2}

    chosen = {
        route(
            where, case_id=f"case-{n}", liaison_point_id="elm", open_load=loads
        ).representative_code
        for n in range(100)
    }

    assert chosen == {"0001", "0002"}


def test_point_without_an_active_representative_goes_to_that_points_station_queue() -> None:
    where = directory(
        representatives=[rep("0601", station="east", points=("pine",), active=False)],
        default_station="west",
    )

    decision = route(where, liaison_point_id="pine")

    assert decision.representative_code is None
    assert decision.representative_name is None
    assert (decision.station_id, decision.station_name) == ("east", "East Station")
    assert decision.liaison_point_id == "pine"
    assert (
        decision.reason == "point Pine has no active representative; station queue of East Station"
    )


@pytest.mark.parametrize("point_id", ["nowhere", "closed"])
def test_unknown_or_inactive_point_goes_to_the_default_station_queue(point_id: str) -> None:
    where = directory(
        points=[point("closed", station="east", active=False)],
        representatives=[rep("0601", station="east", points=("closed",))],
        default_station="west",
    )

    decision = route(where, liaison_point_id=point_id)

    assert decision.representative_code is None
    assert decision.station_id == "west"
    assert decision.station_name == "West Station"
    assert decision.liaison_point_id is None
    assert decision.reason.startswith(f"point {point_id} not active or unknown; ")
    assert decision.reason.endswith("station queue of West Station")


def test_nothing_given_goes_to_the_default_station_queue() -> None:
    where = directory(representatives=[rep("0001")], default_station="east")

    decision = route(where)

    assert decision.representative_code is None
    assert decision.representative_name is None
    assert decision.liaison_point_id is None
    assert (decision.station_id, decision.station_name) == ("east", "East Station")
    assert decision.reason == f"{NO_ONE_GIVEN}; station queue of East Station"


@pytest.mark.parametrize(
    ("representative_code", "liaison_point_id"), [("9999", None), (None, "nowhere")]
)
def test_reason_does_not_claim_nothing_was_given_when_something_was(
    representative_code: str | None, liaison_point_id: str | None
) -> None:
    where = directory(representatives=[rep("0001")])

    decision = route(
        where, representative_code=representative_code, liaison_point_id=liaison_point_id
    )

    assert NO_ONE_GIVEN not in decision.reason


def test_the_decision_is_frozen() -> None:
    decision = route(directory())

    with pytest.raises(ValueError, match="frozen"):
        decision.station_id = "east"  # type: ignore[misc]


def test_a_located_case_without_a_point_goes_to_the_nearest_point() -> None:
    from services.routing.adapters.directory_repository import DEMO_DIRECTORY, read_directory_file
    from services.routing.domain.assignment import RoutingRequest, nearest_point, route_case

    demo = read_directory_file(DEMO_DIRECTORY)
    near_hexing = (28.0691, 119.1299)
    nearest = nearest_point(demo, near_hexing)
    assert nearest is not None
    assert nearest[0] == "hexing" and nearest[1] < 0.1
    decision = route_case(
        RoutingRequest(case_id="c-9", category="drainage", location=near_hexing),
        directory=demo,
        open_load={},
    )
    assert decision.liaison_point_id == "hexing"
    assert decision.representative_code == "0415"  # the point's drainage specialist
    assert decision.reason.startswith("nearest point to the location (0.0 km); point 河星村")
