"""Cursor pagination (shared.pagination) on the real store: a client that pages through a queue,
an inbox, the meetings or the directory while new items arrive sees every item that existed
once, in order, whatever arrived meanwhile; a cursor that is not one of that list is a
field-level 422.

routing and notify run in-process on the real broker and store; the items are written with the
services' own repositories (the inbox's documents as notify stores them).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import (
    DEMO_DIRECTORY,
    DirectoryRepository,
    read_directory_file,
)
from services.routing.adapters.meeting_repository import MeetingRepository
from services.routing.app import create_app as routing_app
from services.routing.settings import RoutingSettings
from shared.mongo import Document
from shared.pagination import NEXT_CURSOR_HEADER, encode_cursor
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.integration.test_house_repair_and_meetings_store import add_case, meeting, recorded
from tests.tokens import bearer, publish_test_accounts, until_accounts_read

XIJIE = bearer("staff", username="xijie-staff", station="xijie")
NOW = datetime.now(UTC).replace(microsecond=0)
# The staff member's own inbox: the station's also gets the test cases' assignment messages.
OWN_INBOX = "staff:xijie-staff"


@dataclass(frozen=True)
class Stores:
    routing: httpx.AsyncClient
    notify: httpx.AsyncClient
    cases: RoutedCaseRepository
    meetings: MeetingRepository
    inbox: Any  # notify's inbox collection


@pytest.fixture
async def stores(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> AsyncIterator[Stores]:
    common: dict[str, Any] = {
        "kafka_bootstrap": settings.kafka_bootstrap,
        "mongo_url": settings.mongo_url,
        "namespace": settings.namespace,
    }
    routing, notify = RoutingSettings(**common), NotifySettings(**common)
    routing_db = mongo[routing.database_name]
    await DirectoryRepository(routing_db).save(read_directory_file(DEMO_DIRECTORY))
    await publish_test_accounts(settings)
    async with contextlib.AsyncExitStack() as stack:
        routing_client = await stack.enter_async_context(
            serving(routing_app(routing), "routing", ready=False)
        )
        notify_client = await stack.enter_async_context(
            serving(notify_app(notify), "notify", ready=False)
        )
        await asyncio.gather(
            until_accounts_read(routing_client), until_accounts_read(notify_client)
        )
        yield Stores(
            routing=routing_client,
            notify=notify_client,
            cases=RoutedCaseRepository(routing_db),
            meetings=MeetingRepository(routing_db),
            inbox=mongo[notify.database_name]["inbox"],
        )


async def walk(
    client: httpx.AsyncClient,
    path: str,
    *,
    limit: int,
    items: Callable[[Any], list[Any]],
    key: str,
    headers: dict[str, str] | None = None,
    between_pages: Callable[[], Awaitable[None]] | None = None,
) -> list[str]:
    """Every item's `key`, page after page, following the next cursor to the last page."""
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        answer = await client.get(path, params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        page = items(body)
        assert len(page) <= limit
        seen += [item[key] for item in page]
        cursor = answer.headers.get(NEXT_CURSOR_HEADER)
        if isinstance(body, dict):
            assert body["next_cursor"] == cursor  # the body and the header say the same
        if cursor is None:
            return seen
        assert page, "a page that promises more must show something"
        if between_pages is not None:
            await between_pages()


async def new_case(stores: Stores, updated_at: datetime) -> str:
    case_id = await add_case(stores.cases, station="xijie", category="parking")
    await stores.cases.collection.update_one({"_id": case_id}, {"$set": {"updated_at": updated_at}})
    return case_id


async def new_message(stores: Stores, created_at: datetime) -> str:
    message_id = f"{uuid.uuid4()}:{OWN_INBOX}:inbox"
    await stores.inbox.insert_one(
        {
            "_id": message_id,
            "recipient": OWN_INBOX,
            "title": "新的意见建议",
            "body": "请及时处理",
            "urgent": False,
            "case_id": str(uuid.uuid4()),
            "cause_event_id": str(uuid.uuid4()),
            "created_at": created_at,
            "read_at": None,
        }
    )
    return message_id


async def test_paging_while_items_arrive_shows_each_existing_item_once_in_order(
    stores: Stores,
) -> None:
    # The queue: newest change first; three cases changed at the same instant (the id decides).
    times = [NOW - timedelta(minutes=m) for m in (1, 5, 5, 5, 9, 30, 60 * 24 * 40)]
    cases = [(t, await new_case(stores, t)) for t in times]
    expected_cases = [c for _, c in sorted(cases, reverse=True)]
    added: list[str] = []

    async def more_cases() -> None:
        added.append(await new_case(stores, datetime.now(UTC)))

    seen = await walk(
        stores.routing,
        "/v1/staff/cases",
        limit=2,
        items=lambda body: list(body),
        key="case_id",
        headers=XIJIE,
        between_pages=more_cases,
    )
    assert len(added) == 3
    assert [c for c in seen if c not in added] == expected_cases
    assert len(seen) == len(set(seen))

    # The meetings: newest day first, then newest record, then id.
    days = [date(2026, 3, d) for d in (2, 9, 9, 9, 20)]
    meetings = [meeting([], held_on=d) for d in days]
    for item in meetings:
        await stores.meetings.add(item, event=recorded(item))
    expected_meetings = [
        m.meeting_id
        for m in sorted(meetings, key=lambda m: (m.held_on, m.meeting_id), reverse=True)
    ]
    added_meetings: list[str] = []

    async def more_meetings() -> None:
        item = meeting([], held_on=date(2026, 4, 1))
        await stores.meetings.add(item, event=recorded(item))
        added_meetings.append(item.meeting_id)

    seen = await walk(
        stores.routing,
        "/v1/staff/meetings",
        limit=2,
        items=lambda body: list(body),
        key="meeting_id",
        headers=XIJIE,
        between_pages=more_meetings,
    )
    assert added_meetings
    assert [m for m in seen if m not in added_meetings] == expected_meetings

    # The inbox: newest first, two messages of one instant.
    stamps = [NOW - timedelta(seconds=s) for s in (10, 20, 20, 30, 3600, 86400 * 50)]
    messages = [(t, await new_message(stores, t)) for t in stamps]
    expected_messages = [m for _, m in sorted(messages, reverse=True)]
    added_messages: list[str] = []

    async def more_messages() -> None:
        added_messages.append(await new_message(stores, datetime.now(UTC)))

    seen = await walk(
        stores.notify,
        f"/v1/inbox/{OWN_INBOX}",
        limit=2,
        items=lambda body: list(body["messages"]),
        key="id",
        headers=XIJIE,
        between_pages=more_messages,
    )
    assert added_messages
    assert [m for m in seen if m not in added_messages] == expected_messages
    assert len(seen) == len(set(seen))


async def test_directory_lists_page_by_cursor_and_a_foreign_cursor_is_a_422(
    stores: Stores,
) -> None:
    for path, key, cursor in (
        ("/v1/directory/representatives", "code", encode_cursor((1, "0412"))),
        ("/v1/directory/liaison_points", "id", encode_cursor(("baiyun",))),
    ):
        everything = (await stores.routing.get(path, params={"limit": 200})).json()
        assert everything["next_cursor"] is None
        every_key = [item[key] for item in everything["items"]]
        assert len(every_key) > 3
        paged = await walk(stores.routing, path, limit=3, items=lambda b: b["items"], key=key)
        assert paged == every_key
        both: dict[str, Any] = {"offset": 1, "cursor": cursor}
        mixed = await stores.routing.get(path, params=both)
        assert mixed.status_code == 422
        assert mixed.json()["detail"][0]["loc"] == ["query", "offset"]

    lists = (
        (stores.routing, "/v1/staff/cases"),
        (stores.routing, "/v1/staff/meetings"),
        (stores.notify, "/v1/inbox/station:xijie"),
        (stores.routing, "/v1/directory/representatives"),
        (stores.routing, "/v1/directory/liaison_points"),
    )
    garbled = "not a cursor!"
    tampered = encode_cursor(("xijie", 12, None, "extra"))  # decodes, but no list's key
    for client, path in lists:
        for cursor in (garbled, tampered):
            answer = await client.get(path, params={"cursor": cursor}, headers=XIJIE)
            assert answer.status_code == 422, (path, cursor, answer.text)
            [problem] = answer.json()["detail"]
            assert problem["loc"] == ["query", "cursor"], path
            assert problem["field"] == "cursor"
            assert problem["type"] == "invalid_cursor"
