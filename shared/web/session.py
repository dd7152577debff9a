"""The staff sign-in cookie for pages: the same token the API takes, kept HttpOnly.

Routing sets it at sign-in; every service's pages check it as the API checks a bearer token
(signature, expiry, revocation: the app's shared.auth.TokenCheck). Cookies are
not separated by port, so one sign-in serves the workbench and the dashboard alike. Forms that
change something carry a CSRF token derived from the session, and the cookie is SameSite=Strict.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from shared.auth import SESSION_COOKIE as SESSION_COOKIE
from shared.auth import Claims, token_check


def start_session(response: Response, *, token: str, expires: datetime, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        expires=expires,
        httponly=True,
        secure=secure,
        samesite="strict",
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", samesite="strict", httponly=True)


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


async def session_claims(request: Request) -> Claims | None:
    """The signed-in user's claims, or None when not signed in, or the session expired, was
    revoked or names an account the service does not know (a 503 "starting" while it is still
    reading the accounts: shared.auth.TokenCheck.verified)."""
    token = session_token(request)
    if token is None:
        return None
    return await token_check(request).verified(token)


def csrf_token(request: Request, *, secret: str) -> str:
    """Bound to this session: a form from another session (or none) does not verify."""
    token = session_token(request) or ""
    return hmac.new(secret.encode(), b"csrf:" + token.encode(), hashlib.sha256).hexdigest()[:32]


def csrf_valid(request: Request, submitted: str | None, *, secret: str) -> bool:
    if not submitted or session_token(request) is None:
        return False
    return hmac.compare_digest(submitted, csrf_token(request, secret=secret))
