"""Token revocation's rules: when routing bumps an account's token version, and which tokens a
service still takes given what it knows of the account."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI

from services.routing.domain.accounts import token_version_after
from shared.auth import CurrentClaims, install_token_check, issue_token
from shared.settings import DEV_JWT_PRIVATE_KEY, DEV_JWT_PUBLIC_KEY
from shared.token_versions import TokenState, Verdict, token_verdict
from tests.tokens import FixedTokenStates, bearer

STAFF = {
    "role": "staff",
    "station": "xijie",
    "representative_code": None,
    "department": None,
    "active": True,
}


KNOWN = TokenState(version=5, active=True)


@pytest.mark.parametrize(
    ("token_version", "state", "caught_up", "verdict"),
    [
        (1, None, True, Verdict.UNKNOWN),  # no such account: deleted, forged or never published
        (3, None, True, Verdict.UNKNOWN),
        (1, None, False, Verdict.STARTING),  # its record may be among those not read yet
        (1, TokenState(version=1, active=True), True, Verdict.ADMITTED),
        (2, TokenState(version=1, active=True), True, Verdict.ADMITTED),  # after a bump not seen
        (1, TokenState(version=2, active=True), True, Verdict.REVOKED),
        (4, KNOWN, True, Verdict.REVOKED),
        (5, KNOWN, False, Verdict.ADMITTED),  # known accounts are judged while starting too
        (4, KNOWN, False, Verdict.REVOKED),
        (5, TokenState(version=5, active=False), True, Verdict.REVOKED),  # deactivated: no token
        (6, TokenState(version=5, active=False), True, Verdict.REVOKED),
    ],
)
def test_a_token_stands_while_its_account_is_known_active_and_its_version_current(
    token_version: int, state: TokenState | None, caught_up: bool, verdict: Verdict
) -> None:
    assert token_verdict(token_version=token_version, state=state, caught_up=caught_up) is verdict


@pytest.mark.parametrize(
    ("change", "password_changed", "after"),
    [
        ({}, True, 4),
        ({"role": "station_head"}, False, 4),
        ({"station": "jianchi"}, False, 4),
        ({"representative_code": "0412"}, False, 4),
        ({"department": "housing"}, False, 4),
        ({"active": False}, False, 4),
        ({"display_name": "新名字"}, False, 3),  # the token does not say it
        ({}, False, 3),  # loaded again unchanged: nobody signed out
    ],
)
def test_an_accounts_token_version_goes_up_when_its_tokens_would_lie(
    change: dict[str, object], password_changed: bool, after: int
) -> None:
    before = {**STAFF, "display_name": "西街"}
    assert (
        token_version_after(
            version=3,
            before=before,
            after={**before, **change},
            password_changed=password_changed,
        )
        == after
    )


def test_a_reactivated_account_does_not_get_its_old_tokens_back() -> None:
    deactivated = {**STAFF, "active": False}
    assert (
        token_version_after(version=4, before=deactivated, after=STAFF, password_changed=False) == 5
    )


def checked_app(states: FixedTokenStates) -> httpx.AsyncClient:
    app = FastAPI()
    install_token_check(app, verify_key=DEV_JWT_PUBLIC_KEY, states=states)

    @app.get("/me")
    async def me(claims: CurrentClaims) -> int:
        return claims.ver

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def token(version: int, *, ttl: timedelta = timedelta(minutes=5)) -> dict[str, str]:
    issued, _ = issue_token(
        signing_key=DEV_JWT_PRIVATE_KEY,
        username="xijie-staff",
        role="staff",
        station="xijie",
        representative_code=None,
        department=None,
        version=version,
        ttl=ttl,
    )
    return {"Authorization": f"Bearer {issued}"}


async def test_a_revoked_or_deactivated_token_gets_the_same_401_as_an_expired_one() -> None:
    states = FixedTokenStates({"xijie-staff": TokenState(version=2, active=True)})
    async with checked_app(states) as http:
        expired = await http.get("/me", headers=token(2, ttl=timedelta(minutes=-5)))
        revoked = await http.get("/me", headers=token(1))
        current = await http.get("/me", headers=token(2))
        states.states["xijie-staff"] = TokenState(version=2, active=False)
        deactivated = await http.get("/me", headers=token(2))
    assert expired.status_code == 401
    for refused in (revoked, deactivated):
        assert refused.status_code == 401
        assert refused.json() == expired.json() == {"detail": "the token is invalid or has expired"}
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert current.status_code == 200 and current.json() == 2


async def test_a_token_without_a_version_counts_as_the_first() -> None:
    # Issued before token versions existed: no `ver` claim.
    payload = {
        "sub": "xijie-staff",
        "role": "staff",
        "station": "xijie",
        "exp": int(time.time()) + 300,
        "iss": "minyi/routing",
    }
    legacy = {"Authorization": "Bearer " + jwt.encode(payload, DEV_JWT_PRIVATE_KEY, "EdDSA")}
    states = FixedTokenStates({"xijie-staff": TokenState(version=1, active=True)})
    async with checked_app(states) as http:
        assert (await http.get("/me", headers=legacy)).json() == 1
        states.states["xijie-staff"] = TokenState(version=2, active=True)
        assert (await http.get("/me", headers=legacy)).status_code == 401


async def test_an_unknown_accounts_token_gets_its_own_401_or_503_while_starting() -> None:
    ghost = bearer("admin", username="no-such-account")
    states = FixedTokenStates(caught_up=False)
    async with checked_app(states) as http:
        starting = await http.get("/me", headers=ghost)
        known = await http.get("/me", headers=bearer("admin"))  # a test account: published
        states.caught_up = True
        unknown = await http.get("/me", headers=ghost)
    assert starting.status_code == 503 and starting.headers["Retry-After"] == "1"
    assert starting.json()["detail"].startswith("starting")
    assert known.status_code == 200
    assert unknown.status_code == 401 and unknown.headers["WWW-Authenticate"] == "Bearer"
    assert unknown.json() == {"detail": "the token names an account this service does not know"}
