"""Time zones named in settings and in residents' preferences: one check, one message."""

from __future__ import annotations

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
