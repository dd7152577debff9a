"""The workbench's paths and the pure view helpers of its pages: where a sign-in may lead, the
queue's title, filters and paging, local times, and the names a case page shows."""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from services.routing.domain.directory import (
    Directory,
    LiaisonPoint,
    Representative,
    Station,
    find_representatives,
)
from services.routing.domain.workflow import OPEN, Role, Status
from shared.zones import city_minute

WEB = Path(__file__).parent
HOME_PATH = "/staff"
SIGN_IN_PATH = "/staff/sign-in"
INBOX_PATH = "/staff/inbox"
ADMIN_PATH = "/staff/admin"

PAGE_SIZE = 20
# A search box's longest useful text: a name or a code.
SEARCH_MAX = 64
# How many representatives a queue's name search may stand for; more is not a search.
REPRESENTATIVES_MAX = 50
# The API's own ceiling for one listing; filters narrow a station's queue below it.
FETCH_LIMIT = 500
STATUSES: tuple[str, ...] = get_args(Status)
# "Open" in the queue includes responded cases: they still wait for staff to close them.
WAITING = (*sorted(OPEN), "responded")

T = TypeVar("T")


def safe_next(value: str | None) -> str:
    """Only a workbench path: a crafted `next=` must not send people to another site."""
    if not value:
        return HOME_PATH
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith(HOME_PATH):
        return HOME_PATH
    return value


def local_time(value: datetime | None, *, timezone: ZoneInfo) -> str:
    if value is None:
        return ""
    return city_minute(value, timezone)


def queue_title(role: Role) -> str:
    if role == "representative":
        return "queue_title_mine"
    if role == "department":
        return "queue_title_department"
    if role in ("staff", "station_head"):
        return "queue_title_station"
    return "queue_title_all"


@dataclass(frozen=True)
class QueueFilters:
    status: str  # a status, "open" or "any"
    category: str  # "" for every category
    overdue_only: bool
    station: str = ""  # "" for every station the reader may see
    representative: str = ""  # the text searched for: a code or part of a name

    @classmethod
    def of(
        cls, params: Any, *, categories: set[str], stations: set[str] | None = None
    ) -> QueueFilters:
        """The filters asked for; anything unknown falls back to the default."""
        status = params.get("status") or "open"
        if status not in (*STATUSES, "open", "any"):
            status = "open"
        category = params.get("category") or ""
        if category not in categories:
            category = ""
        station = params.get("station") or ""
        if station not in (stations or set()):
            station = ""
        return cls(
            status=status,
            category=category,
            overdue_only=params.get("overdue") == "1",
            station=station,
            representative=(params.get("representative") or "").strip()[:SEARCH_MAX],
        )

    def kept(self) -> dict[str, str]:
        """The query parameters a page link keeps."""
        return {
            "status": self.status,
            "category": self.category,
            **({"overdue": "1"} if self.overdue_only else {}),
            **({"station": self.station} if self.station else {}),
            **({"representative": self.representative} if self.representative else {}),
        }


def representative_codes(
    directory: Directory | None, text: str, *, station: str | None
) -> list[str]:
    """The codes a queue's representative search stands for: the code typed, else every
    representative (of the station, if one) whose code starts so or whose name holds it."""
    if directory is None or not text:
        return []
    found = find_representatives(directory, text=text, station=station)
    exact = [r.code for r in found if r.code.casefold() == text.casefold()]
    return exact or [r.code for r in found[:REPRESENTATIVES_MAX]]


def typed_representative(directory: Directory | None, text: str, *, station: str) -> str:
    """The code a reassignment's search box means: a code as typed, else the one active
    representative of the station whose name holds the text; otherwise the text itself, for
    the form to refuse with a field error."""
    if directory is None or not text:
        return text
    found = find_representatives(directory, text=text, station=station, active=True)
    exact = [r.code for r in found if r.code.casefold() == text.casefold()]
    return exact[0] if exact else found[0].code if len(found) == 1 else text


@dataclass(frozen=True)
class PointGroup:
    """A station's liaison points on the representative form, folded unless relevant."""

    station: Station
    points: list[LiaisonPoint]
    open: bool


def point_groups(directory: Directory, entry: dict[str, Any]) -> list[PointGroup]:
    """The points by station: a city has a hundred and more, so only the representative's
    station and the stations of points already chosen are unfolded (all, in a small one)."""
    chosen = set(entry.get("points") or ())
    small = len(directory.liaison_points) <= 30
    groups = []
    for station in directory.stations:
        points = [p for p in directory.liaison_points if p.station == station.id]
        if points:
            unfold = (
                small or station.id == entry.get("station") or bool(chosen & {p.id for p in points})
            )
            groups.append(PointGroup(station=station, points=points, open=unfold))
    return groups


def place_name(directory: Directory | None, station_id: str, point_id: str | None) -> str:
    """ "Station / point" by name, ids where the directory does not know them (any more)."""
    station = directory.station(station_id) if directory else None
    point = directory.point(point_id) if directory and point_id else None
    named = station.name if station else station_id
    if point_id is None:
        return named
    return f"{named} / {point.name if point else point_id}"


def audit_note(
    action: str,
    detail: Mapping[str, Any] | None,
    note: str | None,
    *,
    word: Callable[..., str],
    known: Container[str],
    local: Callable[[datetime], str],
) -> str | None:
    """An audit entry's note as the case page shows it: its codes (`detail`) in the page's
    words, then what a person wrote. `word(key, **values)` is the page's text, `known` its
    catalog's keys (a code without a label shows as it is)."""

    def label(prefix: str, code: object) -> str:
        return word(f"{prefix}{code}") if f"{prefix}{code}" in known else str(code)

    found = dict(detail or {})
    if action == "rate" and not found and note and f"rating_{note}" in known:
        # Written before the rating moved into `detail`: the note is the rating's code.
        return word(f"rating_{note}")
    said: str | None = None
    if action == "escalate" and "deadline" in found:
        said = word("audit_deadline_passed", deadline=label("deadline_", found["deadline"]))
    elif action == "escalate_supervision" and isinstance(found.get("due_at"), datetime):
        said = word("audit_supervision_passed", due=local(found["due_at"]))
    elif action == "change_stage" and "to_stage" in found:
        target = label("stage_", found["to_stage"])
        said = (
            word("audit_stage_from_to", source=label("stage_", found["from_stage"]), target=target)
            if found.get("from_stage")
            else word("audit_stage_to", target=target)
        )
    elif "rating" in found:
        rating = label("rating_", found["rating"])
        said = (
            word("audit_rating_by", rating=rating, channel=label("channel_", found["channel"]))
            if found.get("channel")
            else rating
        )
    if said and note:
        return word("audit_with_note", said=said, note=note)
    return said or note


def representative_label(rep: Representative, directory: Directory) -> str:
    """How a picker names a representative: name, code and first point, to tell namesakes apart."""
    point = directory.point(rep.points[0]) if rep.points else None
    return f"{rep.name} ({rep.code})" + (f" · {point.name}" if point else "")


def page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or "1"))
    except ValueError:
        return 1


def one_page(rows: Sequence[T], raw_page: str | None) -> tuple[list[T], int, int]:
    """The rows of the page asked for, that page's number and how many pages there are."""
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(page_number(raw_page), pages)
    return list(rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]), page, pages


def case_names(
    directory: Directory | None,
    *,
    category: str,
    station_id: str,
    representative_code: str | None,
    transferred_to: str | None,
    zh: bool,
) -> dict[str, Any]:
    """What a case page names, in the page's language, and the choices its forms offer."""

    def named(entry: Any) -> str:
        return str(entry.name if zh or not hasattr(entry, "name_en") else entry.name_en)

    if directory is None:
        return {
            "category_name": category,
            "station_name": station_id,
            "holder_name": None,
            "department_name": transferred_to,
            "departments": [],
            "station_reps": [],
        }
    found_category = next((c for c in directory.categories if c.code == category), None)
    station = directory.station(station_id)
    holder = directory.representative(representative_code) if representative_code else None
    department = (
        next((d for d in directory.departments if d.id == transferred_to), None)
        if transferred_to
        else None
    )
    return {
        "category_name": named(found_category) if found_category else category,
        "station_name": named(station) if station else station_id,
        "holder_name": holder.name if holder else None,
        "department_name": named(department) if department else transferred_to,
        "departments": [d for d in directory.departments if d.active],
        # (code, label) of everyone the case can be reassigned to: a picker to search.
        "station_reps": [
            (r.code, representative_label(r, directory))
            for r in find_representatives(directory, station=station_id, active=True)
        ],
    }
