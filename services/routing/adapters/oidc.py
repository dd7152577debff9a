"""Sign-in through the city's identity provider (OpenID Connect), when one is configured.

The provider's ID token is checked here — signature against the provider's published keys
(JWKS), issuer, audience, expiry — and its username claim must name an active staff account:
the provider proves who someone is, routing's accounts still say what they may do.
"""

from __future__ import annotations

import asyncio
from typing import Any

import jwt


class OidcError(Exception):
    """The ID token is not acceptable."""


class OidcVerifier:
    def __init__(self, *, issuer: str, audience: str, jwks_url: str, username_claim: str) -> None:
        self._issuer = issuer
        self._audience = audience
        self._username_claim = username_claim
        self._keys = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=600, timeout=5)

    async def username(self, id_token: str) -> str:
        claims = await asyncio.to_thread(self._verify, id_token)
        username = claims.get(self._username_claim)
        if not isinstance(username, str) or not username:
            raise OidcError(f"the ID token has no {self._username_claim} claim")
        return username

    def _verify(self, id_token: str) -> dict[str, Any]:
        try:
            key = self._keys.get_signing_key_from_jwt(id_token)
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=["RS256", "ES256"],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise ConnectionError(f"the identity provider's keys are unreachable: {exc}") from exc
        except jwt.PyJWTError as exc:
            raise OidcError(str(exc)) from exc
        return claims
