"""The workbench's "record a meeting or activity held" (登记已举行的活动) page in a real browser,
on routing and reporting running as processes.

Station staff follow the meetings list's link to the form and record a themed activity (主题活动)
with representatives 0413 and 0414: an empty topic first (the message on the field), then a day
in the future (the domain's refusal, on the day's field too), each time with what was typed
kept and nothing recorded; then the activity, whose page names both representatives. Reporting
counts it in both duty records as an activity attended, not a meeting. Signed out, the form
sends to sign-in; a representative is refused it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.browser import capture
from tests.browser.site import running_platform, sign_in
from tests.browser.test_supervision_suggestion_duplicate_pages import SHANGHAI
from tests.e2e.platform import DEMO_PASSWORD, Platform, eventually
from tests.infra import Infra

RECORD = "/staff/meetings/record"
TOPIC = "代表进社区·垃圾分类主题活动"
OUTCOME = "走访 3 个小区，收集垃圾分类意见 12 条，已交街道研究。"
REPRESENTATIVES = {"0413": "林莹", "0414": "刘志明"}


@pytest.fixture(scope="module")
async def platform(infra: Infra) -> AsyncIterator[Platform]:
    """routing records the activity, reporting counts it: nothing else is needed."""
    async with running_platform(infra, ("routing", "reporting")) as running:
        yield running


def recorded_meetings(platform: Platform) -> list[dict[str, Any]]:
    answer = platform.get("routing", "/v1/staff/meetings")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def duty_records(platform: Platform, day: date) -> dict[str, dict[str, Any]]:
    """Each representative's duty record of the day the activity was held, once reporting
    counted it for them all. The day is asked for: reporting's default period ends on the UTC
    day, which is the day before the local one every evening."""

    def counted() -> dict[str, dict[str, Any]] | None:
        records = {
            code: platform.get(
                "reporting",
                f"/v1/reports/representatives/{code}/record",
                since=day.isoformat(),
                until=day.isoformat(),
            ).json()
            for code in REPRESENTATIVES
        }
        done = all(r.get("activities_attended") == 1 for r in records.values())
        return records if done else None

    found: dict[str, dict[str, Any]] = eventually(counted, timeout_s=30)
    return found


async def test_staff_record_a_themed_activity_held_and_it_counts_for_its_representatives(
    platform: Platform, desktop: Page
) -> None:
    await sign_in(desktop, platform, "xijie-staff")
    await desktop.locator("nav a[href='/staff/meetings']").click()
    await desktop.wait_for_url("**/staff/meetings")
    await desktop.get_by_role("link", name="登记已举行的活动").click()
    await desktop.wait_for_url(f"**{RECORD}")
    await expect(desktop.get_by_role("heading", level=1)).to_have_text("登记已举行的活动")
    today = datetime.now(SHANGHAI).date()
    held_on = desktop.get_by_label("举行日期（不晚于今天）")
    await expect(held_on).to_have_value(today.isoformat())
    point = desktop.get_by_label("召开地点", exact=True)
    await expect(point).to_have_value("")  # the station's hall

    # No topic: the form comes back with the message on the field, nothing recorded.
    topic = desktop.locator("#topic")
    await desktop.get_by_label("类型", exact=True).select_option("themed_activity")
    await point.select_option("baiyun")
    await desktop.get_by_label("参会人数", exact=True).fill("35")
    await desktop.get_by_label("会议或活动成果（公开）").fill(OUTCOME)
    codes = desktop.get_by_label("参会代表（代表编号，以空格或逗号分隔）")
    await codes.fill("0413， 0414")
    await desktop.get_by_role("button", name="登记活动").click()
    await expect(topic).to_have_attribute("aria-invalid", "true")
    await expect(topic).to_have_attribute("aria-describedby", "topic-error")
    await expect(desktop.locator("#topic-error")).to_have_text("至少 2 个字。")
    await expect(desktop.locator("#error-summary")).to_contain_text("至少 2 个字。")
    await expect(desktop.get_by_label("类型", exact=True)).to_have_value("themed_activity")
    await expect(point).to_have_value("baiyun")
    await expect(desktop.get_by_label("参会人数", exact=True)).to_have_value("35")
    await expect(codes).to_have_value("0413， 0414")
    await expect(held_on).not_to_have_attribute("aria-invalid", "true")

    # Held tomorrow: the domain refuses the day, said on the field and in the summary that
    # links to it; still nothing recorded.
    await topic.fill(TOPIC)
    tomorrow = (today + timedelta(days=1)).isoformat()
    await held_on.fill(tomorrow)
    await desktop.get_by_role("button", name="登记活动").click()
    too_early = f"{tomorrow} 还没到，举行日期不能晚于今天。"
    await expect(held_on).to_have_attribute("aria-invalid", "true")
    await expect(held_on).to_have_attribute("aria-describedby", "held_on-error")
    await expect(desktop.locator("#held_on-error")).to_have_text(too_early)
    summary = desktop.locator("#error-summary")
    await expect(summary.get_by_role("link", name=too_early)).to_have_attribute("href", "#held_on")
    await expect(summary).not_to_contain_text("is in the future")
    await expect(held_on).to_have_value(tomorrow)
    await expect(topic).to_have_value(TOPIC)
    await expect(topic).not_to_have_attribute("aria-invalid", "true")
    await expect(desktop.get_by_label("会议或活动成果（公开）")).to_have_value(OUTCOME)
    assert await asyncio.to_thread(recorded_meetings, platform) == []
    await desktop.evaluate("document.activeElement.blur()")  # no focus ring in the screenshot
    await capture(desktop, "workbench-meeting-record")

    await held_on.fill(today.isoformat())
    await desktop.get_by_role("button", name="登记活动").click()
    await expect(desktop.get_by_role("status")).to_have_text(
        "活动已登记，参会代表的履职档案将计入。"
    )
    await desktop.wait_for_url(re.compile(r"/staff/meetings/[^/?]+\?done=recorded$"))
    meeting_id = desktop.url.split("?")[0].rsplit("/", 1)[1]
    await expect(desktop.get_by_role("heading", level=1)).to_have_text(TOPIC)
    facts = desktop.locator("section[aria-labelledby='h-meeting']")
    await expect(facts.locator(".badge")).to_have_text(["主题活动", "已召开"])
    await expect(facts.locator("dl")).to_contain_text(today.isoformat())
    await expect(facts.locator("dl")).to_contain_text("白云社区人大联络点")
    await expect(facts.locator("dl")).to_contain_text("35")
    await expect(facts.locator("dl")).to_contain_text(OUTCOME)
    participants = desktop.locator("section[aria-labelledby='h-participants'] li")
    await expect(participants).to_have_text([f"{n}（{c}）" for c, n in REPRESENTATIVES.items()])
    await expect(desktop.locator("form[action$='/held']")).to_have_count(0)  # held already
    await capture(desktop, "workbench-meeting-recorded")

    # The list shows it once; routing stored it as the API would.
    await desktop.locator("nav a[href='/staff/meetings']").click()
    listed = desktop.locator(f"li[data-meeting='{meeting_id}']")
    await expect(listed.get_by_role("link")).to_have_text(TOPIC)
    await expect(listed.locator(".badge")).to_have_text(["主题活动", "已召开"])
    await expect(listed).to_contain_text("西街街道人大代表联络站 / 白云社区人大联络点")
    stored = await asyncio.to_thread(recorded_meetings, platform)
    assert [(m["meeting_id"], m["kind"], m["status"]) for m in stored] == [
        (meeting_id, "themed_activity", "held")
    ]
    assert stored[0]["representatives"] == list(REPRESENTATIVES)
    assert (stored[0]["liaison_point_id"], stored[0]["attendance"]) == ("baiyun", 35)

    # Reporting counts the activity in each representative's duty record, as an activity.
    records = await asyncio.to_thread(duty_records, platform, today)
    for code, record in records.items():
        assert (record["activities_attended"], record["meetings_attended"]) == (1, 0), code


async def test_the_record_form_is_for_a_stations_staff_only(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.url("routing", ""), timeout=10) as client:
        signed_out = await client.get(RECORD)
        assert signed_out.status_code == 303
        assert signed_out.headers["location"] == f"/staff/sign-in?next={quote(RECORD, safe='')}"
        assert (await client.post(RECORD, data={"topic": TOPIC})).status_code == 303
        signed = await client.post(
            "/staff/sign-in", data={"username": "rep-0413", "password": DEMO_PASSWORD}
        )
        assert signed.status_code == 303, signed.text
        refused = await client.get(RECORD)
        assert refused.status_code == 403
        assert "无权访问" in refused.text
    async with httpx.AsyncClient(base_url=platform.url("routing", ""), timeout=10) as client:
        signed = await client.post(
            "/staff/sign-in", data={"username": "city-supervisor", "password": DEMO_PASSWORD}
        )
        assert signed.status_code == 303, signed.text
        listed = await client.get("/staff/meetings")
        assert listed.status_code == 200
        assert f'href="{RECORD}"' not in listed.text
        assert (await client.get(RECORD)).status_code == 403
