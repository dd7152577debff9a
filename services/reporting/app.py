"""Wiring: settings → runtime → read models → handlers → routes and consumers."""

from __future__ import annotations

from fastapi import FastAPI

from services.reporting.adapters.read_models import ReadModels
from services.reporting.entrypoints.consumers import case_events_consumer
from services.reporting.entrypoints.http import build_router
from services.reporting.settings import ReportingSettings
from shared.runtime import ServiceRuntime


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    runtime = ServiceRuntime(settings)
    read_models = ReadModels(runtime.db)

    async def on_start() -> None:
        runtime.spawn_setup(read_models.ensure_indexes)
        runtime.spawn("consumer.cases", case_events_consumer(runtime, read_models).run)

    app = runtime.app(
        title="Minyi reporting",
        description="Per-station and city-wide figures, built only from events.",
        on_start=on_start,
    )
    app.include_router(build_router(read_models=read_models))
    return app
