"""intake's copy of the directory on the real store: a run of entry states in one go keeps the
newest state of each entry, whatever the order or repetition."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from services.intake.adapters.directory_copy import Change, DirectoryCopy
from services.intake.settings import IntakeSettings
from shared.mongo import Document
from tests.conftest import PlumbingSettings

AT = datetime(2025, 5, 1, tzinfo=UTC)


@pytest.fixture
async def directory(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> AsyncIterator[DirectoryCopy]:
    copy = DirectoryCopy(mongo[IntakeSettings(namespace=settings.namespace).database_name])
    await copy.ensure_indexes()
    yield copy


def point(name: str) -> Document:
    return {"id": "p1", "name": name, "station": "xijie"}


async def test_a_run_keeps_each_entrys_newest_state(directory: DirectoryCopy) -> None:
    stations: list[Change] = [
        ("station", f"s{i}", {"id": f"s{i}", "name": f"站 {i}"}, AT) for i in range(300)
    ]
    changed = await directory.apply_many(
        [
            *stations,
            ("liaison_point", "p1", point("新"), AT + timedelta(minutes=2)),
            ("liaison_point", "p1", point("旧"), AT),  # older, later in the run
        ]
    )
    assert changed == 301
    assert len(await directory.entries("station")) == 300
    assert (await directory.entry("liaison_point", "p1")) == point("新")

    # Again, plus an older state and a newer one: only the newer one changes anything.
    changed = await directory.apply_many(
        [
            *stations,
            ("liaison_point", "p1", point("更旧"), AT - timedelta(days=1)),
            ("station", "s7", {"id": "s7", "name": "改名"}, AT + timedelta(hours=1)),
        ]
    )
    assert changed == 1
    assert (await directory.entry("station", "s7")) == {"id": "s7", "name": "改名"}
    assert (await directory.entry("liaison_point", "p1")) == point("新")
