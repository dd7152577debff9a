"""Staff token revocation: a version per account, checked on every request by every service.

Routing keeps each account's token version, bumps it whenever the account's tokens must stop
working (a password reset, a deactivation, a change of role or scope, "sign out everywhere") and
publishes the account's state on the compacted `staff-sessions` topic. Tokens carry the version
they were issued at (the `ver` claim, shared.auth). Each service's `<service>.sessions` consumer
keeps the states in its own `token_versions` collection, and every replica answers from an
in-memory copy that it re-reads only when the store's revision counter for it has moved, checked
at most every `check_every_s`: a request costs no store round trip in the common case, and a
revocation reaches every replica within that interval of being consumed. Services never call
routing for it.

Routing publishes every account it has (each write queues its state, and it queues them all
again at start), so an account a service has not heard of is refused: deleted before it was
published, forged under a name that never existed, or too new for this copy. Only once the copy
has caught up with the topic does "not heard of" mean "does not exist": each replica, at its
start, notes where the topic ends and waits until its service's `sessions` group has consumed
that far (shared.group_progress). Until then it answers an unknown account's token with 503
"starting" (retry) rather than 401, and its readiness fails; known accounts are judged as usual.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Protocol

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.dispatch import Event, EventRoutes
from shared.errors import is_transient
from shared.events.staff_events import StaffTokenVersion
from shared.logging import get_logger
from shared.mongo import Document, is_duplicate_key

log = get_logger(__name__)

COLLECTION = "token_versions"
_REVISION_ID = "revision:token_versions"


class StillStarting(Exception):
    """This replica's copy of the token states has not caught up with the topic yet."""


@dataclass(frozen=True)
class TokenState:
    """What a service knows of an account: the lowest token version still accepted, and
    whether the account may use any token at all."""

    version: int
    active: bool


class Verdict(StrEnum):
    """What the token check makes of a validly signed, unexpired token."""

    ADMITTED = "admitted"
    REVOKED = "revoked"  # below the account's version, or the account is deactivated
    UNKNOWN = "unknown"  # no such account, as far as a caught-up copy knows
    STARTING = "starting"  # no such account yet, but the copy has not caught up: ask again


def token_verdict(*, token_version: int, state: TokenState | None, caught_up: bool) -> Verdict:
    """Whether a token issued at `token_version` still stands, given what is known of its
    account and whether this copy has caught up with the topic.

    - Unknown account: refused (UNKNOWN) once caught up; until then STARTING, since its record
      may be among those not read yet.
    - Deactivated: refused, whatever the version.
    - Issued before the current version: refused (revoked).
    - Issued at or after it: admitted, including a token issued after a change this service
      has not consumed yet (a newer version than it knows).
    """
    if state is None:
        return Verdict.UNKNOWN if caught_up else Verdict.STARTING
    if state.active and token_version >= state.version:
        return Verdict.ADMITTED
    return Verdict.REVOKED


class TokenStates(Protocol):
    """Where the token check reads an account's state (TokenVersions; a dict in unit tests)."""

    async def state(self, username: str) -> TokenState | None: ...

    @property
    def caught_up(self) -> bool:
        """Whether an account missing from `state` does not exist (rather than not read yet)."""
        ...


class TokenVersions:
    """One service's store of the accounts' token states, and its in-memory copy."""

    def __init__(self, db: AsyncDatabase[Document], *, check_every_s: float = 1.0) -> None:
        self.collection: AsyncCollection[Document] = db[COLLECTION]
        self._revisions: AsyncCollection[Document] = db["revisions"]
        self._check_every_s = check_every_s
        self._states: dict[str, TokenState] | None = None
        self._revision: int | None = None
        self._checked_at = float("-inf")
        # One refresh at a time: the requests arriving meanwhile wait for it and share its
        # result instead of each asking the store.
        self._refreshing = asyncio.Lock()
        self._caught_up = False

    async def state(self, username: str) -> TokenState | None:
        return (await self._current()).get(username)

    @property
    def caught_up(self) -> bool:
        return self._caught_up

    def mark_caught_up(self) -> None:
        """The service's consumer has stored everything on the topic as of this replica's start:
        from now on an unknown account is refused. The copy is read afresh at the next request,
        so that it holds all of it."""
        self._checked_at = float("-inf")
        self._caught_up = True

    def check_caught_up(self) -> None:
        """Raise `StillStarting` until caught up (readiness asks)."""
        if not self._caught_up:
            raise StillStarting("the staff accounts' token states are still being read")

    async def apply(self, states: Sequence[StaffTokenVersion]) -> int:
        """Keep the newest state of each account; an older or repeated one changes nothing.
        Returns how many accounts changed."""
        newest: dict[str, StaffTokenVersion] = {}
        for state in states:
            held = newest.get(state.username)
            if held is None or state.version >= held.version:
                newest[state.username] = state
        ops = [
            UpdateOne(
                # Missing or not newer, as one field condition: an `$or` would make the store
                # scan. A newer stored version makes the upsert collide on `_id`: ignored.
                {"_id": username, "version": {"$not": {"$gt": state.version}}},
                {"$set": {"version": state.version, "active": state.active}},
                upsert=True,
            )
            for username, state in newest.items()
        ]
        if not ops:
            return 0
        try:
            result = await self.collection.bulk_write(ops, ordered=False)
            changed = result.modified_count + result.upserted_count
        except BulkWriteError as exc:
            if not is_duplicate_key(exc):
                raise
            changed = int(exc.details.get("nModified", 0)) + int(exc.details.get("nUpserted", 0))
        if changed:
            # Every replica re-reads at its next check, this one at once.
            await self._revisions.update_one({"_id": _REVISION_ID}, {"$inc": {"n": 1}}, upsert=True)
            self._checked_at = float("-inf")
        return changed

    async def _current(self) -> dict[str, TokenState]:
        if self._states is not None and self._fresh():
            return self._states
        async with self._refreshing:
            states = self._states
            if states is not None and self._fresh():
                return states  # refreshed while this request waited
            try:
                # The counter before the data: a change racing with the read bumps it again,
                # and the next check re-reads.
                revision = await self._current_revision()
                if states is None or revision != self._revision:
                    states = await self._read()
                    self._states, self._revision = states, revision
            except Exception as exc:
                if states is None or not is_transient(exc):
                    raise  # nothing to answer from: the request fails as unavailable (503)
                # The store is away: answer from the last copy rather than refuse every token,
                # and ask again after the interval, not on every request.
                log.warning("token_versions.stale", error=str(exc))
            self._checked_at = time.monotonic()
            return states

    def _fresh(self) -> bool:
        return time.monotonic() - self._checked_at < self._check_every_s

    async def _current_revision(self) -> int:
        document = await self._revisions.find_one({"_id": _REVISION_ID})
        return int(document["n"]) if document else 0

    async def _read(self) -> dict[str, TokenState]:
        return {
            str(document["_id"]): TokenState(
                version=int(document["version"]), active=bool(document["active"])
            )
            async for document in self.collection.find({}, {"version": 1, "active": 1})
        }


async def on_token_versions(
    events: Sequence[Event[StaffTokenVersion]], *, versions: TokenVersions
) -> None:
    changed = await versions.apply([event.data for event in events])
    log.info("token_versions.applied", events=len(events), changed=changed)


def token_version_routes(versions: TokenVersions) -> EventRoutes:
    """The `<service>.sessions` consumer's routes: `staff.token_version` into `versions`."""
    routes = EventRoutes()
    routes.on(StaffTokenVersion, partial(on_token_versions, versions=versions))
    return routes
