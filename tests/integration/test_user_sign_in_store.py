"""Password checks against stored accounts, without stalling the service's event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from pymongo import AsyncMongoClient

from services.routing.adapters.user_repository import UserImport, UserRepository
from services.routing.entrypoints.cli import import_users
from services.routing.settings import RoutingSettings
from shared.mongo import Document
from tests.conftest import PlumbingSettings
from tests.tokens import key_pair

ACCOUNT = UserImport(
    username="xijie-staff",
    display_name="西街工作人员",
    role="staff",
    station="xijie",
    password="correct horse battery",
)


async def test_a_right_password_signs_in_and_a_wrong_one_or_unknown_user_does_not(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    users = UserRepository(mongo[settings.database_name])
    await users.save([ACCOUNT])
    signed_in = await users.authenticate("xijie-staff", "correct horse battery")
    assert signed_in is not None and (signed_in.role, signed_in.station) == ("staff", "xijie")
    assert await users.authenticate("xijie-staff", "wrong password") is None
    assert await users.authenticate("nobody", "correct horse battery") is None


async def test_other_work_goes_on_while_a_password_is_checked(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    users = UserRepository(mongo[settings.database_name])
    await users.save([ACCOUNT])
    stored = await mongo[settings.database_name]["users"].find_one({"_id": "xijie-staff"})
    assert stored is not None
    hash_s = min(timed(lambda: verifies(stored["password_hash"])) for _ in range(3))
    longest_gap = 0.0

    async def other_work() -> None:
        nonlocal longest_gap
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0)
            now = time.perf_counter()
            longest_gap, last = max(longest_gap, now - last), now

    ticker = asyncio.create_task(other_work())
    await asyncio.sleep(0)
    assert await users.authenticate("xijie-staff", "correct horse battery") is not None
    await asyncio.sleep(0.01)  # the ticker's turn after the check: it measures the last gap
    ticker.cancel()
    # On the loop, the check would hold every other task for a whole hash.
    assert longest_gap < hash_s / 2, (longest_gap, hash_s)


def verifies(password_hash: str) -> None:
    PasswordHasher().verify(password_hash, "correct horse battery")


def timed(work: Callable[[], None]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


async def test_users_import_stores_accounts_that_sign_in_and_refuses_the_demo_password_in_prod(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document], tmp_path: Path
) -> None:
    common: dict[str, Any] = {
        "mongo_url": settings.mongo_url,
        "namespace": settings.namespace,
        "kafka_bootstrap": settings.kafka_bootstrap,
    }
    staff = tmp_path / "staff.yaml"
    staff.write_text(
        "users:\n"
        "  - {username: xijie-head, display_name: 站长, role: station_head, station: xijie,"
        " password: a-long-real-password}\n",
        encoding="utf-8",
    )
    demo = tmp_path / "demo.yaml"
    demo.write_text(
        "users:\n  - {username: admin, display_name: 管理员, role: admin, password: minyi-demo}\n",
        encoding="utf-8",
    )
    private, public = key_pair()
    # Prod as the import sees it, on the test store and broker, which take no credentials
    # (prod itself refuses those: tests/unit/test_production_mode.py).
    prod = RoutingSettings(
        **common,
        jwt_secret="p" * 40,
        jwt_private_key=private,
        jwt_public_key=public,
        secure_cookies=True,
    ).model_copy(update={"environment": "prod"})

    assert await import_users(staff, prod) == "imported staff.yaml: 1 accounts"
    with pytest.raises(ValueError, match="admin use the demo's published password"):
        await import_users(demo, prod)

    users = UserRepository(mongo[prod.database_name])
    head = await users.authenticate("xijie-head", "a-long-real-password")
    assert head is not None and (head.role, head.station) == ("station_head", "xijie")
    assert await users.active("admin") is None
    # Outside prod the demo's password is the demo's business.
    assert await import_users(demo, RoutingSettings(**common)) == "imported demo.yaml: 1 accounts"
