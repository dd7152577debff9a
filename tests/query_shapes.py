"""Does the local store (SecantusDB) answer a query from an index, or does it scan the
collection? A pure classifier of query shapes, by rules measured with timings at two
collection sizes (`benchmarks/query_shapes.py`), not by `explain`: SecantusDB's explain reports
COLLSCAN for filters it serves from an index with a residual filter, and its
`totalDocsExamined` is not what it examined.

What the measurements say (and the store's planner, read alongside them):

- a filter is planned only when no top-level key starts with `$`: `$or`, `$and`, `$nor`,
  `$expr` read every document, even next to an `_id`;
- `_id` equality or `$in` is a point lookup, also with residual fields next to it;
- an index serves a filter when its leading fields carry the filter's equalities, optionally
  followed by one range or `$in` on the next field of the index (compound prefix + range);
- otherwise the store takes the FIRST field, in the filter's order, whose clause an index can
  serve alone (equality, `$eq`, `$in`, a range) and applies the rest as a residual filter;
- a range is walked in the index's order (a descending index turns `$gte` into an upper bound)
  from its lower bound, or from the index's start when it has none, to its upper bound. A `$gt`
  seeks to its bound and then steps over every entry EQUAL to it one by one, so
  `{outbox_count: {$gt: 0}}` on a plain index reads every drained document (measured: grows
  like a scan), while `$gte: 1` seeks past them (flat). The classifier takes an exclusive lower
  bound on a non-sparse index as a scan; any other range as an index walk, whose length the
  data decides (its reason says "data-dependent");
- a SPARSE index holds only the documents that have the field, so any range or `$exists: true`
  on it is short when the field only exists on the few documents that are due;
- `$ne`, `$nin`, `$not`, `$exists: false`, `$regex`, `$elemMatch` … on a field are never
  index-served; an equality against `null` cannot use a sparse index;
- `find({}).sort(x)` walks the whole index on `x`, with or without a limit: a scan;
- the `count` command reads every document whatever its filter (`count_documents` is an
  `aggregate` and follows the filter rules; `estimated_document_count` is a `count`);
- `aggregate` lifts a leading `$match` into the fetch; without one it reads the collection;
- `findAndModify` finds its document by the filter rules, then writes with the filter
  `{_id: <found>, $and: [<query>]}`, which a top-level `$and` makes a scan: any
  `find_one_and_update`/`find_one_and_delete` with a filter scans the collection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Verdict = Literal["index", "scan"]

COMMANDS = ("find", "count", "aggregate", "update", "delete", "findAndModify", "distinct")
# Operators a field clause may use and still be looked up in an index.
_LOOKUP_OPS = frozenset({"$eq", "$gt", "$gte", "$lt", "$lte", "$in"})
_NULL_COMPARABLE = frozenset({"$eq", "$gt", "$gte", "$lt", "$lte"})


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str
    # The index the store walks (`_id_` for a point lookup), and the filter's fields it applies
    # afterwards to every document the walk returns.
    index: str | None = None
    residual: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndexSpec:
    """One secondary index, as `index_information()` describes it."""

    name: str
    key: tuple[tuple[str, int], ...]
    sparse: bool

    @property
    def fields(self) -> list[str]:
        return [field for field, _ in self.key]

    def direction(self, field: str) -> int:
        return dict(self.key)[field]


def index_specs(information: Mapping[str, Mapping[str, Any]]) -> list[IndexSpec]:
    """The secondary ascending/descending indexes, in the store's order (`_id_` is the primary
    key, served by its own lookup; geo, text and hashed indexes serve none of these shapes)."""
    specs: list[IndexSpec] = []
    for name, info in information.items():
        key = tuple((str(field), direction) for field, direction in info["key"])
        if name == "_id_" or any(direction not in (1, -1) for _, direction in key):
            continue
        specs.append(IndexSpec(name=name, key=key, sparse=bool(info.get("sparse"))))
    return specs


def classify(
    *,
    indexes: Mapping[str, Mapping[str, Any]],
    command: str,
    filter: Mapping[str, Any] | None,
    sort: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
) -> Decision:
    """`indexes`: the collection's `index_information()`. `command`: one of `COMMANDS`
    (`aggregate` with the pipeline's leading `$match` as `filter`, None when it has none;
    `update` and `delete` with one statement's `q`). `sort`: find's or findAndModify's; it
    never changes the verdict (a served filter's matches are sorted in memory; without a
    filter the sort walks the whole index, a scan like the filterless read)."""
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}")
    specs = index_specs(indexes)
    if command == "count":
        return Decision("scan", "the count command reads every document, whatever its filter")
    if command == "aggregate" and filter is None:
        return Decision("scan", "no leading $match: the pipeline starts from every document")
    if not filter and sort:
        return Decision("scan", "no filter: the sort walks the whole index, limit or not")
    decision = _filter_decision(specs, dict(filter or {}))
    if decision.verdict == "scan":
        return decision
    if command == "findAndModify":
        return Decision(
            "scan",
            "findAndModify re-asserts its query as {_id, $and: [query]} when it writes; "
            "the top-level $and reads every document",
        )
    return decision


def _filter_decision(specs: list[IndexSpec], filter: dict[str, Any]) -> Decision:
    if not filter:
        return Decision("scan", "no filter: every document is read")
    operators = [key for key in filter if key.startswith("$")]
    if operators:
        return Decision("scan", f"top-level {operators[0]}: a filter with it is never planned")
    if set(filter) == {"_id"} and _is_point(filter["_id"]):
        return Decision("index", "_id point lookup", "_id_")
    if all(not isinstance(value, Mapping) for value in filter.values()):
        spec = _compound_equality(specs, filter)
        if spec is not None:
            return Decision("index", f"equality on the leading fields of {spec.name}", spec.name)
    if len(filter) >= 2:
        found = _compound_range(specs, filter)
        if found is not None:
            spec, field = found
            return Decision("index", f"equality prefix + {field} range on {spec.name}", spec.name)
    for field, clause in filter.items():
        decision = _clause_decision(specs, field, clause)
        if decision is not None:
            if len(filter) == 1:
                return decision
            rest = tuple(f for f in filter if f != field)
            reason = f"{decision.reason}; residual: {', '.join(rest)}"
            return Decision(decision.verdict, reason, decision.index, rest)
    fields = ", ".join(filter)
    return Decision("scan", f"no index serves any clause ({fields})")


def _is_point(clause: Any) -> bool:
    """An `_id` equality or `$in` the store looks up key by key."""
    if not isinstance(clause, Mapping):
        return True
    if set(clause) == {"$eq"}:
        return not isinstance(clause["$eq"], Mapping)
    if set(clause) == {"$in"} and isinstance(clause["$in"], list | tuple):
        return all(not isinstance(v, Mapping) for v in clause["$in"])
    return False


def _may_match_missing(clause: Any) -> bool:
    """Could the clause match a document without the field? Then a sparse index lacks it."""
    if clause is None:
        return True
    if not isinstance(clause, Mapping):
        return False
    if not any(key.startswith("$") for key in clause):
        return False
    for op, arg in clause.items():
        if op in _NULL_COMPARABLE and arg is None:
            return True
        if op == "$in" and isinstance(arg, list | tuple) and any(v is None for v in arg):
            return True
        if op == "$exists" and not arg:
            return True
        if op in ("$ne", "$nin", "$not"):
            return True
    return False


def _sparse_usable(spec: IndexSpec, filter: Mapping[str, Any]) -> bool:
    if not spec.sparse:
        return True
    return any(field in filter and not _may_match_missing(filter[field]) for field in spec.fields)


def _compound_equality(specs: list[IndexSpec], filter: Mapping[str, Any]) -> IndexSpec | None:
    """An index whose leading fields are exactly the filter's equality fields."""
    wanted = set(filter)
    best: IndexSpec | None = None
    for spec in specs:
        if not _sparse_usable(spec, filter) or len(spec.fields) < len(wanted):
            continue
        if set(spec.fields[: len(wanted)]) != wanted:
            continue
        if best is None or len(best.fields) > len(spec.fields):
            best = spec
    return best


def _compound_range(
    specs: list[IndexSpec], filter: Mapping[str, Any]
) -> tuple[IndexSpec, str] | None:
    """Equalities pinning an index's leading fields, and one range or `$in` on the next."""
    equalities = {f for f, v in filter.items() if not isinstance(v, Mapping)}
    operators = [(f, v) for f, v in filter.items() if isinstance(v, Mapping)]
    if not equalities or len(operators) != 1:
        return None
    field, ops = operators[0]
    if not ops or not all(op in _LOOKUP_OPS for op in ops):
        return None
    if "$in" in ops and (len(ops) != 1 or not isinstance(ops["$in"], list | tuple)):
        return None
    best: IndexSpec | None = None
    for spec in specs:
        if not _sparse_usable(spec, filter) or len(spec.fields) <= len(equalities):
            continue
        if set(spec.fields[: len(equalities)]) != equalities:
            continue
        if spec.fields[len(equalities)] != field:
            continue
        if best is None or len(best.fields) > len(spec.fields):
            best = spec
    return (best, field) if best is not None else None


def _leading_index(specs: list[IndexSpec], field: str, clause: Any) -> IndexSpec | None:
    """The index the store picks for a clause on `field`: single-field first, else compound."""
    compound: IndexSpec | None = None
    for spec in specs:
        if spec.fields[0] != field or not _sparse_usable(spec, {field: clause}):
            continue
        if len(spec.fields) == 1:
            return spec
        if compound is None:
            compound = spec
    return compound


def _clause_decision(specs: list[IndexSpec], field: str, clause: Any) -> Decision | None:
    """How one `field: clause` is served, or None when no index can serve it."""
    if field == "_id":
        return Decision("index", "_id point lookup", "_id_") if _is_point(clause) else None
    if isinstance(clause, Mapping) and set(clause) == {"$exists"} and clause["$exists"]:
        sparse = next((s for s in specs if s.sparse and s.fields == [field]), None)
        if sparse is None:
            return None
        return Decision("index", f"$exists: true on the sparse index {sparse.name}", sparse.name)
    spec = _leading_index(specs, field, clause)
    if spec is None:
        return None
    if not isinstance(clause, Mapping):
        return Decision("index", f"equality on {field}, leading {spec.name}", spec.name)
    if not clause or not all(op in _LOOKUP_OPS for op in clause):
        return None
    if any(isinstance(arg, Mapping) for arg in clause.values()):
        return None
    if "$in" in clause:
        if len(clause) != 1 or not isinstance(clause["$in"], list | tuple):
            return None
        return Decision("index", f"$in on {field}, leading {spec.name}", spec.name)
    if "$eq" in clause:
        return Decision("index", f"equality on {field}, leading {spec.name}", spec.name)
    if spec.sparse:
        return Decision("index", f"range on {field} over the sparse index {spec.name}", spec.name)
    ops = set(clause)
    if spec.direction(field) == -1:
        ops = {{"$gt": "$lt", "$gte": "$lte", "$lt": "$gt", "$lte": "$gte"}[op] for op in ops}
    if "$gt" in ops:
        return Decision(
            "scan",
            f"exclusive lower bound on {field} over the non-sparse {spec.name}: the walk steps "
            "over every entry equal to the bound (a counter resting at it: every document)",
            spec.name,
        )
    side = "from its bound" if "$gte" in ops else "from its start to the bound"
    reason = f"range on {field} walks {spec.name} {side} (data-dependent)"
    return Decision("index", reason, spec.name)
