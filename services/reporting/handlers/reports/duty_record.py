"""A representative's duty record for a period: their directory entry and their own daily
buckets, read by the (dimension, key, day) index — never another representative's."""

from __future__ import annotations

from datetime import date

from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.duty_record import DutyRecord, duty_record


async def representative_station(read_models: ReadModels, code: str) -> tuple[bool, str | None]:
    """Whether the directory knows the representative, and their station."""
    entry = await read_models.name("representative", code)
    if entry is None:
        return False, None
    station = entry.get("station")
    return True, str(station) if station else None


async def read_duty_record(
    read_models: ReadModels, *, code: str, since: date, until: date
) -> DutyRecord | None:
    """None for a representative the directory does not know."""
    entry = await read_models.name("representative", code)
    if entry is None:
        return None
    # Daily buckets, not the monthly roll-ups: a roll-up read is by (dimension, month) and would
    # read every representative's rows of the months to keep one.
    buckets = await read_models.buckets("representative", since=since, until=until, keys=[code])
    station = entry.get("station")
    return duty_record(
        buckets,
        code=code,
        name=str(entry.get("name") or code),
        station_id=str(station) if station else None,
        since=since,
        until=until,
    )
