"""`shared.mongo.newest`: a page of the newest documents, reading back only as far as it must."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from shared.mongo import Document, matches_simple, newest
from tests.conftest import PlumbingSettings

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def walk(
    collection: AsyncCollection[Document], *, scope: Document, field: str, limit: int
) -> list[str]:
    """Every page, each asked for with the cursor of the one before, as a client pages: the
    ids in the order served."""
    walked: list[str] = []
    cursor: tuple[datetime, str] | None = None
    for _ in range(100):
        found = await newest(
            collection, scope=scope, field=field, limit=limit, now=NOW, before=cursor
        )
        assert len(found) <= limit
        walked.extend(str(d["_id"]) for d in found)
        if len(found) < limit:
            return walked
        cursor = (found[-1][field].replace(tzinfo=UTC), str(found[-1]["_id"]))
    raise AssertionError("the pages never ended")


async def test_a_page_is_the_newest_of_its_scope_whether_recent_or_years_old(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    collection = mongo[settings.database_name]["cases"]
    await collection.create_index([("station_id", 1), ("updated_at", -1)])
    ages = [1, 2, 3, 40, 400, 2000]  # days: the week holds three, the rest are older
    await collection.insert_many(
        [
            {
                "_id": f"{station}-{age}",
                "station_id": station,
                "updated_at": NOW - timedelta(days=age),
            }
            for station in ("xijie", "jianchi")
            for age in ages
        ]
    )

    async def page(limit: int, **keep: object) -> list[str]:
        found = await newest(
            collection,
            scope={"station_id": "xijie"},
            field="updated_at",
            limit=limit,
            now=NOW,
            keep=lambda d: matches_simple(d, keep),
        )
        return [str(d["_id"]) for d in found]

    assert await page(2) == ["xijie-1", "xijie-2"]
    assert await page(5) == ["xijie-1", "xijie-2", "xijie-3", "xijie-40", "xijie-400"]
    assert await page(50) == [f"xijie-{a}" for a in ages]  # widened to everything
    assert await page(50, _id={"$in": ["xijie-2000", "jianchi-1"]}) == ["xijie-2000"]


async def test_pages_walked_by_cursor_cross_every_window_once_in_order(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    collection = mongo[settings.database_name]["cases"]
    await collection.create_index([("station_id", 1), ("updated_at", -1)])
    # Ages at and around the windows' edges (an hour, a day, a week), two with one time.
    ages = [
        timedelta(minutes=5),
        timedelta(minutes=5),
        timedelta(hours=1),
        timedelta(hours=1, seconds=1),
        timedelta(hours=23),
        timedelta(days=1),
        timedelta(days=6),
        timedelta(days=7),
        timedelta(days=90),
        timedelta(days=1500),
    ]
    stored = [
        {"_id": f"c{i:02d}", "station_id": "xijie", "updated_at": NOW - age}
        for i, age in enumerate(ages)
    ]
    await collection.insert_many(stored)
    expected = [
        str(d["_id"])
        for d in sorted(stored, key=lambda d: (d["updated_at"], d["_id"]), reverse=True)
    ]

    walked = await walk(collection, scope={"station_id": "xijie"}, field="updated_at", limit=3)
    assert walked == expected


async def test_a_page_cut_among_equal_times_neither_skips_nor_repeats_one(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    collection = mongo[settings.database_name]["messages"]
    await collection.create_index([("recipient", 1), ("created_at", -1)])
    same = NOW - timedelta(minutes=2)
    # Inserted out of id order, so the store's order among equal times is not the ids'.
    ids = ["m3", "m1", "m5", "m2", "m4"]
    stored = [{"_id": i, "recipient": "xijie", "created_at": same} for i in ids]
    stored.append({"_id": "m0", "recipient": "xijie", "created_at": NOW - timedelta(minutes=1)})
    await collection.insert_many(stored)

    walked = await walk(collection, scope={"recipient": "xijie"}, field="created_at", limit=2)
    assert walked == ["m0", "m5", "m4", "m3", "m2", "m1"]


def test_simple_conditions_are_equalities_and_in_only() -> None:
    case = {"status": "closed", "category": "parking"}

    assert matches_simple(case, {"status": "closed"})
    assert matches_simple(case, {"status": {"$in": ["closed", "rejected"]}, "category": "parking"})
    assert not matches_simple(case, {"status": {"$in": ["assigned"]}})
    with pytest.raises(ValueError, match="only equality"):
        matches_simple(case, {"status": {"$ne": "closed"}})
