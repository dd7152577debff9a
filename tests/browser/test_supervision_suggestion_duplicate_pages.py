"""The workbench's newer pages in a real browser, on intake and routing running as processes:
supervision (督办), follow-up calls (回访), formal suggestions (代表建议) and duplicates.

- The city supervisor urges a case being handled: a reason left empty comes back on the
  field; with a reason and a date the page shows the "督办中" badge and the pending record.
- Station staff record the rating an answered case's resident gave on the phone: the page
  shows it marked as a follow-up call and offers no second one for the same answer.
- Representative 0412 turns two cases into a suggestion from a case page's button; the housing
  bureau answers it on its page; the representative evaluates it; the filtered list shows it.
- A resident typing on 0412's QR form is shown an open case like theirs and says "me too",
  then submits anyway; staff open that case from the queue, see the first as its candidate
  duplicate and merge it with one click; the first case's page counts the "me too".

One platform for the module (starting services dominates a browser test's time); each story
asserts on its own cases, and the duplicates story uses a category of its own so the other
stories' cases are never offered as alike.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.browser import capture, person
from tests.browser.site import running_platform, sign_in, until
from tests.e2e.platform import Platform, act, eventually
from tests.e2e.platform import sign_in as token_for
from tests.e2e.test_case_flow import QR_CASE, assigned, resident_view, submit
from tests.infra import Infra

SHANGHAI = ZoneInfo("Asia/Shanghai")
REP = "0412"  # 张献平, of 西街's 上城 and 白云 points (services/routing/demo_directory.yaml)


@pytest.fixture(scope="module")
async def platform(infra: Infra) -> AsyncIterator[Platform]:
    """intake and routing: these pages need nothing else, and two processes start faster
    than four."""
    async with running_platform(infra, ("intake", "routing")) as running:
        yield running


def routed_case(platform: Platform, body: dict[str, Any]) -> dict[str, Any]:
    """A case submitted through the JSON API, once routing assigned it: its receipt."""
    receipt = submit(platform, body)
    eventually(lambda: assigned(platform, receipt["tracking_code"]), timeout_s=20)
    return receipt


def handled_case(platform: Platform, category: str, text: str, *, answer: str | None = None) -> str:
    """A QR case for representative 0412, accepted and approved (and answered, with `answer`):
    its case id. Through the JSON API: the pages under test are the ones after it."""
    body = {**QR_CASE, "category": category, "text": text}
    case_id: str = routed_case(platform, body)["case_id"]
    rep, staff = token_for(platform, "rep-0412"), token_for(platform, "xijie-staff")
    steps: list[tuple[dict[str, str], str, dict[str, str]]] = [
        (rep, "accept", {}),
        (staff, "approve", {}),
    ]
    if answer is not None:
        steps.append((staff, "respond", {"response": answer}))
    for headers, action, fields in steps:
        response = act(platform, headers, case_id, action, **fields)
        assert response.status_code == 200, response.text
    return case_id


async def test_the_city_supervisor_urges_a_case_and_the_page_shows_the_pending_record(
    platform: Platform, desktop: Page
) -> None:
    case_id = await asyncio.to_thread(
        handled_case, platform, "drainage", "菜市场旁的排水沟堵了，一下雨就淹"
    )

    await sign_in(desktop, platform, "city-supervisor")
    await desktop.goto(platform.url("routing", f"/staff/cases/{case_id}"))
    supervisions = desktop.locator("#supervisions")
    await expect(supervisions.locator("ol.supervisions")).to_have_count(0)
    await expect(desktop.locator("h1 + .case-meta")).not_to_contain_text("督办中")

    # Without a reason the form comes back open, with the message on the field.
    due = (datetime.now(SHANGHAI).date() + timedelta(days=7)).isoformat()
    await supervisions.locator("summary", has_text="督办").click()
    await supervisions.get_by_label("答复期限").fill(due)
    await supervisions.get_by_role("button", name="督办").click()
    reason_box = desktop.locator("#supervise-reason")
    await expect(reason_box).to_have_attribute("aria-invalid", "true")
    await expect(desktop.locator("#supervise-reason-error")).to_have_text("此项必填。")
    await expect(supervisions.get_by_label("答复期限")).to_have_value(due)

    reason = "群众反映强烈，请一周内答复"
    await reason_box.fill(reason)
    await supervisions.get_by_role("button", name="督办").click()
    await expect(desktop.get_by_role("status")).to_have_text("已完成：督办。")
    await expect(desktop.locator("h1 + .case-meta .badge.warn")).to_have_text("督办中")
    record = supervisions.locator("ol.supervisions li")
    await expect(record).to_have_count(1)
    await expect(record).to_have_attribute("data-outcome", "pending")
    await expect(record).to_contain_text(f"city-supervisor 督办，限 {due}")
    await expect(record.locator(".badge")).to_have_text("办理中")
    await expect(record.locator(".note")).to_have_text(reason)
    # The case itself is unchanged: still the station's to answer.
    await expect(desktop.locator("h1 + .case-meta .badge").first).to_have_text("办理中")
    await capture(desktop, "workbench-supervision")


async def test_station_staff_record_a_follow_up_call_once_per_answer(
    platform: Platform, desktop: Page
) -> None:
    case_id = await asyncio.to_thread(
        handled_case,
        platform,
        "other",
        "小区门口的路灯坏了好几天，晚上很黑",
        answer="路灯已经修好。",
    )

    await sign_in(desktop, platform, "xijie-staff")
    await desktop.goto(platform.url("routing", f"/staff/cases/{case_id}"))
    await expect(desktop.locator("h1 + .case-meta .badge").first).to_have_text("已答复")
    follow_ups = desktop.locator("#follow-ups")
    await follow_ups.locator("summary", has_text="回访").click()
    await follow_ups.get_by_label("居民的评价").select_option("satisfied")
    await follow_ups.get_by_label("回访方式").select_option("phone")
    comment = "老人电话里说已经亮了"
    await follow_ups.get_by_label("居民意见（可不填）").fill(comment)
    await follow_ups.get_by_role("button", name="回访").click()

    await expect(desktop.get_by_role("status")).to_have_text("已完成：回访。")
    call = follow_ups.locator("ol.follow-ups li")
    await expect(call).to_have_count(1)
    await expect(call).to_have_attribute("data-channel", "phone")
    await expect(call).to_contain_text("回访评价（电话回访，xijie-staff 记录）：满意")
    await expect(call.locator(".note")).to_have_text(comment)
    # One follow-up per answer: the form is gone; the resident's own rating stays empty.
    await expect(follow_ups.locator("form")).to_have_count(0)
    await expect(desktop.locator(".facts")).not_to_contain_text("居民评价")
    await capture(desktop, "workbench-follow-up")


TITLE = "关于老城区增设公共停车位的建议"
BODY = "老城区停车位缺口大，建议利用闲置地块建设立体停车场。"
ANSWER = "已列入明年城建计划，新增立体停车位300个。"
COMMENT = "请公布建设时间表"


def routed_cases(platform: Platform, *texts: str) -> list[str]:
    """QR cases for representative 0412, assigned to them: their case ids."""
    return [routed_case(platform, {**QR_CASE, "text": text})["case_id"] for text in texts]


async def test_a_representative_turns_cases_into_a_suggestion_answered_and_evaluated(
    platform: Platform, desktop: Page, browser: Browser
) -> None:
    first, second = await asyncio.to_thread(
        routed_cases, platform, "老城区晚上停车位不够", "西街菜市场附近乱停车严重"
    )

    # From the case page: the form opens with that case linked.
    await sign_in(desktop, platform, "rep-0412")
    await desktop.goto(platform.url("routing", f"/staff/cases/{first}"))
    await desktop.get_by_role("link", name="形成代表建议").click()
    await desktop.wait_for_url(f"**/staff/suggestions/new?case_id={first}")
    cases_box = desktop.get_by_label("关联的意见建议（案件编号，每行一个）")
    await expect(cases_box).to_have_value(first)
    await desktop.get_by_label("标题").fill(TITLE)
    await desktop.get_by_label("建议内容").fill(BODY)
    await cases_box.fill(f"{first}\n{second}")
    await desktop.get_by_label("附议代表（代表编号，以空格分隔）").fill("0413")
    await desktop.get_by_label("承办部门").select_option("housing")
    await capture(desktop, "suggestion-new")

    await desktop.get_by_role("button", name="提交代表建议").click()
    await expect(desktop.get_by_role("status")).to_have_text("代表建议已提交。")
    heading = desktop.get_by_role("heading", level=1)
    await expect(heading).to_have_text(re.compile(rf"^\d{{4}}-001 {TITLE}$"))
    suggestion_url = desktop.url.split("?")[0]
    suggestion_id = suggestion_url.rsplit("/", 1)[1]
    await expect(desktop.locator("#suggestion-status")).to_have_text("待答复")
    facts = desktop.locator("section dl")
    await expect(facts).to_contain_text("张献平（0412）")
    await expect(facts).to_contain_text("市住房和城乡建设局")
    await expect(facts.locator("dd ul li a")).to_have_text([first, second])
    await expect(desktop.locator(".message-body")).to_have_text(BODY)
    # Only the department (or the station) answers; the lead evaluates once it is answered.
    await expect(desktop.locator("#answer-answer")).to_have_count(0)
    await expect(desktop.get_by_role("radio")).to_have_count(0)

    # The department answers on the same page.
    async with person(browser, phone=False) as handler:
        await sign_in(handler, platform, "housing-handler")
        await handler.goto(suggestion_url)
        await handler.locator("#answer-answer").fill(ANSWER)
        await handler.get_by_role("button", name="提交答复").click()
        await expect(handler.get_by_role("status")).to_have_text("答复已记录。")
        await expect(handler.locator("#suggestion-status")).to_have_text("已答复")
        await expect(handler.locator("#answer-answer")).to_have_count(0)  # answered once

    # The representative reads the answer and evaluates it.
    await desktop.goto(suggestion_url)
    await expect(desktop.locator("#suggestion-status")).to_have_text("已答复")
    await expect(desktop.locator("section[aria-labelledby='h-answers'] .note")).to_have_text(ANSWER)
    await desktop.get_by_role("radio", name="基本满意").check()
    await desktop.locator("#evaluation-comment").fill(COMMENT)
    await desktop.get_by_role("button", name="提交评价").click()
    await expect(desktop.get_by_role("status")).to_have_text("评价已记录。")
    await expect(desktop.locator("#suggestion-status")).to_have_text("已评价")
    evaluation = desktop.locator("section[aria-labelledby='h-evaluations'] li")
    await expect(evaluation).to_contain_text("基本满意")
    await expect(evaluation.locator(".note")).to_have_text(COMMENT)
    await expect(desktop.get_by_role("radio")).to_have_count(0)
    await capture(desktop, "suggestion-detail")

    # The list, filtered to evaluated suggestions, shows it.
    await desktop.locator("nav a[href='/staff/suggestions']").click()
    await desktop.wait_for_url("**/staff/suggestions")
    await desktop.get_by_label("状态").select_option("evaluated")
    await desktop.get_by_role("button", name="筛选").click()
    await desktop.wait_for_url("**/staff/suggestions?*status=evaluated*")
    listed = desktop.locator(f"li[data-suggestion='{suggestion_id}']")
    await expect(listed).to_contain_text(TITLE)
    await expect(listed.locator(".badge").first).to_have_text("已评价")
    await expect(listed).to_contain_text("市住房和城乡建设局")
    await capture(desktop, "suggestion-list")


# Their own category: the other stories' parking cases are never offered as alike.
SAME_MATTER = "ev_charging"
A_TEXT = "小区东门电瓶车充电桩太少了，晚上排队充不上电"
B_TEXT = "东门电瓶车充电桩不够用，晚上总是充不上电"


async def test_a_resident_says_me_too_on_the_form_and_staff_merge_the_duplicate(
    platform: Platform, phone: Page, desktop: Page
) -> None:
    a = await asyncio.to_thread(
        routed_case,
        platform,
        {"category": SAME_MATTER, "text": A_TEXT, "representative_code": REP, "may_publish": True},
    )

    # B types the same complaint: the form shows A's case (its resident consented to publish).
    await phone.goto(platform.url("intake", f"/r/{REP}"))
    await phone.get_by_label("电瓶车充电").check()
    await phone.get_by_label("您的意见建议", exact=True).fill(B_TEXT)
    similar = phone.locator("#similar")
    await expect(similar).to_be_visible()
    await expect(similar).to_contain_text("附近已有相似的意见建议")
    offered = similar.locator("li")
    await expect(offered).to_have_count(1)
    await expect(offered).to_contain_text(A_TEXT)
    await expect(offered).to_contain_text("0 人附议")
    await capture(phone, "resident-similar")

    await offered.get_by_role("button", name="我也反映此事（附议）").click()
    await expect(offered.locator(".notice")).to_have_text(
        "已附议，共 1 人反映此事。您也可以继续提交自己的意见建议。"
    )
    await expect(offered.get_by_role("button")).to_have_count(0)
    a_view = await asyncio.to_thread(resident_view, platform, a["tracking_code"])
    assert a_view["supporters"] == 1

    # B submits their own case anyway: no contact given, so no consent asked.
    await phone.get_by_role("button", name="提交").click()
    await phone.wait_for_url("**/t/*?new=1")
    b_code = await phone.get_attribute("#tracking-code", "data-code")
    assert b_code is not None
    await until(lambda: assigned(platform, b_code))

    # Staff find B in the station's queue; A is its candidate duplicate, merged in one click.
    await sign_in(desktop, platform, "xijie-staff")
    await desktop.get_by_label("类别").select_option(SAME_MATTER)
    await desktop.get_by_role("button", name="筛选").click()
    await desktop.locator(".case-card", has_text=B_TEXT).get_by_role("link").click()
    await expect(desktop.locator(".resident-text").first).to_have_text(B_TEXT)
    candidate = desktop.locator(f"#duplicates li[data-case-id='{a['case_id']}']")
    await expect(candidate).to_contain_text(A_TEXT)
    await expect(candidate).to_contain_text("相似度")
    await expect(candidate.get_by_role("link")).to_have_text(a["case_id"][:8])
    await capture(desktop, "workbench-duplicates")

    desktop.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await candidate.get_by_role("button", name="合并到此件").click()
    await expect(desktop.get_by_role("status")).to_have_text("已完成：合并为重复件。")
    await expect(desktop.locator("h1 + .case-meta .badge").first).to_have_text("已合并")
    await expect(desktop.locator("#duplicates")).to_have_count(0)
    await expect(desktop.locator(".audit li").last).to_have_attribute("data-action", "merge")
    await until(lambda: resident_view(platform, b_code)["status"] == "merged")

    # A's page counts the resident who said "me too" (routing hears of it from intake).
    async def counted() -> bool:
        await desktop.goto(platform.url("routing", f"/staff/cases/{a['case_id']}"))
        return await desktop.locator("#supporters").count() == 1

    await until(counted)
    await expect(desktop.locator("#supporters")).to_have_text("1 人附议")
