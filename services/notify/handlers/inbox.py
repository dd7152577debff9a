"""A recipient reads their in-app inbox and marks messages read."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notify.adapters.inbox_repository import InboxRepository
from shared.inbox import InboxMessage, InboxPage
from shared.pagination import page_of


class MessageNotFound(LookupError):
    """No such message for this recipient."""


async def read_inbox(
    *,
    recipient: str,
    unread_only: bool,
    limit: int,
    inbox: InboxRepository,
    after: tuple[datetime, str] | None = None,
) -> InboxPage:
    """The newest `limit` messages (or unread ones) after the cursor's, the next page's
    cursor, and how many are unread in all."""
    documents = await inbox.list_for(
        recipient, unread_only=unread_only, limit=limit + 1, after=after
    )
    page = page_of(documents, limit=limit, key=lambda d: (d["created_at"], d["_id"]))
    return InboxPage(
        recipient=recipient,
        unread=await inbox.unread_count(recipient),
        messages=[InboxMessage(id=d["_id"], **d) for d in page.items],
        next_cursor=page.next_cursor,
    )


async def mark_read(*, recipient: str, message_id: str, inbox: InboxRepository) -> None:
    """Mark once (the first read time stays). Raises MessageNotFound."""
    if not await inbox.mark_read(recipient, message_id, datetime.now(UTC)):
        raise MessageNotFound("no such message")
