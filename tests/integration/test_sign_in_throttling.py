"""Sign-in throttling on the real store, through routing's HTTP app: per account and per client
address, growing waits answered with 429 and Retry-After, the wait passed by moving the
throttle's clock rather than by sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from services.routing.adapters.user_repository import UserImport, UserRepository
from services.routing.app import create_app
from services.routing.settings import RoutingSettings
from shared.mongo import Document
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving

PASSWORD = "correct horse battery"
WRONG = "wrong horse battery"
HERE = {"X-Forwarded-For": "203.0.113.7"}
ELSEWHERE = {"X-Forwarded-For": "198.51.100.9"}


@dataclass
class MovableClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Routing:
    client: httpx.AsyncClient
    clock: MovableClock
    attempts: AsyncCollection[Document]  # routing's sign_in_attempts

    async def sign_in(
        self, username: str, password: str, headers: dict[str, str]
    ) -> httpx.Response:
        body = {"username": username, "password": password}
        return await self.client.post("/v1/auth/token", json=body, headers=headers)


def account(username: str) -> UserImport:
    return UserImport(
        username=username, display_name=username, role="staff", station="xijie", password=PASSWORD
    )


@pytest.fixture
async def routing(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> AsyncIterator[Routing]:
    routing_settings = RoutingSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
        trust_forwarded_for=True,  # the test speaks for two addresses through the header
    )
    db = mongo[routing_settings.database_name]
    await UserRepository(db).save([account("xijie-staff"), account("jianchi-staff")])
    # From the real now: the store's TTL monitor drops records whose `forget_at` is past by the
    # wall clock, so a clock set in the past would lose counts whenever the monitor ran.
    clock = MovableClock(datetime.now(UTC))
    app = create_app(routing_settings, throttle_clock=clock)
    async with serving(app, "routing") as client:
        yield Routing(client=client, clock=clock, attempts=db["sign_in_attempts"])


async def test_five_wrong_passwords_make_even_the_right_one_wait_and_a_success_resets(
    routing: Routing,
) -> None:
    for _ in range(5):
        assert (await routing.sign_in("xijie-staff", WRONG, HERE)).status_code == 401

    throttled = await routing.sign_in("xijie-staff", PASSWORD, HERE)
    assert throttled.status_code == 429, throttled.text
    assert throttled.headers["Retry-After"] == "1"
    assert throttled.json() == {"detail": "too many failed sign-ins; try again in 1 s"}
    # From another address too: the account itself is throttled.
    assert (await routing.sign_in("xijie-staff", PASSWORD, ELSEWHERE)).status_code == 429

    routing.clock.advance(1)
    signed_in = await routing.sign_in("xijie-staff", PASSWORD, HERE)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["access_token"]
    assert await routing.attempts.find_one({"_id": "account:xijie-staff"}) is None
    # Reset: without it this failure (the 7th) would have to wait 2 s first.
    assert (await routing.sign_in("xijie-staff", WRONG, HERE)).status_code == 401


async def test_the_waits_grow_with_every_further_failure(routing: Routing) -> None:
    for _ in range(5):
        await routing.sign_in("xijie-staff", WRONG, HERE)
    waits = []
    for _ in range(3):
        refused = await routing.sign_in("xijie-staff", WRONG, HERE)
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        routing.clock.advance(waits[-1])
        assert (await routing.sign_in("xijie-staff", WRONG, HERE)).status_code == 401
    assert waits == [1, 2, 4]


async def test_other_accounts_from_the_address_are_unaffected_until_its_own_threshold(
    routing: Routing,
) -> None:
    for _ in range(5):
        await routing.sign_in("xijie-staff", WRONG, HERE)
    assert (await routing.sign_in("xijie-staff", PASSWORD, HERE)).status_code == 429
    assert (await routing.sign_in("jianchi-staff", PASSWORD, HERE)).status_code == 200

    # 15 more failures from the address, spread over accounts that each stay under 5.
    for name in ("guess-a", "guess-b", "guess-c", "guess-d", "guess-e"):
        for _ in range(3):
            assert (await routing.sign_in(name, WRONG, HERE)).status_code == 401

    refused = await routing.sign_in("jianchi-staff", PASSWORD, HERE)
    assert refused.status_code == 429, "the address's 20 failures did not throttle it"
    assert refused.headers["Retry-After"] == "1"
    assert (await routing.sign_in("jianchi-staff", PASSWORD, ELSEWHERE)).status_code == 200

    routing.clock.advance(1)
    assert (await routing.sign_in("jianchi-staff", PASSWORD, HERE)).status_code == 200


async def test_a_burst_of_concurrent_guesses_gets_no_more_than_five_checked(
    routing: Routing,
) -> None:
    answers = await asyncio.gather(
        *(routing.sign_in("xijie-staff", f"guess-{i}", HERE) for i in range(12))
    )

    codes = sorted(a.status_code for a in answers)
    assert set(codes) <= {401, 429}
    assert 1 <= codes.count(401) <= 5, codes


async def test_the_sign_in_page_shows_the_wait_on_the_form(routing: Routing) -> None:
    form = {"username": "xijie-staff", "password": WRONG, "next": "/staff"}
    for _ in range(5):
        page = await routing.client.post("/staff/sign-in", data=form, headers=HERE)
        assert page.status_code == 401

    page = await routing.client.post(
        "/staff/sign-in", data={**form, "password": PASSWORD}, headers=HERE
    )

    assert page.status_code == 429
    assert page.headers["Retry-After"] == "1"
    assert "登录失败次数过多，请 1 秒后再试。" in page.text
    assert 'value="xijie-staff"' in page.text  # the form keeps what was typed
