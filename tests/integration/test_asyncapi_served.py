"""Each of the four services serves the same events' contract at `/asyncapi.json`, without a
token, as the document shared.asyncapi generates."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import FastAPI

from services.intake.app import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.reporting.app import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from services.routing.app import create_app as routing_app
from services.routing.settings import RoutingSettings
from shared.asyncapi import asyncapi_document
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving


async def test_every_service_serves_the_asyncapi_document(settings: PlumbingSettings) -> None:
    common: dict[str, Any] = {
        "kafka_bootstrap": settings.kafka_bootstrap,
        "mongo_url": settings.mongo_url,
        "namespace": settings.namespace,
    }
    apps: list[tuple[FastAPI, str]] = [
        (intake_app(IntakeSettings(**common)), "intake"),
        (routing_app(RoutingSettings(**common)), "routing"),
        (notify_app(NotifySettings(**common)), "notify"),
        (reporting_app(ReportingSettings(**common)), "reporting"),
    ]
    async with contextlib.AsyncExitStack() as stack:
        for app, name in apps:
            client = await stack.enter_async_context(serving(app, name, ready=False))
            answer = await client.get("/asyncapi.json")
            assert answer.status_code == 200, (name, answer.status_code)
            assert answer.headers["content-type"] == "application/json"
            document = answer.json()
            assert document == asyncapi_document(version=document["info"]["version"])
            assert document["info"]["version"] == app.version
