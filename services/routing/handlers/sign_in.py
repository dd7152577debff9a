"""Signing in with a password, throttled per account and per client address.

The API (`POST /v1/auth/token`) and the sign-in page both come here, so a guesser gains
nothing by switching between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.routing.adapters.sign_in_attempts import SignInAttempts
from services.routing.adapters.user_repository import StaffAccount, UserRepository
from services.routing.domain.throttle import ThrottlePolicy, Wait, account_key, address_key
from shared.logging import get_logger

log = get_logger(__name__)


class SignInThrottled(Exception):
    """Too many failed sign-ins for the account or from the address: wait and retry (429)."""

    def __init__(self, wait: Wait) -> None:
        super().__init__(f"too many failed sign-ins; try again in {wait.retry_after_s} s")
        self.retry_after_s = wait.retry_after_s


@dataclass(frozen=True)
class SignInThrottle:
    attempts: SignInAttempts
    account: ThrottlePolicy
    address: ThrottlePolicy

    @classmethod
    def of(
        cls,
        attempts: SignInAttempts,
        *,
        account_failures: int,
        address_failures: int,
        window_s: float,
        max_wait_s: float,
    ) -> SignInThrottle:
        window, max_wait = timedelta(seconds=window_s), timedelta(seconds=max_wait_s)
        return cls(
            attempts=attempts,
            account=ThrottlePolicy(account_failures, window=window, max_wait=max_wait),
            address=ThrottlePolicy(address_failures, window=window, max_wait=max_wait),
        )


async def sign_in(
    *,
    username: str,
    password: str,
    address: str,
    users: UserRepository,
    throttle: SignInThrottle,
) -> StaffAccount | None:
    """The account for a right password, None for a wrong one; `SignInThrottled` while the
    account or the address must wait, without checking the password at all (so a locked
    account costs no hashing either). A success clears the account's failures."""
    account, origin = account_key(username), address_key(address)
    attempts = throttle.attempts
    wait = await attempts.reserve(origin, throttle.address)
    if wait is not None:
        log.warning("sign_in.throttled", by="address", address=origin, wait_s=wait.retry_after_s)
        raise SignInThrottled(wait)
    wait = await attempts.reserve(account, throttle.account)
    if wait is not None:
        # Refused before any check: not a guess the address should pay for.
        await attempts.forgive(origin, throttle.address)
        log.warning("sign_in.throttled", by="account", account=account, wait_s=wait.retry_after_s)
        raise SignInThrottled(wait)
    user = await users.authenticate(username, password)
    if user is None:
        log.info("sign_in.failed", account=account, address=origin)
        return None
    await attempts.clear(account)
    # The address keeps its other failures: one good account must not launder a guesser's.
    await attempts.forgive(origin, throttle.address)
    return user
