"""Counting the commands a client sends the store (pymongo's command monitoring), for tests that
prove a batch costs one write or a poll one read."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from pymongo import AsyncMongoClient, monitoring

from shared.mongo import Document


class CommandCounter(monitoring.CommandListener):
    """Counts the started commands named `name` whose body `where` accepts."""

    def __init__(
        self, name: str, where: Callable[[Mapping[str, Any]], bool] = lambda _: True
    ) -> None:
        self.name = name
        self.where = where
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == self.name and self.where(event.command):
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@contextlib.asynccontextmanager
async def counting(
    url: str, *counters: CommandCounter
) -> AsyncIterator[AsyncMongoClient[Document]]:
    """A client of its own whose commands these counters count."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        url, tz_aware=True, event_listeners=list(counters)
    )
    try:
        yield client
    finally:
        await client.close()
