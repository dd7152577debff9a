"""Benchmark: which query shapes the store serves from an index, measured by time.

SecantusDB's `explain` is not to be trusted (it reports COLLSCAN for filters it serves from an
index with a residual filter), so this measures instead: two collections with the same indexes,
one of `--small` documents and one of `--large`, and every shape timed on both in turn (so that
both see the same load on a shared store). A shape served from an index costs the same at both
sizes; a scan costs in proportion to the collection. Each shape's best of `--reps` runs is kept
(fewer once the growth is plain). The table shows both, their ratio, what the ratio says
(`flat` under 2.5, `grows` from 4) and what `tests/query_shapes.py`, the classifier of the
query-shape test, decides for the same shape; a disagreement makes the exit status 1.

The documents: `_id` `c000000…`; `seq` = n (index `seq_1`); `key` and `recipient` shared by
10 documents each (`key_1`, `recipient_1_created_at_-1`); `status` `open` on the first 20,
`closed` after (`status_1`); `n0` 1 on the first 20, 0 after (plain index `n0_1`);
`outbox_count` and `due` only on the first 20 (sparse indexes); `updated_at` falling, newest first
(`updated_at_-1`); `x` and `a.b` unindexed. Growing the collection adds only documents of the
common kind, as cases that are done do. The update shapes set `touched`; the delete shapes
match nothing.

Loopback only, in a database of its own that it drops at the end:

    .venv/bin/python -m benchmarks.query_shapes [--mongo-url mongodb://127.0.0.1:27017/]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.collection import Collection

from tests.query_shapes import classify

Doc = dict[str, Any]
BASE = datetime(2026, 1, 1, tzinfo=UTC)
DUE = 20  # documents with the sparse fields, `status: open`, `n0: 1`
FLAT_BELOW = 2.5
GROWS_FROM = 4.0


@dataclass(frozen=True)
class Shape:
    name: str
    command: str  # find | count | aggregate | update | delete | findAndModify
    filter: Doc | None
    sort: Doc | None = None
    limit: int = 0
    # Why the classifier calls this shape a scan although it measures flat here: the data
    # decides, and the classifier takes the side that fails the test.
    conservative: str = ""


def _id(n: int) -> str:
    return f"c{n:06d}"


def document(n: int) -> Doc:
    due = n < DUE
    doc: Doc = {
        "_id": _id(n),
        "seq": n,
        "key": f"k{n // 10}",
        "recipient": f"r{n // 10}",
        "created_at": BASE + timedelta(minutes=n),
        "updated_at": BASE - timedelta(seconds=n),
        "status": "open" if due else "closed",
        "n0": 1 if due else 0,
        "x": n % 2 == 0,
        "a": {"b": BASE + timedelta(seconds=n)},
        "text": "小区里要增加一些停车位，晚上车停不下" * 6,
    }
    if due:
        doc["outbox_count"] = 1
        doc["due"] = BASE + timedelta(hours=n)
    return doc


def shapes() -> list[Shape]:
    now = BASE + timedelta(days=400)
    recent = BASE - timedelta(seconds=10)
    ids = [_id(n) for n in (3, 5, 7, 9)]
    return [
        # served by an index, expected flat
        Shape("_id equality", "find", {"_id": _id(5)}),
        Shape("_id $in", "find", {"_id": {"$in": ids}}),
        Shape("_id $in + residual bool", "find", {"_id": {"$in": ids}, "x": False}),
        Shape("_id + residual $not $gte", "find", {"_id": _id(5), "a.b": {"$not": {"$gte": now}}}),
        Shape("residual first, _id second", "find", {"x": False, "_id": {"$in": ids}}),
        Shape("leading equality", "find", {"key": "k1"}),
        Shape("leading equality + residual", "find", {"key": "k1", "x": True}),
        Shape("unindexed first, indexed second", "find", {"x": True, "key": "k1"}),
        Shape("$in on leading field", "find", {"key": {"$in": ["k1", "k2"]}}),
        Shape("$in on compound leading", "find", {"recipient": {"$in": ["r1", "r2"]}}),
        Shape(
            "compound eq + range",
            "find",
            {"recipient": "r1", "created_at": {"$gte": BASE}},
        ),
        Shape("compound eq + sort + limit", "find", {"recipient": "r1"}, {"created_at": -1}, 5),
        Shape("$lt, short walk from start", "find", {"seq": {"$lt": 10}}),
        Shape("$lt + sort on it", "find", {"seq": {"$lt": 10}}, {"seq": 1}),
        Shape("bounded range", "find", {"seq": {"$gte": 5, "$lt": 15}}),
        Shape("$gte on desc index (recent)", "find", {"updated_at": {"$gte": recent}}),
        Shape(
            "$lte on desc index (old)", "find", {"updated_at": {"$lte": BASE - timedelta(days=99)}}
        ),
        Shape("$gte on plain index, most below", "find", {"n0": {"$gte": 1}}),
        Shape(
            "$gt on plain index, none at bound",
            "find",
            {"seq": {"$gt": 10**9}},
            conservative="flat only because no entry equals the bound",
        ),
        Shape("sparse $gt", "find", {"outbox_count": {"$gt": 0}}),
        Shape("sparse $lte date", "find", {"due": {"$lte": now}}),
        Shape("sparse $exists true", "find", {"due": {"$exists": True}}),
        Shape("equality, few matches", "find", {"status": "open"}),
        Shape("count_documents on index", "aggregate", {"key": "k1"}),
        Shape("update_one by _id", "update", {"_id": _id(5)}),
        Shape("update _id + guard", "update", {"_id": _id(5), "n0": {"$ne": 7}}),
        Shape("update_many leading eq", "update", {"key": "k2"}),
        Shape("delete by _id", "delete", {"_id": "missing"}),
        # scanned, expected to grow
        Shape("$or of _ids", "find", {"$or": [{"_id": _id(5)}, {"_id": _id(6)}]}),
        Shape("$and with _id", "find", {"$and": [{"_id": _id(5)}]}),
        Shape("$nor", "find", {"$nor": [{"x": True}], "_id": _id(5)}),
        Shape("$expr with _id", "find", {"_id": _id(5), "$expr": {"$eq": ["$n0", 1]}}),
        Shape("unindexed field", "find", {"x": True, "seq": {"$ne": 3}}),
        Shape("second field of compound only", "find", {"created_at": BASE}),
        Shape("$ne on indexed field", "find", {"status": {"$ne": "closed"}}),
        Shape("$exists true, plain index", "find", {"n0": {"$exists": True}}),
        Shape("null equality, sparse index", "find", {"due": None}),
        Shape("$gt on plain index, most at bound", "find", {"n0": {"$gt": 0}}),
        Shape("no filter, sort + limit", "find", {}, {"seq": 1}, 10),
        Shape("no filter, sort desc + limit", "find", {}, {"updated_at": -1}, 10),
        Shape("count command on _id", "count", {"_id": _id(5)}),
        Shape("count_documents unindexed", "aggregate", {"x": True, "seq": {"$ne": 3}}),
        Shape("aggregate without $match", "aggregate", None),
        Shape("findAndModify by _id", "findAndModify", {"_id": _id(5)}),
        Shape("findAndModify sparse $lte", "findAndModify", {"due": {"$lte": now}}, {"due": 1}),
        Shape("update_many $or", "update", {"$or": [{"_id": _id(5)}, {"key": "k3"}]}),
        Shape("delete unindexed", "delete", {"x": "missing"}),
    ]


def run(collection: Collection[Doc], shape: Shape) -> Callable[[], object]:
    filter_ = shape.filter or {}
    sort = list(shape.sort.items()) if shape.sort else None
    touch = {"$set": {"touched": True}}
    if shape.command == "find":
        return lambda: list(collection.find(filter_, sort=sort, limit=shape.limit))
    if shape.command == "count":
        return lambda: collection.database.command("count", collection.name, query=filter_)
    if shape.command == "aggregate" and shape.filter is None:
        return lambda: list(
            collection.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}])
        )
    if shape.command == "aggregate":
        return lambda: collection.count_documents(filter_)
    if shape.command == "update":
        return lambda: collection.update_many(filter_, touch)
    if shape.command == "delete":
        return lambda: collection.delete_many(filter_)
    if shape.command == "findAndModify":
        return lambda: collection.find_one_and_update(filter_, touch, sort=sort)
    raise ValueError(shape.command)


def paired(
    small: Callable[[], object], large: Callable[[], object], reps: int
) -> tuple[float, float]:
    """Best times of the same shape on the small and the large collection, run in turn so
    that both see the same load on a shared store. Stops early once the growth is plain."""
    best_small = best_large = float("inf")
    for rep in range(reps):
        for action, size in ((small, "small"), (large, "large")):
            started = time.perf_counter()
            action()
            took = time.perf_counter() - started
            if size == "small":
                best_small = min(best_small, took)
            else:
                best_large = min(best_large, took)
        if rep >= 1 and best_large > 0.03 and best_large > 10 * best_small:
            break
    return best_small, best_large


def fill(collection: Collection[Doc], start: int, stop: int) -> None:
    for first in range(start, stop, 1000):
        collection.insert_many([document(n) for n in range(first, min(first + 1000, stop))])


def make_indexes(collection: Collection[Doc]) -> None:
    collection.create_index("seq")
    collection.create_index("key")
    collection.create_index([("recipient", ASCENDING), ("created_at", DESCENDING)])
    collection.create_index("status")
    collection.create_index("n0")
    collection.create_index([("updated_at", DESCENDING)])
    collection.create_index("outbox_count", sparse=True)
    collection.create_index("due", sparse=True)


def measured(small_s: float, large_s: float) -> tuple[float, str]:
    ratio = large_s / small_s if small_s > 0 else float("inf")
    if ratio < FLAT_BELOW:
        return ratio, "flat"
    if ratio >= GROWS_FROM:
        return ratio, "grows"
    return ratio, "unclear"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mongo-url", default="mongodb://127.0.0.1:27017/")
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    host = urlsplit(args.mongo_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("loopback only: the benchmark writes a scratch database")
    if args.small < 10 * DUE or args.large <= args.small:
        parser.error("--small must hold the due documents, --large more than --small")

    client: MongoClient[Doc] = MongoClient(args.mongo_url, tz_aware=True, appname="bench-shapes")
    database = client[f"bench_query_shapes_{uuid.uuid4().hex[:8]}"]
    try:
        small, large = database["small"], database["large"]
        for collection in (small, large):
            make_indexes(collection)
        indexes = large.index_information()
        started = time.perf_counter()
        fill(small, 0, args.small)
        fill(large, 0, args.large)
        filled_s = time.perf_counter() - started
        cases = shapes()
        timings = {s.name: paired(run(small, s), run(large, s), args.reps) for s in cases}
    finally:
        client.drop_database(database)
        client.close()

    print(
        f"SecantusDB query shapes, best of {args.reps}: {args.small} vs {args.large} documents "
        f"(filling both took {filled_s:.1f} s)\n"
    )
    header = (
        f"| {'shape':<34} | {'command':<13} | {'ms @' + str(args.small):>9} "
        f"| {'ms @' + str(args.large):>9} | ratio | measured | classifier |"
    )
    print(header)
    print("|" + "|".join("-" * (len(part)) for part in header.split("|")[1:-1]) + "|")
    disagreements: list[str] = []
    for shape in cases:
        small_s, large_s = timings[shape.name]
        ratio, seen = measured(small_s, large_s)
        decision = classify(
            indexes=indexes, command=shape.command, filter=shape.filter, sort=shape.sort
        )
        expected = "flat" if decision.verdict == "index" else "grows"
        mark = ""
        if seen not in (expected, "unclear"):
            if shape.conservative and decision.verdict == "scan":
                mark = f"  (conservative: {shape.conservative})"
            else:
                mark = "  ← disagrees"
                disagreements.append(shape.name)
        print(
            f"| {shape.name:<34} | {shape.command:<13} | {small_s * 1000:>9.2f} "
            f"| {large_s * 1000:>9.2f} | {ratio:>5.1f} | {seen:<8} "
            f"| {decision.verdict:<10} |{mark}"
        )
    if disagreements:
        print(f"\nthe classifier disagrees with the measurement on: {', '.join(disagreements)}")
        return 1
    print("\nthe classifier agrees with every measurement")
    return 0


if __name__ == "__main__":
    sys.exit(main())
