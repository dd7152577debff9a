"""Who may read what: one FastAPI dependency per access rule, shared by the services.

A rule answers 401 without a valid token (shared.auth), 403 when the caller's role may never
use the route, and 404 — never confirming that something exists — when the thing asked for is
another station's. Routes that anyone may call say so by taking none of these.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status

from shared.auth import Claims, CurrentClaims, Role
from shared.openapi import answers

CITY_WIDE: frozenset[Role] = frozenset({"supervisor", "admin"})
STATION_STAFF: frozenset[Role] = frozenset({"staff", "station_head"})


def reads_figures(claims: Claims) -> bool:
    """Reports, exports and the dashboard: station staff for their station, supervisors and
    admins city-wide."""
    return claims.role in CITY_WIDE or (claims.role in STATION_STAFF and bool(claims.station))


@answers(403, "Only station staff, supervisors and admins read the figures.")
async def figures_reader(claims: CurrentClaims) -> Claims:
    if reads_figures(claims):
        return claims
    raise HTTPException(
        status.HTTP_403_FORBIDDEN,
        detail="only station staff, supervisors and admins read the figures",
    )


FiguresReader = Annotated[Claims, Depends(figures_reader)]


def station_in_scope(claims: Claims, asked: str | None) -> str | None:
    """The station whose figures a reader gets: any (or all, None) city-wide; their own for
    station staff, who are answered 404 for another's."""
    if claims.role in CITY_WIDE:
        return asked
    if asked is None or asked == claims.station:
        return claims.station
    raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such station")


DUTY_RECORD_READERS: frozenset[Role] = CITY_WIDE | STATION_STAFF | {"representative"}


def reads_duty_records(claims: Claims) -> bool:
    """Representatives' duty records (履职档案): a representative their own, station staff their
    station's representatives', supervisors and admins anyone's."""
    return claims.role in DUTY_RECORD_READERS


@answers(403, "Only representatives, station staff, supervisors and admins read duty records.")
async def duty_record_reader(claims: CurrentClaims) -> Claims:
    if reads_duty_records(claims):
        return claims
    raise HTTPException(
        status.HTTP_403_FORBIDDEN,
        detail="only representatives, station staff, supervisors and admins read duty records",
    )


DutyRecordReader = Annotated[Claims, Depends(duty_record_reader)]


def may_read_duty_record(claims: Claims, *, code: str, station: str | None) -> bool:
    """Whether this reader may read the record of representative `code` of `station`."""
    if claims.role in CITY_WIDE:
        return True
    if claims.role == "representative":
        return claims.representative_code == code
    return claims.role in STATION_STAFF and claims.station is not None and claims.station == station


def duty_record_in_scope(claims: Claims, *, code: str, station: str | None) -> None:
    """404 for a record the reader may not read: another representative's, or one of another
    station's — as if it did not exist."""
    if not may_read_duty_record(claims, code=code, station=station):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such representative")


@answers(403, "Only admins may do this.")
async def admin_only(claims: CurrentClaims) -> Claims:
    """Admins only: erasing residents' data (intake)."""
    if claims.role == "admin":
        return claims
    raise HTTPException(status.HTTP_403_FORBIDDEN, detail="only admins may do this")


AdminOnly = Annotated[Claims, Depends(admin_only)]
