"""Routing a polled batch of events at once, on the real store: new cases with open loads as
counters, and residents' ratings and answers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pymongo import AsyncMongoClient

from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import (
    DEMO_DIRECTORY,
    DirectoryRepository,
    read_directory_file,
)
from services.routing.domain.sla import SlaPolicy, SlaRules, WorkingCalendar
from services.routing.handlers.assignment import assign_cases
from services.routing.handlers.messages import on_resident_messages
from services.routing.handlers.resident_feedback import on_ratings
from shared.dispatch import Event
from shared.events.case_events import CaseMessageSent, CaseRated, CaseSubmitted
from shared.events.envelope import Envelope
from shared.mongo import Document
from tests.conftest import PlumbingSettings
from tests.store_commands import CommandCounter, counting

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


def rated(case_id: str, rating: str) -> Event[CaseRated]:
    data = CaseRated(
        case_id=case_id,
        station_id="baiyun",
        actor_role="resident",
        actor_id=None,
        at=datetime.now(UTC),
        rating=rating,
    )
    envelope = Envelope.wrap(data, source="test", subject=case_id, correlation_id="r-" + case_id)
    return Event.of(envelope, data)


@pytest.fixture
async def counted(
    settings: PlumbingSettings,
) -> AsyncIterator[tuple[RoutedCaseRepository, CommandCounter]]:
    """Routing's cases on a client whose updates are counted, with the demo directory."""
    writes = CommandCounter("update")
    async with counting(settings.mongo_url, writes) as client:
        db = client[settings.database_name]
        cases = RoutedCaseRepository(db)
        await cases.ensure_indexes()
        directory = DirectoryRepository(db)
        await directory.save(read_directory_file(DEMO_DIRECTORY))
        yield cases, writes


async def routed(cases: RoutedCaseRepository, n: int) -> list[str]:
    new = [submitted(str(uuid.uuid4())) for _ in range(n)]
    await assign_cases(
        new, cases=cases, directory=DirectoryRepository(cases.collection.database), sla=SLA
    )
    return [e.data.case_id for e in new]


async def test_a_batch_of_ratings_is_one_write_and_each_rating_applies_once_in_order(
    counted: tuple[RoutedCaseRepository, CommandCounter],
) -> None:
    cases, writes = counted
    ids = await routed(cases, 5)
    first = [rated(case_id, "satisfied") for case_id in ids]
    # The resident of the first case changes their mind within the same batch.
    again = rated(ids[0], "dissatisfied")
    writes.count = 0
    await on_ratings([*first, again], cases=cases)
    assert writes.count == 1
    await on_ratings([first[1], again], cases=cases)  # redelivered: nothing changes

    stored = {d["_id"]: d for d in await cases.collection.find({}).to_list()}
    assert stored[ids[0]]["rating"] == "dissatisfied"
    assert all(stored[i]["rating"] == "satisfied" for i in ids[1:])
    rates = {i: [a for a in stored[i]["audit"] if a["action"] == "rate"] for i in ids}
    assert [a["detail"]["rating"] for a in rates[ids[0]]] == ["satisfied", "dissatisfied"]
    assert all(len(rates[i]) == 1 for i in ids[1:])


def message(case_id: str, direction: str, text: str) -> Event[CaseMessageSent]:
    data = CaseMessageSent.model_validate(
        {
            "case_id": case_id,
            "station_id": "baiyun",
            "actor_role": "resident" if direction == "to_station" else "staff",
            "actor_id": None,
            "at": datetime.now(UTC),
            "message_id": str(uuid.uuid4()),
            "direction": direction,
            "text": text,
        }
    )
    envelope = Envelope.wrap(data, source="test", subject=case_id, correlation_id="m-" + case_id)
    return Event.of(envelope, data)


async def test_a_batch_of_answers_is_one_write_and_routings_own_questions_are_not_stored_again(
    counted: tuple[RoutedCaseRepository, CommandCounter],
) -> None:
    cases, writes = counted
    one, two = await routed(cases, 2)
    batch = [
        message(one, "to_resident", "是哪一栋楼？"),
        message(one, "to_station", "3号楼和5号楼之间"),
        message(two, "to_station", "晚上十点以后"),
    ]
    writes.count = 0
    await on_resident_messages(batch, cases=cases)
    assert writes.count == 1
    await on_resident_messages(batch, cases=cases)  # redelivered: nothing changes

    stored = {d["_id"]: d for d in await cases.collection.find({}).to_list()}
    assert [m["text"] for m in stored[one].get("messages", {}).values()] == ["3号楼和5号楼之间"]
    assert [m["text"] for m in stored[two]["messages"].values()] == ["晚上十点以后"]
    assert len([a for a in stored[one]["audit"] if a["action"] == "answer"]) == 1
