"""Wiring: settings → runtime → read models → container → routes, pages and consumers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from services.reporting.adapters.read_models import ReadModels
from services.reporting.entrypoints import (
    duty_record_http,
    duty_record_pages,
    exports_http,
    pages,
    public_http,
    reports_http,
)
from services.reporting.entrypoints.consumers import consumers
from services.reporting.entrypoints.deps import Container
from services.reporting.entrypoints.errors import install_error_handlers
from services.reporting.settings import ReportingSettings
from services.reporting.web import STATIC, TEMPLATES
from services.reporting.web.catalog import CATALOG
from shared.periodic import recount_every
from shared.runtime import ServiceRuntime
from shared.serve import serve as serve_app
from shared.web.pages import Pages, mount_static


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    runtime = ServiceRuntime(settings)
    read_models = ReadModels(runtime.db, zone=settings.zone)

    def after_schema(run: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """Folding waits for the setup, which moves the buckets of older versions first."""

        async def waiting() -> None:
            await runtime.wait_schema()
            await run()

        return waiting

    async def on_start() -> None:
        runtime.spawn_setup(read_models.ensure_indexes)
        for purpose, consumer in consumers(runtime, read_models).items():
            runtime.spawn(f"consumer.{purpose}", after_schema(consumer.run))
        runtime.spawn("consumer.sessions", runtime.sessions_consumer().run)
        runtime.spawn("consumer.keys", runtime.keys_consumer().run)

        async def now() -> None:
            await runtime.wait_schema()  # the `open` index serves the recount
            await recount_every(
                settings.now_recount_seconds,
                read_models.recount_now,
                event="reporting.now_recounted",
            )

        runtime.spawn("now", now)

    app = runtime.app(
        title="Minyi reporting",
        description="Figures per station, representative, category, liaison point and city, "
        "built only from events.",
        on_start=on_start,
    )
    app.state.container = Container(
        settings=settings,
        read_models=read_models,
        pages=Pages(templates=TEMPLATES, catalog=CATALOG),
    )
    install_error_handlers(app)
    app.include_router(reports_http.router)
    app.include_router(exports_http.router)
    app.include_router(public_http.router)
    app.include_router(duty_record_http.router)
    app.include_router(duty_record_http.public_router)
    app.include_router(pages.router)
    app.include_router(duty_record_pages.router)
    mount_static(app, service="reporting", directory=STATIC)
    return app


def serve(settings: ReportingSettings) -> None:
    """Run the app (`python -m services.reporting serve`)."""
    serve_app(create_app(settings), settings)
