"""`python -m services.routing [serve | seed-demo [FILE]]`."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from services.routing.adapters.directory_repository import (
    DEMO_DIRECTORY,
    DirectoryRepository,
    read_directory_file,
)
from services.routing.settings import RoutingSettings
from shared.mongo import create_client, service_database

USAGE = "usage: python -m services.routing [serve | seed-demo [FILE]]"


async def seed(path: Path, settings: RoutingSettings) -> str:
    directory = read_directory_file(path)
    client = create_client(settings)
    try:
        await DirectoryRepository(service_database(client, settings)).save(directory)
    finally:
        await client.close()
    return (
        f"directory loaded from {path.name}: {len(directory.stations)} stations, "
        f"{len(directory.liaison_points)} liaison points, "
        f"{len(directory.representatives)} representatives"
    )


def main(argv: list[str]) -> int:
    settings = RoutingSettings()
    if not argv or argv == ["serve"]:
        from services.routing.app import create_app
        from shared.serve import serve

        serve(create_app(settings), settings)
        return 0
    if argv[0] == "seed-demo" and len(argv) <= 2:
        path = Path(argv[1]) if len(argv) == 2 else DEMO_DIRECTORY
        print(asyncio.run(seed(path, settings)))
        return 0
    print(USAGE, file=sys.stderr)
    return 2
