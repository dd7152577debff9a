"""The workbench's deliberation-meeting (议事会) and dilapidated-house (危旧房) pages in a real
browser, on intake and routing running as processes.

- Three residents raise parking at 白云社区: station staff open the meetings page, plan a
  meeting from the proposed agenda with representative 0412 and a residents' deliberator, hold
  it (an empty outcome first: the message on the field, the meeting still planned) and record
  the item's decision; the meeting page shows it, and so does each linked case's page.
- Station staff register a house (an area of 0 first: the message on the field, nothing
  registered), record one household's consent and another's objection, link an open
  house_repair case and move the house to design; the house page shows the stage, the consent
  figures and the linked case following the house.

One platform for the module (starting services dominates a browser test's time); the stories
use categories of their own (parking, house_repair), so neither's cases are on the other's pages.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from playwright.async_api import Page, expect

from tests.browser.browser import capture
from tests.browser.site import running_platform, sign_in
from tests.browser.test_supervision_suggestion_duplicate_pages import SHANGHAI, routed_case
from tests.e2e.platform import Platform, act
from tests.e2e.platform import sign_in as token_for
from tests.e2e.test_case_flow import QR_CASE, resident_view
from tests.e2e.test_houses import HOUSE_CASE
from tests.infra import Infra

PARKING = (
    "白云社区晚上停车位不够，车只能停到马路上",
    "东门附近乱停车，消防通道被堵",
    "希望把东门空地改成停车场",
)
TOPIC = "白云社区停车难议事会"
ITEM = "白云社区停车难"
DELIBERATOR = "王秀英"
MINUTES = f"{DELIBERATOR}：东门空地闲置多年，可以改建。张献平代表：向城建部门反映。"
OUTCOME = "议定东门空地改建停车场。"
DECISION = "东门闲置空地改建为居民停车场，年底前完工，夜间向居民开放。"

ADDRESS = "西新社区 解放街 12 号 2 幢"
NOTE = "设计单位已进场勘察"


@pytest.fixture(scope="module")
async def platform(infra: Infra) -> AsyncIterator[Platform]:
    """intake and routing: these pages need nothing else, and two processes start faster
    than four."""
    async with running_platform(infra, ("intake", "routing")) as running:
        yield running


def parking_cases(platform: Platform) -> list[str]:
    """Three QR parking cases for representative 0412 at 白云社区, assigned: their case ids,
    oldest first. Through the JSON API: the pages under test are the ones after it."""
    return [
        routed_case(platform, {**QR_CASE, "liaison_point_id": "baiyun", "text": text})["case_id"]
        for text in PARKING
    ]


def handled_house_case(platform: Platform) -> str:
    """A house_repair case at 西新, accepted by the representative it went to and approved by
    the station: its case id."""
    receipt = routed_case(platform, HOUSE_CASE)
    case_id: str = receipt["case_id"]
    holder = resident_view(platform, receipt["tracking_code"])
    rep = token_for(platform, f"rep-{holder['representative']['code']}")
    staff = token_for(platform, "xijie-staff")
    for headers, action in ((rep, "accept"), (staff, "approve")):
        response = act(platform, headers, case_id, action)
        assert response.status_code == 200, response.text
    return case_id


async def test_staff_plan_a_meeting_from_the_proposed_agenda_hold_it_and_record_its_decision(
    platform: Platform, desktop: Page
) -> None:
    case_ids = await asyncio.to_thread(parking_cases, platform)

    await sign_in(desktop, platform, "xijie-staff")
    await desktop.locator("nav a[href='/staff/meetings']").click()
    await desktop.wait_for_url("**/staff/meetings")
    await expect(desktop.get_by_role("heading", level=1)).to_have_text("议事会与主题活动")
    await expect(desktop.locator("main")).to_contain_text("还没有议事会或活动记录。")

    # The proposal, narrowed to 白云社区: one parking item takes up the three cases.
    await desktop.get_by_role("link", name="筹备议事会").click()
    await desktop.wait_for_url("**/staff/meetings/new")
    await desktop.get_by_label("只看联络点").select_option("baiyun")
    await desktop.get_by_role("button", name="筛选").click()
    await desktop.wait_for_url("**/staff/meetings/new?liaison_point_id=baiyun")
    item = desktop.locator(
        "ol.agenda-proposal li", has=desktop.locator(f"a[href='/staff/cases/{case_ids[0]}']")
    )
    await expect(item).to_have_count(1)
    await expect(item.get_by_role("link")).to_have_text([c[:8] for c in case_ids])
    await expect(item.get_by_role("checkbox")).not_to_be_checked()
    await expect(item).to_contain_text("列入议程 · 3 件")
    title = item.get_by_label("议题标题")
    await expect(title).to_have_value("白云社区人大联络点：停车位（3件）")

    today = datetime.now(SHANGHAI).date().isoformat()
    await item.get_by_role("checkbox").check()
    await title.fill(ITEM)
    await desktop.get_by_label("会议主题").fill(TOPIC)
    await desktop.get_by_label("召开日期").fill(today)
    await expect(desktop.get_by_label("召开地点")).to_have_value("baiyun")
    await desktop.get_by_label("参会代表（代表编号，以空格或逗号分隔）").fill("0412")
    await desktop.get_by_label("议事员（每行一人：姓名，身份）").fill(f"{DELIBERATOR}，居民议事员")
    await desktop.evaluate("document.activeElement.blur()")  # no focus ring in the screenshot
    await capture(desktop, "workbench-meetings")

    await desktop.get_by_role("button", name="保存议事会安排").click()
    await expect(desktop.get_by_role("status")).to_have_text("议事会已安排。")
    meeting_url = desktop.url.split("?")[0]
    meeting_id = meeting_url.rsplit("/", 1)[1]
    await expect(desktop.get_by_role("heading", level=1)).to_have_text(TOPIC)
    await expect(desktop.locator("#meeting-status")).to_have_text("筹备中")
    participants = desktop.locator("section[aria-labelledby='h-participants']")
    await expect(participants.locator("li")).to_have_text(
        ["张献平（0412）", f"{DELIBERATOR}（居民议事员）"]
    )
    agenda = desktop.locator("ol.agenda li[data-item='1']")
    await expect(agenda.locator("h3")).to_have_text(ITEM)
    await expect(agenda.get_by_role("link")).to_have_text([c[:8] for c in case_ids])
    await expect(desktop.locator("main")).to_contain_text(
        "记录会议召开情况后，才能记录各议题的决定。"
    )

    # Held with no outcome: the form comes back with the message on the field, nothing held.
    await desktop.get_by_label("参会人数").fill("27")
    await desktop.get_by_label("会议纪要（仅站内可见）").fill(MINUTES)
    await desktop.get_by_role("button", name="保存", exact=True).click()
    outcome = desktop.locator("#held-outcome")
    await expect(outcome).to_have_attribute("aria-invalid", "true")
    await expect(outcome).to_have_attribute("aria-describedby", "held-outcome-error")
    await expect(desktop.locator("#held-outcome-error")).to_have_text("至少 2 个字。")
    await expect(desktop.locator("#held-error-summary")).to_contain_text("至少 2 个字。")
    await expect(desktop.get_by_label("参会人数")).to_have_value("27")
    await expect(desktop.get_by_label("会议纪要（仅站内可见）")).to_have_value(MINUTES)
    await expect(desktop.locator("#meeting-status")).to_have_text("筹备中")
    await expect(desktop.locator("#held-attendance")).not_to_have_attribute("aria-invalid", "true")
    await expect(agenda.locator("textarea")).to_have_count(0)

    await outcome.fill(OUTCOME)
    await desktop.get_by_role("button", name="保存", exact=True).click()
    await expect(desktop.get_by_role("status")).to_have_text("会议召开情况已记录。")
    await expect(desktop.locator("#meeting-status")).to_have_text("已召开")
    facts = desktop.locator("section[aria-labelledby='h-meeting'] dl")
    await expect(facts).to_contain_text("27")
    await expect(facts).to_contain_text(OUTCOME)
    await expect(desktop.locator(".message-body")).to_have_text(MINUTES)
    await expect(desktop.locator("#held-outcome")).to_have_count(0)  # held once

    # The item's decision, for every case of the item (none ticked).
    await agenda.get_by_label("会议决定", exact=True).fill(DECISION)
    await expect(agenda.get_by_role("checkbox")).to_have_count(3)
    await agenda.get_by_role("button", name="记录决定并告知居民").click()
    await expect(desktop.get_by_role("status")).to_have_text("决定已记录，相关居民将收到通知。")
    await expect(agenda.locator(".note.decision")).to_have_text(DECISION)
    await expect(agenda).to_contain_text("xijie-staff 记录于")
    await expect(agenda.locator("form")).to_have_count(0)  # a decision stands
    await capture(desktop, "workbench-meeting")

    # Each linked case's page shows the decision in its audit trail; the case is unchanged.
    for case_id in case_ids:
        await desktop.goto(platform.url("routing", f"/staff/cases/{case_id}"))
        decided = desktop.locator(".audit li[data-action='meeting_decision']")
        await expect(decided).to_have_count(1)
        await expect(decided.locator(".note")).to_have_text(f"{ITEM}：{DECISION}")
        await expect(decided.locator("strong")).to_have_text("议事会决定")
        await expect(decided).to_contain_text("xijie-staff")
    await expect(desktop.locator("h1 + .case-meta .badge").first).to_have_text("待受理")

    # The list shows the meeting, held, with its cases.
    await desktop.locator("nav a[href='/staff/meetings']").click()
    listed = desktop.locator(f"li[data-meeting='{meeting_id}']")
    await expect(listed.get_by_role("link")).to_have_text(TOPIC)
    await expect(listed.locator(".badge")).to_have_text(["议事会", "已召开"])
    await expect(listed).to_contain_text("3 件")


async def test_staff_register_a_house_record_consent_link_its_case_and_move_its_stage(
    platform: Platform, desktop: Page
) -> None:
    case_id = await asyncio.to_thread(handled_house_case, platform)

    await sign_in(desktop, platform, "xijie-staff")
    await desktop.locator("nav a[href='/staff/houses']").click()
    await desktop.wait_for_url("**/staff/houses")
    await expect(desktop.locator("#houses-total")).to_have_text("纳入治理：0 幢")

    # An area of 0: the form comes back with the message on the field, nothing registered.
    address = desktop.locator("#register-address")
    area = desktop.locator("#register-floor_area_m2")
    households = desktop.locator("#register-households")
    await address.fill(ADDRESS)
    await area.fill("0")
    await households.fill("2-101，2-201\n2-301")
    await desktop.get_by_label("联络点", exact=True).select_option("xixin")
    await desktop.get_by_role("button", name="登记", exact=True).click()
    await expect(area).to_have_attribute("aria-invalid", "true")
    await expect(desktop.locator("#register-floor_area_m2-error")).to_have_text("超出允许范围。")
    await expect(desktop.locator("#register-error-summary")).to_contain_text("超出允许范围。")
    await expect(address).to_have_value(ADDRESS)
    await expect(address).not_to_have_attribute("aria-invalid", "true")
    await expect(households).to_have_value("2-101，2-201\n2-301")
    await expect(desktop.locator("#houses-total")).to_have_text("纳入治理：0 幢")
    await expect(desktop.locator("li[data-house]")).to_have_count(0)

    await area.fill("86.5")
    await desktop.get_by_role("button", name="登记", exact=True).click()
    await expect(desktop.get_by_role("status")).to_have_text("房屋已登记。")
    await desktop.wait_for_url(re.compile(r"/staff/houses/[^/?]+\?done=registered$"))
    house_url = desktop.url.split("?")[0]
    await expect(desktop.get_by_role("heading", level=1)).to_have_text(ADDRESS)
    await expect(desktop.locator("#house-stage")).to_have_text("已纳入治理")
    facts = desktop.locator("section[aria-labelledby='h-house'] dl")
    await expect(facts).to_contain_text("西街街道人大代表联络站 / 西新社区人大联络点")
    await expect(facts).to_contain_text("86.5 平方米")
    await expect(desktop.locator("#house-consent")).to_have_text("同意 0 户，反对 0 户，共 3 户")
    rows = desktop.locator("tr[data-household]")
    await expect(rows.locator("th")).to_have_text(["2-101", "2-201", "2-301"])

    # One household consents, another objects.
    for label, answer, shown in (("2-101", "consented", "同意"), ("2-201", "objected", "反对")):
        row = desktop.locator(f"tr[data-household='{label}']")
        await row.get_by_label(f"意见 {label}").select_option(answer)
        await row.get_by_role("button", name="记录").click()
        await expect(desktop.get_by_role("status")).to_have_text("住户意见已记录。")
        await expect(desktop.locator(f"tr[data-household='{label}'] td").first).to_have_text(shown)
    await expect(desktop.locator("#house-consent")).to_have_text("同意 1 户，反对 1 户，共 3 户")
    await expect(rows.locator("td:first-of-type")).to_have_text(["同意", "反对", "未征询"])

    # The open house_repair case, linked.
    cases = desktop.locator("section[aria-labelledby='h-cases']")
    await expect(cases).to_contain_text("还没有关联案件。")
    await cases.get_by_label("案件编号").fill(case_id)
    await cases.get_by_role("button", name="关联案件").click()
    await expect(desktop.get_by_role("status")).to_have_text("案件已关联。")
    linked = cases.locator(f"li[data-case='{case_id}']")
    await expect(linked.get_by_role("link")).to_have_text(case_id[:8])
    await expect(linked.locator(".badge")).to_have_text("办理中")
    # Approved with no stage stored yet: at the first one.
    await expect(linked).to_contain_text("已纳入治理")

    # The house moves to design, with a note; the linked case follows.
    stage = desktop.locator("section[aria-labelledby='h-stage']")
    await stage.get_by_label("下一阶段").select_option("design")
    await stage.get_by_label("说明（居民可见）").fill(NOTE)
    await stage.get_by_role("button", name="推进到该阶段").click()
    await expect(desktop.get_by_role("status")).to_have_text("阶段已推进。")
    await expect(desktop.locator("#house-stage")).to_have_text("方案设计中")
    step = stage.locator("ol.history li")
    await expect(step).to_have_count(1)
    await expect(step).to_contain_text("xijie-staff：已纳入治理 → 方案设计中")
    await expect(step.locator(".note")).to_have_text(f"（{NOTE}）")
    await expect(linked).to_contain_text("方案设计中")
    await expect(desktop.locator("#house-consent")).to_have_text("同意 1 户，反对 1 户，共 3 户")
    await capture(desktop, "workbench-house")

    # The list counts it once, in design.
    await desktop.locator("nav a[href='/staff/houses']").click()
    await expect(desktop.locator("#houses-total")).to_have_text("纳入治理：1 幢")
    await expect(desktop.locator("td[data-stage='design']")).to_have_text("1")
    listed = desktop.locator(f"li[data-house='{house_url.rsplit('/', 1)[1]}']")
    await expect(listed.get_by_role("link")).to_have_text(ADDRESS)
    await expect(listed.locator(".badge")).to_have_text("方案设计中")
    await expect(listed).to_contain_text("同意 1 户，反对 1 户，共 3 户")
    await expect(listed).to_contain_text("西新社区人大联络点")
