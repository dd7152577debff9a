"""Wiring: settings → runtime → repositories → the routes' container, consumers and workers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
from fastapi import FastAPI
from pydantic import AnyHttpUrl

from services.notify.adapters.address_book import AddressBook
from services.notify.adapters.dead_letters import DeliveryDeadLetters
from services.notify.adapters.deliveries import DeliveryRepository
from services.notify.adapters.email_sender import EmailSender
from services.notify.adapters.erasure import ContactErasure
from services.notify.adapters.gateway_sender import GatewaySender
from services.notify.adapters.inbox_repository import InboxRepository
from services.notify.adapters.preferences_repository import PreferencesRepository
from services.notify.adapters.resident_contacts import ResidentContacts
from services.notify.domain.delivery import PushChannel
from services.notify.entrypoints import inbox_http, preferences_http, templates_http
from services.notify.entrypoints.consumers import case_events_consumer, resident_contacts_consumer
from services.notify.entrypoints.delivery_workers import DeliveryWorker
from services.notify.entrypoints.deps import Container
from services.notify.entrypoints.errors import install_error_handlers
from services.notify.handlers.case_notifications import PushQueue
from services.notify.handlers.push_delivery import Sender
from services.notify.settings import NotifySettings
from shared.runtime import ServiceRuntime


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = ServiceRuntime(settings)
    inbox = InboxRepository(runtime.db)
    deliveries = DeliveryRepository(runtime.db)
    preferences = PreferencesRepository(runtime.db)
    contacts = ResidentContacts(runtime.db, wait_s=settings.contact_wait_s)
    erasures = ContactErasure(runtime.db)
    relay = runtime.relay([inbox.collection, deliveries.collection])
    gateway_client = httpx.AsyncClient(timeout=settings.gateway_timeout_s)
    senders = _senders(settings, gateway_client)
    dead_letters = DeliveryDeadLetters(settings=settings, publisher=runtime.publisher)
    workers = [
        DeliveryWorker(
            channel=channel,
            sender=sender,
            deliveries=deliveries,
            dead_letters=dead_letters,
            relay=relay,
            settings=settings,
            metrics=runtime.metrics,
        )
        for channel, sender in senders.items()
    ]
    push = PushQueue(
        channels=frozenset(senders),
        deliveries=deliveries,
        addresses=AddressBook(staff=settings.staff_addresses(), residents=contacts),
    )

    def wake_workers() -> None:
        for worker in workers:
            worker.wake()

    async def ensure_indexes() -> None:
        await inbox.ensure_indexes()
        await deliveries.ensure_indexes()
        await erasures.ensure_indexes()
        await contacts.ensure_indexes()

    async def on_start() -> None:
        runtime.spawn_setup(ensure_indexes)
        runtime.spawn("outbox", relay.run)
        runtime.spawn(
            "consumer.contacts",
            resident_contacts_consumer(runtime, contacts=contacts, erasures=erasures).run,
        )
        consumer = case_events_consumer(
            runtime,
            inbox=inbox,
            preferences=preferences,
            contacts=contacts,
            push=push,
            relay=relay,
            wake_workers=wake_workers,
            erasures=erasures,
        )
        runtime.spawn("consumer.cases", consumer.run)
        runtime.spawn("consumer.sessions", runtime.sessions_consumer().run)
        runtime.spawn("consumer.keys", runtime.keys_consumer().run)
        for worker in workers:
            runtime.spawn(f"deliveries.{worker.channel}", worker.run)
        runtime.spawn("gateway.client", _closes(gateway_client))

    app = runtime.app(
        title="Minyi notify",
        description="Tells representatives, staff and residents what they need to know.",
        on_start=on_start,
    )
    app.state.container = Container(
        inbox=inbox,
        preferences=preferences,
    )
    app.include_router(inbox_http.router)
    app.include_router(templates_http.router)
    app.include_router(preferences_http.router)
    install_error_handlers(app)
    return app


def _senders(settings: NotifySettings, client: httpx.AsyncClient) -> dict[PushChannel, Sender]:
    """The push channels configured; with none, notify still fills the inboxes."""
    senders: dict[PushChannel, Sender] = {}
    if settings.smtp_host:
        senders["email"] = EmailSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            timeout_s=settings.smtp_timeout_s,
            tls=settings.smtp_tls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        )
    secret = settings.gateway_secret.get_secret_value().encode() if settings.gateway_secret else b""
    gateways: dict[PushChannel, AnyHttpUrl | None] = {
        "sms": settings.sms_gateway_url,
        "im": settings.im_gateway_url,
    }
    for channel, url in gateways.items():
        if url is not None:
            senders[channel] = GatewaySender(client=client, url=str(url), secret=secret)
    return senders


def _closes(client: httpx.AsyncClient) -> Callable[[], Awaitable[None]]:
    """A task that closes the gateways' HTTP client when the runtime stops its tasks."""

    async def hold_until_stopped() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await client.aclose()

    return hold_until_stopped
