"""The resident's side of the closed loop, in process, on the real store and broker: intake
follows the case events, then the resident rates and reopens through the tracking code."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from shared.events.case_events import (
    CaseAccepted,
    CaseAssigned,
    CaseProgressed,
    CaseResponded,
    CaseReviewed,
    CaseTransferred,
)
from shared.events.envelope import Envelope, EventData
from shared.metrics import Metrics
from shared.producer import EventPublisher
from shared.topics import CASE_EVENTS
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.kafka_tools import read_topic

CONTACT = {"name": "王阿姨", "phone": "+86 138 0000 1234", "email": "wang@example.cn"}
SECRETS = ("王阿姨", "138 0000 1234", "wang@example.cn")
CASE = {"category": "parking", "text": "小区里要增加一些停车位", "contact": CONTACT}
STATION = "xijie"


@pytest.fixture
async def intake(settings: PlumbingSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        IntakeSettings(
            kafka_bootstrap=settings.kafka_bootstrap,
            mongo_url=settings.mongo_url,
            namespace=settings.namespace,
            outbox_poll_seconds=0.1,
            consumer_retry_max_seconds=1.0,
        )
    )
    async with serving(app, "intake") as client:
        yield client


@pytest.fixture
async def publisher(settings: PlumbingSettings) -> AsyncIterator[EventPublisher]:
    made = EventPublisher(settings=settings, metrics=Metrics("probe"))
    await made.start()
    yield made
    await made.stop()


def handling_events(case_id: str, *, start: datetime) -> list[Envelope]:
    """What routing and the handlers would publish, from assignment to the response."""

    def at(minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    def common(minutes: int, role: str = "staff") -> dict[str, Any]:
        return {
            "case_id": case_id,
            "station_id": STATION,
            "actor_role": role,
            "actor_id": "li.na",
            "at": at(minutes),
        }

    data: list[EventData] = [
        CaseAssigned(
            case_id=case_id,
            category="parking",
            station_id=STATION,
            station_name="西街联络站",
            representative_code="0412",
            representative_name="张献平",
            reason="qr: representative 0412",
            assigned_at=at(1),
        ),
        CaseAccepted(**common(2, "representative"), representative_code="0412"),
        CaseReviewed(**common(3), outcome="approved"),
        CaseTransferred(**common(4), department_id="traffic", department_name="区交通局"),
        CaseProgressed(**common(5, "department"), note="已现场查看，正在协调车位"),
        CaseResponded(**common(6), response="已在小区东侧新增30个车位"),
    ]
    return [wrap(item, case_id=case_id, time=at(i + 1)) for i, item in enumerate(data)]


def wrap(data: EventData, *, case_id: str, time: datetime) -> Envelope:
    return Envelope.wrap(
        data, source="minyi/routing", subject=case_id, correlation_id="req-loop", time=time
    )


async def publish(
    publisher: EventPublisher, settings: PlumbingSettings, envelopes: list[Envelope]
) -> None:
    await publisher.publish_many([(settings.topic(CASE_EVENTS), env) for env in envelopes])


async def view_when(
    client: httpx.AsyncClient,
    tracking_code: str,
    ready: Callable[[dict[str, Any]], bool],
    *,
    timeout_s: float = 30.0,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        response = await client.get(f"/v1/cases/{tracking_code}")
        assert response.status_code == 200
        view: dict[str, Any] = response.json()
        if ready(view):
            return view
        if time.monotonic() > deadline:
            raise AssertionError(f"the view never got there: {view}")
        await asyncio.sleep(0.1)


async def submit(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/v1/cases", json=CASE)
    assert response.status_code == 202
    receipt: dict[str, Any] = response.json()
    return receipt


async def test_a_resident_follows_the_case_to_its_response_then_rates_and_reopens_it(
    intake: httpx.AsyncClient, publisher: EventPublisher, settings: PlumbingSettings
) -> None:
    receipt = await submit(intake)
    case_id, code = receipt["case_id"], receipt["tracking_code"]
    handled = handling_events(case_id, start=datetime.now(UTC) - timedelta(hours=2))

    await publish(publisher, settings, handled)
    view = await view_when(intake, code, lambda v: v["status"] == "responded")

    assert [step["status"] for step in view["timeline"]] == [
        "submitted",
        "assigned",
        "accepted",
        "handling",
        "transferred",
        "transferred",
        "responded",
    ]
    assert view["timeline"][1]["note"] == "西街联络站 · 张献平"
    assert "区交通局" in view["timeline"][4]["note"]
    assert view["timeline"][5]["note"] == "已现场查看，正在协调车位"
    assert view["response"] == "已在小区东侧新增30个车位"
    assert view["responded_at"] is not None
    assert view["station"] == {"id": STATION, "name": "西街联络站"}
    assert view["representative"] == {"code": "0412", "name": "张献平"}
    assert (view["rating"], view["reopen_count"], view["rejection_reason"]) == (None, 0, None)
    assert view["allowed_actions"] == ["rate"]
    assert "contact" not in view

    rated = await intake.post(
        f"/v1/cases/{code}/rating",
        json={"rating": "dissatisfied", "comment": "车位离小区太远"},
        headers={"X-Request-ID": "req-rate"},
    )
    assert rated.status_code == 202
    assert rated.json()["rating"] == "dissatisfied"
    assert rated.json()["status"] == "responded"
    assert rated.json()["allowed_actions"] == ["reopen"]

    reopened = await intake.post(
        f"/v1/cases/{code.lower()}/reopen",
        json={"reason": "新增的车位离小区太远，问题没有解决"},
        headers={"X-Request-ID": "req-reopen"},
    )
    assert reopened.status_code == 202
    assert reopened.json()["status"] == "reopened"
    assert reopened.json()["reopen_count"] == 1
    assert reopened.json()["allowed_actions"] == []
    steps_after_actions = len(reopened.json()["timeline"])
    assert steps_after_actions == 9

    records = await read_topic(
        settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=1 + len(handled) + 2
    )
    mine = [r for r in records if Envelope.from_bytes(r.value).source == "minyi/intake"]
    by_type = {
        t: [r for r in mine if Envelope.from_bytes(r.value).type == t]
        for t in ("case.rated", "case.reopened")
    }
    assert [len(v) for v in by_type.values()] == [1, 1]
    for record in (*by_type["case.rated"], *by_type["case.reopened"]):
        event = Envelope.from_bytes(record.value)
        assert record.key == case_id.encode()
        assert event.subject == case_id
        assert (event.data["actor_role"], event.data["actor_id"]) == ("resident", None)
        assert event.data["station_id"] == STATION
        for secret in SECRETS:
            assert secret.encode() not in record.value
    rated_event = Envelope.from_bytes(by_type["case.rated"][0].value)
    reopened_event = Envelope.from_bytes(by_type["case.reopened"][0].value)
    assert (rated_event.correlationid, rated_event.data["rating"]) == ("req-rate", "dissatisfied")
    assert reopened_event.correlationid == "req-reopen"

    again = await intake.post(f"/v1/cases/{code}/reopen", json={"reason": "还是想再重新办理一次"})
    assert again.status_code == 409
    assert again.json()["status"] == "reopened"
    assert again.json()["allowed_actions"] == []
    assert again.json()["detail"]

    # Redeliveries (routing's events and intake's own) change nothing; a fresh event, later on
    # the same partition, shows the consumer has got past them.
    await publish(publisher, settings, [*handled, rated_event, reopened_event, *handled[:2]])
    fresh = wrap(
        CaseProgressed(
            case_id=case_id,
            station_id=STATION,
            actor_role="representative",
            actor_id="0412",
            at=datetime.now(UTC),
            note="重新协调中",
        ),
        case_id=case_id,
        time=datetime.now(UTC),
    )
    await publish(publisher, settings, [fresh])
    final = await view_when(intake, code, lambda v: len(v["timeline"]) > steps_after_actions)

    assert len(final["timeline"]) == steps_after_actions + 1
    assert final["timeline"][-1] == {
        "status": "reopened",
        "at": final["timeline"][-1]["at"],
        "note": "重新协调中",
    }
    assert (final["status"], final["reopen_count"], final["rating"]) == (
        "reopened",
        1,
        "dissatisfied",
    )
    assert [s["status"] for s in final["timeline"]] == [
        *[s["status"] for s in reopened.json()["timeline"]],
        "reopened",
    ]


async def test_a_case_without_a_response_cannot_be_rated_or_reopened(
    intake: httpx.AsyncClient,
) -> None:
    code = (await submit(intake))["tracking_code"]

    rating = await intake.post(f"/v1/cases/{code}/rating", json={"rating": "satisfied"})
    reopen = await intake.post(f"/v1/cases/{code}/reopen", json={"reason": "问题没有解决啊"})

    for refused in (rating, reopen):
        assert refused.status_code == 409
        assert refused.json()["status"] == "submitted"
        assert refused.json()["allowed_actions"] == []
    view = (await intake.get(f"/v1/cases/{code}")).json()
    assert (view["rating"], view["reopen_count"], len(view["timeline"])) == (None, 0, 1)


async def test_resident_actions_on_an_unknown_tracking_code_get_404(
    intake: httpx.AsyncClient,
) -> None:
    unknown = "MY-" + "0" * 26
    for path in (f"/v1/cases/{unknown}", "/v1/cases/not-a-code"):
        rating = await intake.post(f"{path}/rating", json={"rating": "satisfied"})
        reopen = await intake.post(f"{path}/reopen", json={"reason": "问题没有解决啊"})
        assert (rating.status_code, reopen.status_code) == (404, 404)


async def test_bad_action_bodies_get_422_one_message_per_field(
    intake: httpx.AsyncClient,
) -> None:
    code = (await submit(intake))["tracking_code"]

    rating = await intake.post(
        f"/v1/cases/{code}/rating", json={"rating": "great", "comment": "x" * 501, "stars": 5}
    )
    reopen = await intake.post(f"/v1/cases/{code}/reopen", json={"reason": "短"})

    assert rating.status_code == 422
    assert {e["field"] for e in rating.json()["detail"]} == {"rating", "comment", "stars"}
    assert reopen.status_code == 422
    assert {e["field"] for e in reopen.json()["detail"]} == {"reason"}
