"""The city's directory on the four services as processes: imported with the CLI over the demo
in seconds, listed a page at a time and searched by name or code through the API, the
directory admin page and the queue, a case at a mountain village routed to its service group,
and reporting's representatives searched and read as a top N."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from services.routing.adapters.directory_repository import CITY_DIRECTORY, read_directory_file
from services.routing.domain.directory import Directory
from tests.e2e.platform import DEMO_PASSWORD, Platform, eventually, sign_in, staff_case
from tests.e2e.test_case_flow import assigned
from tests.infra import ROOT

# Generous for a shared two-core test machine; on a quiet one the import takes about 4 s,
# most of it Python starting (docs/operations.md).
IMPORT_SECONDS = 30


@pytest.fixture
def platform(shared_platform: Platform) -> Platform:
    """The module's tests share one platform (tests/e2e/conftest.py)."""
    return shared_platform


@pytest.fixture(scope="module")
def city() -> Directory:
    return read_directory_file(CITY_DIRECTORY)


def import_city(platform: Platform) -> float:
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "services.routing", "directory", "import", str(CITY_DIRECTORY)],
        env=platform.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1027 representatives in all" in done.stdout
    return time.monotonic() - began


@contextmanager
def pages_client(platform: Platform, username: str) -> Iterator[httpx.Client]:
    """A client holding a workbench session."""
    with httpx.Client(base_url=platform.url("routing", ""), timeout=10) as client:
        signed = client.post(
            "/staff/sign-in", data={"username": username, "password": DEMO_PASSWORD}
        )
        assert signed.status_code == 303, signed.text
        yield client


def test_the_city_loads_in_seconds_and_is_paged_searched_and_routed(
    platform: Platform, city: Directory
) -> None:
    seconds = import_city(platform)
    assert seconds < IMPORT_SECONDS

    # The API: a page at a time, the total over every page; found by code or name.
    first = platform.get("routing", "/v1/directory/representatives", limit=50).json()
    assert first["total"] == 1027 and len(first["items"]) == 50
    last = platform.get("routing", "/v1/directory/representatives", offset=1000).json()
    assert [r["code"] for r in last["items"]] == sorted(r.code for r in city.representatives)[1000:]
    rep = next(r for r in city.representatives if r.station == "badu")
    by_name = platform.get("routing", "/v1/directory/representatives", q=rep.name).json()
    assert [r["code"] for r in by_name["items"]] == [rep.code]
    xijie = platform.get(
        "routing", "/v1/directory/representatives", station="xijie", level="county", limit=200
    ).json()
    assert xijie["total"] == sum(
        1 for r in city.representatives if r.station == "xijie" and r.level == "county"
    )
    villages = platform.get(
        "routing", "/v1/directory/liaison_points", station="badu", kind="village"
    ).json()
    assert villages["total"] >= 5
    assert {p["station"] for p in villages["items"]} == {"badu"}

    # A resident of a mountain village: intake knows the point once routing has published it,
    # and routing gives the case to the village's service group, a specialist first.
    point = next(p for p in city.liaison_points if p.station == "badu" and p.kind == "village")
    group = city.serving(point.id)
    specialists = {r.code for r in group if "drainage" in r.specialties}
    body = {
        "category": "drainage",
        "text": f"{point.name}下雨天积水，排水沟堵了",
        "liaison_point_id": point.id,
    }

    def submitted() -> dict[str, Any] | None:
        answer = platform.post("intake", "/v1/cases", json=body)
        return answer.json() if answer.status_code == 202 else None

    receipt = eventually(submitted, timeout_s=60)
    view = eventually(lambda: assigned(platform, receipt["tracking_code"]), timeout_s=30)
    holder = view["representative"]["code"]
    assert holder in (specialists or {r.code for r in group})
    assert view["station"]["id"] == "badu"
    routed = staff_case(platform, sign_in(platform, "admin"), receipt["case_id"]).json()
    assert routed["station_id"] == "badu" and routed["liaison_point_id"] == point.id

    # The staff API narrows the admin's queue to a station and a representative.
    admin = sign_in(platform, "admin")
    listed = httpx.get(
        platform.url("routing", "/v1/staff/cases"),
        params={"station": "badu", "representative": holder},
        headers=admin,
        timeout=10,
    ).json()
    assert [c["case_id"] for c in listed] == [receipt["case_id"]]
    staff = sign_in(platform, "xijie-staff")
    elsewhere = httpx.get(
        platform.url("routing", "/v1/staff/cases"),
        params={"station": "badu"},
        headers=staff,
        timeout=10,
    )
    assert elsewhere.status_code == 200 and elsewhere.json() == []

    # The workbench: the directory admin pages and searches; the queue finds by name.
    holder_name = next(r.name for r in group if r.code == holder)
    with pages_client(platform, "admin") as pages:
        overview = pages.get("/staff/admin")
        assert overview.status_code == 200
        assert "共 1027 名代表" in overview.text and "第 1 / 52 页" in overview.text
        found = pages.get("/staff/admin", params={"q": holder_name})
        assert found.status_code == 200
        assert "共 1 名代表" in found.text and f"编辑 {holder_name}" in found.text
        queue = pages.get("/staff", params={"station": "badu", "representative": holder_name})
        assert receipt["case_id"] in queue.text
        nobody = pages.get("/staff", params={"representative": "无此人"})
        assert "没有姓名或编号符合“无此人”的代表。" in nobody.text
        assert receipt["case_id"] not in nobody.text

    # Reporting: the representative found by code, and first in the top N by cases received.
    def counted() -> dict[str, Any] | None:
        report = platform.get("reporting", "/v1/reports/representatives", q=holder).json()
        items = report["items"]
        return report if items and items[0]["received"] == 1 else None

    report = eventually(counted, timeout_s=30)
    assert [i["key"] for i in report["items"]] == [holder]
    assert report["items"][0]["name"] == holder_name
    top = platform.get("reporting", "/v1/reports/representatives", order="received", limit=1).json()
    assert [i["key"] for i in top["items"]] == [holder]


def test_bad_paging_and_filters_are_field_level_422s(platform: Platform) -> None:
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
        ({"level": "mayor"}, "level"),
        ({"q": "x" * 65}, "q"),
    ):
        answer = platform.get("routing", "/v1/directory/representatives", **params)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.json()["detail"][0]["loc"] == ["query", field]
    bad_kind = platform.get("routing", "/v1/directory/liaison_points", kind="town")
    assert bad_kind.status_code == 422
    bad_order = platform.get("reporting", "/v1/reports/representatives", order="best")
    assert bad_order.status_code == 422
