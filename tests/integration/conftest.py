"""Fixtures the integration tests of one service share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pymongo import AsyncMongoClient

from services.reporting.adapters.read_models import ReadModels
from services.reporting.app import create_app
from services.reporting.settings import ReportingSettings
from shared.mongo import Document, service_database
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.tokens import bearer, publish_test_accounts


@pytest.fixture
def reporting_settings(settings: PlumbingSettings) -> ReportingSettings:
    """reporting's settings on the test's broker, store and namespace."""
    return ReportingSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
    )


@pytest.fixture
async def reporting(
    settings: PlumbingSettings,
    reporting_settings: ReportingSettings,
    mongo: AsyncMongoClient[Document],
) -> AsyncIterator[tuple[httpx.AsyncClient, ReadModels]]:
    """reporting's app in-process (its consumers running on the real broker and store), ready,
    with a client signed in as a supervisor and its read models."""
    await publish_test_accounts(settings)  # known to reporting by the time it is ready
    app = create_app(reporting_settings)
    read_models = ReadModels(
        service_database(mongo, reporting_settings), zone=reporting_settings.zone
    )
    async with serving(app, "reporting") as client:
        client.headers.update(bearer("supervisor"))  # the figures are city-wide for supervisors
        yield client, read_models
