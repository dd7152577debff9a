"""Failed sign-ins per account and per client address, in routing's database so that every
routing replica counts the same failures (a per-process count would multiply the allowance by
the number of replicas).

One document per key, `{_id: "account:<username>" | "address:<ip>", count, locked_until,
forget_at, v}`; every read and write is by `_id`, and a TTL index on `forget_at` lets the store
drop forgotten records (the domain ignores them until it does). Writes are guarded by the
version `v` read, so two replicas deciding on the same record at once never both win.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.routing.domain.throttle import Failures, ThrottlePolicy, Wait, forgive, reserve
from shared.logging import get_logger
from shared.mongo import Document
from shared.optimistic import on_current_state

log = get_logger(__name__)

Clock = Callable[[], datetime]
COLLECTION = "sign_in_attempts"
# Writers racing on one key: each retry reads afresh. A key that keeps changing under every
# attempt is being hammered; it is refused for a second rather than let through unchecked.
RACE_ATTEMPTS = 5
CONTENDED = Wait(timedelta(seconds=1))


def system_clock() -> datetime:
    return datetime.now(UTC)


class LostRace(Exception):
    """Another writer changed the record between our read and our write."""


class SignInAttempts:
    def __init__(self, db: AsyncDatabase[Document], *, clock: Clock = system_clock) -> None:
        self._records = db[COLLECTION]
        self._clock = clock

    async def ensure_indexes(self) -> None:
        # expireAfterSeconds=0: a record goes when its own forget_at passes.
        await self._records.create_index("forget_at", name="forget_at_ttl", expireAfterSeconds=0)

    async def reserve(self, key: str, policy: ThrottlePolicy) -> Wait | None:
        """Count an attempt on `key` as a failure until it succeeds; or the wait refusing it."""

        async def attempt() -> Wait | None:
            stored, version = await self._read(key)
            decided = reserve(stored, now=self._clock(), policy=policy)
            if isinstance(decided, Wait):
                return decided
            await self._write(key, decided, version)
            return None

        try:
            return await on_current_state(attempt, lost_race=LostRace, attempts=RACE_ATTEMPTS)
        except LostRace:
            log.warning("sign_in.contended", key=key)
            return CONTENDED

    async def forgive(self, key: str, policy: ThrottlePolicy) -> None:
        """Take back one reserved attempt on `key` (it succeeded, or was refused unchecked)."""

        async def attempt() -> None:
            stored, version = await self._read(key)
            if version is not None:
                await self._write(key, forgive(stored, now=self._clock(), policy=policy), version)

        try:
            await on_current_state(attempt, lost_race=LostRace, attempts=RACE_ATTEMPTS)
        except LostRace:
            # The key keeps one failure too many until it is forgotten: the safe side.
            log.warning("sign_in.forgive_contended", key=key)

    async def clear(self, key: str) -> None:
        await self._records.delete_one({"_id": key})

    async def _read(self, key: str) -> tuple[Failures, int | None]:
        document = await self._records.find_one({"_id": key})
        if document is None:
            return Failures(), None
        record = Failures(
            count=int(document.get("count", 0)),
            locked_until=document.get("locked_until"),
            forget_at=document.get("forget_at"),
        )
        return record, int(document["v"])

    async def _write(self, key: str, record: Failures, version: int | None) -> None:
        fields = {
            "count": record.count,
            "locked_until": record.locked_until,
            "forget_at": record.forget_at,
        }
        if version is None:
            try:
                await self._records.insert_one({"_id": key, **fields, "v": 1})
            except DuplicateKeyError:
                raise LostRace(key) from None
            return
        result = await self._records.update_one(
            {"_id": key, "v": version}, {"$set": {**fields, "v": version + 1}}
        )
        if result.matched_count == 0:
            raise LostRace(key)
