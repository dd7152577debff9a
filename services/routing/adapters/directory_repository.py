"""The directory in routing's database: one collection per kind of entry."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml
from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.domain.directory import Directory, Representative
from shared.events.directory_events import (
    DirectoryEntryChanged,
    DirectoryKind,
    directory_subject,
)
from shared.events.envelope import Envelope
from shared.logging import current_correlation_id, new_correlation_id
from shared.mirror import RevisionedMirror
from shared.mongo import Document, find_in, insert_new
from shared.outbox import HIDE_OUTBOX, ensure_outbox_index, with_outbox
from shared.topics import DIRECTORY

DEMO_DIRECTORY = Path(__file__).resolve().parent.parent / "demo_directory.yaml"
# The whole city (domain/city.py), written by `python -m services.routing directory generate-city`.
CITY_DIRECTORY = Path(__file__).resolve().parent.parent / "city_directory.yaml"
# A directory file's sections, in the order the demo's file has them.
_SECTIONS = ("categories", "stations", "liaison_points", "representatives", "departments", "users")

# (collection, Directory field, the entry's key field, the kind on the directory topic)
_KINDS: tuple[tuple[str, str, str, DirectoryKind], ...] = (
    ("categories", "categories", "code", "category"),
    ("departments", "departments", "id", "department"),
    ("stations", "stations", "id", "station"),
    ("liaison_points", "liaison_points", "id", "liaison_point"),
    ("representatives", "representatives", "code", "representative"),
)
COLLECTIONS = (*(k[0] for k in _KINDS), "directory_settings")
_STORED_ONLY = {"_id": 0, **HIDE_OUTBOX}


def _published(kind: DirectoryKind, key: str, entry: Document) -> Envelope:
    return Envelope.wrap(
        DirectoryEntryChanged(kind=kind, key=key, entry=entry),
        source="minyi/routing",
        subject=directory_subject(kind, key),
        correlation_id=current_correlation_id() or new_correlation_id(),
    )


def read_representatives_csv(path: Path) -> list[Representative]:
    """Columns: code,name,level,station,points,specialties,active (lists `;`-separated)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"code", "name", "level", "station"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path.name} lacks the column(s) {', '.join(sorted(missing))}")
        rows = list(reader)
    return [
        Representative(
            code=row["code"].strip(),
            name=row["name"].strip(),
            level=row["level"].strip(),
            station=row["station"].strip(),
            points=tuple(p for p in (row.get("points") or "").split(";") if p),
            specialties=tuple(s for s in (row.get("specialties") or "").split(";") if s),
            active=(row.get("active") or "true").strip().lower() not in ("false", "0", "no"),
        )
        for row in rows
    ]


def directory_file_text(data: dict[str, Any], *, header: str) -> str:
    """A directory file as the demo's is written: one entry a line, so that a diff of a
    regenerated file shows the entries that changed and nothing else."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += ["", f"default_station: {data['default_station']}"]
    for section in _SECTIONS:
        if section not in data:
            continue
        lines += ["", f"{section}:"]
        lines += [
            "  - "
            + yaml.safe_dump(
                entry, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10**9
            ).strip()
            for entry in data[section]
        ]
    return "\n".join(lines) + "\n"


# libyaml's loader when PyYAML was built with it: the city's file parses in a sixth of the time.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_directory_file(path: Path) -> Directory:
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=_YAML_LOADER)
    data.pop("users", None)  # accounts are not directory data; see read_users_file
    return Directory.model_validate(data)


class DirectoryRepository:
    def __init__(self, db: AsyncDatabase[Document], *, check_every_s: float = 1.0) -> None:
        self._db = db
        # Read per routed batch and per staff action; changed by admins now and then.
        self._mirror: RevisionedMirror[Directory | None] = RevisionedMirror(
            revisions=db["revisions"],
            name="directory",
            load=self._read,
            check_every_s=check_every_s,
        )

    async def ensure_indexes(self) -> None:
        for collection in self.collections():
            await ensure_outbox_index(collection)

    def collections(self) -> list[AsyncCollection[Document]]:
        """Where directory events wait to be published (the relay reads them)."""
        return [self._db[name] for name in COLLECTIONS]

    async def save(self, directory: Directory, *, only: tuple[str, str] | None = None) -> None:
        """Store every new or changed entry, each with its `directory` event in the same write.

        Entries not in `directory` are left alone (never deleted). A replaced entry's
        unpublished older event goes with it: the topic only needs the latest state. An entry
        equal to the stored one is not written again, nor published: the compacted topic has
        it already. New entries go in one `insert_many` per kind and changed ones in one
        `bulk_write`, because the store commits each statement of a bulk write on its own:
        the city's 1,027 representatives load in one commit, not 1,027.
        """
        data = directory.model_dump(mode="json")
        for collection, field, key, kind in _KINDS:
            if only is not None and only[0] != field:
                continue
            entries = [e for e in data[field] if only is None or e[key] == only[1]]
            if entries:
                await self._store(self._db[collection], entries, key=key, kind=kind)
        if only is None:
            await self._store(
                self._db["directory_settings"],
                [{"_id": "default", "default_station": directory.default_station}],
                key="_id",
                kind="settings",
            )
        await self._mirror.changed()

    async def _store(
        self,
        collection: AsyncCollection[Document],
        entries: list[Document],
        *,
        key: str,
        kind: DirectoryKind,
    ) -> None:
        def stored_form(entry: Document) -> Document:
            """The entry as its document holds it (the settings' `_id` is its key, not data)."""
            return {k: v for k, v in entry.items() if k != "_id"}

        def document(entry: Document) -> Document:
            fields = stored_form(entry)
            return with_outbox(fields, [_published(kind, entry[key], fields)], topic=DIRECTORY)

        keys = [e[key] for e in entries]
        stored = {d.pop("_id"): d for d in await find_in(collection, "_id", keys, HIDE_OUTBOX)}
        fresh = [e for e in entries if e[key] not in stored]
        changed = [e for e in entries if e[key] in stored and stored[e[key]] != stored_form(e)]
        inserted = await insert_new(collection, [{"_id": e[key], **document(e)} for e in fresh])
        # Inserted by someone else since the read: replaced like any changed entry.
        changed += [e for e in fresh if e[key] not in inserted]
        if changed:
            await collection.bulk_write(
                [ReplaceOne({"_id": e[key]}, document(e), upsert=True) for e in changed],
                ordered=False,
            )

    async def load(self) -> Directory | None:
        """The directory, from this replica's copy (see shared.mirror)."""
        return await self._mirror.get()

    async def _read(self) -> Directory | None:
        settings = await self._db["directory_settings"].find_one({"_id": "default"})
        if settings is None:
            return None
        parts: dict[str, list[Document]] = {}
        for collection, field, _, _ in _KINDS:
            parts[field] = await self._db[collection].find({}, _STORED_ONLY).to_list()
        return Directory.model_validate({"default_station": settings["default_station"], **parts})
