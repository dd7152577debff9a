"""Signing an account out everywhere: the API (an admin for anyone, a user for themself) and
the CLI come here.

The account's token version goes up and its `staff.token_version` event is queued in the same
write; once the relay has published it, every service refuses the account's older tokens within
a couple of seconds (shared.token_versions). A signed-in user signs in again to go on.
"""

from __future__ import annotations

from services.routing.adapters.user_repository import UserRepository
from shared.logging import get_logger

log = get_logger(__name__)


async def sign_out_everywhere(*, username: str, by: str, users: UserRepository) -> int | None:
    """The account's new token version (tokens issued before it stop working), or None when
    there is no such account. `by`: who asked, for the log."""
    version = await users.revoke(username)
    if version is None:
        log.info("account.revoke_unknown", username=username, by=by)
        return None
    log.info("account.signed_out_everywhere", username=username, token_version=version, by=by)
    return version
