"""notify's HTTP API: the in-app inbox, recipients' preferences, and a preview of the
templates."""

# No `from __future__ import annotations`: FastAPI must see the local dependency alias.

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from services.notify.adapters.inbox_repository import InboxRepository
from services.notify.adapters.preferences_repository import PreferencesRepository
from services.notify.domain.preferences import (
    DEFAULT_PREFERENCES,
    Preferences,
    may_edit,
    own_recipients,
)
from services.notify.domain.rules import template_key
from services.notify.domain.templates import (
    DEFAULT_LANGUAGE,
    Language,
    MissingTemplateData,
    UnknownTemplate,
    render,
)
from shared.auth import Claims, claims_dependency

Recipient = Annotated[
    str,
    Path(
        pattern=(
            r"^(representative|station|station_head|department|staff|case):[A-Za-z0-9_\-]{1,64}$"
        ),
        description=(
            "`representative:<code>`, `station:<id>`, `station_head:<station id>`, "
            "`department:<id>`, `staff:<user>` or `case:<id>`."
        ),
        examples=["representative:0412"],
    ),
]


class InboxMessageView(BaseModel):
    id: str
    recipient: str
    title: str
    body: str
    urgent: bool = False
    case_id: str
    created_at: datetime
    read_at: datetime | None


class InboxPage(BaseModel):
    recipient: str
    unread: int
    messages: list[InboxMessageView]


class TemplatePreviewRequest(BaseModel):
    event_type: str = Field(examples=["case.assigned"])
    audience: str = Field(examples=["representative"])
    language: Language = DEFAULT_LANGUAGE
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="The event's data, as it travels on the topic.",
        examples=[{"category": "parking", "reason": "qr: representative 0412"}],
    )


class RenderedTemplate(BaseModel):
    title: str
    body: str


def _unprocessable(errors: list[tuple[list[str], str, str]]) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[
            {"loc": loc, "field": ".".join(loc[1:]), "msg": msg, "type": kind}
            for loc, msg, kind in errors
        ],
    )


def build_templates_router() -> APIRouter:
    router = APIRouter(prefix="/v1/templates", tags=["templates"])

    @router.post(
        "/preview",
        response_model=RenderedTemplate,
        summary="Render an event's message for an audience, without sending it.",
        responses={422: {"description": "No such template, or data it needs is missing."}},
    )
    async def preview(request: TemplatePreviewRequest) -> RenderedTemplate:
        key = template_key(request.event_type, request.audience)
        try:
            title, body = render(key, request.data, request.language)
        except UnknownTemplate as exc:
            raise _unprocessable([(["body", "audience"], str(exc), "unknown_template")]) from None
        except MissingTemplateData as exc:
            raise _unprocessable(
                [(["body", "data", name], f"{key} needs {name}", "missing") for name in exc.missing]
            ) from None
        return RenderedTemplate(title=title, body=body)

    return router


def build_router(*, inbox: InboxRepository) -> APIRouter:
    router = APIRouter(prefix="/v1/inbox", tags=["inbox"])

    @router.get("/{recipient}", response_model=InboxPage, summary="A recipient's inbox.")
    async def list_inbox(
        recipient: Recipient,
        unread_only: bool = False,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> InboxPage:
        documents = await inbox.list_for(recipient, unread_only=unread_only, limit=limit)
        return InboxPage(
            recipient=recipient,
            unread=await inbox.unread_count(recipient),
            messages=[InboxMessageView(id=d["_id"], **d) for d in documents],
        )

    @router.post(
        "/{recipient}/{message_id}/read",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Mark a message read.",
        responses={404: {"description": "No such message for this recipient."}},
    )
    async def mark_read(recipient: Recipient, message_id: str) -> None:
        if not await inbox.mark_read(recipient, message_id, datetime.now(UTC)):
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such message")

    return router


class PreferencesView(BaseModel):
    recipient: str
    preferences: Preferences
    stored: bool = Field(description="False: nothing was set, these are the defaults.")


def build_preferences_router(*, preferences: PreferencesRepository, jwt_secret: str) -> APIRouter:
    router = APIRouter(prefix="/v1/preferences", tags=["preferences"])
    current: Any = claims_dependency(jwt_secret)
    CurrentClaims = Annotated[Claims, Depends(current)]

    def check(recipient: str, claims: Claims) -> None:
        own = own_recipients(
            username=claims.sub,
            role=claims.role,
            station=claims.station,
            representative_code=claims.representative_code,
            department=claims.department,
        )
        if not may_edit(recipient, is_admin=claims.role == "admin", own=own):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail="you may only see and set your own preferences (admins: anyone's)",
            )

    @router.get(
        "/{recipient}",
        response_model=PreferencesView,
        summary="A recipient's channels, language and quiet hours (defaults if never set).",
        responses={401: {"description": "Not signed in."}, 403: {"description": "Not yours."}},
    )
    async def get_preferences(recipient: Recipient, claims: CurrentClaims) -> PreferencesView:
        check(recipient, claims)
        stored = await preferences.get(recipient)
        return PreferencesView(
            recipient=recipient,
            preferences=stored or DEFAULT_PREFERENCES,
            stored=stored is not None,
        )

    @router.put(
        "/{recipient}",
        response_model=PreferencesView,
        summary="Set a recipient's channels, language and quiet hours (the whole set).",
        responses={
            401: {"description": "Not signed in."},
            403: {"description": "Not yours."},
            422: {"description": "A field is invalid; each error names its field."},
        },
    )
    async def put_preferences(
        recipient: Recipient, body: Preferences, claims: CurrentClaims
    ) -> PreferencesView:
        check(recipient, claims)
        await preferences.put(recipient, body, by=claims.sub, at=datetime.now(UTC))
        return PreferencesView(recipient=recipient, preferences=body, stored=True)

    return router
