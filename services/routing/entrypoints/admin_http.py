"""Directory administration: create, update, deactivate. Admins only; nothing is ever deleted,
because cases refer to stations, points, representatives and categories for ever."""

# No `from __future__ import annotations`: FastAPI must see the local dependency alias.

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, status
from pydantic import ValidationError

from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.domain.directory import KEY_FIELD, Directory, EntryKind
from services.routing.handlers import DirectoryNotLoaded, put_directory_entry
from shared.auth import Claims, claims_dependency
from shared.outbox import OutboxRelay
from shared.settings import ServiceSettings

_NOT_LOADED = "import a directory first"


def build_router(
    *, settings: ServiceSettings, directory: DirectoryRepository, relay: OutboxRelay
) -> APIRouter:
    router = APIRouter(prefix="/v1/admin/directory", tags=["directory admin"])
    current: Any = claims_dependency(settings.jwt_secret.get_secret_value())

    async def admin(claims: Annotated[Claims, Depends(current)]) -> Claims:
        if claims.role != "admin":
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="admins only")
        return claims

    Admin = Annotated[Claims, Depends(admin)]

    async def snapshot() -> Directory:
        loaded = await directory.load()
        if loaded is None:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=_NOT_LOADED)
        return loaded

    async def store(kind: EntryKind, entry: dict[str, Any]) -> Any:
        try:
            saved = await put_directory_entry(kind=kind, entry=entry, directory=directory)
        except DirectoryNotLoaded:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=_NOT_LOADED) from None
        except ValidationError as exc:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=[
                    {
                        "loc": ["body", *map(str, e["loc"][2:])],
                        "field": ".".join(map(str, e["loc"][2:])),
                        "msg": e["msg"],
                        "type": e["type"],
                    }
                    for e in exc.errors()
                ],
            ) from None
        relay.wake()
        return saved

    @router.put(
        "/{kind}/{key}",
        summary="Create or update one entry (validated as a whole).",
        responses={
            403: {"description": "Not an admin."},
            422: {"description": "Invalid entry or broken reference."},
        },
    )
    async def put_entry(
        kind: EntryKind, key: str, entry: Annotated[dict[str, Any], Body()], _: Admin
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
        return await store(kind, {**entry, field: key})

    @router.post(
        "/{kind}/{key}/deactivate",
        summary="Deactivate an entry (never deleted).",
        responses={404: {"description": "No such entry."}},
    )
    async def deactivate(kind: EntryKind, key: str, _: Admin) -> Any:
        current_dir = await snapshot()
        field = KEY_FIELD[kind]
        existing = next((e for e in getattr(current_dir, kind) if getattr(e, field) == key), None)
        if existing is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no {kind} entry {key}")
        return await store(kind, {**existing.model_dump(mode="json"), "active": False})

    return router
