"""Wiring: settings → runtime → repositories → the container of the routes, the routers, and
the consumers and relay started with the app."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.entrypoints import http, pages_form, pages_tracking, qr, staff_http
from services.intake.entrypoints.consumers import case_events_consumer, directory_consumer
from services.intake.entrypoints.deps import Container
from services.intake.entrypoints.errors import install_error_handlers
from services.intake.open311 import routes as open311
from services.intake.settings import IntakeSettings
from services.intake.web import STATIC
from shared.runtime import ServiceRuntime
from shared.web.pages import mount_static


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    runtime = ServiceRuntime(settings)
    cases = CaseRepository(runtime.db)
    directory = DirectoryCopy(runtime.db)
    relay = runtime.relay([cases.collection])

    async def on_start() -> None:
        async def setup() -> None:
            await cases.ensure_indexes()
            await directory.ensure_indexes()

        runtime.spawn_setup(setup)
        runtime.spawn("outbox", relay.run)
        runtime.spawn("consumer.cases", case_events_consumer(runtime, cases).run)
        runtime.spawn("consumer.directory", directory_consumer(runtime, directory).run)

    app = runtime.app(
        title="Minyi intake",
        description="Residents submit opinions and suggestions and follow them by tracking code.",
        on_start=on_start,
    )
    app.state.container = Container.of(
        settings=settings, cases=cases, directory=directory, relay=relay
    )
    app.include_router(http.router)
    app.include_router(staff_http.router)
    app.include_router(qr.router)
    app.include_router(open311.router)
    app.include_router(pages_form.router)
    app.include_router(pages_tracking.router)
    mount_static(app, service="intake", directory=STATIC)
    install_error_handlers(app)
    return app
