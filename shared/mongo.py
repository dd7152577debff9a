"""The one way services open the document store: PyMongo's native async client.

The code avoids what FerretDB lacks (multi-document transactions, change streams, positional
updates, `$lookup`/`$facet`): each state change and its events are one single-document write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.settings import ServiceSettings
from shared.tracing_store import store_listeners

Document = dict[str, Any]

T = TypeVar("T")

DUPLICATE_KEY = 11000

# The local store checks every candidate document against the whole `$in` list again, so one
# filter's cost grows with the square of the list: 1,500 ids took 5.9 s as one query and 0.8 s
# in slices of 100 (docs/benchmarks.md). Long lists go to the store in slices of this length.
IN_SLICE = 100


# Under the store's own idle timeout (SecantusDB: 300 s).
MAX_IDLE_MS = 60_000


def create_client(settings: ServiceSettings) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        settings.mongo_url,
        tz_aware=True,
        # Every write here is idempotent by design (guards, event ids, idempotency keys) and a
        # failed one is retried by its caller, so the driver's retryable-write session is not
        # needed; SecantusDB keeps a registry of them that it prunes on every write, and that
        # made a single write cost 15-18 ms instead of ~1 ms (docs/benchmarks.md).
        retryWrites=False,
        serverSelectionTimeoutMS=5000,
        # Also the socket timeout of the driver's heartbeats. A heartbeat that times out marks
        # the store unknown and cancels every operation in flight; a store busy with a large
        # import answered heartbeats in more than 3 s, and every service then failed its writes
        # for minutes. A store that is down refuses the connection at once, whatever this is.
        connectTimeoutMS=10_000,
        # SecantusDB closes a connection idle for 5 minutes; the driver then hands the dead
        # socket to the next operation, which fails (a 503 for the first submissions after a
        # quiet night). Dropping idle connections first avoids that.
        maxIdleTimeMS=MAX_IDLE_MS,
        appname=f"minyi-{settings.service_name}",
        # A span per store command when tracing records (shared.tracing); none otherwise.
        event_listeners=store_listeners(),
    )


def service_database(
    client: AsyncMongoClient[Document], settings: ServiceSettings
) -> AsyncDatabase[Document]:
    return client[settings.database_name]


async def ping(client: AsyncMongoClient[Document]) -> None:
    await client.admin.command("ping")


def is_duplicate_key(exc: Exception) -> bool:
    return isinstance(exc, DuplicateKeyError) or (
        isinstance(exc, BulkWriteError)
        and all(err.get("code") == DUPLICATE_KEY for err in exc.details.get("writeErrors", []))
        and not exc.details.get("writeConcernErrors")
    )


async def insert_new(
    collection: AsyncCollection[Document], documents: Sequence[Document]
) -> set[Any]:
    """Insert in one unordered write; returns the `_id`s stored now. A document whose `_id`
    is there already (an idempotent redelivery) is left as it was."""
    if not documents:
        return set()
    try:
        await collection.insert_many(list(documents), ordered=False)
    except BulkWriteError as exc:
        if not is_duplicate_key(exc):
            raise
        lost = {int(e["index"]) for e in exc.details.get("writeErrors", [])}
        return {d["_id"] for i, d in enumerate(documents) if i not in lost}
    return {d["_id"] for d in documents}


# How far back `newest` looks, widening until it has a page: most pages come from the first.
# Each window is read apart from the ones before it, so nothing is read twice. It starts at ten
# minutes: the store decodes every match of a window, 0.1 ms each; a busy station's week held
# 2,529 cases at 100,000 stored (408 ms for one page) and its hour 1,000 under the benchmark's
# load (docs/benchmarks.md). A quiet station's page costs a few more reads of an index.
RECENT_WINDOWS: tuple[timedelta | None, ...] = (
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=7),
    timedelta(days=31),
    timedelta(days=183),
    timedelta(days=731),
    None,
)


async def newest(
    collection: AsyncCollection[Document],
    *,
    scope: Document,
    field: str,
    limit: int,
    now: datetime,
    keep: Callable[[Document], bool] | None = None,
    projection: Document | None = None,
    before: tuple[datetime, str] | None = None,
) -> list[Document]:
    """The `limit` newest documents of `scope` by `field` that `keep` accepts (all, without
    it), newest first by (`field`, `_id`); with `before` (a page's cursor, shared.pagination)
    only those that sort after that key, the windows then counted back from its time.

    The store sorts everything a filter finds before it applies a limit, so a page of an
    unbounded scope (a station's cases ever) would read all of it. This reads the most recent
    ten minutes of the scope, then the rest of the hour, day, week, month, half a year, two
    years and at last everything older, stopping as soon as a page is full. `scope` is at most
    one equality, so that with the range on `field` the store serves it from a (scope, field)
    index; further conditions go in `keep`, applied here, because a third field in the filter
    would make the store walk the scope.

    Without `keep` a read asks the store only for what the page still lacks: it still decodes
    the window's matches, but sends no more. The store orders by `field` alone (a second sort
    key cost a fifth more), so the documents at the time where the limit cut are read again by
    that time, an equality the index serves, and settled by `_id`.
    """
    if len(scope) > 1:
        raise ValueError("newest() takes one scope field; put other conditions in `keep`")

    def settled(documents: list[Document]) -> list[Document]:
        return sorted(documents, key=lambda d: (d[field], d["_id"]), reverse=True)

    async def at(time: datetime, *, below: str | None = None) -> list[Document]:
        documents = await collection.find({**scope, field: time}, projection).to_list()
        return [
            d
            for d in settled(documents)
            if (below is None or d["_id"] < below) and (keep is None or keep(d))
        ]

    async def read(bounds: Document, wanted: int) -> list[Document]:
        query = {**scope, field: bounds} if bounds else dict(scope)
        cursor = collection.find(query, projection)
        if keep is not None:
            # Read whole and settled here, so the store's sort would be work thrown away.
            return settled([d for d in await cursor.to_list() if keep(d)])
        documents = await cursor.sort(field, -1).limit(wanted).to_list()
        if len(documents) < wanted:
            return settled(documents)
        last = documents[-1][field]
        return (settled([d for d in documents if d[field] != last]) + await at(last))[:wanted]

    found: list[Document] = []
    start = now
    upper: Document = {}
    if before is not None:
        # The cursor's own time first: the documents that share it and sort after its id.
        found = await at(before[0], below=before[1])
        start, upper = before[0], _older_than(before[0])
    for window in RECENT_WINDOWS:
        if len(found) >= limit:
            break
        bounds = dict(upper)
        if window is not None:
            bounds["$gte"] = start - window
            upper = _older_than(start - window)
        found.extend(await read(bounds, limit - len(found)))
    return found[:limit]


def _older_than(time: datetime) -> Document:
    """Before `time`, as an inclusive bound: the store keeps times to the millisecond, so this
    is `$lt` exactly. Walking a descending index from an exclusive bound, the store steps over
    every entry equal to it one by one (tests/query_shapes.py)."""
    bound = time.replace(microsecond=time.microsecond // 1000 * 1000)
    return {"$lte": bound - timedelta(milliseconds=1)}


def in_slices(values: Iterable[T], size: int = IN_SLICE) -> list[list[T]]:
    """`values` (duplicates dropped, order kept) in slices for `$in` filters; none when empty."""
    unique = list(dict.fromkeys(values))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


async def find_in(
    collection: AsyncCollection[Document],
    field: str,
    values: Iterable[Any],
    projection: Document | None = None,
    *,
    also: Document | None = None,
) -> list[Document]:
    """The documents whose `field` is one of `values` (and that match `also`), read a slice of
    `IN_SLICE` values at a time."""
    found: list[Document] = []
    for part in in_slices(values):
        query = {field: {"$in": part}, **(also or {})}
        found.extend(await collection.find(query, projection).to_list())
    return found


def matches_simple(document: Document, conditions: Document) -> bool:
    """`conditions` of equalities and `{"$in": [...]}` only, as the routes build them."""
    for name, wanted in conditions.items():
        value = document.get(name)
        if isinstance(wanted, dict):
            if set(wanted) != {"$in"}:
                raise ValueError(f"only equality and $in are matched here, not {wanted}")
            if value not in wanted["$in"]:
                return False
        elif value != wanted:
            return False
    return True
