"""Cursor pagination, one way for every list: an opaque cursor that names the last item's sort key.

A cursor is base64url (no padding) of a small JSON array, `["c1", <the key's values>]`: the
sort key of the last item a page showed, e.g. `(updated_at, _id)`. The next page is every item
whose key sorts strictly after it, so items that arrive meanwhile (newer, so before the
cursor) never shift the pages still to come: no duplicates, no gaps. An offset would.

Each list declares its key's shape as a tuple type (`tuple[datetime, str]`); a cursor that does
not decode to that shape (garbled, tampered, from another list) is a field-level 422 at
`["query", "cursor"]`. The next cursor is answered in the `Next-Cursor` header of every paged
list, and as `next_cursor` in the body of those that answer an object; none on the last page.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

T = TypeVar("T")
K = TypeVar("K", bound=tuple[Any, ...])

_TAG = "c1"
NEXT_CURSOR_HEADER = "Next-Cursor"
MAX_CURSOR_LENGTH = 512

CursorParam = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        description="Where to continue: the `next_cursor` (or `Next-Cursor` header) of the page "
        "before. Opaque; omit it for the first page.",
    ),
]

# Declared on the 200 answer of every paged list.
PAGED_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            NEXT_CURSOR_HEADER: {
                "description": "The cursor of the next page; absent on the last page.",
                "schema": {"type": "string"},
            }
        }
    }
}


class BadCursor(ValueError):
    """The text is not a cursor of this list."""


def encode_cursor(key: Sequence[Any]) -> str:
    """The cursor of the item whose sort key is `key` (strings, numbers, booleans, dates)."""
    payload = orjson.dumps([_TAG, *key])
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, shape: TypeAdapter[K]) -> K:
    """The sort key a cursor names, in the list's key shape; BadCursor otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise BadCursor("the cursor is not one this service made") from exc
    if not isinstance(values, list) or not values or values[0] != _TAG:
        raise BadCursor("the cursor is not one this service made")
    try:
        return shape.validate_python(tuple(values[1:]), strict=False)
    except ValidationError as exc:
        raise BadCursor("the cursor does not belong to this list") from exc


def cursor_key(cursor: str | None, shape: TypeAdapter[K]) -> K | None:
    """The key of the `cursor` query parameter, or a field-level 422 naming it."""
    if cursor is None:
        return None
    try:
        return decode_cursor(cursor, shape)
    except BadCursor as exc:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "cursor"),
                    "msg": str(exc),
                    "type": "invalid_cursor",
                    "input": cursor,
                }
            ]
        ) from exc


def sort_value(value: Any) -> Any:
    """A key value as it compares after a round trip through a cursor (dates as ISO text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class Page(Generic[T]):
    """One page of items and the cursor of the next (None: this is the last)."""

    def __init__(self, items: list[T], next_cursor: str | None) -> None:
        self.items = items
        self.next_cursor = next_cursor

    def announce(self, response: Response) -> None:
        """Puts the next cursor in the `Next-Cursor` header (none on the last page)."""
        announce_next(response, self.next_cursor)


def announce_next(response: Response, next_cursor: str | None) -> None:
    """The `Next-Cursor` header of a paged list's answer; none on the last page."""
    if next_cursor is not None:
        response.headers[NEXT_CURSOR_HEADER] = next_cursor


def page_of(items: Sequence[T], *, limit: int, key: Callable[[T], Sequence[Any]]) -> Page[T]:
    """The first `limit` of `items` (given in order, starting after the cursor, with one more
    than a page when there is more), and the cursor of the last one shown if more follow."""
    shown = list(items[:limit])
    more = len(items) > limit and bool(shown)
    return Page(shown, encode_cursor(key(shown[-1])) if more else None)


def after_key(
    items: Sequence[T], *, key: Callable[[T], Sequence[Any]], start: Sequence[Any] | None
) -> list[T]:
    """The items whose key sorts strictly after `start`, for a list in DESCENDING key order."""
    if start is None:
        return list(items)
    bound = tuple(sort_value(v) for v in start)
    return [i for i in items if tuple(sort_value(v) for v in key(i)) < bound]


def after_key_ascending(
    items: Sequence[T], *, key: Callable[[T], Sequence[Any]], start: Sequence[Any] | None
) -> list[T]:
    """The items whose key sorts strictly after `start`, for a list in ASCENDING key order."""
    if start is None:
        return list(items)
    bound = tuple(sort_value(v) for v in start)
    return [i for i in items if tuple(sort_value(v) for v in key(i)) > bound]


async def fill_page(
    fetch: Callable[[int], Awaitable[Sequence[T]]],
    *,
    keep: Callable[[Sequence[T]], list[T]],
    limit: int,
) -> list[T]:
    """Up to `limit` + 1 kept items from `fetch(n)` (the first `n` candidates in order): asks
    for more while candidates at the cursor's own sort value (ties the store cannot exclude by
    an index range) fill the fetch."""
    wanted = limit + 1
    while True:
        candidates = await fetch(wanted)
        kept = keep(candidates)
        if len(kept) > limit or len(candidates) < wanted:
            return kept[: limit + 1]
        wanted *= 2
