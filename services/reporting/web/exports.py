"""Export files' titles and names; the files themselves are written by shared.exports. Pure."""

from __future__ import annotations

from datetime import date


def period_title(since: date, until: date) -> str:
    """The worksheet's title: the period."""
    return f"{since.isoformat()}~{until.isoformat()}"


def export_filename(since: date, until: date, extension: str, kind: str = "stations") -> str:
    return f"minyi-{kind}-{since.isoformat()}-{until.isoformat()}.{extension}"
