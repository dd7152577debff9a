"""Who gets a new case, and why. A pure function over a directory snapshot and open loads.

1. A QR submission goes to the representative whose code it carries, if active.
2. Otherwise the liaison point's service group: category specialists first, then least open
   load; ties are rotated by case id so equal representatives share the work.
3. No eligible representative: the point's station queue, or the default station's queue.
Every decision carries a reason in words, so staff can see why a case reached them.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from services.routing.domain.directory import Directory, Representative


class RoutingRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    category: str
    representative_code: str | None = None
    liaison_point_id: str | None = None
    location: tuple[float, float] | None = Field(
        default=None, description="(lat, lon): finds the nearest point when none is chosen."
    )
    station_id: str | None = Field(
        default=None, description="Entered by this station's staff: its queue is the fallback."
    )


class RoutingDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    station_id: str
    station_name: str
    liaison_point_id: str | None
    representative_code: str | None
    representative_name: str | None
    reason: str


def route_case(
    request: RoutingRequest,
    *,
    directory: Directory,
    open_load: Mapping[str, int],
    exclude: frozenset[str] = frozenset(),
) -> RoutingDecision:
    """`exclude`: representatives who declined this case; it never goes back to them."""
    notes: list[str] = []
    if request.representative_code is not None and request.representative_code in exclude:
        notes.append(f"representative {request.representative_code} declined")
    elif request.representative_code is not None:
        rep = directory.representative(request.representative_code)
        if rep is not None and rep.active:
            return _to_representative(
                directory,
                rep,
                point_id=request.liaison_point_id,
                reason=f"qr: representative {rep.code}",
            )
        notes.append(f"representative {request.representative_code} not active or unknown")

    point_id = request.liaison_point_id
    if point_id is None and request.location is not None:
        nearest = nearest_point(directory, request.location)
        if nearest is not None:
            point_id, km = nearest
            notes.append(f"nearest point to the location ({km:.1f} km)")
    if point_id is not None:
        point = directory.point(point_id)
        if point is None or not point.active:
            notes.append(f"point {point_id} not active or unknown")
        else:
            group = [r for r in directory.serving(point.id) if r.code not in exclude]
            if group:
                rep, why = _pick(request, group, open_load)
                return _to_representative(
                    directory,
                    rep,
                    point_id=point.id,
                    reason="; ".join([*notes, f"point {point.name}, {why}"]),
                )
            notes.append(
                f"point {point.name} has no other active representative"
                if exclude
                else f"point {point.name} has no active representative"
            )
            return _to_queue(directory, point.station, point.id, notes)

    if not notes:
        notes.append("no representative or liaison point given")
    station = directory.station(request.station_id) if request.station_id else None
    if station is not None and station.active:
        return _to_queue(directory, station.id, None, [*notes, "entered by station staff"])
    return _to_queue(directory, directory.default_station, None, notes)


def nearest_point(directory: Directory, location: tuple[float, float]) -> tuple[str, float] | None:
    """The closest active point with coordinates, and its distance in km."""
    placed = [
        p for p in directory.liaison_points if p.active and p.lat is not None and p.lon is not None
    ]
    if not placed:
        return None
    distances = [(_km(location, (p.lat, p.lon)), p.id) for p in placed]  # type: ignore[arg-type]
    km, point_id = min(distances)
    return point_id, km


def load_candidates(request: RoutingRequest, *, directory: Directory) -> list[str]:
    """Whose open load the decision may compare: the group of the point the case lands at."""
    point_id = request.liaison_point_id
    if point_id is None and request.location is not None:
        nearest = nearest_point(directory, request.location)
        point_id = nearest[0] if nearest else None
    return [r.code for r in directory.serving(point_id)] if point_id else []


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine), Earth radius 6371 km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


def _pick(
    request: RoutingRequest, group: list[Representative], open_load: Mapping[str, int]
) -> tuple[Representative, str]:
    specialists = [r for r in group if request.category in r.specialties]
    pool = specialists or group
    lowest = min(open_load.get(r.code, 0) for r in pool)
    ties = sorted((r for r in pool if open_load.get(r.code, 0) == lowest), key=lambda r: r.code)
    rotation = int(hashlib.sha256(request.case_id.encode()).hexdigest(), 16) % len(ties)
    chosen = ties[rotation]
    kind = f"{request.category} specialist, " if specialists else ""
    return chosen, f"{kind}least load {lowest} of {len(pool)}"


def _to_representative(
    directory: Directory, rep: Representative, *, point_id: str | None, reason: str
) -> RoutingDecision:
    station = directory.station(rep.station)
    return RoutingDecision(
        station_id=rep.station,
        station_name=station.name if station else rep.station,
        liaison_point_id=point_id
        if point_id in rep.points
        else (rep.points[0] if rep.points else None),
        representative_code=rep.code,
        representative_name=rep.name,
        reason=reason,
    )


def _to_queue(
    directory: Directory, station_id: str, point_id: str | None, notes: list[str]
) -> RoutingDecision:
    station = directory.station(station_id)
    name = station.name if station else station_id
    return RoutingDecision(
        station_id=station_id,
        station_name=name,
        liaison_point_id=point_id,
        representative_code=None,
        representative_name=None,
        reason="; ".join([*notes, f"station queue of {name}"]),
    )
