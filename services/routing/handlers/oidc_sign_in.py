"""Signing in with the identity provider's ID token, throttled per client address.

A failed exchange — an ID token that is forged, expired, for another client, or for no active
account — counts against the client's address exactly as a wrong password does, in the same
record (services.routing.handlers.sign_in): a guesser gains nothing by switching between the
two, and waits 1, 2, 4 … s once past the address's free failures. There is no account to count
against before the token is verified, and a verified one proves the provider vouched for it.
"""

from __future__ import annotations

from services.routing.adapters.oidc import OidcError, OidcVerifier
from services.routing.adapters.user_repository import StaffAccount, UserRepository
from services.routing.domain.throttle import address_key
from services.routing.handlers.sign_in import SignInThrottle, SignInThrottled
from shared.logging import get_logger

log = get_logger(__name__)


class OidcRefused(Exception):
    """The ID token gets no Minyi token (401); the attempt was counted."""


async def sign_in_with_id_token(
    *,
    id_token: str,
    address: str,
    verifier: OidcVerifier,
    users: UserRepository,
    throttle: SignInThrottle,
) -> StaffAccount:
    """The account the ID token names. `SignInThrottled` while the address must wait (the token
    is not even looked at), `OidcRefused` for an unacceptable token or one naming no active
    account, `ConnectionError` while the provider's keys are unreachable (not counted: the
    caller did nothing wrong). A success takes back its own attempt; the address keeps its
    other failures, so one good token does not launder a guesser's."""
    origin = address_key(address)
    wait = await throttle.attempts.reserve(origin, throttle.address)
    if wait is not None:
        log.warning("oidc.throttled", address=origin, wait_s=wait.retry_after_s)
        raise SignInThrottled(wait)
    try:
        username = await verifier.username(id_token)
    except OidcError as exc:
        log.info("oidc.refused", reason="invalid_id_token", address=origin)
        raise OidcRefused(f"invalid ID token: {exc}") from None
    except ConnectionError:
        await throttle.attempts.forgive(origin, throttle.address)
        raise
    user = await users.active(username)
    if user is None:
        log.info("oidc.refused", reason="no_active_account", username=username, address=origin)
        raise OidcRefused(f"no active Minyi account {username!r}")
    await throttle.attempts.forgive(origin, throttle.address)
    return user
