"""What the resident's pages show, shaped from directory entries and cases. Pure."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any, Final

from services.intake.web.qr import LEVEL_LABELS
from shared.web.i18n import Language
from shared.zones import city_minute

DONE_NOTICES: Final = frozenset({"rated", "reopened", "replied"})
RATINGS: Final = ("satisfied", "basically_satisfied", "dissatisfied")
STATUS_TONE: Final = {
    "responded": "ok",
    "closed": "ok",
    "rejected": "bad",
    "declined": "warn",
    "reopened": "warn",
}

Entry = Mapping[str, Any]


def when(moment: datetime, *, zone: tzinfo) -> dict[str, str]:
    """A time for a `<time>` element: ISO for machines, local minutes for the reader."""
    return {"iso": moment.isoformat(), "text": city_minute(moment, zone)}


def localized(entry: Entry | None, language: Language) -> str | None:
    """A directory entry's name in the reader's language (Chinese when it has no other)."""
    if entry is None:
        return None
    name = entry.get("name_en") if language == "en" else None
    return str(name or entry.get("name") or "")


def representative_card(
    entry: Entry, *, station: Entry | None, language: Language
) -> dict[str, str]:
    """The representative a QR code names, as the form's header shows them."""
    level = entry.get("level", "")
    return {
        "code": str(entry["code"]),
        "name": str(entry["name"]),
        "level": f"level.{level}" if level in LEVEL_LABELS else "level.other",
        "station": localized(station, language) or "",
    }


def category_options(categories: Iterable[Entry], language: Language) -> list[dict[str, str]]:
    """The active categories to choose from; "other" is the fallback, so it comes last."""
    listed = [
        {"code": str(c["code"]), "label": localized(c, language) or str(c["code"])}
        for c in categories
        if c.get("active", True)
    ]
    return sorted(listed, key=lambda c: c["code"] == "other")


def code_groups(code: str) -> list[str]:
    """`MY-` then groups of four: easier to read aloud and to copy by hand."""
    prefix, body = code[:3], code[3:]
    return [prefix + body[:4], *(body[i : i + 4] for i in range(4, len(body), 4))]


def data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
