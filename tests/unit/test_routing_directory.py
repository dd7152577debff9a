"""The directory snapshot: references must resolve, and the demo file is a valid directory."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.routing.adapters.directory_repository import DEMO_DIRECTORY, read_directory_file
from services.routing.domain.assignment import RoutingRequest, route_case
from services.routing.domain.directory import Directory


def raw_directory(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "default_station": "west",
        "stations": [{"id": "west", "name": "West Station", "name_en": "West"}],
        "liaison_points": [{"id": "elm", "station": "west", "name": "Elm", "kind": "community"}],
        "representatives": [
            {"code": "0001", "name": "A", "level": "county", "station": "west", "points": ["elm"]}
        ],
    }
    data.update(changes)
    return data


def test_a_directory_whose_references_resolve_is_accepted() -> None:
    directory = Directory.model_validate(raw_directory())

    assert directory.default_station == "west"
    assert directory.point("elm") is not None
    assert directory.representative("0001") is not None


def test_default_station_that_is_not_a_station_is_rejected_by_name() -> None:
    with pytest.raises(ValidationError, match="default_station 'north' is not a station"):
        Directory.model_validate(raw_directory(default_station="north"))


def test_point_at_an_unknown_station_is_rejected_naming_both() -> None:
    points = [{"id": "elm", "station": "north", "name": "Elm", "kind": "community"}]

    with pytest.raises(ValidationError, match="point 'elm': unknown station 'north'"):
        Directory.model_validate(raw_directory(liaison_points=points))


def test_representative_at_an_unknown_station_is_rejected_naming_both() -> None:
    reps = [{"code": "0001", "name": "A", "level": "county", "station": "north"}]

    with pytest.raises(ValidationError, match="representative '0001': unknown station 'north'"):
        Directory.model_validate(raw_directory(representatives=reps))


def test_representative_at_an_unknown_point_is_rejected_naming_both() -> None:
    reps = [
        {
            "code": "0001",
            "name": "A",
            "level": "county",
            "station": "west",
            "points": ["elm", "oak"],
        }
    ]

    with pytest.raises(ValidationError, match="representative '0001': unknown point 'oak'"):
        Directory.model_validate(raw_directory(representatives=reps))


def test_every_bad_reference_is_reported_at_once() -> None:
    reps = [{"code": "0001", "name": "A", "level": "county", "station": "south", "points": ["oak"]}]

    with pytest.raises(ValidationError) as caught:
        Directory.model_validate(raw_directory(default_station="north", representatives=reps))

    message = str(caught.value)
    assert "default_station 'north'" in message
    assert "unknown station 'south'" in message
    assert "unknown point 'oak'" in message


def test_a_directory_needs_stations() -> None:
    data = raw_directory()
    del data["stations"]

    with pytest.raises(ValidationError, match="stations"):
        Directory.model_validate(data)


@pytest.mark.parametrize(
    ("kind", "entry"),
    [
        ("stations", {"id": "West", "name": "W", "name_en": "W"}),
        ("representatives", {"code": "0", "name": "A", "level": "county", "station": "west"}),
        ("representatives", {"code": "0001", "name": "A", "level": "mayor", "station": "west"}),
        ("liaison_points", {"id": "elm", "station": "west", "name": "E", "kind": "tower"}),
        (
            "liaison_points",
            {"id": "elm", "station": "west", "name": "E", "kind": "village", "lat": 91},
        ),
        ("stations", {"id": "west", "name": "W", "name_en": "W", "colour": "red"}),
    ],
)
def test_malformed_entries_are_rejected(kind: str, entry: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Directory.model_validate(raw_directory(**{kind: [entry]}))


def test_lookups_return_none_for_unknown_ids() -> None:
    directory = Directory.model_validate(raw_directory())

    assert directory.station("north") is None
    assert directory.point("oak") is None
    assert directory.representative("9999") is None


def test_demo_directory_file_is_a_valid_directory() -> None:
    directory = read_directory_file(DEMO_DIRECTORY)

    assert directory.station(directory.default_station) is not None
    assert {s.id for s in directory.stations} == {"xijie", "jianchi", "longyuan"}
    assert len(directory.liaison_points) == 6
    assert len(directory.representatives) == 10
    codes = {c.code for c in directory.categories}
    for rep in directory.representatives:
        assert set(rep.specialties) <= codes, rep.code


def test_every_demo_point_has_someone_serving_it() -> None:
    directory = read_directory_file(DEMO_DIRECTORY)

    for point in directory.liaison_points:
        assert directory.serving(point.id), point.id


def test_demo_qr_code_0412_routes_to_zhang_xianping() -> None:
    directory = read_directory_file(DEMO_DIRECTORY)
    request = RoutingRequest(case_id="c1", category="parking", representative_code="0412")

    decision = route_case(request, directory=directory, open_load={})

    assert decision.representative_name == "张献平"
    assert decision.station_id == "xijie"
    assert decision.reason == "qr: representative 0412"
