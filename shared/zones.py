"""The city's time zone: one check of a zone's name (settings, residents' preferences), and
moments as people in the city read them. Events and stores carry UTC; a naive time is UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def known_time_zone(value: str) -> str:
    """`value` if it names a time zone of the system's database, else a ValueError saying so."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r} (an IANA name, e.g. Asia/Shanghai)"
        ) from None
    return value


def city_time(at: datetime, zone: tzinfo) -> datetime:
    """`at` on the city's clocks (`zone`)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone)


def city_day(at: datetime, zone: tzinfo) -> date:
    """The day `at` falls on in the city: 17:30 UTC on 31 March is 1 April in Shanghai."""
    return city_time(at, zone).date()


def city_minute(at: datetime, zone: tzinfo) -> str:
    """`at` as people in the city write it, to the minute: "2026-12-08 23:59"."""
    return city_time(at, zone).strftime("%Y-%m-%d %H:%M")
