"""The one way services open the document store: PyMongo's native async client.

The code avoids what FerretDB lacks (multi-document transactions, change streams, positional
updates, `$lookup`/`$facet`): each state change and its events are one single-document write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.settings import ServiceSettings

Document = dict[str, Any]

DUPLICATE_KEY = 11000


def create_client(settings: ServiceSettings) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        settings.mongo_url,
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        connectTimeoutMS=3000,
        appname=f"minyi-{settings.service_name}",
    )


def service_database(
    client: AsyncMongoClient[Document], settings: ServiceSettings
) -> AsyncDatabase[Document]:
    return client[settings.database_name]


async def ping(client: AsyncMongoClient[Document]) -> None:
    await client.admin.command("ping")


def is_duplicate_key(exc: Exception) -> bool:
    return isinstance(exc, DuplicateKeyError) or (
        isinstance(exc, BulkWriteError)
        and all(err.get("code") == DUPLICATE_KEY for err in exc.details.get("writeErrors", []))
        and not exc.details.get("writeConcernErrors")
    )


async def insert_new(
    collection: AsyncCollection[Document], documents: Sequence[Document]
) -> set[Any]:
    """Insert in one unordered write; returns the `_id`s stored now. A document whose `_id`
    is there already (an idempotent redelivery) is left as it was."""
    if not documents:
        return set()
    try:
        await collection.insert_many(list(documents), ordered=False)
    except BulkWriteError as exc:
        if not is_duplicate_key(exc):
            raise
        lost = {int(e["index"]) for e in exc.details.get("writeErrors", [])}
        return {d["_id"] for i, d in enumerate(documents) if i not in lost}
    return {d["_id"] for d in documents}
