"""Events on the log-compacted `staff-sessions` topic, keyed by username.

Routing owns the staff accounts; every service checks staff tokens. Each event carries the
account's whole current token state, so compaction keeps exactly what a new reader needs and a
repeated or older event changes nothing (`version` only grows).
"""

from __future__ import annotations

from pydantic import Field

from shared.events.envelope import EventData


class StaffTokenVersion(EventData):
    """Tokens of `username` issued with a version below `version` are no longer accepted;
    none of the account's tokens are while it is not `active`."""

    TYPE = "staff.token_version"
    VERSION = 1

    username: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1)
    active: bool
