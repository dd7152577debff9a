"""Wiring: settings → runtime → read models → handlers → routes and consumers."""

from __future__ import annotations

from fastapi import FastAPI

from services.reporting.adapters.read_models import ReadModels
from services.reporting.entrypoints.consumers import consumers
from services.reporting.entrypoints.http import build_router
from services.reporting.entrypoints.pages import install_pages
from services.reporting.settings import ReportingSettings
from shared.runtime import ServiceRuntime


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    runtime = ServiceRuntime(settings)
    read_models = ReadModels(runtime.db)

    async def on_start() -> None:
        runtime.spawn_setup(read_models.ensure_indexes)
        for purpose, consumer in consumers(runtime, read_models).items():
            runtime.spawn(f"consumer.{purpose}", consumer.run)

    app = runtime.app(
        title="Minyi reporting",
        description="Figures per station, representative, category, liaison point and city, "
        "built only from events.",
        on_start=on_start,
    )
    app.include_router(build_router(read_models=read_models))
    install_pages(app, read_models=read_models, settings=settings)
    return app
