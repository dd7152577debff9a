"""Staff tokens for tests, signed as routing signs them, with the demo's signing key."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth import Role, issue_token
from shared.settings import DEV_JWT_PRIVATE_KEY
from shared.token_versions import TokenState


def bearer(
    role: Role = "supervisor",
    *,
    username: str | None = None,
    station: str | None = None,
    representative_code: str | None = None,
    department: str | None = None,
    version: int = 1,
    signing_key: str = DEV_JWT_PRIVATE_KEY,
) -> dict[str, str]:
    """An Authorization header for this account (any username: no account is looked up, and an
    account no service has heard of is never revoked). `version`: its token version (`ver`),
    the first one by default, as for an account never revoked."""
    token, _ = issue_token(
        signing_key=signing_key,
        username=username or f"test-{role}",
        role=role,
        station=station,
        representative_code=representative_code,
        department=department,
        version=version,
        ttl=timedelta(hours=1),
    )
    return {"Authorization": f"Bearer {token}"}


def key_pair() -> tuple[str, str]:
    """A fresh Ed25519 (private, public) PEM pair: an operator's own, not the demo's."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class FixedTokenStates:
    """Accounts' token states held in a dict, for the token check in unit tests (no store)."""

    def __init__(self, states: Mapping[str, TokenState] | None = None) -> None:
        self.states = dict(states or {})

    async def state(self, username: str) -> TokenState | None:
        return self.states.get(username)
