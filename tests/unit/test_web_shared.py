"""The shared page plumbing: language choice, string catalogs, the staff session and CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from starlette.requests import Request

from shared.auth import install_token_check, issue_token
from shared.settings import DEV_JWT_PRIVATE_KEY, DEV_JWT_PUBLIC_KEY
from shared.token_versions import TokenState
from shared.web.i18n import LANGUAGE_COOKIE, Catalog, as_language, pick_language
from shared.web.session import SESSION_COOKIE, csrf_token, csrf_valid, session_claims
from tests.tokens import FixedTokenStates

SECRET = "a-test-secret-that-is-long-enough-for-hs256"  # the CSRF key
# Another key pair's public half: the demo key's tokens do not verify under it.
OTHER_PUBLIC_KEY = (
    Ed25519PrivateKey.generate()
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def checking(
    verify_key: str = DEV_JWT_PUBLIC_KEY, states: FixedTokenStates | None = None
) -> FastAPI:
    """An app checking tokens as the services do (shared.auth.TokenCheck)."""
    app = FastAPI()
    install_token_check(app, verify_key=verify_key, states=states or FixedTokenStates())
    return app


def request(
    query: str = "", cookies: dict[str, str] | None = None, app: FastAPI | None = None
) -> Request:
    cookie = "; ".join(f"{name}={value}" for name, value in (cookies or {}).items())
    headers = [(b"cookie", cookie.encode())] if cookie else []
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "query_string": query.encode(),
            "headers": headers,
            "app": app or checking(),
        }
    )


def test_chinese_is_the_default_whatever_the_browser_says() -> None:
    assert pick_language(request()) == "zh"


def test_query_beats_cookie_and_cookie_beats_default() -> None:
    assert pick_language(request(cookies={LANGUAGE_COOKIE: "en"})) == "en"
    assert pick_language(request("lang=zh", cookies={LANGUAGE_COOKIE: "en"})) == "zh"
    assert pick_language(request("lang=fr")) == "zh"


def test_language_values_are_normalised() -> None:
    assert as_language("EN-us") == "en"
    assert as_language("zh-CN") == "zh"
    assert as_language("de") is None
    assert as_language(None) is None


def test_catalog_requires_both_languages_and_formats_values() -> None:
    catalog = Catalog({"count": {"zh": "共 {n} 件", "en": "{n} cases"}})
    assert catalog.text("count", "zh", n=3) == "共 3 件"
    assert catalog.text("count", "en", n=3) == "3 cases"
    assert "site_name" in catalog
    with pytest.raises(ValueError, match="lacks"):
        Catalog({"half": {"zh": "只有中文"}})
    with pytest.raises(KeyError, match="no string"):
        catalog.text("missing", "zh")


def signed_in(app: FastAPI | None = None) -> Request:
    token, _ = issue_token(
        signing_key=DEV_JWT_PRIVATE_KEY,
        username="xijie-staff",
        role="staff",
        station="xijie",
        representative_code=None,
        department=None,
        version=1,
        ttl=timedelta(minutes=5),
    )
    return request(cookies={SESSION_COOKIE: token}, app=app)


async def test_session_claims_come_from_a_valid_cookie_only() -> None:
    claims = await session_claims(signed_in())
    assert claims is not None and claims.sub == "xijie-staff" and claims.station == "xijie"
    assert await session_claims(request()) is None
    forged = request(cookies={SESSION_COOKIE: "forged"})
    assert await session_claims(forged) is None
    assert await session_claims(signed_in(checking(verify_key=OTHER_PUBLIC_KEY))) is None


async def test_a_revoked_session_is_no_session() -> None:
    revoked = FixedTokenStates({"xijie-staff": TokenState(version=2, active=True)})
    assert await session_claims(signed_in(checking(states=revoked))) is None
    deactivated = FixedTokenStates({"xijie-staff": TokenState(version=1, active=False)})
    assert await session_claims(signed_in(checking(states=deactivated))) is None


def test_csrf_token_is_bound_to_the_session() -> None:
    mine = signed_in()
    token = csrf_token(mine, secret=SECRET)
    assert csrf_valid(mine, token, secret=SECRET)
    assert not csrf_valid(mine, "0" * 32, secret=SECRET)
    assert not csrf_valid(mine, None, secret=SECRET)
    # Without a session there is nothing to protect and nothing to accept.
    assert not csrf_valid(request(), csrf_token(request(), secret=SECRET), secret=SECRET)
