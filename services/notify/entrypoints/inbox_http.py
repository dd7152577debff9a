"""The in-app inbox over HTTP: `GET /v1/inbox/{recipient}` answers with the shared contract
(`shared.inbox.InboxPage`) that routing's pages read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import TypeAdapter

from services.notify.entrypoints.deps import Inbox, inbox_owner
from services.notify.entrypoints.schemas import Recipient
from services.notify.handlers import inbox as inbox_handlers
from shared.inbox import InboxPage
from shared.pagination import PAGED_RESPONSE, CursorParam, announce_next, cursor_key

# An inbox's cursor: the last message's (created_at, id).
_MESSAGE_KEY: TypeAdapter[tuple[datetime, str]] = TypeAdapter(tuple[datetime, str])

# Every inbox route: its recipient's own people and admins only (401 without a token, 404 to
# anyone else).
router = APIRouter(
    prefix="/v1/inbox",
    tags=["inbox"],
    dependencies=[Depends(inbox_owner)],
    responses={
        401: {"description": "Not signed in."},
        404: {"description": "No such inbox for the caller (or no such message)."},
    },
)


@router.get(
    "/{recipient}",
    response_model=InboxPage,
    summary="A recipient's inbox, newest first, a page at a time.",
    responses=PAGED_RESPONSE,
)
async def list_inbox(
    recipient: Recipient,
    inbox: Inbox,
    response: Response,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: CursorParam = None,
) -> InboxPage:
    page = await inbox_handlers.read_inbox(
        recipient=recipient,
        unread_only=unread_only,
        limit=limit,
        inbox=inbox,
        after=cursor_key(cursor, _MESSAGE_KEY),
    )
    announce_next(response, page.next_cursor)
    return page


@router.post(
    "/{recipient}/{message_id}/read",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Mark a message read.",
)
async def mark_read(recipient: Recipient, message_id: str, inbox: Inbox) -> None:
    await inbox_handlers.mark_read(recipient=recipient, message_id=message_id, inbox=inbox)
