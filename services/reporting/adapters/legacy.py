"""The daily buckets as reporting stored them before `station_days`: one document per
(dimension, station, key, day) in the collection `daily`, with its `seen` tokens. Pure.

At start, reporting moves them into the station days a slice at a time
(`ReadModels.move_legacy_buckets`), through the same write as events: each old bucket is a
contribution under a token of its own (`b<bucket id>`), so a slice moved again after a crash
counts once, and its own tokens come along as empty contributions, so that an event it counted
(a meeting's above all, whose token is kept for good) is still known once moved."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from services.reporting.domain.contributions import Contribution

COLLECTION = "daily"


def legacy_changes(bucket: Mapping[str, Any]) -> list[tuple[str, Contribution]]:
    """The (token, contribution) pairs that put an old bucket into its station's day."""
    identity = {
        "dimension": bucket["dimension"],
        "station_id": str(bucket.get("station_id") or ""),
        "key": str(bucket["key"]),
        "day": date.fromisoformat(str(bucket["day"])),
    }
    whole = Contribution.model_validate(
        {
            **identity,
            "counts": _flat(bucket.get("counts") or {}),
            "durations": bucket.get("durations") or {},
            "labels": _flat(bucket.get("labels") or {}),
        }
    )
    # A map of tokens in buckets written before the tokens were a list.
    seen = sorted(set(bucket.get("seen") or ()))
    empty = Contribution.model_validate({**identity, "counts": {}})
    return [(moved_token(str(bucket["_id"])), whole), *((t, empty) for t in seen)]


def moved_token(bucket_id: str) -> str:
    """A token no event has (theirs start with `e`, `m` or `g`), without dots or dollars."""
    return "b" + "".join(c for c in bucket_id if c not in ".$")


def _flat(nested: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested fields (`ratings: {satisfied: 2}`) as the dotted names contributions carry."""
    flat: dict[str, Any] = {}
    for name, value in nested.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat
