"""The in-app inbox over HTTP: `GET /v1/inbox/{recipient}` answers with the shared contract
(`shared.inbox.InboxPage`) that routing's pages read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.notify.entrypoints.deps import Inbox
from services.notify.entrypoints.schemas import Recipient
from services.notify.handlers import inbox as inbox_handlers
from shared.inbox import InboxPage

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])


@router.get("/{recipient}", response_model=InboxPage, summary="A recipient's inbox.")
async def list_inbox(
    recipient: Recipient,
    inbox: Inbox,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> InboxPage:
    return await inbox_handlers.read_inbox(
        recipient=recipient, unread_only=unread_only, limit=limit, inbox=inbox
    )


@router.post(
    "/{recipient}/{message_id}/read",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Mark a message read.",
    responses={404: {"description": "No such message for this recipient."}},
)
async def mark_read(recipient: Recipient, message_id: str, inbox: Inbox) -> None:
    await inbox_handlers.mark_read(recipient=recipient, message_id=message_id, inbox=inbox)
