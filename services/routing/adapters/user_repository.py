"""Staff accounts: argon2 password hashes in routing's database, never on a topic or an API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field
from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from shared.auth import Role
from shared.mongo import Document

_hasher = PasswordHasher()
# argon2 takes tens of milliseconds and 64 MiB a hash: off the event loop (consumers and the SLA
# scheduler keep running), and no more at once than the machine has cores for.
HASHES_AT_ONCE = 2


class StaffUser(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str = Field(pattern=r"^[a-z0-9_.\-]{2,64}$")
    display_name: str
    role: Role
    station: str | None = None
    representative_code: str | None = None
    department: str | None = None
    active: bool = True


class UserImport(StaffUser):
    password: str = Field(min_length=8)


def read_users_file(path: Path) -> list[UserImport]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return [UserImport.model_validate(u) for u in data.get("users", [])]


class UserRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._users = db["users"]
        self._hashing = asyncio.Semaphore(HASHES_AT_ONCE)

    async def save(self, users: list[UserImport]) -> None:
        ops = [
            ReplaceOne(
                {"_id": u.username},
                {**u.model_dump(exclude={"password"}), "password_hash": _hasher.hash(u.password)},
                upsert=True,
            )
            for u in users
        ]
        if ops:
            await self._users.bulk_write(ops, ordered=False)

    async def active(self, username: str) -> StaffUser | None:
        document = await self._users.find_one({"_id": username, "active": True})
        if document is None:
            return None
        return StaffUser.model_validate(
            {k: v for k, v in document.items() if k not in ("_id", "password_hash")}
        )

    async def authenticate(self, username: str, password: str) -> StaffUser | None:
        document = await self._users.find_one({"_id": username, "active": True})
        if document is None:
            await self._off_loop(_hasher.hash, password)  # same cost: no enumeration by timing
            return None
        try:
            await self._off_loop(_hasher.verify, document["password_hash"], password)
        except (VerificationError, InvalidHashError):
            return None
        return StaffUser.model_validate(
            {k: v for k, v in document.items() if k not in ("_id", "password_hash")}
        )

    async def _off_loop(self, work: Callable[..., object], *args: str) -> None:
        async with self._hashing:
            await asyncio.to_thread(work, *args)
