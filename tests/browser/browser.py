"""Driving Debian's headless Chromium with Playwright: accessibility checks and screenshots.

No browser is ever downloaded: Playwright launches /usr/bin/chromium (install.sh installs it).
The accessibility check runs axe-core inside the page; the script ships in the
axe-playwright-python wheel, read from disk, so nothing is fetched at test time.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, ViewportSize

from tests.infra import ROOT

ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path(os.environ.get("MINYI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",  # root in CI containers has no user namespaces
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
]
PHONE = ViewportSize(width=360, height=740)
DESKTOP = ViewportSize(width=1280, height=900)
SERIOUS = frozenset({"serious", "critical"})

_AXE_SOURCE = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


@asynccontextmanager
async def person(browser: Browser, *, phone: bool) -> AsyncIterator[Page]:
    """A page in a browser context of its own (own cookies, own screen): a 360 px phone in
    Chinese, or a desk's screen."""
    context = await browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    try:
        yield await context.new_page()
    finally:
        await context.close()


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")


async def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG under test-artifacts/browser/, kept for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{_safe(name)}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def accessibility_violations(page: Page, name: str) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.x A/AA violations of the page as it is now; the report is saved."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated over DevTools, so the page's own CSP (no inline script) stays on.
        await page.evaluate(_AXE_SOURCE)
    result: dict[str, Any] = await page.evaluate(
        """async () => await window.axe.run(document, {
            runOnly: {
                type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
            },
            resultTypes: ['violations'],
        })"""
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{_safe(name)}.axe.json").write_text(
        json.dumps(result["violations"], ensure_ascii=False, indent=2), encoding="utf-8"
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


async def assert_accessible(page: Page, name: str) -> None:
    """No serious or critical axe-core violation; the rest are saved for review."""
    serious = [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in await accessibility_violations(page, name)
        if violation.get("impact") in SERIOUS
    ]
    assert not serious, (
        f"{name}: accessibility violations {json.dumps(serious, ensure_ascii=False)}"
    )


async def assert_fits_width(page: Page, name: str) -> None:
    """Nothing makes the page scroll sideways: on a 360 px phone, that is the first thing
    people give up on."""
    viewport = page.viewport_size
    assert viewport is not None
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{name}: {width} px wide on a {viewport['width']} px screen"


async def capture(page: Page, name: str) -> None:
    """What every page visit in the browser tests does: a screenshot, then the axe check and
    the width check."""
    await screenshot(page, name)
    await assert_accessible(page, name)
    await assert_fits_width(page, name)
