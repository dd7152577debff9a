"""intake's HTTP API in process, on the real store and broker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.intake.app import create_app
from services.intake.domain.tracking import TRACKING_CODE_PATTERN
from services.intake.settings import IntakeSettings
from shared.events.envelope import Envelope
from shared.topics import CASE_EVENTS
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.kafka_tools import read_topic

CASE = {"category": "parking", "text": "小区里要增加一些停车位", "liaison_point_id": "baiyun"}


@pytest.fixture
async def intake(settings: PlumbingSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        IntakeSettings(
            kafka_bootstrap=settings.kafka_bootstrap,
            mongo_url=settings.mongo_url,
            namespace=settings.namespace,
            max_body_bytes=64 * 1024,
            outbox_poll_seconds=0.1,
        )
    )
    async with serving(app, "intake") as client:
        yield client


async def test_a_submission_is_accepted_tracked_and_published_without_contact_data(
    intake: httpx.AsyncClient, settings: PlumbingSettings
) -> None:
    body = {
        **CASE,
        "contact": {"name": "王阿姨", "phone": "+86 138 0000 1234", "email": "wang@example.cn"},
    }
    response = await intake.post("/v1/cases", json=body, headers={"X-Request-ID": "req-42"})

    assert response.status_code == 202
    receipt = response.json()
    assert receipt["status"] == "submitted"
    assert TRACKING_CODE_PATTERN.match(receipt["tracking_code"])
    assert response.headers["x-request-id"] == "req-42"

    view = await intake.get(f"/v1/cases/{receipt['tracking_code'].lower()}")
    assert view.status_code == 200
    assert view.json()["status"] == "submitted"
    assert view.json()["text"] == CASE["text"]
    assert "contact" not in view.json()

    records = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=1)
    assert len(records) == 1
    event = Envelope.from_bytes(records[0].value)
    assert (event.type, event.subject, event.correlationid) == (
        "case.submitted",
        receipt["case_id"],
        "req-42",
    )
    assert event.data["has_contact"] is True
    for secret in ("王阿姨", "138 0000 1234", "wang@example.cn"):
        assert secret.encode() not in records[0].value


async def test_invalid_fields_get_422_with_one_message_per_field(
    intake: httpx.AsyncClient,
) -> None:
    response = await intake.post(
        "/v1/cases",
        json={
            "category": "bad code!",
            "text": "短",
            "channel": "fax",
            "colour": "red",
            "contact": {"phone": "+86 138 0000 1234", "language": "fr"},
        },
    )
    assert response.status_code == 422
    fields = {err["field"] for err in response.json()["detail"]}
    assert fields == {"category", "text", "channel", "colour", "contact.language"}
    assert all(err["msg"] for err in response.json()["detail"])


async def test_a_body_that_is_not_json_gets_422_not_500(intake: httpx.AsyncClient) -> None:
    response = await intake.post(
        "/v1/cases", content=b"{category: parking", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


async def test_an_oversized_body_gets_413(intake: httpx.AsyncClient) -> None:
    response = await intake.post("/v1/cases", json={**CASE, "text": "长" * 40_000})
    assert response.status_code == 413


async def test_unknown_and_malformed_tracking_codes_get_404(intake: httpx.AsyncClient) -> None:
    assert (await intake.get("/v1/cases/MY-" + "0" * 26)).status_code == 404
    assert (await intake.get("/v1/cases/not-a-code")).status_code == 404


async def test_a_retried_submission_with_the_same_key_returns_the_first_case(
    intake: httpx.AsyncClient, settings: PlumbingSettings
) -> None:
    headers = {"Idempotency-Key": "retry-key-0001"}
    first = await intake.post("/v1/cases", json=CASE, headers=headers)
    # The same content with other spacing and key order is the same submission.
    again = await intake.post(
        "/v1/cases",
        content=b'{ "liaison_point_id": "baiyun", "text": "\xe5\xb0\x8f\xe5\x8c\xba\xe9\x87\x8c'
        b"\xe8\xa6\x81\xe5\xa2\x9e\xe5\x8a\xa0\xe4\xb8\x80\xe4\xba\x9b\xe5\x81\x9c\xe8\xbd\xa6"
        b'\xe4\xbd\x8d", "category": "parking" }',
        headers={**headers, "content-type": "application/json"},
    )
    assert first.status_code == again.status_code == 202
    assert again.json()["case_id"] == first.json()["case_id"]
    assert again.json()["tracking_code"] == first.json()["tracking_code"]

    other = await intake.post(
        "/v1/cases", json={**CASE, "text": "另一件不同的事情"}, headers=headers
    )
    assert other.status_code == 409

    records = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=1)
    assert len(records) == 1


async def test_health_readiness_and_metrics_answer(intake: httpx.AsyncClient) -> None:
    assert (await intake.get("/healthz")).json() == {"status": "ok"}
    ready = await intake.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "store": "ok",
        "kafka": "ok",
        "schema": "ok",
        "consumers": "ok",
        "staff_sessions": "ok",
    }
    await intake.post("/v1/cases", json=CASE)
    metrics = (await intake.get("/metrics")).text
    assert 'minyi_http_requests_total{method="POST",route="/v1/cases",status="202"}' in metrics
    assert (await intake.get("/openapi.json")).json()["paths"]["/v1/cases"]["post"]


async def test_a_client_over_its_rate_gets_429_with_retry_after(
    settings: PlumbingSettings,
) -> None:
    app = create_app(
        IntakeSettings(
            kafka_bootstrap=settings.kafka_bootstrap,
            mongo_url=settings.mongo_url,
            namespace=settings.namespace,
            rate_limit_per_minute=6,
            rate_limit_burst=2,
        )
    )
    async with serving(app, "intake", ready=False) as client:
        codes = [(await client.post("/v1/cases", json=CASE)).status_code for _ in range(3)]
        assert codes == [202, 202, 429]
        limited = await client.post("/v1/cases", json=CASE)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 10
        # Reading is not limited.
        assert (await client.get("/healthz")).status_code == 200
