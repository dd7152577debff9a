"""Buckets stored by reporting before the station days (one document per dimension, station,
key and day in `daily`), on the real store: reporting moves them at start, before it folds
anything, and the reports read them; a move repeated after a crash counts them once, and an
event they had counted is still known."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from pymongo import AsyncMongoClient

from services.reporting.adapters import legacy, station_days
from services.reporting.adapters.legacy import legacy_changes
from services.reporting.adapters.read_models import ReadModels
from services.reporting.app import create_app
from services.reporting.handlers.projections import apply_meetings
from services.reporting.settings import ReportingSettings
from shared.dispatch import Event
from shared.events.activity_events import MeetingRecorded
from shared.events.envelope import Envelope
from shared.mongo import Document, service_database
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.tokens import bearer, publish_test_accounts

DAY = date(2025, 3, 4)
PERIOD = {"since": "2025-03-01", "until": "2025-03-31"}


def old_bucket(dimension: str, station: str, key: str, **fields: object) -> Document:
    """A bucket as the versions before the station days wrote it."""
    return {
        "_id": f"{dimension}|{station}|{key}|{DAY.isoformat()}",
        "dimension": dimension,
        "station_id": station,
        "key": key,
        "day": DAY.isoformat(),
        "v": 3,
        **fields,
    }


OLD = [
    old_bucket(
        "city",
        "",
        "city",
        counts={"received": 5, "deliberation_meetings": 1, "ratings": {"satisfied": 2}},
        durations={"accept": [60_000, 120_000]},
        seen=["mmold1"],
    ),
    old_bucket(
        "station",
        "xijie",
        "xijie",
        counts={"received": 5, "deliberation_meetings": 1},
        labels={"name": "西街"},
        seen=["mmold1"],
    ),
    old_bucket("station", "dongan", "dongan", counts={"received": 2}, seen=[]),
    # Older still: the tokens as a map.
    old_bucket("representative", "xijie", "0412", counts={"received": 4}, seen={"mmold1": True}),
]


def meeting_again() -> Event[MeetingRecorded]:
    """The meeting the old buckets counted (token `mmold1`), delivered once more."""
    recorded = MeetingRecorded(
        meeting_id="m-old-1",
        kind="deliberation_meeting",
        station_id="xijie",
        held_on=DAY,
        topic="停车",
        attendance=9,
        outcome="记录在案",
        recorded_by="xijie-staff",
        recorded_at=datetime(2025, 3, 4, 10, 0, tzinfo=UTC),
    )
    envelope = Envelope.wrap(recorded, source="test", subject="m-old-1", correlation_id="c")
    return Event.of(envelope, recorded)


async def stations(client: httpx.AsyncClient) -> dict[str, int]:
    response = await client.get("/v1/reports/stations", params=PERIOD)
    assert response.status_code == 200, response.text
    return {s["station_id"]: s["assigned"] for s in response.json()["stations"]}


async def test_old_buckets_are_moved_at_start_and_read_by_the_reports(
    settings: PlumbingSettings,
    reporting_settings: ReportingSettings,
    mongo: AsyncMongoClient[Document],
) -> None:
    db = service_database(mongo, reporting_settings)
    await db[legacy.COLLECTION].insert_many(OLD)
    await publish_test_accounts(settings)
    read_models = ReadModels(db, zone=reporting_settings.zone)

    async with serving(create_app(reporting_settings), "reporting") as client:
        client.headers.update(bearer("supervisor"))
        # Ready means set up: the old buckets are moved by then.
        assert legacy.COLLECTION not in await db.list_collection_names()
        assert await stations(client) == {"xijie": 5, "dongan": 2}
        city = await client.get("/v1/reports/city", params=PERIOD)
        assert city.status_code == 200, city.text

        days = await db[station_days.COLLECTION].find_one({"_id": station_days.day_id("", DAY)})
        assert days is not None
        (moved,) = station_days.buckets_of(days, "city")
        assert moved["counts"] == {
            "received": 5,
            "deliberation_meetings": 1,
            "ratings": {"satisfied": 2},
        }
        assert moved["durations"] == {"accept": [60_000, 120_000]}

        # One key's buckets are found at their station (`key_stations` learnt it).
        (record,) = await read_models.buckets("representative", since=DAY, until=DAY, keys=["0412"])
        assert record["counts"] == {"received": 4}

        # The meeting the old buckets counted is known: delivered again, it counts nothing.
        assert await apply_meetings([meeting_again()], read_models=read_models) == 0
        (station,) = await read_models.buckets("station", since=DAY, until=DAY, station_id="xijie")
        assert station["counts"]["deliberation_meetings"] == 1


async def test_a_move_cut_short_counts_each_old_bucket_once(
    reporting: tuple[httpx.AsyncClient, ReadModels],
) -> None:
    client, read_models = reporting
    db = read_models._db
    await db[legacy.COLLECTION].insert_many(OLD)
    # A move that stopped after adding its first slice, before removing it from `daily`.
    await read_models.add([change for bucket in OLD[:2] for change in legacy_changes(bucket)])
    assert await stations(client) == {"xijie": 5}

    assert await read_models.move_legacy_buckets(slice_size=3) == len(OLD)
    assert await stations(client) == {"xijie": 5, "dongan": 2}
    (city,) = await read_models.buckets("city", since=DAY, until=DAY)
    assert city["counts"]["received"] == 5
    # Nothing left to move: a second start does nothing.
    assert await read_models.move_legacy_buckets() == 0
