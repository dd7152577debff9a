"""Staff endpoints take the pages' session cookie for reads only; writes need the bearer."""

from datetime import timedelta

import httpx
from fastapi import FastAPI

from shared.auth import SESSION_COOKIE, CurrentClaims, install_token_check, issue_token
from shared.settings import DEV_JWT_PRIVATE_KEY, DEV_JWT_PUBLIC_KEY
from tests.tokens import FixedTokenStates


def client(cookie: str | None) -> httpx.AsyncClient:
    app = FastAPI()
    install_token_check(app, verify_key=DEV_JWT_PUBLIC_KEY, states=FixedTokenStates())

    @app.api_route("/read", methods=["GET", "HEAD"])
    async def read(claims: CurrentClaims) -> str:
        return claims.sub

    @app.post("/write")
    async def write(claims: CurrentClaims) -> str:
        return claims.sub

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        cookies={SESSION_COOKIE: cookie} if cookie else None,
    )


def token() -> str:
    issued, _ = issue_token(
        signing_key=DEV_JWT_PRIVATE_KEY,
        username="rep-0412",
        role="representative",
        station=None,
        representative_code="0412",
        department=None,
        version=1,
        ttl=timedelta(minutes=5),
    )
    return issued


async def test_a_read_accepts_the_session_cookie() -> None:
    async with client(token()) as http:
        assert (await http.get("/read")).json() == "rep-0412"
        assert (await http.head("/read")).status_code == 200


async def test_a_write_ignores_the_session_cookie_but_takes_the_bearer() -> None:
    async with client(token()) as http:
        assert (await http.post("/write")).status_code == 401
        bearer = {"Authorization": f"Bearer {token()}"}
        assert (await http.post("/write", headers=bearer)).json() == "rep-0412"


async def test_a_forged_or_missing_cookie_is_refused() -> None:
    async with client(token()[:-4] + "AAAA") as http:
        assert (await http.get("/read")).status_code == 401
    async with client(None) as http:
        assert (await http.get("/read")).status_code == 401
