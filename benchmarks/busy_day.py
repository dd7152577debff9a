"""What folding a run of case events costs reporting as a day fills up, with and without
settling the buckets' `seen` tokens (services/reporting/adapters/read_models.py).

Every case of the run is in one station on one day, so the day's city, station and category
buckets take every event, as on a busy day. Each mode folds `--batches` runs of `--cases`
cases (assigned, then accepted) into a database of its own on the running store and prints the
milliseconds per run at the start and at the end of the day, and the size of the city bucket.

    .venv/bin/python -m benchmarks.busy_day [--batches 40] [--cases 50] [--mongo-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pymongo import AsyncMongoClient

from services.reporting.adapters import station_days
from services.reporting.adapters.read_models import ReadModels
from services.reporting.handlers.projections import apply_case_events
from shared.dispatch import Event
from shared.events.case_events import CaseAccepted, CaseAssigned
from shared.events.envelope import Envelope, EventData
from shared.mongo import Document

DAY = date(2026, 3, 2)
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 17:00 on DAY in the city
CITY = ZoneInfo("Asia/Shanghai")


def run_of_cases(count: int, *, days: int = 1) -> list[Event[EventData]]:
    made: list[Event[EventData]] = []
    for n in range(count):
        case = str(uuid.uuid4())
        at = AT - timedelta(days=n % days)
        steps: list[EventData] = [
            CaseAssigned(
                case_id=case,
                category="parking",
                station_id="xijie",
                station_name="西街",
                representative_code=f"04{len(made) % 40:02d}",
                reason="qr",
                assigned_at=at,
            ),
            CaseAccepted(
                case_id=case,
                station_id="xijie",
                at=at,
                actor_role="representative",
                representative_code=f"04{len(made) % 40:02d}",
            ),
        ]
        made += [
            Event.of(Envelope.wrap(e, source="bench", subject=case, correlation_id="b"), e)
            for e in steps
        ]
    return made


class Unsettled(ReadModels):
    """The read models as they were before settling: every token stays."""

    def settle(self, changes: object) -> None:
        return None


async def one_day(read_models: ReadModels, *, batches: int, cases: int, days: int) -> list[float]:
    await read_models.ensure_indexes()
    took: list[float] = []
    for _ in range(batches):
        run = run_of_cases(cases, days=days)
        started = time.perf_counter()
        await apply_case_events(run, read_models=read_models)
        took.append((time.perf_counter() - started) * 1000)
    return took


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument(
        "--days", type=int, default=1, help="spread each run over this many days (an import)"
    )
    parser.add_argument("--mongo-url", default="mongodb://127.0.0.1:27017/")
    options = parser.parse_args()
    if urlsplit(options.mongo_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("loopback only: the benchmark writes scratch databases")
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        options.mongo_url, tz_aware=True, retryWrites=False
    )
    print(
        f"{options.batches} runs of {options.cases} cases (2 events each) on one day, "
        "ms per run (median of the first and last fifth):"
    )
    try:
        for label, kind in (("tokens kept", Unsettled), ("tokens settled", ReadModels)):
            name = f"busyday{uuid.uuid4().hex[:8]}"
            db = client[name]
            try:
                took = await one_day(
                    kind(db, zone=CITY),
                    batches=options.batches,
                    cases=options.cases,
                    days=options.days,
                )
                city = await db[station_days.COLLECTION].find_one(
                    {"_id": station_days.day_id(station_days.CITY_STATION, DAY)}
                )
                fifth = max(len(took) // 5, 1)
                print(
                    f"  {label:22} first {statistics.median(took[:fifth]):7.1f}"
                    f"  last {statistics.median(took[-fifth:]):7.1f}"
                    f"  city bucket: {len((city or {}).get('seen', {})):5d} tokens"
                )
            finally:
                await client.drop_database(name)
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
