"""When a staff account's tokens must stop working: the rule behind its token version.

A token says who its holder is and what they may do (role, station, representative code,
department). When any of that changes, when the account is deactivated or comes back, or when
its password is reset, tokens issued before no longer tell the truth about the account: its
token version goes up and every service refuses them (shared.token_versions). Nothing else — a
new display name, say — signs anyone out.
"""

from __future__ import annotations

from collections.abc import Mapping

FIRST_VERSION = 1

# The account's fields that a token states or depends on.
TOKEN_FIELDS = ("role", "station", "representative_code", "department", "active")


def token_version_after(
    *,
    version: int,
    before: Mapping[str, object],
    after: Mapping[str, object],
    password_changed: bool,
) -> int:
    """The account's token version once it changes from `before` to `after` (each a mapping
    with the TOKEN_FIELDS): one more when its tokens must stop working, else the same."""
    if password_changed or any(before.get(f) != after.get(f) for f in TOKEN_FIELDS):
        return version + 1
    return version
