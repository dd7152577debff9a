"""Staff tokens for tests, signed as routing signs them, with the demo's signing key, and the
accounts they name made known to the services as routing makes them known.

A service refuses a token whose account it has not heard of on `staff-sessions`
(shared.token_versions), so a test minting tokens publishes the test accounts first
(`publish_test_accounts`), before its services start: they are then known by the time the
services are ready.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import get_args

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth import Role, issue_token
from shared.events.envelope import Envelope
from shared.events.staff_events import StaffTokenVersion
from shared.metrics import Metrics
from shared.producer import EventPublisher
from shared.settings import DEV_JWT_PRIVATE_KEY, ServiceSettings
from shared.token_versions import TokenState
from shared.topics import STAFF_SESSIONS

# Every account `bearer` names in the tests: its default `test-<role>` ones and those named
# explicitly. A token for any other name is refused, as an unknown account's is.
TEST_ACCOUNTS: tuple[str, ...] = (
    *(f"test-{role}" for role in get_args(Role)),
    "xijie-staff",
    "xijie-head",
    "jianchi-staff",
    "rep-0412",
    "dpo",
    "fuzz-admin",
)


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
    """An Authorization header for this account (no account is looked up: services take it once
    its account is published, see TEST_ACCOUNTS). `version`: its token version (`ver`), the
    first one by default, as for an account never revoked."""
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
    """Accounts' token states held in a dict, for the token check in unit tests (no store).
    By default the test accounts at their first version, caught up: as a service that has read
    what `publish_test_accounts` published."""

    def __init__(
        self, states: Mapping[str, TokenState] | None = None, *, caught_up: bool = True
    ) -> None:
        first = TokenState(version=1, active=True)
        self.states = dict(states) if states is not None else dict.fromkeys(TEST_ACCOUNTS, first)
        self.caught_up = caught_up

    async def state(self, username: str) -> TokenState | None:
        return self.states.get(username)


async def publish_test_accounts(
    settings: ServiceSettings, usernames: Iterable[str] = TEST_ACCOUNTS
) -> None:
    """Publish the accounts on the namespace's `staff-sessions` topic at their first version,
    active, as routing publishes its own. Harmless to repeat, and never undoes a revocation:
    services keep the newest version of each account."""
    publisher = EventPublisher(settings=settings, metrics=Metrics(settings.service_name))
    await publisher.start()
    try:
        await publisher.publish_many(
            [
                (
                    settings.topic(STAFF_SESSIONS),
                    Envelope.wrap(
                        StaffTokenVersion(username=username, version=1, active=True),
                        source="minyi/routing",
                        subject=username,
                        correlation_id="tests",
                    ),
                )
                for username in usernames
            ]
        )
    finally:
        await publisher.stop()


class _Publishing(ServiceSettings):
    service_name: str = "tests"
    port: int = 1


def publish_test_accounts_sync(*, kafka_bootstrap: str, namespace: str) -> None:
    """`publish_test_accounts` for tests outside an event loop (the e2e platform)."""
    settings = _Publishing(kafka_bootstrap=kafka_bootstrap, namespace=namespace)
    asyncio.run(publish_test_accounts(settings))


async def until_accounts_read(client: httpx.AsyncClient, *, timeout_s: float = 30.0) -> None:
    """Wait until the service behind `client` has read the staff accounts published before it
    started (its readiness says so), for a test that does not wait for all of its readiness."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    last = ""
    while asyncio.get_running_loop().time() < deadline:
        answer = await client.get("/readyz")
        last = answer.json().get("checks", {}).get("staff_sessions", answer.text)
        if last == "ok":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{client.base_url} has not read the accounts: {last}")
