"""The contact retention job on a backlog, on the real store: the first run on an old store (or
one a large import filled) reads the due cases whole twice, not once per page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.intake.adapters.erasure import ErasureRepository
from services.intake.domain.timeline import RETENTION_SINCE
from services.intake.entrypoints.privacy_timers import RetentionScheduler
from shared.metrics import Metrics
from shared.outbox import OutboxRelay
from shared.producer import EventPublisher
from tests.conftest import PlumbingSettings
from tests.store_commands import CommandCounter, counting

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def ended(status: str, *, days_ago: int) -> dict[str, object]:
    return {
        "_id": str(uuid.uuid4()),
        "version": 3,
        "status": status,
        "contact": None,
        RETENTION_SINCE: NOW - timedelta(days=days_ago),
    }


async def test_a_backlog_is_read_whole_once_then_released_a_page_at_a_time_by_id(
    settings: PlumbingSettings,
) -> None:
    writes = CommandCounter("update")
    whole = CommandCounter(
        "find", lambda command: set(command.get("filter", {})) == {RETENTION_SINCE}
    )
    async with counting(settings.mongo_url, writes, whole) as client:
        erasures = ErasureRepository(client[settings.database_name])
        await erasures.ensure_indexes()
        backlog = [ended("closed", days_ago=400 + i % 30) for i in range(450)]
        reopened = [ended("accepted", days_ago=300) for _ in range(3)]
        recent = ended("closed", days_ago=10)
        await erasures.cases.insert_many([*backlog, *reopened, recent])
        relay = OutboxRelay(
            collections=[],
            publisher=EventPublisher(settings=settings, metrics=Metrics("p")),
            settings=settings,
            metrics=Metrics("p"),
        )
        scheduler = RetentionScheduler(
            erasures=erasures,
            relay=relay,
            wake_finisher=lambda: None,
            retention_days=180,
            interval_s=3600,
            clock=lambda: NOW,
        )
        writes.count = whole.count = 0

        await scheduler.run_pass()

        # The first page (200), then every due id once; the other 253 go by `_id`, 2 pages.
        assert whole.count == 2
        assert writes.count == 3  # one write per page: none of them had a contact to erase
        left = await erasures.cases.find({RETENTION_SINCE: {"$exists": True}}).to_list()
        assert [d["_id"] for d in left] == [recent["_id"]]
        assert await erasures.cases.count_documents({"version": 3}) == 454  # not a change
