"""Browser fixtures: one headless Chromium per session, a phone or desktop context per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.browser.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run deploy/local/install.sh (installs Debian's chromium)"
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


async def _context(browser: Browser, *, phone: bool) -> BrowserContext:
    context = await browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    """A 360 px wide phone, as a resident holds it at the station."""
    context = await _context(browser, phone=True)
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest.fixture
async def desktop(browser: Browser) -> AsyncIterator[Page]:
    context = await _context(browser, phone=False)
    try:
        yield await context.new_page()
    finally:
        await context.close()
