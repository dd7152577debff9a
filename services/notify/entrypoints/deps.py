"""What notify's routes depend on, in one place: `Annotated` aliases that read from the
`Container` that app.py puts on `app.state.container`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from services.notify.adapters.inbox_repository import InboxRepository
from services.notify.adapters.preferences_repository import PreferencesRepository
from services.notify.domain.preferences import may_edit, own_recipients
from services.notify.entrypoints.schemas import Recipient
from shared.auth import Claims
from shared.auth import CurrentClaims as CurrentClaims
from shared.openapi import answers


@dataclass(frozen=True)
class Container:
    """What the routes use, built once by app.py."""

    inbox: InboxRepository
    preferences: PreferencesRepository


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


def inbox_repository(request: Request) -> InboxRepository:
    return container(request).inbox


def preferences_repository(request: Request) -> PreferencesRepository:
    return container(request).preferences


Inbox = Annotated[InboxRepository, Depends(inbox_repository)]
PreferencesStore = Annotated[PreferencesRepository, Depends(preferences_repository)]


@answers(404, "No such inbox for the caller: it is neither theirs nor are they an admin.")
async def inbox_owner(recipient: Recipient, claims: CurrentClaims) -> Claims:
    """An inbox is read by whom it is addressed to (a representative, their station's staff
    and head, a department, the user themselves) and by admins; to anyone else it does not
    exist (404, like an unknown one)."""
    own = own_recipients(
        username=claims.sub,
        role=claims.role,
        station=claims.station,
        representative_code=claims.representative_code,
        department=claims.department,
    )
    if may_edit(recipient, is_admin=claims.role == "admin", own=own):
        return claims
    raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such inbox")


InboxOwner = Annotated[Claims, Depends(inbox_owner)]
