"""The query-shape classifier decides as SecantusDB measured (benchmarks/query_shapes.py):
each case is a shape timed there at 1,000 and 20,000 documents, over the same indexes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.query_shapes import classify, index_specs

T = datetime(2026, 1, 1, tzinfo=UTC)
IDS = ["c000003", "c000005"]
# As `index_information()` returns them for the benchmark's collection.
INDEXES: dict[str, dict[str, Any]] = {
    "_id_": {"v": 2, "key": [("_id", 1)]},
    "seq_1": {"v": 2, "key": [("seq", 1)]},
    "key_1": {"v": 2, "key": [("key", 1)]},
    "recipient_1_created_at_-1": {"v": 2, "key": [("recipient", 1), ("created_at", -1)]},
    "status_1": {"v": 2, "key": [("status", 1)]},
    "n0_1": {"v": 2, "key": [("n0", 1)]},
    "updated_at_-1": {"v": 2, "key": [("updated_at", -1)]},
    "outbox_count_1": {"v": 2, "key": [("outbox_count", 1)], "sparse": True},
    "due_1": {"v": 2, "key": [("due", 1)], "sparse": True},
}

# (case, command, filter, sort): measured flat from 1k to 20k documents.
SERVED: list[tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]] = [
    ("_id equality", "find", {"_id": "c000005"}, None),
    ("_id $in", "find", {"_id": {"$in": IDS}}, None),
    ("_id $in + residual", "find", {"_id": {"$in": IDS}, "x": False}, None),
    ("_id + residual $not", "find", {"_id": "c000005", "a.b": {"$not": {"$gte": T}}}, None),
    ("residual before _id", "find", {"x": False, "_id": {"$in": IDS}}, None),
    ("leading equality", "find", {"key": "k1"}, None),
    ("leading equality + residual", "find", {"key": "k1", "x": True}, None),
    ("unindexed first, indexed second", "find", {"x": True, "key": "k1"}, None),
    ("$in on a leading field", "find", {"key": {"$in": ["k1", "k2"]}}, None),
    ("$in on a compound's leading field", "find", {"recipient": {"$in": ["r1"]}}, None),
    ("compound equality + range", "find", {"recipient": "r1", "created_at": {"$gte": T}}, None),
    ("compound equality, sorted", "find", {"recipient": "r1"}, {"created_at": -1}),
    ("$lt walked from the start", "find", {"seq": {"$lt": 10}}, None),
    ("$lt sorted on its field", "find", {"seq": {"$lt": 10}}, {"seq": 1}),
    ("bounded range", "find", {"seq": {"$gte": 5, "$lt": 15}}, None),
    ("$gte on a descending index", "find", {"updated_at": {"$gte": T}}, None),
    ("$lte on a descending index", "find", {"updated_at": {"$lte": T}}, None),
    ("$gte on a plain index", "find", {"n0": {"$gte": 1}}, None),
    ("$gt on a sparse index", "find", {"outbox_count": {"$gt": 0}}, None),
    ("$lte on a sparse index", "find", {"due": {"$lte": T}}, None),
    ("$exists on a sparse index", "find", {"due": {"$exists": True}}, None),
    ("count_documents on an index", "aggregate", {"key": "k1"}, None),
    ("update by _id", "update", {"_id": "c000005"}, None),
    ("update by _id with a $ne guard", "update", {"_id": "c000005", "n0": {"$ne": 7}}, None),
    ("update_many on a leading equality", "update", {"key": "k2"}, None),
    ("delete by _id", "delete", {"_id": "missing"}, None),
]

# (case, command, filter, sort): measured growing with the collection.
SCANNED: list[tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]] = [
    ("$or of _ids", "find", {"$or": [{"_id": "c000005"}, {"_id": "c000006"}]}, None),
    ("$and around _id", "find", {"$and": [{"_id": "c000005"}]}, None),
    ("$nor next to _id", "find", {"$nor": [{"x": True}], "_id": "c000005"}, None),
    ("$expr next to _id", "find", {"_id": "c000005", "$expr": {"$eq": ["$n0", 1]}}, None),
    ("unindexed field, $ne", "find", {"x": True, "seq": {"$ne": 3}}, None),
    ("a compound's second field alone", "find", {"created_at": T}, None),
    ("$ne on an indexed field", "find", {"status": {"$ne": "closed"}}, None),
    ("$exists on a plain index", "find", {"n0": {"$exists": True}}, None),
    ("null equality on a sparse index", "find", {"due": None}, None),
    ("$gt on a plain index at its resting value", "find", {"n0": {"$gt": 0}}, None),
    ("no filter, sorted", "find", {}, {"seq": 1}),
    ("no filter, sorted descending", "find", {}, {"updated_at": -1}),
    ("count command, even on _id", "count", {"_id": "c000005"}, None),
    ("count_documents unindexed", "aggregate", {"x": True, "seq": {"$ne": 3}}, None),
    ("aggregate without a $match", "aggregate", None, None),
    ("findAndModify, even by _id", "findAndModify", {"_id": "c000005"}, None),
    ("findAndModify on a sparse range", "findAndModify", {"due": {"$lte": T}}, {"due": 1}),
    ("update_many with $or", "update", {"$or": [{"_id": "c000005"}, {"key": "k3"}]}, None),
    ("delete on an unindexed field", "delete", {"x": "missing"}, None),
]


@pytest.mark.parametrize(
    ("command", "filter", "sort"), [c[1:] for c in SERVED], ids=[c[0] for c in SERVED]
)
def test_shapes_measured_flat_are_served_by_an_index(
    command: str, filter: dict[str, Any] | None, sort: dict[str, Any] | None
) -> None:
    decision = classify(indexes=INDEXES, command=command, filter=filter, sort=sort)
    assert decision.verdict == "index", decision.reason


@pytest.mark.parametrize(
    ("command", "filter", "sort"), [c[1:] for c in SCANNED], ids=[c[0] for c in SCANNED]
)
def test_shapes_measured_growing_are_scans(
    command: str, filter: dict[str, Any] | None, sort: dict[str, Any] | None
) -> None:
    decision = classify(indexes=INDEXES, command=command, filter=filter, sort=sort)
    assert decision.verdict == "scan", decision.reason


def test_a_gt_is_a_scan_on_a_plain_index_even_where_no_entry_equals_its_bound() -> None:
    # Measured flat for `{seq: {$gt: 10**9}}`, but only because of the data: the walk steps over
    # every entry equal to the bound, so the classifier takes the side that fails the test.
    decision = classify(indexes=INDEXES, command="find", filter={"seq": {"$gt": 10**9}})
    assert decision.verdict == "scan"
    assert "equal to the bound" in decision.reason


def test_the_first_servable_field_in_the_filters_order_decides() -> None:
    # The store takes the first clause an index can serve and applies the rest after it.
    slow_first = {"n0": {"$gt": 0}, "_id": "c000005"}
    fast_first = {"_id": "c000005", "n0": {"$gt": 0}}
    assert classify(indexes=INDEXES, command="find", filter=slow_first).verdict == "scan"
    assert classify(indexes=INDEXES, command="find", filter=fast_first).verdict == "index"


def test_a_sparse_index_is_not_used_for_a_clause_that_matches_missing_fields() -> None:
    for clause in (None, {"$exists": False}, {"$in": [None, T]}, {"$lte": None}):
        decision = classify(indexes=INDEXES, command="find", filter={"due": clause})
        assert decision.verdict == "scan", clause


def test_a_decision_names_the_index_walked_and_the_residual_fields() -> None:
    decision = classify(indexes=INDEXES, command="update", filter={"key": "k1", "x": True})
    assert (decision.verdict, decision.index, decision.residual) == ("index", "key_1", ("x",))
    assert "key_1" in decision.reason and "residual: x" in decision.reason
    point = classify(indexes=INDEXES, command="find", filter={"_id": "c1", "n0": {"$ne": 1}})
    assert (point.index, point.residual) == ("_id_", ("n0",))


def test_the_compound_prefix_must_be_the_index_s_leading_fields() -> None:
    indexes = {**INDEXES, "a_1_b_1_c_1": {"v": 2, "key": [("a", 1), ("b", 1), ("c", 1)]}}
    assert classify(indexes=indexes, command="find", filter={"a": 1, "b": 2}).verdict == "index"
    prefix_range = {"a": 1, "b": {"$in": [1, 2]}}
    assert classify(indexes=indexes, command="find", filter=prefix_range).verdict == "index"
    assert classify(indexes=indexes, command="find", filter={"b": 2, "c": 3}).verdict == "scan"


def test_index_specs_skip_the_primary_key_and_keep_sparseness() -> None:
    specs = {spec.name: spec for spec in index_specs(INDEXES)}
    assert "_id_" not in specs
    assert specs["due_1"].sparse and not specs["seq_1"].sparse
    assert specs["recipient_1_created_at_-1"].direction("created_at") == -1


def test_an_unknown_command_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown command"):
        classify(indexes=INDEXES, command="mapReduce", filter={})
