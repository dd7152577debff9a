"""Routing a polled batch of new cases at once, on the real store: open loads as counters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pymongo import AsyncMongoClient

from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import (
    DEMO_DIRECTORY,
    DirectoryRepository,
    read_directory_file,
)
from services.routing.domain.sla import SlaPolicy, SlaRules, WorkingCalendar
from services.routing.handlers.assignment import assign_cases
from shared.dispatch import Event
from shared.events.case_events import CaseSubmitted
from shared.events.envelope import Envelope
from shared.mongo import Document
from tests.conftest import PlumbingSettings

BAIYUN_GROUP = {"0412", "0413", "0414"}  # nobody there specialises in "other"
SLA = SlaRules(calendar=WorkingCalendar(), default=SlaPolicy())


def submitted(case_id: str) -> Event[CaseSubmitted]:
    data = CaseSubmitted(
        case_id=case_id,
        category="other",
        text="路灯坏了，晚上很黑",
        channel="web",
        liaison_point_id="baiyun",
        submitted_at=datetime.now(UTC),
    )
    envelope = Envelope.wrap(
        data, source="test", subject=case_id, correlation_id="batch-" + case_id
    )
    return Event.of(envelope, data)


async def test_a_batch_is_shared_evenly_and_counted_once_however_often_it_comes(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = mongo[settings.database_name]
    cases = RoutedCaseRepository(db)
    await cases.ensure_indexes()
    directory = DirectoryRepository(db)
    await directory.save(read_directory_file(DEMO_DIRECTORY))
    batch = [submitted(str(uuid.uuid4())) for _ in range(30)]

    await assign_cases(batch, cases=cases, directory=directory, sla=SLA)
    await assign_cases(batch[:10], cases=cases, directory=directory, sla=SLA)  # redelivered

    loads = await cases.loads.of(BAIYUN_GROUP)
    assert sum(loads.values()) == 30
    assert max(loads.values()) - min(loads.values()) <= 1  # the batch's own cases count
    assert await cases.collection.count_documents({}) == 30
    stored = await cases.collection.find({}, {"representative_code": 1}).to_list()
    holders = [d["representative_code"] for d in stored]
    assert {code: holders.count(code) for code in BAIYUN_GROUP} == loads

    await cases.loads.recount()
    assert await cases.loads.of(BAIYUN_GROUP) == loads


async def test_a_recount_repairs_counters_left_wrong_by_a_crash(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = mongo[settings.database_name]
    cases = RoutedCaseRepository(db)
    await cases.ensure_indexes()
    directory = DirectoryRepository(db)
    await directory.save(read_directory_file(DEMO_DIRECTORY))
    await assign_cases(
        [submitted(str(uuid.uuid4())) for _ in range(6)], cases=cases, directory=directory, sla=SLA
    )
    truth = await cases.loads.of(BAIYUN_GROUP)
    await cases.loads.shift({"0412": 5, "0999": 2})  # as if a crash had left them wrong

    await cases.loads.recount()

    assert await cases.loads.of(BAIYUN_GROUP) == truth
    assert await cases.loads.of(["0999"]) == {"0999": 0}
