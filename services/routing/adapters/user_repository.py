"""Staff accounts: argon2 password hashes in routing's database, never on a topic or an API.

Each account also keeps its token version (services.routing.domain.accounts): every write that
changes it, or that loads the account, queues the account's `staff.token_version` event in the
same single-document write (shared.outbox), and the relay publishes it to every service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field
from pymongo import ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.routing.domain.accounts import FIRST_VERSION, token_version_after
from shared.auth import Role
from shared.events.envelope import Envelope
from shared.events.staff_events import StaffTokenVersion
from shared.logging import current_correlation_id, new_correlation_id
from shared.mongo import Document, is_duplicate_key
from shared.outbox import ensure_outbox_index, queue_events, with_outbox
from shared.topics import STAFF_SESSIONS

_hasher = PasswordHasher()
# argon2 takes tens of milliseconds and 64 MiB a hash: off the event loop (consumers and the SLA
# scheduler keep running), and no more at once than the machine has cores for.
HASHES_AT_ONCE = 2
# Writes guarded by the token version read: another writer in between means read and try again.
_ATTEMPTS = 5


class StaffUser(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str = Field(pattern=r"^[a-z0-9_.\-]{2,64}$")
    display_name: str
    role: Role
    station: str | None = None
    representative_code: str | None = None
    department: str | None = None
    active: bool = True


class StaffAccount(StaffUser):
    """A stored account as sign-in sees it: the user, and the version its tokens carry."""

    token_version: int = Field(default=FIRST_VERSION, ge=1)


class UserImport(StaffUser):
    password: str = Field(min_length=8)


class AccountChangedMeanwhile(ValueError):
    """Another writer kept changing the account while this one tried to: run it again."""


def _account(document: Document) -> StaffAccount:
    # Only the account's own fields: the document also holds the hash and the outbox.
    return StaffAccount.model_validate(
        {k: document[k] for k in StaffAccount.model_fields if k in document}
    )


def _published(username: str, *, version: int, active: bool) -> Envelope:
    return Envelope.wrap(
        StaffTokenVersion(username=username, version=version, active=active),
        source="minyi/routing",
        subject=username,
        correlation_id=current_correlation_id() or new_correlation_id(),
    )


def _password_kept(document: Document, password: str) -> bool:
    try:
        return bool(_hasher.verify(document.get("password_hash") or "", password))
    except (VerificationError, InvalidHashError):
        return False


def read_users_file(path: Path) -> list[UserImport]:
    # libyaml's safe loader when there is one: a directory file of a city is large.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.load(handle, Loader=loader)
    return [UserImport.model_validate(u) for u in data.get("users", [])]


class UserRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._users = db["users"]
        self._hashing = asyncio.Semaphore(HASHES_AT_ONCE)

    @property
    def collection(self) -> AsyncCollection[Document]:
        """Where the accounts' token events wait to be published (the relay reads it)."""
        return self._users

    async def ensure_indexes(self) -> None:
        await ensure_outbox_index(self._users)

    async def save(self, users: list[UserImport]) -> None:
        """Create or replace accounts, each with its token state queued in the same write.

        An account whose role, scope or activity changes, or whose password is a new one, gets
        the next token version, so that its tokens stop working everywhere; one loaded again
        unchanged keeps its version and its hash, so seeding or importing the same file twice
        signs nobody out. (The CLI runs this, off any service's event loop.)
        """
        pending = list(users)
        for _ in range(_ATTEMPTS):
            changed = await self._save_once(pending)
            if not changed:
                return
            pending = [u for u in pending if u.username in changed]
        raise AccountChangedMeanwhile(
            f"accounts changed while being saved: {', '.join(sorted(u.username for u in pending))}"
        )

    async def _save_once(self, users: list[UserImport]) -> set[str]:
        """Returns the usernames another writer changed since they were read."""
        if not users:
            return set()
        names = [u.username for u in users]
        stored = {d["_id"]: d async for d in self._users.find({"_id": {"$in": names}})}
        # Off the event loop and two at a time: a city's accounts take seconds to hash, and a
        # loop blocked that long loses its store connection.
        hashes = await asyncio.gather(
            *(self._hash_for(stored.get(u.username), u.password) for u in users)
        )
        ops: list[ReplaceOne[Document]] = []
        for user, password_hash in zip(users, hashes, strict=True):
            fields = user.model_dump(exclude={"password"})
            document = stored.get(user.username)
            if document is None:
                guard: Document = {"_id": user.username}
                version = FIRST_VERSION
            else:
                kept = password_hash == document.get("password_hash")
                # None matches an account stored before token versions (none stored).
                guard = {"_id": user.username, "token_version": document.get("token_version")}
                version = token_version_after(
                    version=int(document.get("token_version") or FIRST_VERSION),
                    before=document,
                    after=fields,
                    password_changed=not kept,
                )
            account = {**fields, "password_hash": password_hash, "token_version": version}
            event = _published(user.username, version=version, active=user.active)
            # A replaced account's unpublished older event goes with it: the topic needs only
            # the latest state. A guard that misses collides on `_id`: changed meanwhile.
            ops.append(
                ReplaceOne(guard, with_outbox(account, [event], topic=STAFF_SESSIONS), upsert=True)
            )
        try:
            await self._users.bulk_write(ops, ordered=False)
        except BulkWriteError as exc:
            if not is_duplicate_key(exc):
                raise
            return {names[int(e["index"])] for e in exc.details.get("writeErrors", [])}
        return set()

    async def revoke(self, username: str) -> int | None:
        """Sign the account out everywhere: its next token version, with the event in the same
        write. None if there is no such account."""
        return await self._next_version(username, changes={})

    async def deactivate(self, username: str) -> int | None:
        """The account can no longer sign in, and its tokens stop working everywhere (an
        inactive account's tokens must: domain/accounts.py). None if there is no such account."""
        return await self._next_version(username, changes={"active": False})

    async def reset_password(self, username: str, password: str) -> int | None:
        """A new password; tokens issued with the old one stop working everywhere. None if there
        is no such account."""
        password_hash = await self._hash_for(None, password)
        return await self._next_version(username, changes={"password_hash": password_hash})

    async def _next_version(self, username: str, *, changes: Document) -> int | None:
        """Apply `changes` with the account's next token version and its event, in one write."""
        for _ in range(_ATTEMPTS):
            document = await self._users.find_one(
                {"_id": username}, {"token_version": 1, "active": 1}
            )
            if document is None:
                return None
            version = int(document.get("token_version") or FIRST_VERSION) + 1
            active = bool(changes.get("active", document.get("active")))
            event = _published(username, version=version, active=active)
            result = await self._users.update_one(
                {"_id": username, "token_version": document.get("token_version")},
                queue_events(
                    {"$set": {**changes, "token_version": version}}, [event], topic=STAFF_SESSIONS
                ),
            )
            if result.matched_count:
                return version
        raise AccountChangedMeanwhile(f"account {username} changed while being written")

    async def accounts(self) -> list[StaffAccount]:
        """Every account, by username (a city has tens: no paging)."""
        fields = dict.fromkeys(StaffAccount.model_fields, 1)
        documents = await self._users.find({}, fields).sort("_id", 1).to_list()
        return [_account(d) for d in documents]

    async def publish_all(self) -> int:
        """Queue every account's current token state again (routing does at start), so that a
        service, a topic or a store that missed one is brought up to date; accounts stored
        before token versions get version 1. Idempotent: consumers keep the newest state.
        Returns how many accounts were queued."""
        documents = await self._users.find({}, {"token_version": 1, "active": 1}).to_list()
        ops = [
            UpdateOne(
                # Unchanged since read; else the writer in between queued its own, newer state.
                {"_id": d["_id"], "token_version": d.get("token_version")},
                queue_events(
                    {"$set": {"token_version": int(d.get("token_version") or FIRST_VERSION)}},
                    [
                        _published(
                            d["_id"],
                            version=int(d.get("token_version") or FIRST_VERSION),
                            active=bool(d.get("active")),
                        )
                    ],
                    topic=STAFF_SESSIONS,
                ),
            )
            for d in documents
        ]
        if ops:
            await self._users.bulk_write(ops, ordered=False)
        return len(ops)

    async def active(self, username: str) -> StaffAccount | None:
        document = await self._users.find_one({"_id": username, "active": True})
        if document is None:
            return None
        return _account(document)

    async def authenticate(self, username: str, password: str) -> StaffAccount | None:
        document = await self._users.find_one({"_id": username, "active": True})
        if document is None:
            await self._off_loop(_hasher.hash, password)  # same cost: no enumeration by timing
            return None
        try:
            await self._off_loop(_hasher.verify, document["password_hash"], password)
        except (VerificationError, InvalidHashError):
            return None
        return _account(document)

    async def _off_loop(self, work: Callable[..., object], *args: str) -> None:
        async with self._hashing:
            await asyncio.to_thread(work, *args)

    async def _hash_for(self, document: Document | None, password: str) -> str:
        """The hash to store: the stored one while the password is unchanged, else a new one."""

        def work() -> str:
            if document is not None and _password_kept(document, password):
                return str(document["password_hash"])
            return _hasher.hash(password)

        async with self._hashing:
            return await asyncio.to_thread(work)
