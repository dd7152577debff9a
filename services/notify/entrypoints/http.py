"""notify's HTTP API: the in-app inbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel

from services.notify.adapters.inbox_repository import InboxRepository

Recipient = Annotated[
    str,
    Path(
        pattern=r"^(representative|station|staff|case):[A-Za-z0-9_\-]{1,64}$",
        description="`representative:<code>`, `station:<id>`, `staff:<user>` or `case:<id>`.",
        examples=["representative:0412"],
    ),
]


class InboxMessageView(BaseModel):
    id: str
    recipient: str
    title: str
    body: str
    case_id: str
    created_at: datetime
    read_at: datetime | None


class InboxPage(BaseModel):
    recipient: str
    unread: int
    messages: list[InboxMessageView]


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
