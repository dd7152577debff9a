"""Staff tokens: short-lived JWTs with role and scope claims, checked on every staff endpoint.

Routing issues them (it owns the accounts) signed with its Ed25519 private key; every service
verifies them with the public key, so no other service can mint one. Each token carries its
account's token version (`ver`); a token below the account's current version, or of a
deactivated account, is refused like an expired one; a token naming an account the service has
never heard of is refused with its own message, or, while the service is still reading the
accounts after its start, answered 503 "starting" (shared.token_versions).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request

from shared.logging import get_logger
from shared.openapi import answers
from shared.token_versions import TokenStates, Verdict, token_verdict

log = get_logger(__name__)

Role = Literal["representative", "staff", "station_head", "department", "admin", "supervisor"]
_ALGORITHM = "EdDSA"
_ISSUER = "minyi/routing"
# The pages' sign-in cookie (shared.web.session) holds the same token.
SESSION_COOKIE = "minyi_session"
# Reads only: a cookie rides along on cross-site form posts, a bearer header never does.
_COOKIE_METHODS = frozenset({"GET", "HEAD"})


class Claims(BaseModel):
    model_config = ConfigDict(frozen=True)

    sub: str
    role: Role
    station: str | None = None
    representative_code: str | None = None
    department: str | None = None
    exp: int
    # The account's token version when issued. Tokens from before versions existed have none:
    # they count as 1, so they stand only until the account's first revocation.
    ver: int = Field(default=1, ge=1)


def check_signing_key(pem: str) -> None:
    """Raises ValueError unless `pem` is an Ed25519 private key."""
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the token signing key must be an Ed25519 private key")


def check_verify_key(pem: str) -> None:
    """Raises ValueError unless `pem` is an Ed25519 public key."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the token verification key must be an Ed25519 public key")


def issue_token(
    *,
    signing_key: str,
    username: str,
    role: Role,
    station: str | None,
    representative_code: str | None,
    department: str | None,
    version: int,
    ttl: timedelta,
    now: datetime | None = None,
) -> tuple[str, datetime]:
    """`version`: the account's current token version (the `ver` claim)."""
    issued = now or datetime.now(UTC)
    expires = issued + ttl
    payload = {
        "sub": username,
        "role": role,
        "station": station,
        "representative_code": representative_code,
        "department": department,
        "ver": version,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "iss": _ISSUER,
    }
    return jwt.encode(payload, signing_key, algorithm=_ALGORITHM), expires


class InvalidToken(Exception):
    pass


def verify_token(token: str, *, verify_key: str) -> Claims:
    try:
        payload = jwt.decode(
            token,
            verify_key,
            algorithms=[_ALGORITHM],
            issuer=_ISSUER,
            options={"require": ["exp", "sub", "iss"]},
        )
        return Claims.model_validate(payload)
    except (jwt.PyJWTError, ValidationError) as exc:
        raise InvalidToken(str(exc)) from exc


bearer = HTTPBearer(auto_error=False, description="A token from routing's POST /v1/auth/token.")


class TokenCheck:
    """Verifies the staff token of a request; one per app, on `app.state.token_check`."""

    def __init__(self, *, verify_key: str, states: TokenStates) -> None:
        self._verify_key = verify_key
        self._states = states

    async def claims(
        self, request: Request, credentials: HTTPAuthorizationCredentials | None
    ) -> Claims:
        """The bearer header, or for GET/HEAD the pages' session cookie too, so that a signed-in
        browser can open what a page links to (a case's photo on intake, say)."""
        token = credentials.credentials if credentials is not None else None
        if token is None and request.method in _COOKIE_METHODS:
            token = request.cookies.get(SESSION_COOKIE) or None
        if token is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="sign in first",
                headers={"WWW-Authenticate": "Bearer"},
            )
        claims, verdict = await self.judged(token)
        if verdict is Verdict.STARTING:
            raise _starting()
        if claims is not None and verdict is Verdict.ADMITTED:
            return claims
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=_UNKNOWN_ACCOUNT if verdict is Verdict.UNKNOWN else _INVALID,
            headers={"WWW-Authenticate": "Bearer"},
        )

    async def verified(self, token: str) -> Claims | None:
        """The claims of a token that is well signed, unexpired, not revoked and of a known
        account; else None (the pages: sign in again). While the service is still reading the
        accounts, a token of an account not read yet raises a 503 "starting" instead."""
        claims, verdict = await self.judged(token)
        if verdict is Verdict.STARTING:
            raise _starting()
        return claims if verdict is Verdict.ADMITTED else None

    async def judged(self, token: str) -> tuple[Claims | None, Verdict | None]:
        """The token's claims (None if badly signed or expired: verdict None too) and what
        the accounts' states make of it. A revoked token is told apart only in the log: to the
        caller it is just invalid."""
        try:
            claims = verify_token(token, verify_key=self._verify_key)
        except InvalidToken:
            return None, None
        state = await self._states.state(claims.sub)
        verdict = token_verdict(
            token_version=claims.ver, state=state, caught_up=self._states.caught_up
        )
        if verdict is not Verdict.ADMITTED:
            log.info(
                "token.refused",
                reason=str(verdict),
                username=claims.sub,
                token_version=claims.ver,
                current_version=state.version if state else None,
                active=state.active if state else None,
            )
        return claims, verdict


_INVALID = "the token is invalid or has expired"
# Told apart from _INVALID: signing in again will not help, the account is gone or never was.
_UNKNOWN_ACCOUNT = "the token names an account this service does not know"


def _starting() -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        detail="starting: the staff accounts are still being read; try again shortly",
        headers={"Retry-After": "1"},
    )


def install_token_check(app: FastAPI, *, verify_key: str, states: TokenStates) -> None:
    app.state.token_check = TokenCheck(verify_key=verify_key, states=states)


def token_check(request: Request) -> TokenCheck:
    check: TokenCheck = request.app.state.token_check
    return check


@answers(
    401,
    "Sign in first: no token, or one that is invalid, expired or revoked, or that names an "
    "account the service does not know.",
)
async def current_claims(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Claims:
    """The caller's verified claims, or 401."""
    return await token_check(request).claims(request, credentials)


CurrentClaims = Annotated[Claims, Depends(current_claims)]
