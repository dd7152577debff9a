"""A row's directory references, checked against intake's copy like a live submission's, and
who held the case."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from services.intake.domain.history_import.rows import FieldProblem, HistoryRow

DirectoryKindName = Literal["categories", "stations", "liaison_points", "representatives"]
_KEYS: Mapping[DirectoryKindName, str] = {
    "categories": "code",
    "stations": "id",
    "liaison_points": "id",
    "representatives": "code",
}


@dataclass(frozen=True)
class DirectoryView:
    """The directory entries a row is checked against (intake's copy, read once)."""

    entries: Mapping[DirectoryKindName, Mapping[str, Mapping[str, Any]]]

    @classmethod
    def of(cls, entries: Mapping[DirectoryKindName, Iterable[Mapping[str, Any]]]) -> DirectoryView:
        return cls(
            {kind: {str(e[_KEYS[kind]]): e for e in entries.get(kind, ())} for kind in _KEYS}
        )

    def get(self, kind: DirectoryKindName, key: str) -> Mapping[str, Any] | None:
        return self.entries.get(kind, {}).get(key)

    def active(self, kind: DirectoryKindName, key: str) -> Mapping[str, Any] | None:
        entry = self.get(kind, key)
        return entry if entry is not None and entry.get("active", True) else None


@dataclass(frozen=True)
class Holder:
    """Who held the case: its station (None only for a case still `submitted`) and
    representative, with the names the directory gives them."""

    station_id: str | None
    station_name: str | None
    representative_code: str | None
    representative_name: str | None


def resolve_holder(
    row: HistoryRow, *, directory: DirectoryView
) -> tuple[Holder | None, list[FieldProblem]]:
    """The references checked like a live submission's (active entries only), and the station:
    `station_id`, else the representative's, else the liaison point's."""
    problems: list[FieldProblem] = []
    if directory.active("categories", row.category) is None:
        problems.append(FieldProblem("category", f"no active category {row.category!r}"))
    representative = point = None
    if row.representative_code is not None:
        representative = directory.active("representatives", row.representative_code)
        if representative is None:
            problems.append(
                FieldProblem(
                    "representative_code", f"no active representative {row.representative_code!r}"
                )
            )
    if row.liaison_point_id is not None:
        point = directory.active("liaison_points", row.liaison_point_id)
        if point is None:
            problems.append(
                FieldProblem(
                    "liaison_point_id", f"no active liaison point {row.liaison_point_id!r}"
                )
            )
    if row.station_id is not None:
        if directory.active("stations", row.station_id) is None:
            problems.append(FieldProblem("station_id", f"no active station {row.station_id!r}"))
        if representative is not None and representative.get("station") != row.station_id:
            problems.append(
                FieldProblem(
                    "representative_code",
                    f"representative {row.representative_code} belongs to station "
                    f"{representative.get('station')}, not {row.station_id}",
                )
            )
        if point is not None and point.get("station") != row.station_id:
            problems.append(
                FieldProblem(
                    "liaison_point_id",
                    f"liaison point {row.liaison_point_id} belongs to station "
                    f"{point.get('station')}, not {row.station_id}",
                )
            )
    station_id = (
        row.station_id
        or (str(representative["station"]) if representative else None)
        or (str(point["station"]) if point else None)
    )
    if station_id is None and row.status != "submitted":
        problems.append(
            FieldProblem(
                "station_id",
                f"a {row.status} case was held by a station: "
                "give station_id, representative_code or liaison_point_id",
            )
        )
    if problems:
        return None, problems
    station = directory.get("stations", station_id) if station_id else None
    return (
        Holder(
            station_id=station_id,
            station_name=str(station["name"]) if station else station_id,
            representative_code=row.representative_code,
            representative_name=str(representative["name"]) if representative else None,
        ),
        [],
    )
