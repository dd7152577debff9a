"""notify in process with a real SMTP server (aiosmtpd): an escalation emails the station head
once, even when redelivered, and an SMTP outage delays the email (the worker retries it)
without holding up the inbox or dead-lettering anything."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from services.notify.adapters.email_sender import message_id_header
from services.notify.app import create_app
from services.notify.settings import NotifySettings
from shared.events.case_events import CaseEscalated
from shared.events.envelope import Envelope
from shared.topics import NOTIFICATION_EVENTS, dead_letter_topic
from tests.conftest import PlumbingSettings
from tests.infra import free_port
from tests.integration.test_notify_inbox import publish, wrap
from tests.kafka_tools import read_topic

AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
HEAD = "head@xijie.example"


class Collector:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
def smtp(port: int, collector: Collector) -> Iterator[Controller]:
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    yield controller
    if getattr(controller, "_thread", None) is not None:
        controller.stop()


@asynccontextmanager
async def running(settings: PlumbingSettings, port: int) -> AsyncIterator[FastAPI]:
    app = create_app(
        NotifySettings(
            kafka_bootstrap=settings.kafka_bootstrap,
            mongo_url=settings.mongo_url,
            namespace=settings.namespace,
            outbox_poll_seconds=0.1,
            consumer_retry_max_seconds=0.5,
            delivery_backoff_base_s=0.1,
            delivery_backoff_cap_s=0.5,
            delivery_poll_s=0.2,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_from="minyi@minyi.example",
            smtp_timeout_s=2,
            email_addresses={"station_head:xijie": HEAD},
        )
    )
    async with app.router.lifespan_context(app):
        yield app


def escalation(case_id: str) -> Envelope:
    return wrap(
        CaseEscalated(
            case_id=case_id,
            station_id="xijie",
            actor_role="system",
            at=AT,
            deadline="accept",
            due_at=AT,
        ),
        case_id,
    )


async def until_emails(collector: Collector, n: int) -> None:
    for _ in range(300):
        if len(collector.messages) >= n:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"wanted {n} emails within 30 s, got {len(collector.messages)}")


def assert_escalation_email(collector: Collector, envelope: Envelope, case_id: str) -> None:
    [(rcpt, message)] = collector.messages
    key = f"{envelope.id}:station_head:xijie:email"
    assert rcpt == [HEAD]
    assert message["To"] == HEAD
    assert message["Subject"] == "【督办】意见建议超时未受理"
    assert message["Message-ID"].strip() == message_id_header(key, "minyi.example")
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    assert f"意见建议（编号 {case_id}）已超过受理时限" in plain.get_content()
    assert f"<p>意见建议（编号 {case_id}）已超过受理时限" in html.get_content()


async def test_an_escalation_emails_the_station_head_once_even_when_redelivered(
    settings: PlumbingSettings, port: int, smtp: Controller, collector: Collector
) -> None:
    smtp.start()
    case_id = uuid.uuid4().hex
    envelope = escalation(case_id)
    async with running(settings, port):
        await publish(settings, [envelope])
        await until_emails(collector, 1)
        assert_escalation_email(collector, envelope, case_id)

        await publish(settings, [envelope])
        records = await read_topic(
            settings.kafka_bootstrap, settings.topic(NOTIFICATION_EVENTS), expect=2
        )
        # Let the redelivery be handled (it is on the same partition, after the first).
        await asyncio.sleep(2)
    assert len(collector.messages) == 1
    sent = [Envelope.from_bytes(r.value) for r in records]
    assert sorted(e.data["channel"] for e in sent) == ["email", "inbox"]
    assert {e.type for e in sent} == {"notification.sent"}


async def test_an_smtp_outage_delays_the_email_without_dead_lettering_it(
    settings: PlumbingSettings, port: int, smtp: Controller, collector: Collector
) -> None:
    case_id = uuid.uuid4().hex
    envelope = escalation(case_id)
    async with running(settings, port):
        await publish(settings, [envelope])
        # The inbox message goes out although the relay is down.
        await read_topic(settings.kafka_bootstrap, settings.topic(NOTIFICATION_EVENTS), expect=1)
        await asyncio.sleep(3)  # several retries with backoff
        assert collector.messages == []
        dlq = settings.topic(dead_letter_topic("notify.cases"))
        # The consumer creates its dead-letter topic when it connects; it stays empty.
        assert await read_topic(settings.kafka_bootstrap, dlq, expect=0) == []

        smtp.start()
        await until_emails(collector, 1)
        assert_escalation_email(collector, envelope, case_id)
        records = await read_topic(
            settings.kafka_bootstrap, settings.topic(NOTIFICATION_EVENTS), expect=2
        )
    assert sorted(Envelope.from_bytes(r.value).data["channel"] for r in records) == [
        "email",
        "inbox",
    ]
