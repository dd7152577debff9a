"""Benchmark: the MongoDB-wire store engines side by side, on what Minyi asks of a store.

For each store given (already running, loopback only; `deploy/local/infra.sh start` with
`MINYI_STORE_ENGINE`, `MINYI_STORE_PORT` and `MINYI_VAR` puts several side by side), in a
database of its own that it drops afterwards:

- atomicity: many concurrent conditional `update_one`s per document (version checks), from several
  clients; exactly one may win per document. A store that stops answering is reported as hung;
- claim race: two relays claim the same documents with one conditional `update_many` each (the
  outbox lease); no document may be claimed twice;
- per-operation latency, one client, at growing collection sizes: `insert_one`, `update_one` by
  `_id` with a version guard, `find` by an indexed equality, `find` with an upper bound on an
  indexed date, `bulk_write` of 50 `UpdateOne` (`--bulk-size`), `count_documents` on a compound
  index.

Prints one table per store. Bounded: every measurement stops after `--max-seconds` or its
iteration cap, and every wait has a timeout; after a hang it stops measuring that store (whose
benchmark database is then left behind).

    .venv/bin/python -m benchmarks.store_engines \\
        --store secantusdb=mongodb://127.0.0.1:27017/ --store ferretdb=mongodb://127.0.0.1:27018/
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pymongo import ASCENDING, AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

Doc = dict[str, Any]
STATIONS = [f"st{i:02d}" for i in range(19)]
STATUSES = ["submitted", "assigned", "accepted", "in_review", "handling", "responded", "closed"]
BASE = datetime(2026, 1, 1, tzinfo=UTC)
DUE_MATCHES = 50


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)
    hung: bool = False

    def row(self) -> str:
        if self.hung:
            return f"HUNG (after {len(self.samples)} ok)"
        if not self.samples:
            return "—"
        ms = sorted(s * 1000 for s in self.samples)
        p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
        return f"{statistics.median(ms):.2f} / {p95:.2f} (n={len(ms)})"


@dataclass
class Race:
    name: str
    expected: int
    got: int = 0
    bad_docs: int = 0
    seconds: float = 0.0
    hung: bool = False
    ping_after: str = ""

    def row(self) -> str:
        if self.hung:
            return f"HUNG after {self.seconds:.0f} s; ping afterwards: {self.ping_after}"
        verdict = "ok" if self.got == self.expected and self.bad_docs == 0 else "NOT ATOMIC"
        return (
            f"{verdict}: {self.got} updates acknowledged as modified where {self.expected} may "
            f"win, {self.bad_docs} documents wrong afterwards, {self.seconds:.2f} s"
        )


def _client(url: str, pool: int = 100) -> AsyncMongoClient[Doc]:
    # Timeouts so that a hung server fails a measurement instead of hanging the benchmark.
    return AsyncMongoClient(
        url,
        maxPoolSize=pool,
        tz_aware=True,
        serverSelectionTimeoutMS=10_000,
        socketTimeoutMS=120_000,
        connectTimeoutMS=5_000,
    )


async def _ping(url: str) -> str:
    client = _client(url, pool=1)
    try:
        await asyncio.wait_for(client.admin.command("ping"), 5)
        return "answers"
    except Exception as exc:  # any failure is the answer here
        return f"no answer ({type(exc).__name__})"
    finally:
        await client.close()


async def _closed(clients: list[AsyncMongoClient[Doc]]) -> None:
    # Closing a client whose server hangs could itself wait on that server.
    for client in clients:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.close(), 5)


async def conditional_update_race(
    url: str, db: str, docs: int, writers: int, timeout_s: float
) -> Race:
    race = Race(f"{docs} docs × {writers} clients", expected=docs)
    setup = _client(url)
    collection = setup[db]["race"]
    await collection.insert_many([{"_id": i, "version": 1, "wins": 0} for i in range(docs)])
    clients = [_client(url, pool=10) for _ in range(writers)]

    async def bump(client: AsyncMongoClient[Doc], doc_id: int) -> int:
        result = await client[db]["race"].update_one(
            {"_id": doc_id, "version": 1}, {"$set": {"version": 2}, "$inc": {"wins": 1}}
        )
        return result.modified_count

    began = time.perf_counter()
    try:
        wins = await asyncio.wait_for(
            asyncio.gather(*(bump(c, i) for i in range(docs) for c in clients)), timeout_s
        )
        race.seconds = time.perf_counter() - began
        race.got = sum(wins)
        race.bad_docs = await collection.count_documents({"wins": {"$ne": 1}})
    except TimeoutError:
        race.seconds = time.perf_counter() - began
        race.hung = True
        race.ping_after = await _ping(url)
    finally:
        await _closed([*clients, setup])
    return race


async def claim_race(url: str, db: str, docs: int, rounds: int, timeout_s: float) -> Race:
    """Two outbox relays claim the same pending documents at once, as `shared/outbox.py` does."""
    race = Race(f"{docs} docs × 2 relays × {rounds} rounds", expected=docs * rounds)
    clients = [_client(url, pool=10) for _ in range(2)]
    collection = clients[0][db]["claims"]
    ids = list(range(docs))
    await collection.insert_many([{"_id": i, "outbox_count": 1} for i in ids])

    async def claim(client: AsyncMongoClient[Doc], now: float) -> tuple[str, int]:
        token = uuid.uuid4().hex
        result = await client[db]["claims"].update_many(
            {"_id": {"$in": ids}, "outbox_lease.until": {"$not": {"$gte": now}}},
            {"$set": {"outbox_lease": {"until": now + 15, "by": token}}},
        )
        return token, result.modified_count

    began = time.perf_counter()
    try:
        for _ in range(rounds):
            await collection.update_many({}, {"$unset": {"outbox_lease": ""}})
            now = time.time()
            claims = await asyncio.wait_for(
                asyncio.gather(*(claim(c, now) for c in clients)), timeout_s
            )
            race.got += sum(n for _, n in claims)
            # A document's final holder must be the only relay that claimed it.
            held = [await collection.count_documents({"outbox_lease.by": t}) for t, _ in claims]
            race.bad_docs += sum(n - h for (_, n), h in zip(claims, held, strict=True))
        race.seconds = time.perf_counter() - began
    except TimeoutError:
        race.seconds = time.perf_counter() - began
        race.hung = True
        race.ping_after = await _ping(url)
    finally:
        await _closed(clients)
    return race


def _case(i: int, order: int) -> Doc:
    return {
        "_id": uuid.uuid4().hex,
        "tracking_code": f"T{i:08d}",
        "station_id": STATIONS[i % len(STATIONS)],
        "status": STATUSES[(i // len(STATIONS)) % len(STATUSES)],
        "version": 1,
        # A permutation, so the due documents are spread through the collection.
        "due_at": BASE + timedelta(minutes=order),
        "created_at": BASE,
        "category": "parking",
        "text": "小区里要增加一些停车位，晚上车停不下",
        "n": 0,
    }


async def _seed(collection: AsyncCollection[Doc], size: int) -> dict[str, int]:
    await collection.create_index([("tracking_code", ASCENDING)], unique=True)
    await collection.create_index([("due_at", ASCENDING)])
    await collection.create_index([("station_id", ASCENDING), ("status", ASCENDING)])
    order = list(range(size))
    random.Random(size).shuffle(order)
    versions: dict[str, int] = {}
    for start in range(0, size, 1000):
        batch = [_case(i, order[i]) for i in range(start, min(size, start + 1000))]
        await collection.insert_many(batch, ordered=False)
        versions.update((d["_id"], 1) for d in batch)
    return versions


async def _timed(
    call: Callable[[int], Awaitable[None]], cap: int, max_seconds: float, timeout_s: float
) -> Timing:
    timing = Timing()
    deadline = time.perf_counter() + max_seconds
    for i in range(cap):
        began = time.perf_counter()
        try:
            await asyncio.wait_for(call(i), timeout_s)
        except TimeoutError:
            timing.hung = True
            break
        timing.samples.append(time.perf_counter() - began)
        if time.perf_counter() > deadline:
            break
    return timing


def operations(bulk_size: int) -> list[str]:
    return [
        "insert_one",
        "update_one by _id + version guard",
        "find_one by indexed equality",
        f"find due_at <= t (index, {DUE_MATCHES} match)",
        f"bulk_write {bulk_size} UpdateOne",
        "count_documents on compound index",
    ]


async def operation_latencies(
    url: str, db: str, size: int, args: argparse.Namespace
) -> dict[str, Timing]:
    client = _client(url, pool=4)
    hung = False
    collection = client[db][f"cases_{size}"]
    try:
        versions = await _seed(collection, size)
        ids = list(versions)
        rng = random.Random(7)
        misses = 0

        async def insert(i: int) -> None:
            await collection.insert_one(_case(size + i, size + i))

        async def update(_: int) -> None:
            nonlocal misses
            doc_id = rng.choice(ids)
            result = await collection.update_one(
                {"_id": doc_id, "version": versions[doc_id]},
                {"$set": {"status": "handling"}, "$inc": {"version": 1}},
            )
            if result.modified_count == 1:
                versions[doc_id] += 1
            else:
                misses += 1

        async def find_eq(_: int) -> None:
            code = f"T{rng.randrange(size):08d}"
            if await collection.find_one({"tracking_code": code}) is None:
                raise RuntimeError(f"{code} not found")

        due = BASE + timedelta(minutes=DUE_MATCHES - 1)

        async def find_due(_: int) -> None:
            found = await collection.find({"due_at": {"$lte": due}}).to_list()
            if len(found) != DUE_MATCHES:
                raise RuntimeError(f"{len(found)} due documents, expected {DUE_MATCHES}")

        async def bulk(_: int) -> None:
            batch = rng.sample(ids, args.bulk_size)
            await collection.bulk_write(
                [UpdateOne({"_id": d}, {"$inc": {"n": 1}}) for d in batch], ordered=False
            )

        async def count(_: int) -> None:
            await collection.count_documents(
                {"station_id": rng.choice(STATIONS), "status": rng.choice(STATUSES)}
            )

        calls = [insert, update, find_eq, find_due, bulk, count]
        results = {name: Timing() for name in operations(args.bulk_size)}
        # The bulk write last: it is the one that has hung a store, which ends the run.
        for name, call in sorted(
            zip(operations(args.bulk_size), calls, strict=True), key=lambda nc: nc[1] is bulk
        ):
            cap = args.iterations // 4 if call is bulk else args.iterations
            results[name] = await _timed(call, cap, args.max_seconds, args.timeout)
            if results[name].hung:
                hung = True
                break
        if misses:
            raise RuntimeError(f"{misses} guarded updates missed a version only this client sets")
        return results
    finally:
        if not hung:
            await client.drop_database(db)
        await _closed([client])


def _loopback(url: str) -> str:
    host = urlsplit(url).hostname
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit(f"{url}: loopback stores only")
    return url


async def bench_store(label: str, url: str, args: argparse.Namespace) -> None:
    db = "bench_store_" + uuid.uuid4().hex[:8]
    print(f"\n### {label} ({url})\n")
    print("| measurement | result |")
    print("| --- | --- |")
    cleanup = _client(url, pool=1)
    try:
        for docs, writers in ((100, 4), (args.race_docs, args.race_writers)):
            race = await conditional_update_race(url, db, docs, writers, args.timeout)
            await cleanup.drop_database(db)
            print(f"| conditional update_one race, {race.name} | {race.row()} |", flush=True)
            if race.hung:
                print("\nthe store hung: restart it before measuring anything else on it")
                return
        claims = await claim_race(url, db, args.claim_docs, args.claim_rounds, args.timeout)
        await cleanup.drop_database(db)
        print(f"| update_many claim race, {claims.name} | {claims.row()} |", flush=True)
        if claims.hung:
            print("\nthe store hung: restart it before measuring anything else on it")
            return
    finally:
        await cleanup.close()

    by_size: dict[int, dict[str, Timing]] = {}
    for size in args.sizes:
        by_size[size] = await operation_latencies(url, db, size, args)
        if any(t.hung for t in by_size[size].values()):
            break
    print("\nmilliseconds, median / p95, one client:\n")
    print("| operation | " + " | ".join(f"{s:,} docs" for s in args.sizes) + " |")
    print("| --- |" + " --- |" * len(args.sizes))
    for name in operations(args.bulk_size):
        cells = [by_size[s][name].row() if s in by_size else "not run" for s in args.sizes]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if any(t.hung for ts in by_size.values() for t in ts.values()):
        print(f"\nthe store hung; database {db} is left behind: restart the store")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--store",
        action="append",
        metavar="LABEL=URL",
        help="a running store to measure (repeatable); default secantusdb on 27017",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--iterations", type=int, default=200, help="cap per operation")
    parser.add_argument("--max-seconds", type=float, default=5.0, help="cap per operation")
    parser.add_argument("--bulk-size", type=int, default=50, help="UpdateOne per bulk_write")
    parser.add_argument("--race-docs", type=int, default=200)
    parser.add_argument("--race-writers", type=int, default=4)
    parser.add_argument("--claim-docs", type=int, default=200)
    parser.add_argument("--claim-rounds", type=int, default=5)
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="a race or operation taking longer hung"
    )
    args = parser.parse_args()
    stores = [s.split("=", 1) for s in args.store or ["secantusdb=mongodb://127.0.0.1:27017/"]]
    for label, url in stores:
        asyncio.run(bench_store(label, _loopback(url), args))


if __name__ == "__main__":
    main()
