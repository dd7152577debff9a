"""Reporting of duplicates: a merged case counts once for completion, every resident's rating
counts, and "me too" supporters are counted by station (services/reporting/domain)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.reporting.domain.case_state import CaseState, apply_event
from services.reporting.domain.contributions import Contribution
from services.reporting.domain.figures import Figures, Totals
from shared.events.case_events import (
    CaseAccepted,
    CaseAssigned,
    CaseClosed,
    CaseMerged,
    CaseRated,
    CaseResponded,
    CaseSupported,
)
from shared.events.envelope import EventData

CITY = ZoneInfo("Asia/Shanghai")

AT = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def fold(case_id: str, events: list[EventData]) -> tuple[CaseState, list[Contribution]]:
    state, made = CaseState(case_id=case_id), []
    for event in events:
        state, contributions = apply_event(state, event, zone=CITY)
        made.extend(contributions)
    return state, made


def routed(case_id: str) -> list[EventData]:
    who = {"case_id": case_id, "station_id": "xijie"}
    return [
        CaseAssigned(
            case_id=case_id,
            category="parking",
            station_id="xijie",
            station_name="西街联络站",
            liaison_point_id="baiyun",
            representative_code="0412",
            reason="qr",
            assigned_at=AT,
        ),
        CaseAccepted(**who, actor_role="representative", representative_code="0412", at=AT),
    ]


def station_figures(contributions: list[Contribution]) -> Figures:
    """The station's figures as the store's dotted `$inc`s would leave its buckets."""
    totals = Totals()
    for c in contributions:
        if c.dimension == "station":
            counts: dict[str, Any] = {}
            for name, n in c.counts.items():
                outer, _, inner = name.partition(".")
                if inner:
                    counts.setdefault(outer, {})[inner] = n
                else:
                    counts[name] = n
            totals.add({"counts": counts})
    return Figures(**totals.figures())


def test_a_merged_duplicate_counts_once_for_completion_and_both_ratings_count() -> None:
    later = AT + timedelta(days=1)
    a = {"case_id": "a", "station_id": "xijie", "at": later}
    _, survivor = fold(
        "a",
        [
            *routed("a"),
            CaseSupported(case_id="a", supporter_id="s1", supporters=1, supported_at=AT),
            CaseResponded(**a, actor_role="staff", response="已增设车位"),
            CaseClosed(**a, actor_role="staff"),
            CaseRated(**a, actor_role="resident", rating="satisfied"),
        ],
    )
    b = {"case_id": "b", "station_id": "xijie", "at": later}
    state, duplicate = fold(
        "b",
        [
            *routed("b"),
            CaseMerged(**b, actor_role="staff", actor_id="li", into_case_id="a"),
            CaseRated(**b, actor_role="resident", rating="basically_satisfied", answer_of="a"),
        ],
    )
    assert state.status == "merged" and not state.open
    figures = station_figures(survivor + duplicate)
    assert (figures.accepted, figures.merged_accepted, figures.closed) == (2, 1, 1)
    assert figures.completion_rate.rate == 1.0
    assert figures.rated == 2
    assert figures.ratings["satisfied"] == 1 and figures.ratings["basically_satisfied"] == 1
    assert figures.supporters == 1


def test_a_case_merged_before_it_was_accepted_takes_nothing_out_of_completion() -> None:
    assigned = routed("c")[0]
    merged = CaseMerged(
        case_id="c", station_id="xijie", at=AT, actor_role="staff", into_case_id="a"
    )
    _, made = fold("c", [assigned, merged])
    assert station_figures(made).merged_accepted == 0


def test_a_supporter_before_routing_is_counted_for_the_city_only() -> None:
    _, made = fold(
        "d", [CaseSupported(case_id="d", supporter_id="s1", supporters=1, supported_at=AT)]
    )
    assert [(c.dimension, c.counts) for c in made] == [("city", {"supporters": 1})]
