"""Fixtures shared by the integration and e2e tests: the real broker and store, and a
namespace per test so that tests never see each other's topics, groups or databases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from pymongo import AsyncMongoClient

from shared.mongo import Document
from shared.settings import ServiceSettings
from shared.topics import delete_namespace_topics, ensure_topics
from tests.infra import Infra, test_infra


class PlumbingSettings(ServiceSettings):
    """A service of no particular kind, for testing the shared plumbing."""

    service_name: str = "probe"
    port: int = 1


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with test_infra() as found:
        yield found


def new_namespace() -> str:
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture
def namespace() -> str:
    return new_namespace()


@asynccontextmanager
async def namespace_topics(infra: Infra, namespace: str) -> AsyncIterator[PlumbingSettings]:
    """The namespace's topics, created; afterwards its topics and databases are gone."""
    made = PlumbingSettings(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongo_url=infra.mongo_url,
        namespace=namespace,
        outbox_poll_seconds=0.1,
        consumer_retry_max_seconds=1.0,
    )
    await ensure_topics(made)
    try:
        yield made
    finally:
        # A broker that keeps every test's topics restarts slowly and serves its group
        # coordinators late; each namespace removes what it created, databases too.
        await delete_namespace_topics(made)
        await drop_namespace_databases(made)


@pytest.fixture
async def settings(infra: Infra, namespace: str) -> AsyncIterator[PlumbingSettings]:
    async with namespace_topics(infra, namespace) as made:
        yield made


@pytest.fixture(scope="module")
def shared_namespace() -> str:
    """One namespace for all the tests of a module that share what runs in it."""
    return new_namespace()


@pytest.fixture(scope="module")
async def shared_settings(infra: Infra, shared_namespace: str) -> AsyncIterator[PlumbingSettings]:
    async with namespace_topics(infra, shared_namespace) as made:
        yield made


async def drop_namespace_databases(settings: ServiceSettings) -> None:
    """Every service's database of the namespace (`<namespace>_minyi_<service>`)."""
    if not settings.namespace:
        raise ValueError("refusing to drop the default namespace's databases")
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        settings.mongo_url, serverSelectionTimeoutMS=5000
    )
    try:
        for name in await client.list_database_names():
            if name.startswith(settings.namespace + "_"):
                await client.drop_database(name)
    finally:
        await client.close()


@pytest.fixture
async def mongo(infra: Infra) -> AsyncIterator[AsyncMongoClient[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(infra.mongo_url, tz_aware=True)
    yield client
    await client.close()
