"""Conditional requests on a versioned record: `ETag` out, `If-Match` / `If-None-Match` in.

A record's entity tag is its version. The representations we answer are not byte-stable for a
version (what the caller may do next depends on who asks and on the clock; a recount or a
meeting link leaves the version alone), so the tag is weak: `W/"7"`. `If-Match` compares the
version only: `"7"`, `W/"7"` and `*` are accepted, and a bare `7` too — the form clients sent
before entity tags, deprecated. A version that is not the record's answers 412.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Header
from fastapi.exceptions import RequestValidationError

from shared.openapi import answers

ETAG_HEADER = "ETag"
_TAG = re.compile(r'^\s*(?:W/)?"([1-9][0-9]{0,17})"\s*$')
_BARE = re.compile(r"^\s*([1-9][0-9]{0,17})\s*$")

PRECONDITION_FAILED = "The case changed since the version given in If-Match: reload and retry."


def etag(version: int) -> str:
    """The (weak) entity tag of a record at `version`."""
    return f'W/"{version}"'


def parse_if_match(value: str) -> int | None:
    """The version an `If-Match` value names (None for `*`: any); ValueError when none."""
    if value.strip() == "*":
        return None
    found = _TAG.match(value) or _BARE.match(value)
    if found is None:
        raise ValueError(value)
    return int(found.group(1))


def matches_if_none_match(value: str | None, version: int) -> bool:
    """Whether `If-None-Match` names this version (weak comparison), or is `*`."""
    if value is None:
        return False
    for tag in value.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        found = _TAG.match(tag)
        if found is not None and int(found.group(1)) == version:
            return True
    return False


@answers(412, PRECONDITION_FAILED)
def if_match_version(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=64,
            description='Act only on this version: the entity tag of the read (`W/"7"` or '
            '`"7"`), or `*`. A bare `7` is still accepted (deprecated).',
        ),
    ] = None,
) -> int | None:
    if if_match is None:
        return None
    try:
        return parse_if_match(if_match)
    except ValueError:
        raise RequestValidationError(
            [
                {
                    "loc": ("header", "If-Match"),
                    "msg": 'If-Match must be an entity tag such as W/"7" or "7", or *',
                    "type": "invalid_etag",
                    "input": if_match,
                }
            ]
        ) from None


# A route's expected version: None when the client sent no If-Match (or `*`).
IfMatch = Annotated[int | None, Depends(if_match_version)]


# On a read: `304 Not Modified` when it names the record's current version.
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=256,
        description="The entity tag(s) the client holds: 304 without a body when still current.",
    ),
]

NOT_MODIFIED_RESPONSE: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the entity tag given in If-None-Match is current."}
}
ETAG_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            ETAG_HEADER: {
                "description": 'The case\'s version as a weak entity tag, `W/"7"`: send it back '
                "in If-Match to act only on this version.",
                "schema": {"type": "string"},
            }
        }
    }
}
