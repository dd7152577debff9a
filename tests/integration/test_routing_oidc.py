"""Sign-in through an OpenID Connect provider: a local JWKS server stands in for the city's.
Failed exchanges are throttled per client address, in the same record as failed passwords."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from pymongo import AsyncMongoClient

from services.routing.adapters.user_repository import UserImport, UserRepository
from services.routing.app import create_app
from services.routing.settings import RoutingSettings
from shared.mongo import Document
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.tokens import until_accounts_read

ISSUER = "https://id.longquan.example"
# Failures an address has for free; after them each attempt waits 1, 2, 4 … s.
FREE_FAILURES = 3
AUDIENCE = "minyi-workbench"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
STRANGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    public = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()


def id_token(username: str, *, key: Any = KEY, audience: str = AUDIENCE, ttl: int = 300) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "sub": f"uid-{username}",
        "preferred_username": username,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
async def routing(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document], jwks_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    routing_settings = RoutingSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_url=jwks_url,
        sign_in_address_failures=FREE_FAILURES,
    )
    await UserRepository(mongo[routing_settings.database_name]).save(
        [
            UserImport(
                username="xijie-staff",
                display_name="西街工作人员",
                role="staff",
                station="xijie",
                password="not-used-here",
            ),
        ]
    )
    app = create_app(routing_settings)
    async with serving(app, "routing", ready=False) as client:
        yield client


async def test_a_valid_id_token_for_an_active_account_gets_a_minyi_token(
    routing: httpx.AsyncClient,
) -> None:
    response = await routing.post("/v1/auth/oidc", json={"id_token": id_token("xijie-staff")})
    assert response.status_code == 200, response.text
    token = response.json()
    assert (token["role"], token["station"]) == ("staff", "xijie")
    # Taken by routing's own token check once it has read the account it published at start.
    await until_accounts_read(routing)
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    for _ in range(100):
        me = await routing.get("/v1/staff/me", headers=bearer)
        if me.status_code == 200:
            break
        await asyncio.sleep(0.1)
    assert me.json()["sub"] == "xijie-staff"


@pytest.mark.parametrize(
    "token",
    [
        id_token("xijie-staff", ttl=-60),  # expired
        id_token("xijie-staff", audience="another-app"),
        id_token("xijie-staff", key=STRANGER),  # not signed by the provider
        id_token("nobody-here"),  # no such account
    ],
)
async def test_an_unacceptable_id_token_gets_401(routing: httpx.AsyncClient, token: str) -> None:
    response = await routing.post("/v1/auth/oidc", json={"id_token": token})
    assert response.status_code == 401


async def test_without_a_configured_provider_oidc_sign_in_is_404(
    settings: PlumbingSettings,
) -> None:
    app = create_app(
        RoutingSettings(
            kafka_bootstrap=settings.kafka_bootstrap,
            mongo_url=settings.mongo_url,
            namespace=settings.namespace,
        )
    )
    async with serving(app, "routing", ready=False) as client:
        response = await client.post("/v1/auth/oidc", json={"id_token": id_token("x" * 3)})
    assert response.status_code == 404


async def test_failed_exchanges_make_the_address_wait_for_oidc_and_passwords_alike(
    routing: httpx.AsyncClient,
) -> None:
    def exchange(token: str) -> Any:
        return routing.post("/v1/auth/oidc", json={"id_token": token})

    good = id_token("xijie-staff")
    assert (await exchange(good)).status_code == 200  # a success is not counted
    bad = [
        id_token("xijie-staff", key=STRANGER),  # forged
        "not even a JWT",
        id_token("nobody-here"),  # vouched for, but no account
    ]
    assert [(await exchange(token)).status_code for token in bad] == [401] * FREE_FAILURES

    # Past the free failures: refused before the token is looked at, even a good one, and the
    # address waits for password sign-ins too (one record: switching gains nothing).
    # Sent together: the wait is a second, and a busy machine can take that between two calls.
    refused, password = await asyncio.gather(
        exchange(good),
        routing.post(
            "/v1/auth/token", json={"username": "xijie-staff", "password": "not-used-here"}
        ),
    )
    assert refused.status_code == 429
    assert refused.json() == {"detail": "too many failed sign-ins; try again in 1 s"}
    assert refused.headers["Retry-After"] == "1"
    assert password.status_code == 429

    # Once the wait is over a good token gets through; the address keeps its failures, so the
    # next attempt waits again, whatever it holds.
    await asyncio.sleep(1.1)
    assert (await exchange(good)).status_code == 200
    again = await exchange(good)
    assert again.status_code == 429 and int(again.headers["Retry-After"]) >= 1
