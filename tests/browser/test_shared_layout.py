"""The shared layout in a real browser: language switch, security headers, accessibility."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from playwright.async_api import Page

from shared.web.i18n import Catalog
from shared.web.pages import CONTENT_SECURITY_POLICY, Pages, mount_static
from tests.browser.browser import capture
from tests.infra import free_port

PAGE = """{% extends "layout.html" %}
{% block title %}{{ t('hello') }}{% endblock %}
{% block main %}<h1>{{ t('hello') }}</h1><p class="card">{{ name }}</p>{% endblock %}
"""


@pytest.fixture
async def layout_site(tmp_path: Path) -> AsyncIterator[str]:
    (tmp_path / "hello.html").write_text(PAGE, encoding="utf-8")
    pages = Pages(templates=tmp_path, catalog=Catalog({"hello": {"zh": "你好", "en": "Hello"}}))
    app = FastAPI()
    mount_static(app, service="probe")

    @app.get("/hello", response_class=HTMLResponse)
    async def hello(request: Request) -> HTMLResponse:
        return pages.render(request, "hello.html", {"name": "<script>alert(1)</script>"})

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def test_layout_defaults_to_chinese_and_remembers_english(
    layout_site: str, phone: Page
) -> None:
    response = await phone.goto(f"{layout_site}/hello")
    assert response is not None and response.ok
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["cache-control"] == "no-store"
    assert await phone.get_attribute("html", "lang") == "zh-CN"
    assert await phone.inner_text("h1") == "你好"
    # Escaped, not run.
    assert await phone.inner_text("main .card") == "<script>alert(1)</script>"
    await capture(phone, "shared-layout-zh")

    await phone.get_by_role("link", name="Switch to English").click()
    await phone.wait_for_load_state()
    assert await phone.inner_text("h1") == "Hello"
    await phone.goto(f"{layout_site}/hello")
    assert await phone.get_attribute("html", "lang") == "en"
    await capture(phone, "shared-layout-en")


async def test_stylesheet_is_served_locally(layout_site: str, phone: Page) -> None:
    response = await phone.request.get(f"{layout_site}/static/minyi/minyi.css")
    assert response.ok
    assert "--brand" in await response.text()
