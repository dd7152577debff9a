"""A representative's duty record (履职档案) for a period, and the part of it the public sees. Pure.

Built from the representative's daily buckets (`contributions`, dimension `representative`),
so it counts exactly what the representative figures count:

- received: cases assigned to them — first assignments (`received`) and cases re-routed to them
  after another's decline or a reassignment (`reassigned`);
- accepted, declined: their own acceptances and declines (a decline counts for the one who
  declined, not the next holder);
- answered: responses to cases they held (`case.responded`);
- time to respond: the wait each of those responses answered (from the submission, or from a
  reopening or a return for redo), median and p90 by nearest rank, in seconds — the durations
  `figures.time_to_respond` is built from;
- satisfaction: (satisfied + basically satisfied) ÷ residents' ratings, with its 95% Wilson
  interval and n (`kpis.satisfaction`); follow-up calls recorded by staff apart, never blended;
- formal suggestions (代表建议): suggestions they lead (`suggestions`) and co-sign
  (`cosigned_suggestions`), each once by its id, on the day it was submitted
  (`case.suggestion_linked`, published once per linked case: `suggestion_contributions`);
- meetings and activities attended: the deliberation meetings and themed activities whose
  `meeting.recorded` names them among its representatives, each once by its meeting id, on the
  day it was held (`activities.meeting_contributions`, counters `ATTENDANCE_COUNTS`). A meeting
  whose record names no representatives counts for none (0, not "unknown").

What the public sees follows the public figures' rules (`transparency`): counts and rates only,
no case text, no residents, no times; the representative is named because their QR code and
card are public office. A satisfaction rate resting on fewer than `PUBLIC_MIN_RATED` ratings is
withheld, since with one or two ratings the rate would tell the representative how a resident
they know rated them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, tzinfo
from typing import Any

from pydantic import BaseModel

from services.reporting.domain.activities import COUNTER
from services.reporting.domain.contributions import Contribution
from services.reporting.domain.durations import Durations
from services.reporting.domain.exports import Row, figure_rows
from services.reporting.domain.figures import RATINGS, Totals
from services.reporting.domain.kpis import RateEstimate, satisfaction
from shared.events.case_events import CaseSuggestionLinked
from shared.zones import city_day

ATTENDANCE_COUNTS = {
    "meetings": COUNTER["deliberation_meeting"],
    "activities": COUNTER["themed_activity"],
}
"""Where a representative's buckets count the meetings and activities they attended: the
counters `meeting_contributions` adds to, so the two cannot drift apart."""
SUGGESTIONS_COUNT = "suggestions"
COSIGNED_COUNT = "cosigned_suggestions"
PUBLIC_MIN_RATED = 5
"""Fewer residents' ratings than this: the public record withholds the satisfaction rate."""


def suggestion_contributions(linked: CaseSuggestionLinked, *, zone: tzinfo) -> list[Contribution]:
    """What a suggestion adds to its lead's and co-signers' buckets, on its day in the city
    (`zone`). The caller counts it once per suggestion id (the same suggestion arrives once per
    case it links)."""
    made = [
        Contribution(
            dimension="representative",
            station_id=linked.station_id,
            key=linked.lead_representative,
            day=city_day(linked.at, zone),
            counts={SUGGESTIONS_COUNT: 1},
        )
    ]
    for code in sorted(set(linked.cosigners) - {linked.lead_representative}):
        made.append(made[0].model_copy(update={"key": code, "counts": {COSIGNED_COUNT: 1}}))
    return made


class ResponseTimes(BaseModel):
    """Median and 90th percentile (nearest rank) of the waits answered, in seconds."""

    count: int
    median_seconds: float | None
    p90_seconds: float | None


def nearest_rank(n: int, percent: int) -> int:
    """The 1-based nearest rank of a percentile: ⌈percent·n/100⌉, in integers."""
    return max(1, (percent * n + 99) // 100)


def response_times(durations_ms: Durations | Iterable[int]) -> ResponseTimes:
    found = Durations.of(durations_ms)
    if not found.count:
        return ResponseTimes(count=0, median_seconds=None, p90_seconds=None)
    return ResponseTimes(
        count=found.count,
        median_seconds=found.at_rank(nearest_rank(found.count, 50)) / 1000,
        p90_seconds=found.at_rank(nearest_rank(found.count, 90)) / 1000,
    )


class DutyRecord(BaseModel):
    representative_code: str
    representative_name: str
    station_id: str | None
    since: date
    until: date
    received: int
    accepted: int
    declined: int
    answered: int
    time_to_respond: ResponseTimes
    rated: int
    ratings: dict[str, int]
    satisfaction_rate: RateEstimate
    followed_up: int
    follow_up_ratings: dict[str, int]
    follow_up_satisfaction_rate: RateEstimate
    meetings_attended: int
    activities_attended: int
    suggestions: int
    cosigned_suggestions: int


class PublicDutyRecord(BaseModel):
    """The record as anyone may read it: counts and the satisfaction rate (withheld below
    `min_rated` ratings), no times, no follow-up calls, no case text, no residents."""

    representative_code: str
    representative_name: str
    station_id: str | None
    since: date
    until: date
    received: int
    accepted: int
    answered: int
    rated: int
    satisfaction_rate: RateEstimate | None
    satisfaction_withheld: bool
    min_rated: int
    meetings_attended: int
    activities_attended: int
    suggestions: int
    cosigned_suggestions: int


def duty_record(
    buckets: Iterable[Mapping[str, Any]],
    *,
    code: str,
    name: str,
    station_id: str | None,
    since: date,
    until: date,
) -> DutyRecord:
    """The record from the representative's buckets of the period (daily or monthly roll-ups)."""
    totals = Totals()
    for bucket in buckets:
        totals.add(bucket)
    counts = totals.counts
    ratings = totals.map("ratings")
    follow_ups = totals.map("follow_up_ratings")
    return DutyRecord(
        representative_code=code,
        representative_name=name,
        station_id=station_id,
        since=since,
        until=until,
        received=counts["received"] + counts["reassigned"],
        accepted=counts["accepted"],
        declined=counts["declined"],
        answered=counts["responded"],
        time_to_respond=response_times(totals.durations.get("respond", Durations())),
        rated=counts["rated"],
        ratings={r: int(ratings.get(r, 0)) for r in RATINGS},
        satisfaction_rate=satisfaction(
            satisfied=int(ratings.get("satisfied", 0)),
            basically_satisfied=int(ratings.get("basically_satisfied", 0)),
            rated=counts["rated"],
        ),
        followed_up=counts["followed_up"],
        follow_up_ratings={r: int(follow_ups.get(r, 0)) for r in RATINGS},
        follow_up_satisfaction_rate=satisfaction(
            satisfied=int(follow_ups.get("satisfied", 0)),
            basically_satisfied=int(follow_ups.get("basically_satisfied", 0)),
            rated=counts["followed_up"],
        ),
        meetings_attended=counts[ATTENDANCE_COUNTS["meetings"]],
        activities_attended=counts[ATTENDANCE_COUNTS["activities"]],
        suggestions=counts[SUGGESTIONS_COUNT],
        cosigned_suggestions=counts[COSIGNED_COUNT],
    )


def public_record(record: DutyRecord, *, min_rated: int = PUBLIC_MIN_RATED) -> PublicDutyRecord:
    withheld = record.rated < min_rated
    return PublicDutyRecord(
        representative_code=record.representative_code,
        representative_name=record.representative_name,
        station_id=record.station_id,
        since=record.since,
        until=record.until,
        received=record.received,
        accepted=record.accepted,
        answered=record.answered,
        rated=record.rated,
        satisfaction_rate=None if withheld else record.satisfaction_rate,
        satisfaction_withheld=withheld,
        min_rated=min_rated,
        meetings_attended=record.meetings_attended,
        activities_attended=record.activities_attended,
        suggestions=record.suggestions,
        cosigned_suggestions=record.cosigned_suggestions,
    )


# (zh, en, value) per column of the record's file for the annual report (述职).
RECORD_COLUMNS: tuple[tuple[str, str, Callable[[DutyRecord], Any]], ...] = (
    ("代表编号", "representative code", lambda r: r.representative_code),
    ("代表姓名", "representative name", lambda r: r.representative_name),
    ("所属站点", "station id", lambda r: r.station_id),
    ("收到", "received", lambda r: r.received),
    ("受理", "accepted", lambda r: r.accepted),
    ("不予受理", "declined", lambda r: r.declined),
    ("答复", "answered", lambda r: r.answered),
    ("答复用时样本", "time to respond count", lambda r: r.time_to_respond.count),
    (
        "答复用时中位数(秒)",
        "time to respond median (s)",
        lambda r: r.time_to_respond.median_seconds,
    ),
    ("答复用时P90(秒)", "time to respond p90 (s)", lambda r: r.time_to_respond.p90_seconds),
    ("评价", "rated", lambda r: r.rated),
    ("满意", "satisfied", lambda r: r.ratings["satisfied"]),
    ("基本满意", "basically satisfied", lambda r: r.ratings["basically_satisfied"]),
    ("不满意", "dissatisfied", lambda r: r.ratings["dissatisfied"]),
    ("满意度", "satisfaction rate", lambda r: r.satisfaction_rate.rate),
    ("满意度下限", "satisfaction low (95% Wilson)", lambda r: r.satisfaction_rate.low),
    ("满意度上限", "satisfaction high (95% Wilson)", lambda r: r.satisfaction_rate.high),
    ("满意度样本", "satisfaction sample", lambda r: r.satisfaction_rate.sample),
    ("回访", "follow-up calls", lambda r: r.followed_up),
    ("回访满意度", "follow-up satisfaction rate", lambda r: r.follow_up_satisfaction_rate.rate),
    ("参加议事会", "meetings attended", lambda r: r.meetings_attended),
    ("参加主题活动", "activities attended", lambda r: r.activities_attended),
    ("领衔代表建议", "formal suggestions led", lambda r: r.suggestions),
    ("附议代表建议", "formal suggestions co-signed", lambda r: r.cosigned_suggestions),
)


def record_rows(record: DutyRecord) -> list[Row]:
    """The header and the record's one row, the numbers of its JSON (`None`: an empty cell)."""
    return figure_rows([record], columns=RECORD_COLUMNS, since=record.since, until=record.until)
