"""SLA escalation on the real store and broker, with the clock moved by hand."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pymongo import AsyncMongoClient

from services.routing.adapters.case_documents import assignment_document, watch_for
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.domain.assignment import RoutingDecision
from services.routing.domain.sla import SlaPolicy, SlaRules, WorkingCalendar, deadlines_for
from services.routing.entrypoints.sla_scheduler import SlaScheduler
from services.routing.handlers.resident_feedback import on_reopenings
from shared.dispatch import Event
from shared.events.case_events import CaseAssigned, CaseEscalated, CaseReopened
from shared.events.envelope import Envelope
from shared.metrics import Metrics
from shared.mongo import Document
from shared.outbox import OUTBOX_COUNT, OutboxRelay
from shared.producer import EventPublisher
from shared.topics import CASE_EVENTS
from tests.conftest import PlumbingSettings
from tests.kafka_tools import read_topic

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUBMITTED = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # a Monday
DUE = deadlines_for(SUBMITTED, policy=SlaPolicy(), calendar=WorkingCalendar())


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def add_case(cases: RoutedCaseRepository, *, representative: str | None = "0412") -> str:
    case_id = str(uuid.uuid4())
    decision = RoutingDecision(
        station_id="xijie",
        station_name="西街",
        liaison_point_id=None,
        representative_code=representative,
        representative_name=None,
        reason="test",
    )
    assigned = Envelope.wrap(
        CaseAssigned(
            case_id=case_id,
            category="parking",
            station_id="xijie",
            station_name="西街",
            reason="test",
            assigned_at=SUBMITTED,
        ),
        source="test",
        subject=case_id,
        correlation_id="sla-test",
    )
    await cases.add_assignments(
        [
            assignment_document(
                case_id=case_id,
                category="parking",
                text="停车难",
                channel="web",
                submitted_at=SUBMITTED,
                decision=decision,
                cause_event_id="x",
                assigned_at=SUBMITTED,
                deadlines=DUE,
                event=assigned,
            )
        ]
    )
    return case_id


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
    reopen = Envelope.wrap(
        CaseReopened(
            case_id=finished[0],
            station_id="xijie",
            actor_role="resident",
            at=reopened_at,
            reason="没有解决",
        ),
        source="test",
        subject=finished[0],
        correlation_id="sla-test",
    )
    sla = SlaRules(calendar=WorkingCalendar(), default=SlaPolicy())
    directory = DirectoryRepository(mongo[settings.database_name])
    await on_reopenings(
        [Event.of(reopen, reopen.payload(CaseReopened))],
        cases=cases,
        directory=directory,
        sla=sla,
    )
    new_due = WorkingCalendar().add_working_days(reopened_at, SlaPolicy().respond_days)

    assert [c["_id"] for c in await cases.breach_candidates(now=long_after)] == [open_case]
    later = await cases.breach_candidates(now=new_due + timedelta(seconds=1))
    assert sorted(c["_id"] for c in later) == sorted([open_case, finished[0]])
