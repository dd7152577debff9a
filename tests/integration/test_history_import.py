"""Importing past cases on the real store and broker: `python -m services.intake import` run as
a process next to intake in-process (whose relay publishes what the import stored), routing's
record of an imported case, and reporting counting imported cases."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest
from pymongo import AsyncMongoClient

from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.adapters.history_import_repository import HistoryImportRepository
from services.intake.app import create_app
from services.intake.domain.history_import.checker import (
    HistoryChecker,
    ImportedCase,
    imported_case_id,
)
from services.intake.domain.history_import.references import DirectoryKindName, DirectoryView
from services.intake.entrypoints.history_import import run_import
from services.intake.handlers.history_import import PublishingPace, envelopes_of
from services.intake.settings import IntakeSettings
from services.reporting.adapters.read_models import ReadModels
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DEMO_DIRECTORY, read_directory_file
from services.routing.handlers.assignment import record_imported_cases
from services.routing.settings import RoutingSettings
from shared.dispatch import Event
from shared.events.case_events import IMPORT_SOURCE, CaseSubmitted
from shared.events.directory_events import DirectoryKind
from shared.events.envelope import Envelope
from shared.mongo import Document, service_database
from shared.outbox import with_outbox
from shared.topics import CASE_EVENTS
from tests.conftest import PlumbingSettings
from tests.infra import ROOT
from tests.integration.in_process import serving
from tests.integration.test_consumer import submitted_event
from tests.kafka_tools import read_topic

ROWS = 2000
BAD_LINE = 1001  # the header is line 1: the 1000th case
HEADER = [
    "external_id",
    "submitted_at",
    "category",
    "text",
    "status",
    "representative_code",
    "assigned_at",
    "accepted_at",
    "responded_at",
    "closed_at",
    "response",
    "rejection_reason",
    "rating",
]
# (status, its events) in turn, so the file holds every kind of history.
PLAN: list[tuple[str, list[str]]] = [
    ("closed", ["submitted", "assigned", "accepted", "responded", "closed", "rated"]),
    ("closed", ["submitted", "assigned", "accepted", "responded", "closed"]),
    ("responded", ["submitted", "assigned", "accepted", "responded"]),
    ("rejected", ["submitted", "assigned", "accepted", "rejected"]),
    ("accepted", ["submitted", "assigned", "accepted"]),
    ("assigned", ["submitted", "assigned"]),
    ("submitted", ["submitted"]),
]
REPRESENTATIVES = ["0412", "0413", "0501", "0601"]
_DIRECTORY_KINDS: tuple[tuple[DirectoryKindName, DirectoryKind, str], ...] = (
    ("categories", "category", "code"),
    ("stations", "station", "id"),
    ("liaison_points", "liaison_point", "id"),
    ("representatives", "representative", "code"),
)


def history_csv(path: Path, *, now: datetime) -> dict[str, list[str]]:
    """A file of ROWS past cases (one bad: line BAD_LINE); returns the event types expected
    for each valid external id, in order."""
    expected: dict[str, list[str]] = {}
    first = now - timedelta(days=300)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(ROWS):
            status, events = PLAN[i % len(PLAN)]
            submitted = first + timedelta(hours=3 * i)
            steps = [submitted + timedelta(days=d) for d in (1, 2, 6, 7)]
            reached = {"assigned": 1, "accepted": 2, "responded": 3, "closed": 4}
            count = reached.get(status, 3 if status == "rejected" else 0)
            times = [t.isoformat() if n < count else "" for n, t in enumerate(steps)]
            if status == "rejected":
                times = [times[0], times[1], "", steps[3].isoformat()]
            external_id = f"ledger-{i:05d}"
            writer.writerow(
                [
                    external_id,
                    "2025-02-30" if i + 2 == BAD_LINE else submitted.isoformat(),
                    "parking",
                    f"第{i}号建议：小区停车位不够",
                    status,
                    REPRESENTATIVES[i % len(REPRESENTATIVES)],
                    *times,
                    "已协调增设车位" if status in ("responded", "closed") else "",
                    "不属于受理范围" if status == "rejected" else "",
                    "satisfied" if "rated" in events else "",
                ]
            )
            if i + 2 != BAD_LINE:
                expected[external_id] = [f"case.{e}" for e in events]
    return expected


async def seed_directory_copy(intake_settings: IntakeSettings) -> None:
    """intake's copy of the demo directory, as its directory consumer would keep it."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(intake_settings.mongo_url, tz_aware=True)
    try:
        copy = DirectoryCopy(service_database(client, intake_settings))
        directory = read_directory_file(DEMO_DIRECTORY).model_dump(mode="json")
        at = datetime.now(UTC)
        for field, kind, key in _DIRECTORY_KINDS:
            for entry in directory[field]:
                await copy.apply(kind=kind, key=entry[key], entry=entry, at=at)
    finally:
        await client.close()


def demo_view() -> DirectoryView:
    directory = read_directory_file(DEMO_DIRECTORY).model_dump(mode="json")
    return DirectoryView.of({field: directory[field] for field, _, _ in _DIRECTORY_KINDS})


@pytest.fixture
def intake_settings(settings: PlumbingSettings) -> IntakeSettings:
    return IntakeSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
        outbox_poll_seconds=0.1,
    )


@pytest.fixture
async def intake(intake_settings: IntakeSettings) -> AsyncIterator[httpx.AsyncClient]:
    """intake in-process: its relay publishes what the import (another process) stored."""
    await seed_directory_copy(intake_settings)
    async with serving(create_app(intake_settings), "intake") as client:
        yield client


async def run_cli(settings: IntakeSettings, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.intake",
        "import",
        *args,
        cwd=ROOT,
        env={
            **os.environ,
            "MINYI_NAMESPACE": settings.namespace,
            "MINYI_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
            "MINYI_MONGO_URL": settings.mongo_url,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_file_with_a_bad_row_is_checked_then_imported_once_and_its_history_published(
    intake: httpx.AsyncClient,
    intake_settings: IntakeSettings,
    mongo: AsyncMongoClient[Document],
    tmp_path: Path,
) -> None:
    path = tmp_path / "suggestions-2025.csv"
    expected = history_csv(path, now=datetime.now(UTC))
    cases = mongo[intake_settings.database_name]["cases"]
    bad = f"row {BAD_LINE}: submitted_at: '2025-02-30' is not an ISO 8601 date or time"

    code, out, _ = await run_cli(intake_settings, str(path), "--dry-run")

    assert code == 1
    assert bad in out.splitlines()
    assert out.splitlines()[-1] == (
        f"dry run, nothing written: read {ROWS}, would import {ROWS - 1}, already imported 0, "
        f"refused 1 (row {BAD_LINE})"
    )
    assert await cases.count_documents({}) == 0

    code, out, _ = await run_cli(intake_settings, str(path), "--batch-size", "300")

    assert code == 1
    assert bad in out.splitlines()
    assert (
        f"read {ROWS}, imported {ROWS - 1}, already imported 0, refused 1 (row {BAD_LINE})"
        in (out.splitlines()[-1])
    )
    assert await cases.count_documents({}) == ROWS - 1

    # intake's relay found what the other process stored, and published each case's history.
    total = sum(len(events) for events in expected.values())
    records = await read_topic(
        intake_settings.kafka_bootstrap,
        intake_settings.topic(CASE_EVENTS),
        expect=total,
        timeout_s=240,  # the relay's pace on a busy shared machine
    )
    assert len(records) == total

    code, out, _ = await run_cli(intake_settings, str(path))

    assert code == 1
    assert (
        f"imported 0, already imported {ROWS - 1}, refused 1 (row {BAD_LINE})"
        in (out.splitlines()[-1])
    )
    assert await cases.count_documents({}) == ROWS - 1
    published: dict[str, list[Envelope]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        envelope = Envelope.from_bytes(record.value)
        assert record.key == envelope.subject.encode()
        published[envelope.subject].append(envelope)
    assert {e.source for events in published.values() for e in events} == {IMPORT_SOURCE}
    assert {
        external_id: [e.type for e in published[imported_case_id(external_id)]]
        for external_id in expected
    } == expected

    # The resident's view of a closed, rated case is its whole history.
    first = published[imported_case_id("ledger-00000")]
    assert [e.time for e in first] == sorted(e.time for e in first)
    stored = await cases.find_one({"_id": imported_case_id("ledger-00000")})
    assert stored is not None
    view = (await intake.get(f"/v1/cases/{stored['tracking_code']}")).json()
    assert (view["status"], view["rating"], view["response"]) == (
        "closed",
        "satisfied",
        "已协调增设车位",
    )
    assert [step["status"] for step in view["timeline"]] == [
        "submitted",
        "assigned",
        "accepted",
        "responded",
        "closed",
        "closed",
    ]


def imported_row(checker: HistoryChecker, number: int, **fields: Any) -> ImportedCase:
    submitted = (datetime.now(UTC) - timedelta(days=200)).replace(microsecond=0)
    data = {
        "external_id": f"routing-{number}",
        "submitted_at": submitted.isoformat(),
        "category": "drainage",
        "text": "雨天河星村路口积水",
        "representative_code": "0415",
        **fields,
    }
    case = checker.check(number, data)
    assert isinstance(case, ImportedCase), str(case)
    return case


async def test_routing_records_imported_cases_as_they_were_and_never_escalates_them(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    routing = RoutingSettings(namespace=settings.namespace, mongo_url=settings.mongo_url)
    cases = RoutedCaseRepository(mongo[routing.database_name])
    await cases.ensure_indexes()
    directory = read_directory_file(DEMO_DIRECTORY)
    checker = HistoryChecker(
        directory=demo_view(), now=datetime.now(UTC), timezone=ZoneInfo("Asia/Shanghai")
    )
    finished = imported_row(checker, 2, status="closed", rating="satisfied")
    still_open = imported_row(checker, 3, status="accepted")
    waiting = imported_row(checker, 4, status="submitted")
    submitted = {
        case.case_id: Event.of(envelope, envelope.payload(CaseSubmitted))
        for case in (finished, still_open, waiting)
        for envelope in envelopes_of(case, correlation_id="import")[:1]
    }

    to_route = await record_imported_cases(
        list(submitted.values()), cases=cases, directory=directory
    )
    again = await record_imported_cases(
        [submitted[finished.case_id]], cases=cases, directory=directory
    )

    assert [e.subject for e in to_route] == [waiting.case_id]  # routed like a live case
    assert again == []  # recorded already: nothing to route, nothing counted twice
    assert await cases.routed(submitted) == {finished.case_id, still_open.case_id}
    assert await cases.loads.of(["0415"]) == {"0415": 1}  # the open one, counted once
    document = await cases.collection.find_one({"_id": finished.case_id})
    assert document is not None
    history = finished.submitted.imported
    assert history is not None
    assert (document["status"], document["station_id"], document["representative_code"]) == (
        "closed",
        "xijie",
        "0415",
    )
    assert document["submitted_at"] == finished.submitted.submitted_at
    assert document["assigned_at"] == history.assigned_at
    assert document["updated_at"] == history.closed_at
    assert [(a["action"], a["actor_id"]) for a in document["audit"]] == [
        ("assign", "import"),
        ("accept", "import"),
        ("respond", "import"),
        ("close", "import"),
        ("rate", None),  # the resident's, from the history: in the same write
    ]
    assert document["rating"] == "satisfied"
    assert document["imported"] == {"external_id": "routing-2"}
    assert "outbox" not in document  # nothing to publish: the import published the history
    assert await cases.breach_candidates(now=datetime.now(UTC) + timedelta(days=365)) == []


async def test_reporting_counts_imported_cases(
    intake: httpx.AsyncClient,
    intake_settings: IntakeSettings,
    reporting: tuple[httpx.AsyncClient, ReadModels],
    tmp_path: Path,
) -> None:
    client, _ = reporting
    day = datetime.now(UTC) - timedelta(days=30)
    rows = [
        {
            "external_id": "r-1",
            "submitted_at": day.isoformat(),
            "category": "parking",
            "text": "东门停车难",
            "representative_code": "0412",
            "status": "closed",
            "closed_at": (day + timedelta(days=5)).isoformat(),
            "rating": "satisfied",
        },
        {
            "external_id": "r-2",
            "submitted_at": day.isoformat(),
            "category": "drainage",
            "text": "路口积水",
            "station_id": "jianchi",
            "status": "rejected",
            "rejection_reason": "已由水利局处理",
        },
        {
            "external_id": "r-3",
            "submitted_at": day.isoformat(),
            "category": "other",
            "text": "建议",
        },
    ]
    path = tmp_path / "past.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))

    tally = await run_import(path=path, settings=intake_settings, dry_run=False, out=io.StringIO())

    assert (tally.read, tally.imported, tally.refused) == (3, 3, [])
    period = {"since": (day - timedelta(days=1)).date().isoformat()}
    expected = {
        "received": 3,
        "assigned": 2,
        "accepted": 2,
        "closed": 1,
        "rejected": 1,
        "rated": 1,
        "open_now": 1,
    }
    # The three cases travel on different partitions: wait for all of them, not the last one.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        city = (await client.get("/v1/reports/city", params=period)).json()["city"]
        if {k: city[k] for k in expected} == expected:
            break
        await asyncio.sleep(0.2)
    assert {k: city[k] for k in expected} == expected
    stations = (await client.get("/v1/reports/stations", params=period)).json()["stations"]
    assert {s["station_id"]: (s["assigned"], s["closed"]) for s in stations} == {
        "xijie": (1, 1),
        "jianchi": (1, 0),
    }


def small_history(path: Path, rows: int) -> None:
    submitted = (datetime.now(UTC) - timedelta(days=100)).replace(microsecond=0)
    with path.open("wb") as handle:
        for i in range(rows):
            row = {
                "external_id": f"paced-{i:03d}",
                "submitted_at": (submitted + timedelta(minutes=i)).isoformat(),
                "category": "drainage",
                "text": f"第{i}号：雨天河星村路口积水",
                "representative_code": "0415",
            }
            handle.write(orjson.dumps(row) + b"\n")


async def test_a_paced_import_waits_for_intakes_relay_and_goes_on_as_it_publishes(
    intake_settings: IntakeSettings, mongo: AsyncMongoClient[Document], tmp_path: Path
) -> None:
    """Paced, the import stays 4 batches ahead of intake's relay: with intake down it stops
    after 5 batches; once intake runs and publishes, it goes on to the end."""
    path = tmp_path / "paced.jsonl"
    small_history(path, 80)
    await seed_directory_copy(intake_settings)
    cases = mongo[intake_settings.database_name]["cases"]
    importing = asyncio.create_task(
        run_import(
            path=path,
            settings=intake_settings,
            dry_run=False,
            batch_size=10,
            out=io.StringIO(),
            paced=True,
        )
    )
    try:
        for _ in range(300):
            if await cases.count_documents({}) >= 50:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)  # time enough to run further, were it not waiting
        assert await cases.count_documents({}) == 50
        assert not importing.done()

        async with serving(create_app(intake_settings), "intake"):
            tally = await asyncio.wait_for(importing, timeout=120)
            assert tally.imported == 80
            records = await read_topic(
                intake_settings.kafka_bootstrap,
                intake_settings.topic(CASE_EVENTS),
                expect=80,
                timeout_s=120,
            )
        assert len({Envelope.from_bytes(r.value).subject for r in records}) == 80
    finally:
        importing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await importing


async def test_a_paced_import_stops_waiting_for_a_relay_that_never_publishes(
    intake_settings: IntakeSettings, mongo: AsyncMongoClient[Document]
) -> None:
    imports = HistoryImportRepository(mongo[intake_settings.database_name])
    pace = PublishingPace(imports, ahead=1, max_wait_s=1.0, poll_s=0.2)
    batches = [[f"c{b}-{i}" for i in range(3)] for b in range(3)]
    for batch in batches:
        await imports.insert(
            [
                with_outbox({"_id": case_id}, [submitted_event()], topic=CASE_EVENTS)
                for case_id in batch
            ]
        )

    began = time.monotonic()
    await pace.after(batches[0])  # one batch ahead is allowed
    assert time.monotonic() - began < 1.0 and not pace.gave_up
    await pace.after(batches[1])  # two: waits for the first, whose events stay unpublished
    assert time.monotonic() - began >= 1.0 and pace.gave_up
    began = time.monotonic()
    await pace.after(batches[2])  # no more waiting
    assert time.monotonic() - began < 0.5
