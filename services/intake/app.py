"""Wiring: settings → runtime → repositories → the container of the routes, the routers, and
the consumers and relay started with the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.adapters.erasure import ContactTombstones, ErasureRepository
from services.intake.entrypoints import (
    admin_http,
    http,
    pages_form,
    pages_tracking,
    qr,
    staff_http,
)
from services.intake.entrypoints.consumers import case_events_consumer, directory_consumer
from services.intake.entrypoints.deps import Container
from services.intake.entrypoints.errors import install_error_handlers
from services.intake.entrypoints.privacy_timers import ErasureFinisher, RetentionScheduler
from services.intake.open311 import routes as open311
from services.intake.settings import IntakeSettings
from services.intake.web import STATIC
from shared.case_keys import KeyTombstones
from shared.runtime import ServiceRuntime
from shared.web.pages import mount_static


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    runtime = ServiceRuntime(settings)
    cases = CaseRepository(runtime.db)
    directory = DirectoryCopy(runtime.db)
    relay = runtime.relay([cases.collection])
    erasures = ErasureRepository(runtime.db)
    finisher = ErasureFinisher(
        erasures=erasures,
        tombstones=ContactTombstones(publisher=runtime.publisher, settings=settings),
        key_tombstones=KeyTombstones(publisher=runtime.publisher, settings=settings),
        publisher=runtime.publisher,
    )
    retention = RetentionScheduler(
        erasures=erasures,
        relay=relay,
        wake_finisher=finisher.wake,
        retention_days=settings.contact_retention_days,
        interval_s=settings.retention_check_seconds,
    )

    def after_schema(run: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        async def waiting() -> None:
            # The timers read through indexes (and a migrated store) that setup creates.
            await runtime.wait_schema()
            await run()

        return waiting

    async def on_start() -> None:
        async def setup() -> None:
            await cases.ensure_indexes()
            await directory.ensure_indexes()
            await erasures.ensure_indexes()

        runtime.spawn_setup(setup)
        runtime.spawn("outbox", relay.run)
        runtime.spawn("erasure.finisher", after_schema(finisher.run))
        runtime.spawn("retention", after_schema(retention.run))
        runtime.spawn("consumer.cases", case_events_consumer(runtime, cases).run)
        runtime.spawn("consumer.directory", directory_consumer(runtime, directory).run)
        runtime.spawn("consumer.sessions", runtime.sessions_consumer().run)
        runtime.spawn("consumer.keys", runtime.keys_consumer().run)

    app = runtime.app(
        title="Minyi intake",
        description="Residents submit opinions and suggestions and follow them by tracking code.",
        on_start=on_start,
    )
    app.state.container = Container.of(
        settings=settings,
        cases=cases,
        directory=directory,
        relay=relay,
        wake_erasures=finisher.wake,
    )
    app.include_router(http.router)
    app.include_router(staff_http.router)
    app.include_router(admin_http.router)
    app.include_router(qr.router)
    app.include_router(open311.router)
    app.include_router(pages_form.router)
    app.include_router(pages_tracking.router)
    mount_static(app, service="intake", directory=STATIC)
    install_error_handlers(app)
    return app
