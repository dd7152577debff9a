"""The directory in routing's database: one collection per kind of entry."""

from __future__ import annotations

from pathlib import Path

import yaml
from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.domain.directory import Directory
from shared.mongo import Document

DEMO_DIRECTORY = Path(__file__).resolve().parent.parent / "demo_directory.yaml"

# (collection, Directory field, the entry's key field)
_KINDS = (
    ("categories", "categories", "code"),
    ("departments", "departments", "id"),
    ("stations", "stations", "id"),
    ("liaison_points", "liaison_points", "id"),
    ("representatives", "representatives", "code"),
)


def read_directory_file(path: Path) -> Directory:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data.pop("users", None)  # accounts are not directory data; see read_users_file
    return Directory.model_validate(data)


class DirectoryRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db

    async def save(self, directory: Directory) -> None:
        """Upsert every entry; entries not in `directory` are left alone (never deleted)."""
        data = directory.model_dump(mode="json")
        for collection, field, key in _KINDS:
            ops = [ReplaceOne({"_id": e[key]}, e, upsert=True) for e in data[field]]
            if ops:
                await self._db[collection].bulk_write(ops, ordered=False)
        await self._db["directory_settings"].replace_one(
            {"_id": "default"}, {"default_station": directory.default_station}, upsert=True
        )

    async def load(self) -> Directory | None:
        settings = await self._db["directory_settings"].find_one({"_id": "default"})
        if settings is None:
            return None
        parts: dict[str, list[Document]] = {}
        for collection, field, _ in _KINDS:
            parts[field] = await self._db[collection].find({}, {"_id": 0}).to_list()
        return Directory.model_validate({"default_station": settings["default_station"], **parts})
