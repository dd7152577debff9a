"""The directory: stations, liaison points, representatives and categories. Pure data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Level = Literal["national", "provincial", "municipal", "county"]
PointKind = Literal["community", "village", "micro_centre"]


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Category(_Entry):
    code: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    name: str
    name_en: str
    sla_accept_days: int | None = Field(
        default=None, ge=1, le=60, description="Working days to accept; default 2."
    )
    sla_respond_days: int | None = Field(
        default=None, ge=1, le=365, description="Working days to respond; default 15."
    )
    active: bool = True


class Department(_Entry):
    """A responsible unit a case can be transferred to."""

    id: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    name: str
    name_en: str
    active: bool = True


class Station(_Entry):
    id: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    name: str
    name_en: str
    hall: str | None = None
    active: bool = True


class LiaisonPoint(_Entry):
    id: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    station: str
    name: str
    kind: PointKind
    leader: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    active: bool = True


class Representative(_Entry):
    code: str = Field(pattern=r"^[0-9A-Za-z]{2,16}$")
    name: str
    level: Level
    station: str
    points: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()
    active: bool = True


class Directory(_Entry):
    """A consistent snapshot: every reference points at an entry that exists."""

    default_station: str
    categories: tuple[Category, ...] = ()
    departments: tuple[Department, ...] = ()
    stations: tuple[Station, ...]
    liaison_points: tuple[LiaisonPoint, ...] = ()
    representatives: tuple[Representative, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> Directory:
        stations = {s.id for s in self.stations}
        points = {p.id for p in self.liaison_points}
        problems = []
        if self.default_station not in stations:
            problems.append(f"default_station {self.default_station!r} is not a station")
        problems += [
            f"point {p.id!r}: unknown station {p.station!r}"
            for p in self.liaison_points
            if p.station not in stations
        ]
        for rep in self.representatives:
            if rep.station not in stations:
                problems.append(f"representative {rep.code!r}: unknown station {rep.station!r}")
            problems += [
                f"representative {rep.code!r}: unknown point {pid!r}"
                for pid in rep.points
                if pid not in points
            ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def department(self, department_id: str) -> Department | None:
        return next((d for d in self.departments if d.id == department_id and d.active), None)

    def station(self, station_id: str) -> Station | None:
        return next((s for s in self.stations if s.id == station_id), None)

    def point(self, point_id: str) -> LiaisonPoint | None:
        return next((p for p in self.liaison_points if p.id == point_id), None)

    def representative(self, code: str) -> Representative | None:
        return next((r for r in self.representatives if r.code == code), None)

    def serving(self, point_id: str) -> list[Representative]:
        return [r for r in self.representatives if r.active and point_id in r.points]


def _folded(text: str | None) -> str:
    return (text or "").strip().casefold()


def find_representatives(
    directory: Directory,
    *,
    text: str | None = None,
    station: str | None = None,
    point: str | None = None,
    level: Level | None = None,
    active: bool | None = None,
) -> list[Representative]:
    """The representatives matching every filter given, by code; a code equal to `text` first.

    `text` matches the start of a code (`04` is every representative whose code starts so) or
    any part of a name (`晓` finds 李晓东 and 王晓燕), ignoring case and surrounding blanks.
    """
    wanted = _folded(text)
    found = [
        r
        for r in directory.representatives
        if (station is None or r.station == station)
        and (point is None or point in r.points)
        and (level is None or r.level == level)
        and (active is None or r.active == active)
        and (not wanted or r.code.casefold().startswith(wanted) or wanted in r.name.casefold())
    ]
    return sorted(found, key=representative_order(text))


def representative_order(text: str | None) -> Callable[[Representative], tuple[int, str]]:
    """How a search for `text` sorts representatives: the code equal to it first, then by code
    (a page's cursor names this key)."""
    wanted = _folded(text)
    return lambda r: (int(r.code.casefold() != wanted), r.code)


def find_points(
    directory: Directory,
    *,
    text: str | None = None,
    station: str | None = None,
    kind: PointKind | None = None,
) -> list[LiaisonPoint]:
    """The liaison points matching every filter given, by id (a page's cursor names it);
    `text` matches any part of an id, a name or a leader's name."""
    wanted = _folded(text)
    found = [
        p
        for p in directory.liaison_points
        if (station is None or p.station == station)
        and (kind is None or p.kind == kind)
        and (
            not wanted
            or wanted in p.id.casefold()
            or wanted in p.name.casefold()
            or wanted in (p.leader or "").casefold()
        )
    ]
    return sorted(found, key=lambda p: p.id)


EntryKind = Literal["categories", "departments", "stations", "liaison_points", "representatives"]
KEY_FIELD: dict[EntryKind, str] = {
    "categories": "code",
    "departments": "id",
    "stations": "id",
    "liaison_points": "id",
    "representatives": "code",
}


def with_entry(directory: Directory, kind: EntryKind, entry: dict[str, Any]) -> Directory:
    """The directory with one entry added or replaced, validated as a whole."""
    key = KEY_FIELD[kind]
    data = directory.model_dump(mode="json")
    entries = [e for e in data[kind] if e[key] != entry.get(key)]
    data[kind] = [*entries, entry]
    return Directory.model_validate(data)


def merged(directory: Directory | None, incoming: Directory) -> Directory:
    """An import: incoming entries win, entries it does not mention stay (never deleted)."""
    if directory is None:
        return incoming
    data = directory.model_dump(mode="json")
    new = incoming.model_dump(mode="json")
    for kind, key in KEY_FIELD.items():
        keep = {e[key]: e for e in data[kind]}
        keep.update({e[key]: e for e in new[kind]})
        data[kind] = list(keep.values())
    data["default_station"] = new["default_station"]
    return Directory.model_validate(data)
