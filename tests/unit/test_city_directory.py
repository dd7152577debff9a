"""The generated city directory: deterministic, the story's totals, every reference resolving,
the committed file what the generator writes, and the searches that make it readable."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.routing.adapters.directory_repository import (
    CITY_DIRECTORY,
    DEMO_DIRECTORY,
    read_directory_file,
)
from services.routing.adapters.user_repository import read_users_file
from services.routing.domain.city import LEVEL_SPLIT, city_directory
from services.routing.domain.directory import Directory, find_points, find_representatives
from services.routing.entrypoints.cli import generate_city
from services.routing.entrypoints.views import narrowed
from services.routing.web.views import (
    point_groups,
    representative_codes,
    typed_representative,
)


@pytest.fixture(scope="module")
def city() -> Directory:
    return read_directory_file(CITY_DIRECTORY)


def test_two_runs_generate_the_same_city_and_another_seed_another() -> None:
    assert city_directory() == city_directory()
    assert city_directory(seed="elsewhere") != city_directory()


def test_the_committed_file_is_exactly_what_the_generator_writes(tmp_path: Path) -> None:
    written = tmp_path / "city.yaml"

    generate_city(written)

    assert written.read_text(encoding="utf-8") == CITY_DIRECTORY.read_text(encoding="utf-8"), (
        "regenerate it: python -m services.routing directory generate-city"
    )
    assert CITY_DIRECTORY.stat().st_size < 1_500_000


def test_the_city_has_the_storys_19_stations_and_1027_representatives(city: Directory) -> None:
    assert len(city.stations) == 19
    assert len(city.representatives) == 1027
    assert len({r.code for r in city.representatives}) == 1027
    assert {"xijie", "jianchi", "longyuan", "badu", "zhuyang"} <= {s.id for s in city.stations}
    assert all(s.hall for s in city.stations)


def test_the_four_levels_split_as_declared_and_sum_to_the_total(city: Directory) -> None:
    levels = Counter(r.level for r in city.representatives)

    assert levels == Counter(LEVEL_SPLIT)
    assert set(levels) == {"national", "provincial", "municipal", "county"}
    assert sum(levels.values()) == 1027


def test_every_representatives_station_and_points_exist_and_points_are_their_stations(
    city: Directory,
) -> None:
    for rep in city.representatives:
        assert city.station(rep.station) is not None
        assert rep.points, rep.code
        for point_id in rep.points:
            point = city.point(point_id)
            assert point is not None and point.station == rep.station
        assert set(rep.specialties) <= {c.code for c in city.categories}


def test_every_station_has_several_points_of_the_storys_kinds_each_served_and_led(
    city: Directory,
) -> None:
    for station in city.stations:
        points = [p for p in city.liaison_points if p.station == station.id]
        assert len(points) >= 3, station.id
        for point in points:
            assert point.leader
            assert len(city.serving(point.id)) >= 2, point.id
            assert point.lat is not None and 27.5 < point.lat < 28.5
    assert {p.kind for p in city.liaison_points} == {"community", "village", "micro_centre"}
    names = [p.name for p in city.liaison_points]
    assert len(names) == len(set(names))


def test_the_storys_places_are_there_and_its_people_are_not(city: Directory) -> None:
    names = {p.name for p in city.liaison_points if p.station == "xijie"}
    assert {"白云社区人大联络点", "河星村人大联络点", "西新社区人大联络点"} <= names
    assert "上城·邻里微中心" in names
    people = {r.name for r in city.representatives} | {p.leader for p in city.liaison_points}
    assert not people & {"张献平", "林莹", "叶春晓"}
    assert len({r.name for r in city.representatives}) == 1027


def test_the_demos_ids_keep_their_meaning_in_the_city(city: Directory) -> None:
    demo = read_directory_file(DEMO_DIRECTORY)

    for rep in demo.representatives:
        found = city.representative(rep.code)
        assert found is not None and found.station == rep.station, rep.code
    assert {p.id for p in demo.liaison_points} <= {p.id for p in city.liaison_points}
    assert {c.code for c in demo.categories} <= {c.code for c in city.categories}
    assert {d.id for d in demo.departments} <= {d.id for d in city.departments}
    assert city.default_station == demo.default_station


def test_the_city_accounts_use_the_demos_convention_and_cover_every_station() -> None:
    users = read_users_file(CITY_DIRECTORY)
    by_name = {u.username: u for u in users}
    demo_password = read_users_file(DEMO_DIRECTORY)[0].password

    assert {u.password for u in users} == {demo_password}
    for station in read_directory_file(CITY_DIRECTORY).stations:
        assert by_name[f"{station.id}-staff"].station == station.id
        assert by_name[f"{station.id}-head"].role == "station_head"
    assert {"admin", "city-supervisor", "xijie-staff", "housing-handler", "rep-0412"} <= set(
        by_name
    )


def test_the_directory_import_ignores_the_accounts_of_the_file() -> None:
    data: dict[str, Any] = yaml.safe_load(CITY_DIRECTORY.read_text(encoding="utf-8"))

    assert data["users"]
    assert "users" not in read_directory_file(CITY_DIRECTORY).model_dump()


def test_a_search_finds_representatives_by_code_prefix_or_part_of_a_name(city: Directory) -> None:
    rep = city.representative("0412")
    assert rep is not None

    assert [r.code for r in find_representatives(city, text=" 0412 ")] == ["0412"]
    by_prefix = find_representatives(city, text="04")
    assert by_prefix and all(r.code.startswith("04") for r in by_prefix)
    assert rep in find_representatives(city, text=rep.name[1:])
    assert [r.code for r in find_representatives(city, station="xijie")] == sorted(
        r.code for r in city.representatives if r.station == "xijie"
    )
    national = find_representatives(city, level="national")
    assert len(national) == LEVEL_SPLIT["national"]
    assert find_representatives(city, text="nobody-at-all") == []


def test_an_exact_code_comes_first_among_the_names_that_hold_it() -> None:
    directory = Directory.model_validate(
        {
            "default_station": "s",
            "stations": [{"id": "s", "name": "S", "name_en": "S"}],
            "representatives": [
                {"code": "AB1", "name": "李ab", "level": "county", "station": "s"},
                {"code": "ab", "name": "王", "level": "county", "station": "s"},
            ],
        }
    )

    assert [r.code for r in find_representatives(directory, text="AB")] == ["ab", "AB1"]


def test_points_are_found_by_station_kind_and_name_or_leader(city: Directory) -> None:
    villages = find_points(city, station="badu", kind="village")
    assert villages and all(p.station == "badu" and p.kind == "village" for p in villages)
    assert [p.id for p in find_points(city, text="白云")] == ["baiyun"]
    leader = city.liaison_points[0].leader
    assert leader is not None
    assert city.liaison_points[0] in find_points(city, text=leader)


def test_a_queue_search_is_one_code_typed_else_the_names_holding_the_text(
    city: Directory,
) -> None:
    rep = city.representative("0412")
    assert rep is not None

    assert representative_codes(city, "0412", station=None) == ["0412"]
    assert "0412" in representative_codes(city, rep.name, station="xijie")
    assert representative_codes(city, rep.name, station="badu") == []
    assert len(representative_codes(city, "0", station=None)) == 50  # capped, not a thousand


def test_a_reassignment_picker_takes_a_code_or_one_representatives_name(
    city: Directory,
) -> None:
    rep = city.representative("0413")
    assert rep is not None

    assert typed_representative(city, "0413", station="xijie") == "0413"
    assert typed_representative(city, rep.name, station="xijie") == "0413"
    # Another station's representative, or a text many names hold, stays as typed: refused.
    assert typed_representative(city, rep.name, station="badu") == rep.name
    assert typed_representative(city, "04", station="xijie") == "04"


def test_the_representative_form_unfolds_only_the_stations_that_matter(city: Directory) -> None:
    groups = point_groups(city, {"station": "xijie", "points": ["badu_centre"]})

    assert [g.station.id for g in groups] == [s.id for s in city.stations]
    assert {g.station.id for g in groups if g.open} == {"xijie", "badu"}
    demo = read_directory_file(DEMO_DIRECTORY)
    assert all(g.open for g in point_groups(demo, {}))


@pytest.mark.parametrize(
    ("scope", "field", "wanted", "expected"),
    [
        ({}, "station_id", "xijie", {"station_id": "xijie"}),
        ({"station_id": "xijie"}, "station_id", "xijie", {"station_id": "xijie"}),
        ({"station_id": "xijie"}, "station_id", "badu", None),
        (
            {"station_id": "xijie"},
            "representative_code",
            ["0412"],
            {"station_id": "xijie", "representative_code": "0412"},
        ),
        (
            {},
            "representative_code",
            ["0412", "0413"],
            {"representative_code": {"$in": ["0412", "0413"]}},
        ),
        ({"representative_code": "0412"}, "representative_code", ["0413"], None),
        ({}, "representative_code", [], None),
    ],
)
def test_a_listing_is_narrowed_within_the_readers_scope_never_widened(
    scope: dict[str, Any], field: str, wanted: str | list[str], expected: dict[str, Any] | None
) -> None:
    assert narrowed(scope, field, wanted) == expected
