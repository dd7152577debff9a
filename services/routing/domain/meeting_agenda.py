"""A deliberation meeting's proposed agenda: a station's open cases clustered into items. Pure.

Residents raise the same matter separately: five complaints about parking at 白云社区 are one
item for the meeting, not five. Cases cluster by category and place: the same liaison point,
or points within `shared.similarity.NEARBY_M` of each other (routing holds the points' places,
never a resident's location), so two neighbouring villages' flooding is one item. Cases with
no point (held by the station's hall) cluster by category alone. Biggest item first: the
matters most residents raised lead the agenda.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.routing.domain.directory import Directory
from shared.similarity import NEARBY_M, distance_m

MAX_ITEMS = 20
"""The most items a proposal lists: a meeting's evening holds no more."""


class OpenCase(BaseModel):
    """What clustering reads of an open case."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    category: str
    liaison_point_id: str | None = None
    submitted_at: datetime


class ProposedItem(BaseModel):
    """One proposed agenda item: the cases of one category at one place."""

    model_config = ConfigDict(frozen=True)

    title: str = Field(description="A suggested title; staff may change it when planning.")
    category: str
    liaison_point_id: str | None = Field(
        description="The point most of its cases came from; None: the station's hall."
    )
    point_ids: list[str] = Field(
        default_factory=list, description="Every point its cases came from, most cases first."
    )
    case_ids: list[str] = Field(description="Oldest first.")
    count: int = Field(ge=1)


def _nearby(directory: Directory, a: str, b: str) -> bool:
    first, second = directory.point(a), directory.point(b)
    if first is None or second is None:
        return False
    if first.lat is None or first.lon is None or second.lat is None or second.lon is None:
        return False
    return distance_m(first.lat, first.lon, second.lat, second.lon) <= NEARBY_M


def _places(directory: Directory, points: Sequence[str]) -> list[list[str]]:
    """The points grouped by distance: single linkage, so a chain of neighbours is one place."""
    groups: list[list[str]] = []
    for point in points:
        joined = [g for g in groups if any(_nearby(directory, point, p) for p in g)]
        merged = [point, *(p for g in joined for p in g)]
        groups = [g for g in groups if g not in joined]
        groups.append(merged)
    return groups


def _title(directory: Directory, *, category: str, point: str | None, count: int) -> str:
    found = next((c for c in directory.categories if c.code == category), None)
    what = found.name if found else category
    place = directory.point(point) if point else None
    where = place.name if place else "联络站"
    return f"{where}：{what}（{count}件）"


def propose_agenda(
    cases: Iterable[OpenCase],
    *,
    directory: Directory,
    liaison_point_id: str | None = None,
    limit: int = MAX_ITEMS,
) -> list[ProposedItem]:
    """The proposed items, biggest first (then the one waiting longest, then by title).

    With `liaison_point_id`, only the items that take up a case of that point (a meeting held
    at the point deliberates its own residents' matters, and its neighbours' same matters)."""
    by_category: dict[str, list[OpenCase]] = {}
    for case in cases:
        by_category.setdefault(case.category, []).append(case)
    items: list[ProposedItem] = []
    for category, found in by_category.items():
        points = sorted({c.liaison_point_id for c in found if c.liaison_point_id})
        clusters = [
            [c for c in found if c.liaison_point_id in place]
            for place in _places(directory, points)
        ]
        clusters.append([c for c in found if not c.liaison_point_id])
        for cluster in clusters:
            if cluster:
                items.append(_item(directory, category=category, cases=cluster))
    if liaison_point_id is not None:
        items = [i for i in items if liaison_point_id in i.point_ids]
    items.sort(key=lambda i: (-i.count, _oldest(i, cases_by=by_category), i.title))
    return items[:limit]


def _oldest(item: ProposedItem, *, cases_by: dict[str, list[OpenCase]]) -> datetime:
    first = item.case_ids[0]
    return next(c.submitted_at for c in cases_by[item.category] if c.case_id == first)


def _item(directory: Directory, *, category: str, cases: list[OpenCase]) -> ProposedItem:
    ordered = sorted(cases, key=lambda c: (c.submitted_at, c.case_id))
    counts = Counter(c.liaison_point_id for c in ordered if c.liaison_point_id)
    points = [p for p, _ in sorted(counts.items(), key=lambda pc: (-pc[1], pc[0]))]
    lead = points[0] if points else None
    return ProposedItem(
        title=_title(directory, category=category, point=lead, count=len(ordered)),
        category=category,
        liaison_point_id=lead,
        point_ids=points,
        case_ids=[c.case_id for c in ordered],
        count=len(ordered),
    )
