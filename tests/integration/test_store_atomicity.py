"""The guarantees the design leans on, proven on the store the suite runs against.

Optimistic version checks and outbox leases need a conditional single-document update to let
exactly one of many concurrent writers win (FerretDB 1.24 failed this: docs/operations.md).
"""

from __future__ import annotations

import asyncio

from pymongo import AsyncMongoClient

from shared.mongo import Document
from tests.infra import Infra


async def test_exactly_one_of_concurrent_conditional_updates_wins(
    infra: Infra, mongo: AsyncMongoClient[Document], namespace: str
) -> None:
    writers: list[AsyncMongoClient[Document]] = [
        AsyncMongoClient(infra.mongo_url, maxPoolSize=10) for _ in range(4)
    ]
    collection = mongo[f"{namespace}_atomicity"]["docs"]
    await collection.insert_many([{"_id": i, "version": 1, "wins": 0} for i in range(100)])

    async def bump(client: AsyncMongoClient[Document], doc_id: int) -> int:
        result = await client[f"{namespace}_atomicity"]["docs"].update_one(
            {"_id": doc_id, "version": 1}, {"$set": {"version": 2}, "$inc": {"wins": 1}}
        )
        return result.modified_count

    try:
        wins = await asyncio.wait_for(
            asyncio.gather(*(bump(w, i) for i in range(100) for w in writers)), 60
        )
    finally:
        for writer in writers:
            await writer.close()
    assert sum(wins) == 100
    assert await collection.count_documents({"wins": {"$ne": 1}}) == 0
