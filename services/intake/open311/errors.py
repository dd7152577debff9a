"""GeoReport's errors: an `errors` body with the HTTP status, and the checks that raise them."""

from __future__ import annotations

import secrets
from collections.abc import Collection

from services.intake.open311.schemas import FORMATS, ErrorItem, Format


class Open311Error(Exception):
    """Answered with the spec's `errors` body and the same HTTP status."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.errors = [ErrorItem(code=status, description=d) for d in descriptions]


def parse_format(value: str) -> Format:
    """The format named by the path suffix; any other suffix is not a resource (404)."""
    for known in FORMATS:
        if value == known:
            return known
    raise Open311Error(404, f"format {value!r} is not supported; use json or xml")


def check_jurisdiction(given: str | None, *, expected: str) -> None:
    """`jurisdiction_id` is optional (one jurisdiction), but a wrong one is not found."""
    if given and given != expected:
        raise Open311Error(404, f"jurisdiction_id {given!r} was not found")


def check_api_key(given: str | None, *, keys: Collection[str]) -> None:
    if not given:
        raise Open311Error(403, "api_key was not provided")
    if not any(secrets.compare_digest(given.encode(), key.encode()) for key in keys):
        raise Open311Error(403, "api_key is invalid")
