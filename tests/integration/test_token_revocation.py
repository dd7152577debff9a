"""Staff tokens can be revoked before they expire: signing an account out everywhere, or
deactivating it, makes every service refuse its tokens (API and pages) within seconds, without
any service asking routing.

The four apps run in-process on the real broker and store: routing publishes the account's
token version on `staff-sessions` through its outbox, each service's `<service>.sessions`
consumer stores it, and each token check reads it from memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import HTTPException
from pymongo import AsyncMongoClient

from services.intake.app import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.reporting.app import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from services.routing.adapters.user_repository import UserImport, UserRepository
from services.routing.app import create_app as routing_app
from services.routing.entrypoints.cli import revoke_user
from services.routing.settings import RoutingSettings
from shared.auth import SESSION_COOKIE, TokenCheck
from shared.consumer import EventConsumer
from shared.events.staff_events import StaffTokenVersion
from shared.group_progress import wait_until_consumed
from shared.metrics import Metrics
from shared.mongo import Document
from shared.producer import EventPublisher
from shared.settings import ServiceSettings
from shared.token_versions import (
    COLLECTION,
    TokenState,
    TokenVersions,
    Verdict,
    token_version_routes,
)
from shared.topics import STAFF_SESSIONS
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.tokens import bearer, publish_test_accounts

PASSWORD = "correct horse battery"
ACCOUNT = UserImport(
    username="xijie-staff",
    display_name="西街工作人员",
    role="staff",
    station="xijie",
    password=PASSWORD,
)
ADMIN = bearer("admin")
SERVICES = ("routing", "intake", "notify", "reporting")
# A staff endpoint of each service that a station's staff member may call: anything but 401
# means the token was taken (intake answers 404 for a case that does not exist).
PROBES = {
    "routing": "/v1/staff/me",
    "intake": "/v1/staff/cases/00000000-0000-0000-0000-000000000000/attachments/1",
    "notify": "/v1/inbox/station:xijie",
    "reporting": "/v1/reports/representatives",
}
# How long a revocation may take to reach every service: routing's relay (woken at once), the
# consumers' poll, and each replica's check of its copy (every second).
BOUND_S = 8.0
UNKNOWN = "the token names an account this service does not know"


@dataclass(frozen=True)
class Platform:
    clients: dict[str, httpx.AsyncClient]
    settings: dict[str, ServiceSettings]
    mongo: AsyncMongoClient[Document]

    @property
    def routing(self) -> httpx.AsyncClient:
        return self.clients["routing"]

    async def sign_in(self) -> dict[str, str]:
        answer = await self.routing.post(
            "/v1/auth/token", json={"username": ACCOUNT.username, "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    async def refused_by(self, token: dict[str, str]) -> set[str]:
        """The services that answer the token with 401."""
        refused = set()
        for service, path in PROBES.items():
            answer = await self.clients[service].get(path, headers=token)
            if answer.status_code == 401:
                refused.add(service)
            else:
                assert answer.status_code == 200 or service == "intake", (service, answer.text)
        return refused

    async def known_version(self, service: str) -> int | None:
        db = self.mongo[self.settings[service].database_name]
        document = await db[COLLECTION].find_one({"_id": ACCOUNT.username})
        return int(document["version"]) if document else None


@pytest.fixture
async def platform(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> AsyncIterator[Platform]:
    common: dict[str, Any] = {
        "kafka_bootstrap": settings.kafka_bootstrap,
        "mongo_url": settings.mongo_url,
        "namespace": settings.namespace,
    }
    each: dict[str, ServiceSettings] = {
        "routing": RoutingSettings(**common),
        "intake": IntakeSettings(**common),
        "notify": NotifySettings(**common),
        "reporting": ReportingSettings(**common),
    }
    await UserRepository(mongo[each["routing"].database_name]).save([ACCOUNT])
    await publish_test_accounts(settings, ["test-admin", "test-staff"])
    apps = {
        "routing": routing_app(RoutingSettings(**common)),
        "intake": intake_app(IntakeSettings(**common)),
        "notify": notify_app(NotifySettings(**common)),
        "reporting": reporting_app(ReportingSettings(**common)),
    }
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            name: await stack.enter_async_context(serving(apps[name], name)) for name in SERVICES
        }
        found = Platform(clients=clients, settings=each, mongo=mongo)
        # Every service has heard of the account (the save published it): its sessions consumer
        # has joined and reads, so what follows measures a revocation, not a consumer's start.
        await until(lambda: all_know(found, version=1), timeout_s=60.0)
        yield found


async def all_know(platform: Platform, *, version: int) -> bool:
    return all([await platform.known_version(s) == version for s in SERVICES])


async def until(check: Callable[[], Awaitable[bool]], *, timeout_s: float = BOUND_S) -> float:
    """Seconds until `check` holds; fails the test after `timeout_s`."""
    start = time.monotonic()
    while not await check():
        elapsed = time.monotonic() - start
        assert elapsed < timeout_s, f"not within {timeout_s} s"
        await asyncio.sleep(0.1)
    return time.monotonic() - start


async def refused_everywhere(platform: Platform, token: dict[str, str]) -> float:
    async def check() -> bool:
        return await platform.refused_by(token) == set(SERVICES)

    return await until(check)


async def test_an_admin_signs_an_account_out_everywhere_and_its_old_tokens_stop_working(
    platform: Platform,
) -> None:
    old = await platform.sign_in()
    assert await platform.refused_by(old) == set()

    answer = await platform.routing.post(
        f"/v1/admin/users/{ACCOUNT.username}/sign-out-everywhere", headers=ADMIN
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"username": ACCOUNT.username, "token_version": 2}

    took = await refused_everywhere(platform, old)
    assert took < BOUND_S
    # Refused exactly as an expired token is.
    refused = await platform.routing.get("/v1/staff/me", headers=old)
    assert refused.json() == {"detail": "the token is invalid or has expired"}
    # Signing in again gives a token at the new version, good everywhere at once.
    new = await platform.sign_in()
    me = await platform.routing.get("/v1/staff/me", headers=new)
    assert me.json()["ver"] == 2
    assert await platform.refused_by(new) == set()


async def test_the_pages_refuse_a_revoked_session_cookie(platform: Platform) -> None:
    token = (await platform.sign_in())["Authorization"].removeprefix("Bearer ")
    cookie = {"Cookie": f"{SESSION_COOKIE}={token}"}
    workbench = await platform.routing.get("/staff", headers=cookie)
    dashboard = await platform.clients["reporting"].get("/dashboard", headers=cookie)
    assert (workbench.status_code, dashboard.status_code) == (200, 200)

    answer = await platform.routing.post(
        f"/v1/admin/users/{ACCOUNT.username}/sign-out-everywhere", headers=ADMIN
    )
    assert answer.status_code == 200

    async def sent_to_sign_in() -> bool:
        pages = (
            await platform.routing.get("/staff", headers=cookie),
            await platform.clients["reporting"].get("/dashboard", headers=cookie),
        )
        return all(
            p.status_code == 303 and "/staff/sign-in" in p.headers["location"] for p in pages
        )

    await until(sent_to_sign_in)


async def test_a_user_signs_themself_out_everywhere(platform: Platform) -> None:
    mine = await platform.sign_in()
    answer = await platform.routing.post("/v1/auth/sign-out-everywhere", headers=mine)
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_version"] == 2
    await refused_everywhere(platform, mine)


async def test_a_validly_signed_token_of_an_account_never_published_is_refused_everywhere(
    platform: Platform,
) -> None:
    # Signed with the real key, for a name routing has no account for (deleted before it was
    # published, or forged): every service has caught up (ready) and refuses it, saying why.
    ghost = bearer("staff", username="nobody", station="xijie")
    assert await platform.refused_by(ghost) == set(SERVICES)
    for service, path in PROBES.items():
        answer = await platform.clients[service].get(path, headers=ghost)
        assert answer.json() == {"detail": UNKNOWN}, service
    revoke = await platform.routing.post("/v1/auth/sign-out-everywhere", headers=ghost)
    assert (revoke.status_code, revoke.json()) == (401, {"detail": UNKNOWN})
    # A published account's token of the same kind is taken everywhere.
    assert await platform.refused_by(await platform.sign_in()) == set()


async def test_the_cli_revokes_and_the_running_relay_publishes_it(platform: Platform) -> None:
    token = await platform.sign_in()
    routing = platform.settings["routing"]
    assert isinstance(routing, RoutingSettings)
    said = await revoke_user(ACCOUNT.username, routing)
    assert said == "signed xijie-staff out everywhere: tokens before version 2 are refused"
    # Only stored by the CLI: the service's relay finds it at its next poll.
    await refused_everywhere(platform, token)
    with pytest.raises(ValueError, match="no account 'nobody'"):
        await revoke_user("nobody", routing)


async def test_a_deactivated_account_is_refused_everywhere_even_with_a_fresh_token(
    platform: Platform,
) -> None:
    token = await platform.sign_in()
    users = UserRepository(platform.mongo[platform.settings["routing"].database_name])
    # As `users import` does, from another process: nothing wakes the relay, it polls.
    await users.save([ACCOUNT.model_copy(update={"active": False})])
    await refused_everywhere(platform, token)
    assert await all_know(platform, version=2)
    refused = await platform.routing.post(
        "/v1/auth/token", json={"username": ACCOUNT.username, "password": PASSWORD}
    )
    assert refused.status_code == 401


async def test_admin_revocation_needs_an_admin_and_a_real_username(platform: Platform) -> None:
    path = "/v1/admin/users/{}/sign-out-everywhere"
    staff = bearer("staff", station="xijie")
    assert (await platform.routing.post(path.format("xijie-staff"))).status_code == 401
    assert (await platform.routing.post(path.format("xijie-staff"), headers=staff)).status_code == (
        403
    )
    unknown = await platform.routing.post(path.format("nobody"), headers=ADMIN)
    assert unknown.status_code == 404 and unknown.json() == {"detail": "no account 'nobody'"}
    invalid = await platform.routing.post(path.format("Not A Name!"), headers=ADMIN)
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["path", "username"]
    # Nothing was revoked by any of these.
    assert await platform.known_version("routing") == 1


async def test_loading_accounts_again_unchanged_signs_nobody_out_and_a_change_does(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = mongo[settings.database_name]
    users = UserRepository(db)

    async def version() -> int:
        account = await users.active(ACCOUNT.username)
        assert account is not None
        return account.token_version

    await users.save([ACCOUNT])
    stored = await db["users"].find_one({"_id": ACCOUNT.username})
    assert stored is not None and stored["token_version"] == 1
    await users.save([ACCOUNT.model_copy(update={"display_name": "西街"})])  # a seed run again
    assert await version() == 1
    after = await db["users"].find_one({"_id": ACCOUNT.username})
    assert after is not None and after["password_hash"] == stored["password_hash"]  # kept
    await users.save([ACCOUNT.model_copy(update={"password": "a brand new password"})])
    assert await version() == 2
    await users.save([ACCOUNT.model_copy(update={"password": "a brand new password"})])
    assert await version() == 2
    await users.save(
        [ACCOUNT.model_copy(update={"password": "a brand new password", "station": "jianchi"})]
    )
    assert await version() == 3
    # Each save queued the account's state in the same write, the latest one last.
    queued = await db["users"].find_one({"_id": ACCOUNT.username})
    assert queued is not None
    [entry] = queued["outbox"].values()
    assert entry["topic"] == "staff-sessions"
    assert entry["event"]["subject"] == ACCOUNT.username
    assert entry["event"]["data"] == {"username": ACCOUNT.username, "version": 3, "active": True}


async def test_accounts_stored_before_token_versions_are_published_at_version_one(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = mongo[settings.database_name]
    legacy = {**ACCOUNT.model_dump(exclude={"password"}), "password_hash": "x"}
    await db["users"].insert_one({"_id": ACCOUNT.username, **legacy})
    users = UserRepository(db)
    assert (await users.active(ACCOUNT.username)) is not None  # reads as version 1

    assert await users.publish_all() == 1
    assert await users.publish_all() == 1  # again at the next start: harmless, same state
    stored = await db["users"].find_one({"_id": ACCOUNT.username})
    assert stored is not None and stored["token_version"] == 1 and stored["outbox_count"] == 2
    assert {e["event"]["data"]["version"] for e in stored["outbox"].values()} == {1}
    assert await users.revoke(ACCOUNT.username) == 2
    assert await users.revoke("nobody") is None


async def test_a_service_keeps_the_newest_state_and_every_replica_sees_it_within_its_interval(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = mongo[settings.database_name]
    consuming, other_replica = TokenVersions(db), TokenVersions(db, check_every_s=0.2)
    assert await other_replica.state("xijie-staff") is None

    def state(version: int, *, active: bool = True) -> StaffTokenVersion:
        return StaffTokenVersion(username="xijie-staff", version=version, active=active)

    assert await consuming.apply([state(3)]) == 1
    assert await consuming.apply([state(2), state(3)]) == 0  # older, then repeated: no change
    assert await consuming.apply([state(5, active=False), state(4)]) == 1  # newest of a batch
    assert await consuming.state("xijie-staff") == TokenState(version=5, active=False)

    async def other_sees_it() -> bool:
        return await other_replica.state("xijie-staff") == TokenState(version=5, active=False)

    assert await until(other_sees_it, timeout_s=2.0) < 2.0


async def test_until_its_group_has_caught_up_a_replica_answers_unknown_accounts_starting(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    """The catch-up point is where the topic ended when the replica started: the accounts
    published before then are all known once it has caught up."""
    await publish_test_accounts(settings, ["test-admin"])
    versions = TokenVersions(mongo[settings.database_name], check_every_s=0.1)
    check = TokenCheck(verify_key=settings.jwt_public_key, states=versions)
    group, topic = settings.group("sessions"), settings.topic(STAFF_SESSIONS)

    async def caught_up() -> None:
        await wait_until_consumed(settings, group=group, topic=topic, poll_s=0.05)
        versions.mark_caught_up()

    admin, ghost = token_of(bearer("admin")), token_of(bearer("staff", username="nobody"))
    watching = asyncio.create_task(caught_up())
    try:
        await asyncio.sleep(1.0)
        # Nothing consumed yet: the published account may be among the unread, so may be any.
        assert not watching.done()
        assert (await check.judged(admin))[1] is Verdict.STARTING
        assert (await check.judged(ghost))[1] is Verdict.STARTING
        with pytest.raises(HTTPException) as starting:
            await check.verified(admin)
        assert starting.value.status_code == 503

        publisher = EventPublisher(settings=settings, metrics=Metrics("probe"))
        await publisher.start()
        consumer = EventConsumer(
            settings=settings,
            metrics=Metrics("probe"),
            publisher=publisher,
            purpose="sessions",
            topics=[STAFF_SESSIONS],
            routes=token_version_routes(versions),
        )
        consuming = asyncio.create_task(consumer.run())
        try:
            await asyncio.wait_for(watching, 20.0)
            assert (await check.judged(admin))[1] is Verdict.ADMITTED
            assert (await check.judged(ghost))[1] is Verdict.UNKNOWN
            assert await check.verified(ghost) is None
        finally:
            consuming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consuming
            await publisher.stop()
    finally:
        watching.cancel()


def token_of(header: dict[str, str]) -> str:
    return header["Authorization"].removeprefix("Bearer ")
