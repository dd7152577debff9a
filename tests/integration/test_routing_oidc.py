"""Sign-in through an OpenID Connect provider: a local JWKS server stands in for the city's."""

from __future__ import annotations

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

ISSUER = "https://id.longquan.example"
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
    me = await routing.get(
        "/v1/staff/me", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
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
