"""The pure halves of shared.pagination and shared.preconditions: a cursor round-trips its key and
refuses anything else; If-Match reads the forms clients send."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import TypeAdapter

from shared.pagination import BadCursor, after_key, decode_cursor, encode_cursor, page_of
from shared.preconditions import etag, matches_if_none_match, parse_if_match

KEY: TypeAdapter[tuple[datetime, str]] = TypeAdapter(tuple[datetime, str])


def test_a_cursor_round_trips_its_key_and_is_url_safe() -> None:
    key = (datetime(2026, 3, 1, 8, 30, 15, 123000, tzinfo=UTC), "case-7")
    cursor = encode_cursor(key)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_cursor(cursor, KEY) == key


@pytest.mark.parametrize(
    "cursor",
    ["", "not base64!", encode_cursor(("case-7",)), encode_cursor((1, 2, 3)), "WyJ4Il0"],
)
def test_a_cursor_of_another_shape_or_none_at_all_is_refused(cursor: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(cursor, KEY)


def test_a_page_names_its_last_item_and_the_last_page_names_none() -> None:
    items = [
        (date(2026, 3, 9), "b"),
        (date(2026, 3, 8), "c"),
        (date(2026, 3, 8), "a"),
        (date(2026, 3, 2), "z"),
    ]
    first = page_of(items, limit=2, key=lambda i: i)
    assert first.items == items[:2] and first.next_cursor is not None
    start = decode_cursor(first.next_cursor, TypeAdapter(tuple[date, str]))
    rest = after_key(items, key=lambda i: i, start=start)
    assert rest == items[2:]
    assert page_of(rest, limit=2, key=lambda i: i).next_cursor is None


@pytest.mark.parametrize(
    ("header", "version"),
    [('W/"7"', 7), ('"7"', 7), ("7", 7), (' W/"12" ', 12), ("*", None)],
)
def test_if_match_reads_entity_tags_and_the_deprecated_bare_version(
    header: str, version: int | None
) -> None:
    assert parse_if_match(header) == version


@pytest.mark.parametrize("header", ["seven", '"0"', "W/7", '"7", "8"', "-1", ""])
def test_if_match_refuses_anything_else(header: str) -> None:
    with pytest.raises(ValueError):
        parse_if_match(header)


def test_if_none_match_compares_versions_weakly() -> None:
    assert etag(7) == 'W/"7"'
    assert matches_if_none_match('W/"7"', 7)
    assert matches_if_none_match('"6", "7"', 7)
    assert matches_if_none_match("*", 7)
    assert not matches_if_none_match('W/"6"', 7)
    assert not matches_if_none_match(None, 7)
