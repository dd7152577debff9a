"""`minyi backup` and `minyi restore` on the four services as processes: a platform with cases
in several states is backed up, wiped (databases dropped, topics deleted), restored and
started again; every case, inbox and figure reads as before, and a new case flows through
without anything counted twice."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient
from typer.testing import CliRunner, Result

from minyi_cli.app import app
from shared.mongo import Document
from shared.settings import ServiceSettings
from shared.topics import CASE_EVENTS, delete_namespace_topics
from tests.conftest import drop_namespace_databases
from tests.e2e.platform import SERVICES, Platform, act, eventually, sign_in, staff_case
from tests.e2e.test_case_flow import QR_CASE, assigned, resident_view, submit
from tests.kafka_tools import read_topic


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def minyi(platform: Platform, *args: str) -> Result:
    """The command as an operator runs it, with the platform's settings (in this process: a
    new one would import every service again)."""
    return CliRunner().invoke(app, list(args), env=platform.env())


def status_is(platform: Platform, code: str, expected: str) -> bool:
    return bool(resident_view(platform, code)["status"] == expected)


def make_cases(platform: Platform) -> dict[str, dict[str, Any]]:
    """One case in each of: assigned, accepted, responded, closed and rated."""
    receipts = {
        state: submit(platform, {**QR_CASE, "text": f"备份测试：{state}，小区停车位不够"})
        for state in ("assigned", "accepted", "responded", "rated")
    }
    for receipt in receipts.values():
        eventually(lambda r=receipt: assigned(platform, r["tracking_code"]), timeout_s=20)
    rep = sign_in(platform, "rep-0412")
    staff = sign_in(platform, "xijie-staff")
    for state in ("accepted", "responded", "rated"):
        ok(act(platform, rep, receipts[state]["case_id"], "accept"))
    for state in ("responded", "rated"):
        case_id = receipts[state]["case_id"]
        ok(act(platform, staff, case_id, "approve"))
        ok(act(platform, staff, case_id, "respond", response="已协调增设车位。"))
    rated = receipts["rated"]
    eventually(lambda: status_is(platform, rated["tracking_code"], "responded"))
    ok(act(platform, staff, rated["case_id"], "close"))
    eventually(lambda: status_is(platform, rated["tracking_code"], "closed"))
    response = platform.post(
        "intake", f"/v1/cases/{rated['tracking_code']}/rating", json={"rating": "satisfied"}
    )
    assert response.status_code == 202, response.text
    return receipts


def snapshot(
    platform: Platform, receipts: dict[str, dict[str, Any]], staff: dict[str, str]
) -> dict[str, Any]:
    """What residents, staff, inboxes and reports show: the things a restore must keep."""
    inboxes = ["representative:0412", "station:xijie"] + [
        f"case:{r['case_id']}" for r in receipts.values()
    ]
    return {
        "residents": {s: resident_view(platform, r["tracking_code"]) for s, r in receipts.items()},
        "staff": {s: ok(staff_case(platform, staff, r["case_id"])) for s, r in receipts.items()},
        "inboxes": {i: ok(platform.get("notify", f"/v1/inbox/{i}", limit=200)) for i in inboxes},
        "stations": ok(platform.get("reporting", "/v1/reports/stations")),
        "city": ok(platform.get("reporting", "/v1/reports/city")),
    }


def settled(platform: Platform, receipts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The snapshot once every service has caught up: two in a row, a second apart, agree."""

    staff = sign_in(platform, "xijie-staff")

    def caught_up() -> dict[str, Any] | None:
        first = snapshot(platform, receipts, staff)
        if first["staff"]["rated"].get("rating") != "satisfied":
            return None
        time.sleep(1.0)
        return first if snapshot(platform, receipts, staff) == first else None

    found: dict[str, Any] = eventually(caught_up, timeout_s=40, interval_s=0.5)
    return found


async def wipe(settings: ServiceSettings) -> None:
    """What a lost deployment leaves: no database, no topic (waits until they are gone)."""
    await delete_namespace_topics(settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + 30
        while any(t.startswith(settings.namespace + ".") for t in await admin.list_topics()):
            assert time.monotonic() < deadline, "topics not deleted in 30 s"
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    await drop_namespace_databases(settings)


async def committed_on_case_events(settings: ServiceSettings, group: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(settings.topic(group))
    finally:
        await admin.close()
    return sum(m.offset for tp, m in offsets.items() if tp.topic == settings.topic(CASE_EVENTS))


def case_event_count(platform: Platform) -> int:
    topic = f"{platform.namespace}.{CASE_EVENTS}"
    return len(asyncio.run(read_topic(platform.infra.kafka_bootstrap, topic)))


def test_a_backup_restored_into_a_wiped_deployment_shows_every_case_inbox_and_figure(
    platform: Platform, settings: ServiceSettings, tmp_path: Path
) -> None:
    receipts = make_cases(platform)
    before = settled(platform, receipts)
    assert before["city"]["city"]["received"] == 4
    events = case_event_count(platform)

    backup = tmp_path / "backup"
    made = minyi(platform, "backup", str(backup))
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith("backed up ")
    checked = minyi(platform, "restore", "--check", str(backup))
    assert checked.exit_code == 0, checked.output
    assert f"valid backup of namespace {platform.namespace}" in checked.stdout

    for service in SERVICES:
        platform.stop(service)  # their logs stay open for the restart
    asyncio.run(wipe(settings))
    # Deleting the topics took the groups' offsets with them: whatever is there next, the
    # restore committed.
    assert asyncio.run(committed_on_case_events(settings, "routing.cases")) == 0
    restored = minyi(platform, "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    # Before any service starts, every group is where it was: at the end of case-events.
    for group in ("routing.cases", "notify.cases", "reporting.cases", "intake.cases"):
        assert asyncio.run(committed_on_case_events(settings, group)) == events, group

    refused = minyi(platform, "restore", str(backup))
    assert refused.exit_code == 1
    assert [line for line in refused.stderr.splitlines() if line.startswith("error:")] == [
        refused.stderr.strip()
    ]
    assert "the deployment is not empty" in refused.stderr

    # All four at once, their waits for Kafka overlapping (so each may take longer to be ready
    # than alone); not `start_all`, which would seed the demo directory over the restored one.
    with ThreadPoolExecutor(len(SERVICES)) as starting:
        list(starting.map(lambda service: platform.start(service, timeout_s=120), SERVICES))
    after = settled(platform, receipts)
    assert after == before

    # The consumers resume where they were: a new case is assigned, notified and counted once.
    new = submit(platform, {**QR_CASE, "text": "备份之后的新意见：路灯不亮"})
    eventually(lambda: assigned(platform, new["tracking_code"]), timeout_s=20)
    city = eventually(
        lambda: (
            (c := ok(platform.get("reporting", "/v1/reports/city"))["city"])["received"] == 5 and c
        ),
        timeout_s=20,
    )
    assert city["assigned"] == before["city"]["city"]["assigned"] + 1
    inbox = eventually(
        lambda: (
            (m := ok(platform.get("notify", "/v1/inbox/representative:0412", limit=200)))[
                "messages"
            ]
            and len(m["messages"]) == len(before["inboxes"]["representative:0412"]["messages"]) + 1
            and m
        )
    )
    assert len({m["id"] for m in inbox["messages"]}) == len(inbox["messages"])
    assert case_event_count(platform) > events
    # Still counted once now that everything had time to arrive twice.
    assert ok(platform.get("reporting", "/v1/reports/city"))["city"]["received"] == 5


def test_restore_refuses_a_deployment_that_holds_a_document(
    settings: ServiceSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "MINYI_NAMESPACE": settings.namespace,
        "MINYI_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "MINYI_MONGO_URL": settings.mongo_url,
    }.items():
        monkeypatch.setenv(name, value)
    empty = CliRunner().invoke(app, ["backup", str(tmp_path / "empty")])
    assert empty.exit_code == 0, empty.output

    async def store_one() -> None:
        client: AsyncMongoClient[Document] = AsyncMongoClient(settings.mongo_url)
        try:
            await client[f"{settings.namespace}_minyi_notify"]["inbox"].insert_one({"_id": 1})
        finally:
            await client.close()

    asyncio.run(store_one())
    result = CliRunner().invoke(app, ["restore", str(tmp_path / "empty")])

    assert result.exit_code == 1
    assert result.stderr.startswith("error: the deployment is not empty")
    assert f"{settings.namespace}_minyi_notify.inbox has documents" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
