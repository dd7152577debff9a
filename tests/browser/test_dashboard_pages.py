"""The dashboard and the public figures in a real browser, on the four services as processes.

A few cases are pushed through the staff API (accepted, answered, closed, rated); the dashboard
then shows them city-wide and for one station, its CSV export carries the same numbers, the
public page shows the same figures without staff links, and a phone shows the dashboard
without sideways scrolling. Bad filters come back as the page with field messages and 422.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Page

from tests.browser.browser import capture
from tests.browser.site import running_platform
from tests.e2e.platform import Platform, act, eventually, sign_in
from tests.e2e.test_case_flow import QR_CASE, assigned, submit
from tests.e2e.test_house_repair_and_meetings import HOUSE_CASE
from tests.infra import Infra

# The first day of the default period: the last 365 days up to today in the city.
DEFAULT_SINCE = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=365)
JIANCHI_CASE = {**QR_CASE, "representative_code": "0502", "text": "剑池社区电瓶车充电桩不够用"}


@pytest.fixture(scope="module")
async def platform(infra: Infra) -> AsyncIterator[Platform]:
    """One platform for the module: starting four services per test would dominate the time."""
    async with running_platform(infra) as running:
        yield running


def _ok(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text


def _push_cases(platform: Platform) -> dict[str, Any]:
    """Xijie: three parking cases accepted, two closed and rated (satisfied, basically
    satisfied), a house-repair case accepted and moved to design, a deliberation meeting;
    Jianchi: one case assigned, nothing else. Returns Xijie's figures once reporting has all."""
    rep = sign_in(platform, "rep-0412")
    staff = sign_in(platform, "xijie-staff")
    receipts = [submit(platform, {**QR_CASE, "text": f"第{i}号楼停车位不够"}) for i in range(3)]
    submit(platform, JIANCHI_CASE)
    house = submit(platform, HOUSE_CASE)
    holder = eventually(lambda: assigned(platform, house["tracking_code"]), timeout_s=20)
    house_rep = sign_in(platform, f"rep-{holder['representative']['code']}")
    _ok(act(platform, house_rep, house["case_id"], "accept"))
    _ok(act(platform, staff, house["case_id"], "approve"))
    # The stages belong to houses: the case's building, registered, the case linked, moved.
    building = {"address": "西新社区 解放街 12 号", "floor_area_m2": 300, "households": ["1-101"]}
    registered = platform.post("routing", "/v1/staff/houses", json=building, headers=staff)
    assert registered.status_code == 201, registered.text
    house_id = registered.json()["house_id"]
    linked = {"case_id": house["case_id"]}
    _ok(platform.post("routing", f"/v1/staff/houses/{house_id}/cases", json=linked, headers=staff))
    designed = {"stage": "design"}
    _ok(
        platform.post("routing", f"/v1/staff/houses/{house_id}/stage", json=designed, headers=staff)
    )
    yesterday = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=1)).date()
    meeting = platform.post(
        "routing",
        "/v1/staff/meetings",
        json={
            "kind": "deliberation_meeting",
            "liaison_point_id": "xixin",
            "held_on": yesterday.isoformat(),
            "topic": "西新社区危旧房治理议事会",
            "attendance": 23,
            "case_ids": [house["case_id"]],
            "outcome": "确定修缮方案。",
        },
        headers=staff,
    )
    assert meeting.status_code == 201, meeting.text
    for receipt in receipts:
        eventually(lambda r=receipt: assigned(platform, r["tracking_code"]), timeout_s=20)
        _ok(act(platform, rep, receipt["case_id"], "accept"))
    for receipt, rating in zip(receipts[:2], ("satisfied", "basically_satisfied"), strict=True):
        case_id = receipt["case_id"]
        _ok(act(platform, staff, case_id, "approve"))
        _ok(act(platform, staff, case_id, "respond", response="已协调增设停车位。"))
        _ok(act(platform, staff, case_id, "close"))
        code = receipt["tracking_code"]
        eventually(
            lambda c=code: platform.get("intake", f"/v1/cases/{c}").json()["status"] == "closed"
        )
        rated = platform.post("intake", f"/v1/cases/{code}/rating", json={"rating": rating})
        assert rated.status_code == 202, rated.text

    def counted() -> dict[str, Any] | None:
        stations = platform.get("reporting", "/v1/reports/stations").json()["stations"]
        by_id = {s["station_id"]: s for s in stations}
        xijie, jianchi = by_id.get("xijie", {}), by_id.get("jianchi", {})
        stages = platform.get("reporting", "/v1/reports/house-repair").json()["city"]
        meetings = platform.get("reporting", "/v1/reports/activities").json()["city"]
        done = (
            xijie.get("rated") == 2
            and xijie.get("closed") == 2
            and xijie.get("accepted") == 4
            and jianchi.get("received")
            and stages["design"] == 1
            and meetings["deliberation_meetings"] == 1
        )
        return xijie if done else None

    figures: dict[str, Any] = eventually(counted, timeout_s=40)
    return figures


@pytest.fixture(scope="module")
async def xijie(platform: Platform) -> dict[str, Any]:
    return await asyncio.to_thread(_push_cases, platform)


async def signed_in(page: Page, platform: Platform, username: str = "city-supervisor") -> None:
    """The workbench's session cookie, as signing in there sets it (the dashboard is staff's)."""
    token = sign_in(platform, username)["Authorization"].removeprefix("Bearer ")
    await page.context.add_cookies(
        [{"name": "minyi_session", "value": token, "url": platform.url("reporting", "/")}]
    )


async def _text(page: Page, selector: str) -> str:
    return (await page.locator(selector).inner_text()).strip()


async def test_the_dashboard_shows_the_cases_city_wide_and_for_a_station_and_exports_them(
    platform: Platform, xijie: dict[str, Any], desktop: Page
) -> None:
    base = platform.url("reporting", "")
    await signed_in(desktop, platform)
    response = await desktop.goto(f"{base}/dashboard")
    assert response is not None and response.status == 200
    assert response.headers["cache-control"] == "no-store"
    assert await _text(desktop, "#kpi-received .value") == "5"
    assert await _text(desktop, "#kpi-accepted .value") == "4"
    assert await _text(desktop, "#kpi-closed .value") == "2"
    # 2 of 4 closed: the rate, the sample and the Wilson interval, in words.
    assert await _text(desktop, "#kpi-completion .words") == "50.0%（样本 4，95% 置信区间 15–85%）"
    assert await _text(desktop, "#kpi-satisfaction .words") == (
        "100.0%（样本 2，95% 置信区间 34–100%）"
    )
    row = "#stations-table tr[data-station='xijie']"
    assert await _text(desktop, f"{row} td[data-figure='accepted']") == "4"
    assert await _text(desktop, f"{row} td[data-figure='closed']") == "2"
    assert await _text(desktop, "#summary-sentence") == (
        f"自{DEFAULT_SINCE.isoformat()}以来，受理意见建议4件，办结率50.0%，满意度100.0%"
    )
    assert await _text(desktop, "#kpi-deliberation-meetings .value") == "1"
    assert await _text(desktop, "#kpi-attendance .value") == "23"
    stages = await desktop.locator("#table-stages").text_content() or ""
    assert "设计中" in stages
    # Every chart is an image with a title and a description, and has its numbers in a table.
    for chart in ("completion", "satisfaction", "categories", "series", "times", "stages"):
        svg = desktop.locator(f"svg#chart-{chart}")
        assert await svg.get_attribute("role") == "img"
        assert await svg.locator("title").count() == 1
        assert await svg.locator("desc").count() == 1
    assert "停车位" in (await desktop.locator("#table-categories").text_content() or "")
    # Below the minimum sample, nobody is ranked and the page says why.
    not_ranked = desktop.locator("#table-ranking_completion tr[data-station='xijie']")
    assert "不参与排名：样本不足 20 件" in await not_ranked.inner_text()
    await capture(desktop, "dashboard")

    await desktop.select_option("#station", "xijie")
    await desktop.get_by_role("button", name="查看").click()
    await desktop.wait_for_url("**station=xijie**")
    assert "西街街道人大代表联络站" in await _text(desktop, "h1")
    assert await _text(desktop, "#kpi-received .value") == "4"
    assert await _text(desktop, "#kpi-accepted .value") == "4"
    assert await _text(desktop, "#kpi-open_now .value") == "2"  # accepted, not closed
    assert await desktop.locator("#chart-completion .highlight").count() == 1
    await capture(desktop, "dashboard-station")

    async with desktop.expect_download() as download_info:
        await desktop.locator("#export-csv").click()
    download = await download_info.value
    path = await download.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    header, by_station = rows[0], {r[2]: r for r in rows[1:]}
    exported = dict(zip(header, by_station["xijie"], strict=True))
    assert exported["受理 (accepted)"] == "4"
    assert exported["办结 (closed)"] == "2"
    assert float(exported["办结率 (completion rate)"]) == pytest.approx(2 / 4)
    assert exported["受理 (accepted)"] == str(xijie["accepted"])


async def test_the_public_page_shows_the_same_figures_without_staff_links(
    platform: Platform, xijie: dict[str, Any], desktop: Page
) -> None:
    response = await desktop.goto(platform.url("reporting", "/transparency"))
    assert response is not None and response.status == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    public = platform.get("reporting", "/v1/public/transparency").json()
    row = "#stations-table tr[data-station='xijie']"
    for figure in ("received", "accepted", "closed"):
        expected = next(s for s in public["stations"] if s["station_id"] == "xijie")[figure]
        assert await _text(desktop, f"{row} td[data-figure='{figure}']") == str(expected)
    assert await _text(desktop, "#kpi-accepted .value") == str(public["city"]["accepted"])
    assert "受理意见建议4件" in await _text(desktop, "#summary-sentence")
    hrefs = await desktop.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
    assert not [h for h in hrefs if "/dashboard" in h or platform.url("routing", "") in h]
    await capture(desktop, "transparency")


async def test_the_dashboard_fits_a_phone(
    platform: Platform, xijie: dict[str, Any], phone: Page
) -> None:
    await signed_in(phone, platform)
    await phone.goto(platform.url("reporting", "/dashboard"))
    assert await _text(phone, "#kpi-accepted .value") == "4"
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
    await capture(phone, "dashboard-phone")
    await phone.goto(platform.url("reporting", "/transparency"))
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
    # In English too, with the directory's English station names.
    await phone.goto(platform.url("reporting", "/dashboard?station=xijie&lang=en"))
    assert await _text(phone, "h1") == "Xijie Subdistrict Representative Liaison Station: dashboard"
    assert await _text(phone, "#kpi-completion .words") == "50.0% (n=4, 95% CI 15–85%)"
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
    await capture(phone, "dashboard-phone-en")


async def test_a_station_staff_member_sees_their_own_station_only(
    platform: Platform, xijie: dict[str, Any], desktop: Page
) -> None:
    await signed_in(desktop, platform, "jianchi-staff")
    await desktop.goto(platform.url("reporting", "/dashboard"))
    assert "剑池街道人大代表联络站" in await _text(desktop, "h1")
    assert await desktop.locator("#station").input_value() == "jianchi"
    assert await _text(desktop, "#kpi-received .value") == "1"
    # City-wide figures are supervisors' and admins': the station's own stay in force.
    await desktop.select_option("#station", "")
    await desktop.get_by_role("button", name="查看").click()
    await desktop.wait_for_url("**station=**")
    assert await _text(desktop, "#kpi-received .value") == "1"
    # Another station's figures do not exist for them.
    response = await desktop.goto(platform.url("reporting", "/dashboard?station=xijie"))
    assert response is not None and response.status == 422
    assert "没有这个联络站" in await desktop.content()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("since=2026-05-01&until=2026-01-01", "until", "截止日不能早于起始日"),
        ("since=2026-02-30", "since", "请输入有效日期"),
        ("station=nowhere", "station", "没有这个联络站"),
        ("station=<script>", "station", "没有这个联络站"),
        ("since=2000-01-01&until=2026-01-01", "since", "统计期间最长 10 年"),
    ],
)
async def test_a_bad_filter_is_shown_next_to_its_field_with_422(
    platform: Platform, query: str, field: str, message: str
) -> None:
    token = sign_in(platform, "city-supervisor")["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient(timeout=10, cookies={"minyi_session": token}) as client:
        response = await client.get(platform.url("reporting", f"/dashboard?{query}"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    body = response.text
    assert f'id="{field}-error"' in body and message in body
    assert f'href="#{field}"' in body  # the error summary links to the field
    assert f'id="{field}"' in body and 'aria-invalid="true"' in body


async def test_the_public_page_refuses_a_bad_date_with_422(platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(platform.url("reporting", "/transparency?until=tomorrow"))
    assert response.status_code == 422
    assert "请输入有效日期" in response.text
    assert "public" not in response.headers.get("cache-control", "")
