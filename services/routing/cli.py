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
from services.routing.adapters.user_repository import UserRepository, read_users_file
from services.routing.settings import RoutingSettings
from shared.mongo import create_client, service_database

USAGE = "usage: python -m services.routing [serve | seed-demo [FILE]]"


async def seed(path: Path, settings: RoutingSettings) -> str:
    directory = read_directory_file(path)
    users = read_users_file(path)
    client = create_client(settings)
    try:
        db = service_database(client, settings)
        await DirectoryRepository(db).save(directory)
        await UserRepository(db).save(users)
    finally:
        await client.close()
    return (
        f"directory loaded from {path.name}: {len(directory.stations)} stations, "
        f"{len(directory.liaison_points)} liaison points, "
        f"{len(directory.representatives)} representatives, "
        f"{len(directory.departments)} departments, {len(users)} accounts"
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
