"""What notify's routes depend on, in one place: `Annotated` aliases that read from the
`Container` that app.py puts on `app.state.container`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.notify.adapters.inbox_repository import InboxRepository
from services.notify.adapters.preferences_repository import PreferencesRepository
from shared.auth import CurrentClaims as CurrentClaims


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
