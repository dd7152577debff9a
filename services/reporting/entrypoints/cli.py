"""reporting's command line: `serve` (default) and `rebuild`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from services.reporting.adapters.read_models import ReadModels
from services.reporting.entrypoints.rebuild import Progress, print_progress, rebuild
from services.reporting.settings import ReportingSettings
from shared.case_keys import CaseKeys
from shared.mongo import create_client, service_database
from shared.settings import load_settings

USAGE = "usage: python -m services.reporting [serve | rebuild]"


async def run_rebuild(settings: ReportingSettings, *, progress: Progress | None = None) -> int:
    """Returns how many events were replayed; `minyi reports rebuild` passes its own progress."""
    client = create_client(settings)
    db = service_database(client, settings)
    try:
        return await rebuild(
            settings=settings,
            read_models=ReadModels(db, zone=settings.zone),
            progress=progress or print_progress(),
            keys=CaseKeys(db),
        )
    finally:
        await client.close()


def main(argv: list[str], *, serve: Callable[[ReportingSettings], None]) -> int:
    """`serve` runs the HTTP app with its consumers (`app.serve`, passed in by `__main__`)."""
    settings = load_settings(ReportingSettings)
    if not argv or argv == ["serve"]:
        serve(settings)
        return 0
    if argv == ["rebuild"]:
        replayed = asyncio.run(run_rebuild(settings))
        print(f"read models rebuilt from {replayed} events")
        return 0
    print(USAGE, file=sys.stderr)
    return 2
