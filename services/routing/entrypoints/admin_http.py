"""Directory administration: create, update, deactivate. Admins only; nothing is ever deleted,
because cases refer to stations, points, representatives and categories for ever."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, status

from services.routing.domain.directory import KEY_FIELD, EntryKind
from services.routing.entrypoints.deps import AdminClaims, Directories, Relay
from services.routing.handlers.directory import deactivate_directory_entry, put_directory_entry

router = APIRouter(prefix="/v1/admin/directory", tags=["directory admin"])


@router.put(
    "/{kind}/{key}",
    summary="Create or update one entry (validated as a whole).",
    responses={
        403: {"description": "Not an admin."},
        422: {"description": "Invalid entry or broken reference."},
    },
)
async def put_entry(
    kind: EntryKind,
    key: str,
    entry: Annotated[dict[str, Any], Body()],
    _: AdminClaims,
    directory: Directories,
    relay: Relay,
) -> Any:
    field = KEY_FIELD[kind]
    if str(entry.get(field, key)) != key:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[
                {
                    "loc": ["body", field],
                    "field": field,
                    "msg": f"{field} must match the path",
                    "type": "value_error",
                }
            ],
        )
    saved = await put_directory_entry(kind=kind, entry={**entry, field: key}, directory=directory)
    relay.wake()
    return saved


@router.post(
    "/{kind}/{key}/deactivate",
    summary="Deactivate an entry (never deleted).",
    responses={404: {"description": "No such entry."}},
)
async def deactivate(
    kind: EntryKind, key: str, _: AdminClaims, directory: Directories, relay: Relay
) -> Any:
    saved = await deactivate_directory_entry(kind=kind, key=key, directory=directory)
    relay.wake()
    return saved
