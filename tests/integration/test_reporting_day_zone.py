"""Reporting records the time zone its daily buckets are counted in, and names a mismatch: the
buckets of versions that counted UTC days, or a changed MINYI_TIMEZONE, until a rebuild."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import structlog
from pymongo import AsyncMongoClient
from structlog.testing import capture_logs

from services.reporting.adapters import read_models as read_models_module
from services.reporting.adapters.read_models import ReadModels
from services.reporting.settings import ReportingSettings
from shared.mongo import Document, service_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
MISMATCH = "reporting.days_counted_in_another_zone"


@contextmanager
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MutableMapping[str, Any]]]:
    """What read_models logs meanwhile. A logger of its own each time: a logger is bound to
    the capture it was first used in (and the module's to whatever used it first)."""
    with capture_logs() as logs:
        fresh = structlog.get_logger(read_models_module.__name__)
        monkeypatch.setattr(read_models_module, "log", fresh)
        yield logs


def mismatches(logs: Iterable[MutableMapping[str, Any]]) -> list[tuple[str, str, str]]:
    return [(e["counted_in"], e["zone"], e["fix"]) for e in logs if e["event"] == MISMATCH]


async def test_buckets_of_utc_days_are_named_until_a_rebuild_counts_in_the_citys(
    reporting_settings: ReportingSettings,
    mongo: AsyncMongoClient[Document],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = service_database(mongo, reporting_settings)
    # A store of a version that counted UTC days: buckets, and no record of their zone.
    await db["station_days"].insert_one(
        {"_id": "xijie|2026-03-31", "station_id": "xijie", "day": "2026-03-31"}
    )
    read_models = ReadModels(db, zone=SHANGHAI)

    with captured(monkeypatch) as logs:
        await read_models.ensure_indexes()

    assert await db["control"].find_one({"_id": "days"}) == {"_id": "days", "zone": "UTC"}
    fix = "python -m services.reporting rebuild"
    assert mismatches(logs) == [("UTC", "Asia/Shanghai", fix)]

    # The rebuild drops the buckets with the record, and counts from then on in the city's days.
    await read_models.drop()
    with captured(monkeypatch) as logs:
        await read_models.ensure_indexes()

    assert await db["control"].find_one({"_id": "days"}) == {"_id": "days", "zone": "Asia/Shanghai"}
    assert mismatches(logs) == []

    # A process started with another MINYI_TIMEZONE is told, and changes nothing.
    with captured(monkeypatch) as logs:
        counted_in = await ReadModels(db, zone=ZoneInfo("Europe/Berlin")).check_day_zone()

    assert counted_in == "Asia/Shanghai"
    assert mismatches(logs) == [("Asia/Shanghai", "Europe/Berlin", fix)]
    assert await db["control"].find_one({"_id": "days"}) == {"_id": "days", "zone": "Asia/Shanghai"}
