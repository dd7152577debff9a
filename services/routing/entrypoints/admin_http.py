"""Directory administration: create, update, deactivate. Admins only; nothing is ever deleted,
because cases refer to stations, points, representatives and categories for ever. And staff
accounts: signing one out everywhere."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, status

from services.routing.domain.directory import KEY_FIELD, EntryKind
from services.routing.entrypoints.deps import AdminClaims, Directories, Relay, Users
from services.routing.entrypoints.schemas import Revocation
from services.routing.handlers.directory import deactivate_directory_entry, put_directory_entry
from services.routing.handlers.sessions import sign_out_everywhere

router = APIRouter(
    prefix="/v1/admin/directory",
    tags=["directory admin"],
    responses={409: {"description": "No directory has been imported yet: import one first."}},
)
users_router = APIRouter(prefix="/v1/admin/users", tags=["account admin"])
# As a stored account's username (adapters/user_repository.py): anything else is a 422.
Username = Annotated[str, Path(pattern=r"^[a-z0-9_.\-]{2,64}$")]


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


@users_router.post(
    "/{username}/sign-out-everywhere",
    response_model=Revocation,
    summary="Revoke every token of an account (a lost phone, a leaked token, a departure).",
    responses={
        403: {"description": "Not an admin."},
        404: {"description": "No such account."},
        422: {"description": "Not a valid username."},
    },
)
async def revoke_tokens(
    username: Username, admin: AdminClaims, users: Users, relay: Relay
) -> Revocation:
    version = await sign_out_everywhere(username=username, by=admin.sub, users=users)
    if version is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no account {username!r}")
    relay.wake()
    return Revocation(username=username, token_version=version)
