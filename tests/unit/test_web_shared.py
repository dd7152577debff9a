"""The shared page plumbing: language choice, string catalogs, the staff session and CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.requests import Request

from shared.auth import issue_token
from shared.settings import DEV_JWT_PRIVATE_KEY, DEV_JWT_PUBLIC_KEY
from shared.web.i18n import LANGUAGE_COOKIE, Catalog, as_language, pick_language
from shared.web.session import SESSION_COOKIE, csrf_token, csrf_valid, session_claims

SECRET = "a-test-secret-that-is-long-enough-for-hs256"  # the CSRF key
# Another key pair's public half: the demo key's tokens do not verify under it.
OTHER_PUBLIC_KEY = (
    Ed25519PrivateKey.generate()
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def request(query: str = "", cookies: dict[str, str] | None = None) -> Request:
    cookie = "; ".join(f"{name}={value}" for name, value in (cookies or {}).items())
    headers = [(b"cookie", cookie.encode())] if cookie else []
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "query_string": query.encode(),
            "headers": headers,
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


def signed_in() -> Request:
    token, _ = issue_token(
        signing_key=DEV_JWT_PRIVATE_KEY,
        username="xijie-staff",
        role="staff",
        station="xijie",
        representative_code=None,
        department=None,
        ttl=timedelta(minutes=5),
    )
    return request(cookies={SESSION_COOKIE: token})


def test_session_claims_come_from_a_valid_cookie_only() -> None:
    claims = session_claims(signed_in(), verify_key=DEV_JWT_PUBLIC_KEY)
    assert claims is not None and claims.sub == "xijie-staff" and claims.station == "xijie"
    assert session_claims(request(), verify_key=DEV_JWT_PUBLIC_KEY) is None
    forged = request(cookies={SESSION_COOKIE: "forged"})
    assert session_claims(forged, verify_key=DEV_JWT_PUBLIC_KEY) is None
    assert session_claims(signed_in(), verify_key=OTHER_PUBLIC_KEY) is None


def test_csrf_token_is_bound_to_the_session() -> None:
    mine = signed_in()
    token = csrf_token(mine, secret=SECRET)
    assert csrf_valid(mine, token, secret=SECRET)
    assert not csrf_valid(mine, "0" * 32, secret=SECRET)
    assert not csrf_valid(mine, None, secret=SECRET)
    # Without a session there is nothing to protect and nothing to accept.
    assert not csrf_valid(request(), csrf_token(request(), secret=SECRET), secret=SECRET)
