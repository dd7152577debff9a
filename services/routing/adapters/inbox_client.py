"""The signed-in user's inbox, read from notify over HTTP with the user's own token."""

from __future__ import annotations

import httpx
from pydantic import ValidationError

from shared.inbox import InboxMessage, InboxPage
from shared.logging import get_logger

log = get_logger(__name__)


class NotifyUnavailable(Exception):
    """notify did not answer, or answered something unexpected."""


class InboxClient:
    def __init__(self, *, base_url: str, timeout_s: float = 2.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout_s

    def _client(self, token: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self._base_url,
            timeout=self._timeout,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def messages(
        self, recipients: list[str], *, token: str, limit: int = 50
    ) -> tuple[int, list[InboxMessage]]:
        """Unread count and messages of all the user's addresses, newest first."""
        unread = 0
        found: list[InboxMessage] = []
        async with self._client(token) as client:
            for recipient in recipients:
                page = await self._page(client, recipient, limit=limit)
                unread += page.unread
                found.extend(page.messages)
        found.sort(key=lambda m: m.created_at, reverse=True)
        return unread, found[:limit]

    async def unread(self, recipients: list[str], *, token: str) -> int | None:
        """For the nav: None when notify cannot say, so the page still renders."""
        try:
            async with self._client(token) as client:
                total = 0
                for recipient in recipients:
                    total += (await self._page(client, recipient, limit=1)).unread
                return total
        except NotifyUnavailable:
            return None

    async def mark_read(self, recipient: str, message_id: str, *, token: str) -> bool:
        async with self._client(token) as client:
            try:
                response = await client.post(f"/v1/inbox/{recipient}/{message_id}/read")
            except httpx.HTTPError as exc:
                log.warning("inbox.unreachable", error=str(exc))
                raise NotifyUnavailable from exc
        if response.status_code == 404:
            return False
        if response.status_code >= 400:
            raise NotifyUnavailable(response.status_code)
        return True

    async def _page(self, client: httpx.AsyncClient, recipient: str, *, limit: int) -> InboxPage:
        try:
            response = await client.get(f"/v1/inbox/{recipient}", params={"limit": limit})
            response.raise_for_status()
            return InboxPage.model_validate_json(response.content)
        except (httpx.HTTPError, ValidationError) as exc:
            log.warning("inbox.unreachable", recipient=recipient, error=str(exc))
            raise NotifyUnavailable from exc
