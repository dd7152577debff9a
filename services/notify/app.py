"""Wiring: settings → runtime → repositories → handlers → routes and consumers."""

from __future__ import annotations

from fastapi import FastAPI

from services.notify.adapters.email_deliveries import EmailDeliveries
from services.notify.adapters.email_sender import EmailSender
from services.notify.adapters.inbox_repository import InboxRepository
from services.notify.entrypoints.consumers import case_events_consumer
from services.notify.entrypoints.http import build_router, build_templates_router
from services.notify.handlers import EmailChannel
from services.notify.settings import NotifySettings
from shared.runtime import ServiceRuntime


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = ServiceRuntime(settings)
    inbox = InboxRepository(runtime.db)
    deliveries = EmailDeliveries(runtime.db)
    relay = runtime.relay([inbox.collection, deliveries.collection])
    email = (
        EmailChannel(
            sender=EmailSender(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_from,
                timeout_s=settings.smtp_timeout_s,
            ),
            deliveries=deliveries,
            addresses=settings.email_addresses,
        )
        if settings.smtp_host
        else None
    )

    async def ensure_indexes() -> None:
        await inbox.ensure_indexes()
        await deliveries.ensure_indexes()

    async def on_start() -> None:
        runtime.spawn_setup(ensure_indexes)
        runtime.spawn("outbox", relay.run)
        consumer = case_events_consumer(runtime, inbox=inbox, relay=relay, email=email)
        runtime.spawn("consumer.cases", consumer.run)

    app = runtime.app(
        title="Minyi notify",
        description="Tells representatives, staff and residents what they need to know.",
        on_start=on_start,
    )
    app.include_router(build_router(inbox=inbox))
    app.include_router(build_templates_router())
    return app
