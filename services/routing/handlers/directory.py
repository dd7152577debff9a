"""Directory administration: create, update, deactivate one entry, validated with the whole
directory. Nothing is ever deleted: cases refer to their entries for ever."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.domain.directory import KEY_FIELD, EntryKind, with_entry
from shared.logging import get_logger

log = get_logger(__name__)


class DirectoryNotLoaded(Exception):
    """Nothing to edit yet: a directory must be imported first (409)."""


class NoSuchEntry(LookupError):
    """The directory has no entry of this kind with this key (404)."""

    def __init__(self, kind: EntryKind, key: str) -> None:
        super().__init__(f"no {kind} entry {key}")


class InvalidEntry(ValueError):
    """The entry, or the directory with it, does not validate (422); `error` says where."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(str(error))
        self.error = error


async def put_directory_entry(
    *, kind: EntryKind, entry: dict[str, Any], directory: DirectoryRepository
) -> BaseModel:
    """Create or replace one directory entry, validated with the whole directory."""
    current = await directory.load()
    if current is None:
        raise DirectoryNotLoaded
    try:
        updated = with_entry(current, kind, entry)
    except ValidationError as exc:
        raise InvalidEntry(exc) from None
    key = str(entry[KEY_FIELD[kind]])
    await directory.save(updated, only=(kind, key))
    saved: BaseModel = next(e for e in getattr(updated, kind) if getattr(e, KEY_FIELD[kind]) == key)
    log.info("directory.entry_saved", kind=kind, key=key)
    return saved


async def deactivate_directory_entry(
    *, kind: EntryKind, key: str, directory: DirectoryRepository
) -> BaseModel:
    """Mark one entry inactive (routing stops choosing it; cases keep referring to it)."""
    current = await directory.load()
    if current is None:
        raise DirectoryNotLoaded
    field = KEY_FIELD[kind]
    existing = next((e for e in getattr(current, kind) if getattr(e, field) == key), None)
    if existing is None:
        raise NoSuchEntry(kind, key)
    return await put_directory_entry(
        kind=kind, entry={**existing.model_dump(mode="json"), "active": False}, directory=directory
    )
