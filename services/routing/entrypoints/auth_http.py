"""Staff sign-in: username and password, or the city's identity provider (OIDC); who am I;
signing out everywhere."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from services.routing.entrypoints.deps import (
    CurrentClaims,
    Oidc,
    Relay,
    Settings,
    Throttle,
    Users,
)
from services.routing.entrypoints.schemas import OidcSignIn, Revocation, SignIn, Token
from services.routing.entrypoints.views import token_for
from services.routing.handlers.oidc_sign_in import OidcRefused, sign_in_with_id_token
from services.routing.handlers.sessions import sign_out_everywhere
from services.routing.handlers.sign_in import sign_in as check_password
from shared.auth import Claims
from shared.rate_limit import client_address

router = APIRouter(prefix="/v1", tags=["staff"])
# Every 401 names the scheme to authenticate with (RFC 9110), as the token check's do.
CHALLENGE = {"WWW-Authenticate": "Bearer"}


@router.post(
    "/auth/token",
    response_model=Token,
    tags=["auth"],
    summary="Sign in with username and password; returns a short-lived token.",
    responses={
        401: {"description": "Wrong username or password."},
        429: {
            "description": "Too many failed sign-ins for the account or from the address; "
            "`Retry-After` says how many seconds to wait."
        },
    },
)
async def sign_in(
    body: SignIn, request: Request, users: Users, throttle: Throttle, settings: Settings
) -> Token:
    user = await check_password(
        username=body.username,
        password=body.password,
        address=client_address(request, trust_forwarded_for=settings.trust_forwarded_for),
        users=users,
        throttle=throttle,
    )
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail="wrong username or password", headers=CHALLENGE
        )
    return token_for(user, settings=settings)


@router.post(
    "/auth/oidc",
    response_model=Token,
    tags=["auth"],
    summary="Exchange the identity provider's ID token for a Minyi token.",
    responses={
        401: {"description": "Invalid ID token, or no active account for it."},
        404: {"description": "OIDC sign-in is not configured."},
        429: {
            "description": "Too many failed sign-ins (password or OIDC) from the address; "
            "`Retry-After` says how many seconds to wait."
        },
        503: {"description": "The identity provider's keys are unreachable."},
    },
)
async def oidc_sign_in(
    body: OidcSignIn,
    request: Request,
    oidc: Oidc,
    users: Users,
    throttle: Throttle,
    settings: Settings,
) -> Token:
    if oidc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="OIDC sign-in is not configured")
    try:
        user = await sign_in_with_id_token(
            id_token=body.id_token,
            address=client_address(request, trust_forwarded_for=settings.trust_forwarded_for),
            verifier=oidc,
            users=users,
            throttle=throttle,
        )
    except OidcRefused as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail=str(exc), headers=CHALLENGE
        ) from None
    except ConnectionError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from None
    return token_for(user, settings=settings)


@router.get("/staff/me", response_model=Claims, tags=["auth"])
async def me(claims: CurrentClaims) -> Claims:
    return claims


@router.post(
    "/auth/sign-out-everywhere",
    response_model=Revocation,
    tags=["auth"],
    summary="Revoke every token of the caller's account, this one included.",
    responses={
        401: {"description": "No valid token."},
        404: {"description": "The token names no account (any more)."},
    },
)
async def revoke_own_tokens(claims: CurrentClaims, users: Users, relay: Relay) -> Revocation:
    version = await sign_out_everywhere(username=claims.sub, by=claims.sub, users=users)
    if version is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no account {claims.sub!r}")
    relay.wake()
    return Revocation(username=claims.sub, token_version=version)
