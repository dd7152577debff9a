"""SLA escalation on the real store and broker, with the clock moved by hand."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pymongo import AsyncMongoClient

from services.routing.adapters.case_documents import watch_for
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.domain.sla import SlaPolicy, SlaRules, WorkingCalendar, deadlines_for
from services.routing.entrypoints.sla_scheduler import SlaScheduler
from shared.events.case_events import CaseEscalated
from shared.events.envelope import Envelope
from shared.metrics import Metrics
from shared.mongo import Document
from shared.outbox import OUTBOX_COUNT, OutboxRelay
from shared.producer import EventPublisher
from shared.topics import CASE_EVENTS
from tests.conftest import PlumbingSettings
from tests.integration.sla_cases import Clock, add_assigned_case, reopen
from tests.kafka_tools import read_topic

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUBMITTED = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # a Monday
DUE = deadlines_for(SUBMITTED, policy=SlaPolicy(), calendar=WorkingCalendar())


async def add_case(cases: RoutedCaseRepository) -> str:
    return await add_assigned_case(
        cases, submitted_at=SUBMITTED, deadlines=DUE, correlation_id="sla-test"
    )


async def escalations(settings: PlumbingSettings, expect: int) -> list[Envelope]:
    records = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=expect)
    events = [Envelope.from_bytes(r.value) for r in records]
    return [e for e in events if e.type == CaseEscalated.TYPE]


async def test_each_breach_is_escalated_exactly_once_across_restarts_and_replicas(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    cases = RoutedCaseRepository(mongo[settings.database_name])
    await cases.ensure_indexes()
    waiting = await add_case(cases)
    accepted = await add_case(cases)
    await cases.collection.update_one({"_id": accepted}, {"$set": {"status": "accepted"}})

    publisher = EventPublisher(settings=settings, metrics=Metrics("probe"))
    await asyncio.wait_for(publisher.start(), 30)
    relay = OutboxRelay(
        collections=[cases.collection],
        publisher=publisher,
        settings=settings,
        metrics=Metrics("probe"),
    )
    clock = Clock(DUE.accept_due - timedelta(minutes=1))
    try:
        scheduler = SlaScheduler(cases=cases, relay=relay, interval_s=1, clock=clock)
        assert await scheduler.run_once() == 0  # not late yet

        clock.now = DUE.accept_due + timedelta(minutes=1)
        assert await scheduler.run_once() == 1  # the unaccepted case, for accepting
        assert await scheduler.run_once() == 0  # never twice

        restarted = SlaScheduler(cases=cases, relay=relay, interval_s=1, clock=clock)
        assert await restarted.run_once() == 0  # a restart remembers

        clock.now = DUE.respond_due + timedelta(hours=1)
        replicas = [
            SlaScheduler(cases=cases, relay=relay, interval_s=1, clock=clock) for _ in range(3)
        ]
        counts = await asyncio.gather(*(r.run_once() for r in replicas))
        assert sum(counts) == 2  # both cases, for responding: one replica wins each

        while await relay.publish_pending():
            pass
        assert await cases.collection.count_documents({OUTBOX_COUNT: {"$gt": 0}}) == 0
    finally:
        await publisher.stop()

    # 2 assignments + 3 escalations on the topic.
    escalated = await escalations(settings, expect=5)
    by_case = sorted((e.subject, e.data["deadline"]) for e in escalated)
    assert by_case == sorted([(waiting, "accept"), (waiting, "respond"), (accepted, "respond")])
    audit = (await cases.get(waiting) or {})["audit"]
    assert [a["action"] for a in audit] == ["assign", "escalate", "escalate"]
    # Codes, not English sentences: each page words them in its own language.
    assert sorted(a["detail"]["deadline"] for a in audit[1:]) == ["accept", "respond"]
    assert [a["note"] for a in audit[1:]] == [None, None]


async def test_the_scheduler_reads_only_cases_with_a_deadline_ahead_and_a_reopened_case_again(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    cases = RoutedCaseRepository(mongo[settings.database_name])
    await cases.ensure_indexes()
    open_case = await add_case(cases)
    finished = [await add_case(cases) for _ in range(30)]
    for case_id in finished:
        case = await cases.get(case_id)
        assert case is not None
        await cases.apply(
            case_id=case_id,
            version=case["version"],
            changes={"status": "closed"},
            audit=[],
            events=[],
            at=SUBMITTED,
            watch=watch_for(case, status="closed"),
        )
    long_after = DUE.respond_due + timedelta(days=30)

    candidates = await cases.breach_candidates(now=long_after)

    assert [c["_id"] for c in candidates] == [open_case]

    reopened_at = long_after - timedelta(days=1)
    sla = SlaRules(calendar=WorkingCalendar(), default=SlaPolicy())
    directory = DirectoryRepository(mongo[settings.database_name])
    await reopen(
        finished[0],
        at=reopened_at,
        cases=cases,
        directory=directory,
        sla=sla,
        correlation_id="sla-test",
    )
    new_due = WorkingCalendar().add_working_days(reopened_at, SlaPolicy().respond_days)

    assert [c["_id"] for c in await cases.breach_candidates(now=long_after)] == [open_case]
    later = await cases.breach_candidates(now=new_due + timedelta(seconds=1))
    assert sorted(c["_id"] for c in later) == sorted([open_case, finished[0]])
