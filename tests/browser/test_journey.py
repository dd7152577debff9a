"""One suggestion round the closed loop through the three UIs, as the people in BRIEF.md use them.

A resident scans representative 0412's QR code and submits on a phone with a photo; the
representative signs in on a phone and accepts; station staff at a desk review, answer and
close; the resident reads the answer on the tracking page and rates it; the station head's
dashboard counts the case. Everything runs on the four services as processes, over the real
broker and store; every page is screenshotted and checked with axe-core.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, FilePayload, Page, expect

from services.intake.web.qr import qr_png
from tests.browser.browser import capture, person
from tests.browser.site import running_platform, sign_in, until
from tests.e2e.platform import Platform
from tests.infra import Infra

pytestmark = pytest.mark.e2e

SUGGESTION = "西街白云社区东门晚上乱停车，消防通道经常被堵，建议划定停车位并安装提示牌。"
ANSWER = "经与街道城管和社区协调，东门外将划定30个夜间停车位并设置消防通道警示牌，下月完工。"


@pytest.fixture(scope="module")
async def platform(infra: Infra) -> AsyncIterator[Platform]:
    """One platform for the module: starting four services per test would dominate the time."""
    async with running_platform(infra) as running:
        yield running


@pytest.fixture
async def resident(browser: Browser) -> AsyncIterator[Page]:
    async with person(browser, phone=True) as page:
        yield page


@pytest.fixture
async def representative(browser: Browser) -> AsyncIterator[Page]:
    async with person(browser, phone=True) as page:
        yield page


@pytest.fixture
async def staff(browser: Browser) -> AsyncIterator[Page]:
    async with person(browser, phone=False) as page:
        yield page


async def test_a_suggestion_round_the_closed_loop_through_the_three_pages(
    platform: Platform, resident: Page, representative: Page, staff: Page
) -> None:
    # 1. The resident scans the QR code at the station and submits with a photo.
    await resident.goto(platform.url("intake", "/r/0412"))
    await expect(resident.locator(".addressee")).to_contain_text("张献平")
    await resident.get_by_label("停车位").check()
    await resident.get_by_label("您的意见建议", exact=True).fill(SUGGESTION)
    await resident.locator("#photos").set_input_files(
        FilePayload(
            name="east-gate.png",
            mimeType="image/png",
            buffer=qr_png("https://minyi.example.cn/east-gate", scale=4),
        )
    )
    await resident.locator("#photo-previews img").first.wait_for()
    await resident.get_by_label("手机号码").fill("13800001234")
    await resident.get_by_label(re.compile("我同意联络站")).check()
    await capture(resident, "journey-1-resident-form")
    await resident.get_by_role("button", name="提交").click()
    await resident.wait_for_url(re.compile(r"/t/MY-[0-9A-Z]+\?new=1$"))
    code = await resident.get_attribute("#tracking-code", "data-code")
    assert code is not None
    await capture(resident, "journey-2-resident-confirmation")

    async with httpx.AsyncClient(base_url=platform.url("intake", ""), timeout=10) as intake:

        async def assigned() -> bool:
            view = (await intake.get(f"/v1/cases/{code}")).json()
            return bool(view["status"] == "assigned")

        await until(assigned)

    # 2. The representative opens their queue on a phone and accepts.
    await sign_in(representative, platform, "rep-0412")
    card = representative.locator(".case-card", has_text=SUGGESTION[:12])
    await expect(card).to_have_count(1)
    await capture(representative, "journey-3-representative-queue")
    await card.get_by_role("link").first.click()
    await expect(representative.locator(".resident-text")).to_contain_text(SUGGESTION)
    case_url = representative.url
    await capture(representative, "journey-4-representative-case")
    await representative.locator("#actions").get_by_role("button", name="受理", exact=True).click()
    await expect(representative.get_by_role("status")).to_have_text("已完成：受理。")

    # 3. Station staff at a desk review, answer and close.
    await sign_in(staff, platform, "xijie-staff")
    await staff.goto(case_url)
    actions = staff.locator("#actions")
    await actions.get_by_role("button", name="开始审核").click()
    await expect(staff.get_by_role("status")).to_have_text("已完成：开始审核。")
    await actions.get_by_role("button", name="审核通过").click()
    await expect(staff.get_by_role("status")).to_have_text("已完成：审核通过。")
    await actions.locator("summary", has_text="答复居民").click()
    await staff.get_by_label("答复内容（居民可见）").fill(ANSWER)
    await actions.get_by_role("button", name="答复居民").click()
    await expect(staff.get_by_role("status")).to_have_text("已完成：答复居民。")
    staff.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await actions.get_by_role("button", name="办结").click()
    await expect(staff.get_by_role("status")).to_have_text("已完成：办结。")
    await capture(staff, "journey-5-staff-case-closed")

    # 4. The resident reads the answer on the tracking page and rates it.
    async def answered() -> bool:
        await resident.goto(platform.url("intake", f"/t/{code}"))
        return ANSWER in await resident.locator("main").inner_text()

    await until(answered)
    await expect(resident.locator(".answer")).to_contain_text(ANSWER)
    await capture(resident, "journey-6-resident-answer")
    await resident.get_by_label("满意", exact=True).check()
    await resident.get_by_role("button", name="提交评价").click()
    await expect(resident.locator(".notice")).to_contain_text("感谢您的评价")
    await capture(resident, "journey-7-resident-rated")

    # 5. The station's dashboard counts it: accepted, closed, and rated satisfied.
    row = "#stations-table tr[data-station='xijie']"

    async def counted() -> bool:
        await staff.goto(platform.url("reporting", "/dashboard?station=xijie"))
        satisfaction = staff.locator(f"{row} td[data-figure='satisfaction']")
        return (
            await staff.locator(f"{row} td[data-figure='accepted']").inner_text() == "1"
            and await staff.locator(f"{row} td[data-figure='closed']").inner_text() == "1"
            and (await satisfaction.inner_text()).startswith("100.0%")
        )

    await until(counted)
    await expect(staff.locator("#kpi-closed .value")).to_have_text("1")
    await capture(staff, "journey-8-dashboard")
