"""The staff workbench in a real browser, on the four services as processes.

A representative on a phone accepts a case from their queue; station staff at a desk review,
answer and close it; the audit timeline shows each step. Around that: sign-in errors, the
redirect to sign in, CSRF refusal, field errors, the inbox, and the directory admin pages.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.browser import capture
from tests.browser.site import running_platform, sign_in, until
from tests.e2e.platform import ADMIN, DEMO_PASSWORD, Platform
from tests.infra import Infra
from tests.integration.test_intake_attachments import photo, tiny_png

CASE = {
    "category": "parking",
    "text": "小区里要增加一些停车位，晚上车停不下",
    "channel": "qr",
    "representative_code": "0412",
}


@pytest.fixture(scope="module")
async def platform(infra: Infra) -> AsyncIterator[Platform]:
    """One platform for the module: starting four services per test would dominate the time."""
    async with running_platform(infra) as running:
        yield running


async def submit_case(platform: Platform, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=platform.url("intake", ""), timeout=10) as client:
        response = await client.post("/v1/cases", json=body)
        assert response.status_code == 202, response.text
        receipt: dict[str, Any] = response.json()

        async def assigned() -> bool:
            view = (await client.get(f"/v1/cases/{receipt['tracking_code']}")).json()
            return bool(view["status"] == "assigned")

        await until(assigned)
    return receipt


def routing(platform: Platform) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=platform.url("routing", ""), timeout=10)


@asynccontextmanager
async def session_client(platform: Platform, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """A non-browser client holding a workbench session, for the refusals."""
    async with routing(platform) as client:
        signed = await client.post(
            "/staff/sign-in", data={"username": username, "password": DEMO_PASSWORD}
        )
        assert signed.status_code == 303, signed.text
        assert "minyi_session" in client.cookies
        yield client


async def test_a_representative_accepts_on_a_phone_and_staff_answer_and_close(
    platform: Platform, phone: Page, desktop: Page
) -> None:
    receipt = await submit_case(platform, {**CASE, "attachments": [photo(tiny_png())]})
    case_id = receipt["case_id"]

    await sign_in(phone, platform, "rep-0412")
    card = phone.locator(".case-card", has=phone.get_by_role("link", name=f"案件 {case_id}"))
    await expect(card).to_contain_text("待受理")
    await expect(card).to_contain_text("停车位")
    await expect(card).to_contain_text("受理期限")
    await capture(phone, "workbench-queue")

    await card.get_by_role("link", name=f"案件 {case_id}").click()
    await expect(phone.get_by_role("heading", level=1)).to_have_text(f"案件 {case_id}")
    await expect(phone.locator(".resident-text")).to_have_text(CASE["text"])
    await expect(phone.locator(".reason")).to_have_text("qr: representative 0412")
    # The photo comes from intake, with the session cookie, through the page's CSP.
    photo_image = phone.get_by_role("img", name="照片 1")
    await expect(photo_image).to_be_visible()
    loaded_width = await photo_image.evaluate(
        """img => img.complete ? img.naturalWidth : new Promise(done => {
            img.addEventListener("load", () => done(img.naturalWidth));
            img.addEventListener("error", () => done(0));
        })"""
    )
    assert loaded_width == 1
    # The page loads the thumbnail and links to the full photo.
    assert (await photo_image.get_attribute("src") or "").endswith("/attachments/1?size=thumb")
    photo_link = phone.get_by_role("link", name="照片 1")
    assert (await photo_link.get_attribute("href") or "").endswith("/attachments/1")
    actions = phone.locator("#actions")
    await expect(actions.get_by_role("button", name="受理", exact=True)).to_be_visible()
    await expect(actions.locator("summary")).to_have_text(["退回重新分派"])
    # Only what the representative may do now: nothing of the station's.
    for not_allowed in ("办结", "审核通过", "答复居民"):
        await expect(actions.get_by_text(not_allowed, exact=True)).to_have_count(0)
    await capture(phone, "workbench-case")

    await actions.get_by_role("button", name="受理", exact=True).click()
    await expect(phone.get_by_role("status")).to_have_text("已完成：受理。")
    await expect(phone.locator("h1 + .case-meta .badge").first).to_have_text("已受理")
    await expect(phone.locator("#actions")).to_contain_text("您现在不能对此案件执行操作。")

    await sign_in(desktop, platform, "xijie-staff")
    await desktop.goto(platform.url("routing", f"/staff/cases/{case_id}"))
    staff_actions = desktop.locator("#actions")
    await staff_actions.get_by_role("button", name="开始审核").click()
    await expect(desktop.get_by_role("status")).to_have_text("已完成：开始审核。")
    await staff_actions.get_by_role("button", name="审核通过").click()
    await expect(desktop.get_by_role("status")).to_have_text("已完成：审核通过。")
    await expect(staff_actions.get_by_role("button", name="办结")).to_have_count(0)

    # An empty answer: the form comes back with the message on the field.
    await staff_actions.locator("summary", has_text="答复居民").click()
    answer_box = desktop.get_by_label("答复内容（居民可见）")
    await staff_actions.get_by_role("button", name="答复居民").click()
    await expect(answer_box).to_have_attribute("aria-invalid", "true")
    await expect(desktop.locator("#respond-response-error")).to_have_text("此项必填。")
    await capture(desktop, "workbench-case-errors")

    answer = "经协调，小区东侧将增设20个停车位，预计下月完工。"
    await desktop.get_by_label("答复内容（居民可见）").fill(answer)
    await staff_actions.get_by_role("button", name="答复居民").click()
    await expect(desktop.get_by_role("status")).to_have_text("已完成：答复居民。")

    desktop.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await staff_actions.get_by_role("button", name="办结").click()
    await expect(desktop.get_by_role("status")).to_have_text("已完成：办结。")
    await expect(desktop.locator("h1 + .case-meta .badge").first).to_have_text("已办结")
    steps = await desktop.locator(".audit li").evaluate_all(
        "items => items.map(item => item.dataset.action)"
    )
    assert steps == ["assign", "accept", "begin_review", "approve", "respond", "close"]
    await expect(desktop.locator(".audit")).to_contain_text(answer)
    await capture(desktop, "workbench-case-closed")


async def test_the_station_queue_filters_by_status_and_category(
    platform: Platform, desktop: Page
) -> None:
    drainage = await submit_case(
        platform, {"category": "drainage", "text": "河星村雨天积水严重", "channel": "web"}
    )
    await sign_in(desktop, platform, "xijie-staff")
    await desktop.get_by_label("类别").select_option("drainage")
    await desktop.get_by_role("button", name="筛选").click()
    await expect(desktop.get_by_role("link", name=f"案件 {drainage['case_id']}")).to_be_visible()
    await expect(desktop.locator(".case-card .category")).to_have_text(
        ["排水防涝"] * await desktop.locator(".case-card").count()
    )
    await desktop.get_by_label("状态").select_option("closed")
    await desktop.get_by_role("button", name="筛选").click()
    await expect(desktop.get_by_role("link", name=f"案件 {drainage['case_id']}")).to_have_count(0)
    await capture(desktop, "workbench-queue-filtered")


async def test_wrong_password_gets_one_message_for_any_username(
    platform: Platform, phone: Page
) -> None:
    for username in ("rep-0412", "nobody-here"):
        await phone.goto(platform.url("routing", "/staff/sign-in"))
        await phone.get_by_label("用户名", exact=True).fill(username)
        await phone.get_by_label("密码", exact=True).fill("not-the-password")
        async with phone.expect_response("**/staff/sign-in") as answered:
            await phone.get_by_role("button", name="登录").click()
        assert (await answered.value).status == 401
        await expect(phone.get_by_role("alert")).to_have_text("用户名或密码错误。")
        await expect(phone.get_by_label("用户名", exact=True)).to_have_value(username)
    await capture(phone, "workbench-sign-in-error")

    async with routing(platform) as client:
        empty = await client.post("/staff/sign-in", data={"username": ""})
    assert empty.status_code == 422
    assert 'id="username-error"' in empty.text and 'aria-invalid="true"' in empty.text


async def test_without_a_session_every_page_sends_to_sign_in_and_back(
    platform: Platform, phone: Page
) -> None:
    async with routing(platform) as client:
        for path in ("/staff", "/staff/cases/whatever", "/staff/inbox", "/staff/admin"):
            response = await client.get(path)
            assert response.status_code == 303
            assert response.headers["location"] == f"/staff/sign-in?next={quote(path, safe='')}"
        posted = await client.post("/staff/cases/x/actions/accept")
        assert posted.status_code == 303
        # Only workbench paths are followed after signing in: no open redirect.
        offsite = await client.post(
            "/staff/sign-in",
            data={
                "username": "rep-0413",
                "password": DEMO_PASSWORD,
                "next": "https://evil.example/",
            },
        )
        assert offsite.headers["location"] == "/staff"

    await phone.goto(platform.url("routing", "/staff/inbox"))
    await expect(phone.get_by_role("heading", level=1)).to_have_text("工作人员登录")
    await capture(phone, "workbench-sign-in")
    await phone.get_by_label("用户名", exact=True).fill("rep-0413")
    await phone.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    await phone.get_by_role("button", name="登录").click()
    await phone.wait_for_url("**/staff/inbox")


async def test_actions_need_the_csrf_token_and_unknown_cases_are_a_friendly_404(
    platform: Platform,
) -> None:
    receipt = await submit_case(platform, CASE)
    async with session_client(platform, "rep-0412") as client:
        refused = await client.post(f"/staff/cases/{receipt['case_id']}/actions/accept", data={})
        assert refused.status_code == 403
        assert "页面已过期" in refused.text
        missing = await client.get("/staff/cases/no-such-case")
        assert missing.status_code == 404
        assert "找不到该页面" in missing.text
        # Not the representative's role: refused, not performed.
        page = await client.get(f"/staff/cases/{receipt['case_id']}")
        token = page.text.split('name="csrf" value="')[1].split('"')[0]
        closing = await client.post(
            f"/staff/cases/{receipt['case_id']}/actions/close", data={"csrf": token}
        )
        assert closing.status_code == 403
        assert "待受理" in (await client.get(f"/staff/cases/{receipt['case_id']}")).text
    async with session_client(platform, "jianchi-staff") as other_station:
        elsewhere = await other_station.get(f"/staff/cases/{receipt['case_id']}")
        assert elsewhere.status_code == 404


async def test_the_inbox_lists_messages_and_marks_them_read(
    platform: Platform, phone: Page
) -> None:
    receipt = await submit_case(platform, {**CASE, "representative_code": "0413"})
    await sign_in(phone, platform, "rep-0413")

    async def listed() -> bool:
        await phone.goto(platform.url("routing", "/staff/inbox"))
        return await phone.locator(".inbox li").count() > 0

    await until(listed)
    item = phone.locator(
        ".inbox li", has=phone.locator(f'a[href="/staff/cases/{receipt["case_id"]}"]')
    )
    await expect(item).to_contain_text("未读")
    await expect(phone.locator("#nav-inbox")).to_contain_text("条未读")
    await capture(phone, "workbench-inbox")
    await item.get_by_role("button", name="标为已读").click()
    await expect(phone.get_by_role("status")).to_have_text("已标为已读。")
    await expect(phone.locator(".inbox .is-unread")).to_have_count(0)
    await expect(phone.locator("#nav-inbox")).not_to_contain_text("条未读")


async def test_admins_edit_the_directory_and_others_are_refused(
    platform: Platform, desktop: Page
) -> None:
    async with session_client(platform, "xijie-staff") as staff:
        refused = await staff.get("/staff/admin")
        assert refused.status_code == 403
        assert "无权访问" in refused.text

    await sign_in(desktop, platform, "admin")
    await desktop.get_by_role("link", name="目录管理").click()
    await expect(desktop.get_by_role("heading", level=1)).to_have_text("目录管理")
    await expect(desktop.locator("table").first).to_contain_text("张献平")
    await capture(desktop, "workbench-admin")

    await desktop.get_by_role("link", name="新增类别").click()
    await desktop.get_by_label("编号").fill("Street Lights")
    await desktop.get_by_label("中文名称").fill("路灯")
    await desktop.get_by_role("button", name="保存").click()
    await expect(desktop.get_by_label("编号")).to_have_attribute("aria-invalid", "true")
    await expect(desktop.locator("#name_en-error")).to_have_text("此项必填。")
    await capture(desktop, "workbench-admin-category-errors")
    await desktop.get_by_label("编号").fill("street_lights")
    await desktop.get_by_label("英文名称").fill("Street lights")
    await desktop.get_by_role("button", name="保存").click()
    await expect(desktop.get_by_role("status")).to_have_text("已保存：street_lights。")

    await desktop.get_by_role("link", name="编辑 林莹").click()
    await desktop.get_by_label("上城·邻里微中心").check()
    await capture(desktop, "workbench-admin-representative")
    await desktop.get_by_role("button", name="保存").click()
    await expect(desktop.get_by_role("status")).to_have_text("已保存：0413。")
    async with routing(platform) as client:
        directory = (await client.get("/v1/directory")).json()
    assert {"code": "street_lights", "name": "路灯"}.items() <= next(
        c for c in directory["categories"] if c["code"] == "street_lights"
    ).items()
    rep = next(r for r in directory["representatives"] if r["code"] == "0413")
    assert set(rep["points"]) == {"baiyun", "shangcheng"}


async def test_staff_reassign_by_typing_a_name_and_find_the_case_by_its_new_holder(
    platform: Platform, desktop: Page
) -> None:
    text = "楼道里电瓶车充电线乱拉，存在安全隐患"
    receipt = await submit_case(platform, {**CASE, "text": text, "representative_code": "0413"})
    case_id = receipt["case_id"]
    await sign_in(desktop, platform, "xijie-staff")
    await desktop.goto(platform.url("routing", f"/staff/cases/{case_id}"))
    actions = desktop.locator("#actions")
    await actions.locator("summary", has_text="改派").click()
    # The picker suggests the station's other representatives by name, code and point.
    suggested = await desktop.locator("#reassign-station-reps option").evaluate_all(
        "options => options.map(option => option.value)"
    )
    assert "0414" in suggested and "0413" not in suggested
    await desktop.get_by_label("改派给").fill("刘志明")
    await desktop.locator("#reassign-reason").fill("刘代表熟悉这个小区的情况")
    await capture(desktop, "workbench-case-reassign")
    await actions.get_by_role("button", name="改派").click()
    await expect(desktop.get_by_role("status")).to_have_text("已完成：改派。")
    async with routing(platform) as client:
        case = await client.get(f"/v1/staff/cases/{case_id}", headers=ADMIN)
    assert case.json()["representative_code"] == "0414"

    # The queue finds the case by its new holder's name, no longer by its old one's.
    await desktop.goto(platform.url("routing", "/staff?representative=刘志明"))
    card = desktop.locator(".case-card", has=desktop.get_by_role("link", name=f"案件 {case_id}"))
    await expect(card).to_have_count(1)
    await expect(desktop.get_by_label("代表（姓名或编号）")).to_have_value("刘志明")
    await capture(desktop, "workbench-queue-by-representative")
    await desktop.goto(platform.url("routing", "/staff?representative=林莹"))
    await expect(card).to_have_count(0)


async def test_an_unreachable_notify_is_a_message_not_an_error(
    platform: Platform, phone: Page
) -> None:
    # Last in the module: it stops notify for good.
    await asyncio.to_thread(platform.stop, "notify")
    await sign_in(phone, platform, "rep-0412")
    await expect(phone.locator("#nav-inbox")).to_have_text("收件箱")
    response = await phone.goto(platform.url("routing", "/staff/inbox"))
    assert response is not None and response.status == 503
    await expect(phone.get_by_role("alert")).to_contain_text("消息服务暂时无法连接")
    await capture(phone, "workbench-inbox-unavailable")
