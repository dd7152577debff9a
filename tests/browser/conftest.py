"""Browser fixtures: one headless Chromium per session, a phone or desktop context per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.browser.browser import CHROMIUM, CHROMIUM_ARGS, person


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


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    """A 360 px wide phone, as a resident holds it at the station."""
    async with person(browser, phone=True) as page:
        yield page


@pytest.fixture
async def desktop(browser: Browser) -> AsyncIterator[Page]:
    async with person(browser, phone=False) as page:
        yield page
