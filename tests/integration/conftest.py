"""Fixtures the integration tests of one service share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from pymongo import AsyncMongoClient

from services.reporting.adapters.read_models import ReadModels
from services.reporting.app import create_app
from services.reporting.settings import ReportingSettings
from shared.mongo import Document, service_database
from tests.conftest import PlumbingSettings


@pytest.fixture
async def reporting(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> AsyncIterator[tuple[httpx.AsyncClient, ReadModels]]:
    """reporting's app in-process (its consumers running on the real broker and store), ready,
    with a client and its read models."""
    reporting_settings = ReportingSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
    )
    app = create_app(reporting_settings)
    read_models = ReadModels(service_database(mongo, reporting_settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as client:
            for _ in range(200):
                if (await client.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.05)
            yield client, read_models
