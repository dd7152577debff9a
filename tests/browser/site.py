"""The platform the browser tests drive, and the waits and sign-in they share."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar, overload

import httpx
from playwright.async_api import Page

from shared.topics import delete_namespace_topics, ensure_topics
from tests.conftest import PlumbingSettings, drop_namespace_databases
from tests.e2e.platform import DEMO_PASSWORD, SERVICES, Platform
from tests.infra import Infra

T = TypeVar("T")


@asynccontextmanager
async def running_platform(
    infra: Infra, services: Sequence[str] = SERVICES
) -> AsyncIterator[Platform]:
    """Services as processes in a namespace of their own, with the demo directory; one per
    test module, because starting them dominates a browser test's time."""
    settings = PlumbingSettings(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongo_url=infra.mongo_url,
        namespace="t" + uuid.uuid4().hex[:12],
    )
    await ensure_topics(settings)
    running = Platform(infra=infra, namespace=settings.namespace)
    try:
        await asyncio.to_thread(running.start_all, services)
        yield running
    finally:
        await asyncio.to_thread(running.stop_all)
        await delete_namespace_topics(settings)
        await drop_namespace_databases(settings)


@overload
async def until(check: Callable[[], Awaitable[T | None]], *, timeout_s: float = ...) -> T: ...
@overload
async def until(check: Callable[[], T | None], *, timeout_s: float = ...) -> T: ...
async def until(check: Callable[[], Any], *, timeout_s: float = 20.0) -> Any:
    """Poll `check` (plain or async) until it gives a truthy value; fail with its last error."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if inspect.isawaitable(value):
                value = await value
        except (AssertionError, httpx.HTTPError, KeyError) as exc:
            last, value = exc, None
        if value:
            return value
        last = last if value is None else value
        await asyncio.sleep(0.2)
    raise AssertionError(f"not reached within {timeout_s}s; last: {last!r}")


async def sign_in(page: Page, platform: Platform, username: str) -> None:
    """Through the workbench's sign-in form, as a person would."""
    await page.goto(platform.url("routing", "/staff/sign-in"))
    await page.get_by_label("用户名", exact=True).fill(username)
    await page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url("**/staff")
