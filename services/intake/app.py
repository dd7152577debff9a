"""Wiring: settings → runtime → repositories → handlers → routes and consumers."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.entrypoints.consumers import case_events_consumer, directory_consumer
from services.intake.entrypoints.http import IntakeDeps, build_router, install_error_handlers
from services.intake.entrypoints.open311 import build_open311_router
from services.intake.entrypoints.pages import mount_pages
from services.intake.entrypoints.qr import build_qr_router
from services.intake.entrypoints.staff_http import build_staff_router
from services.intake.settings import IntakeSettings
from shared.rate_limit import RateLimiter, rate_limited
from shared.runtime import ServiceRuntime


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
    limit = rate_limited(
        RateLimiter(per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst),
        trust_forwarded_for=settings.trust_forwarded_for,
    )
    deps = IntakeDeps(cases=cases, directory=directory, relay=relay, limit=limit)
    app.include_router(build_router(deps))
    app.include_router(build_staff_router(deps=deps, settings=settings))
    app.include_router(build_qr_router(directory=directory, settings=settings))
    app.include_router(
        build_open311_router(
            cases=cases, directory=directory, relay=relay, settings=settings, limit=limit
        )
    )
    mount_pages(app, deps=deps, settings=settings)
    install_error_handlers(app)
    return app
