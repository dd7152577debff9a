"""1,200 generated cases: every figure reporting gives equals one computed here from the
generated data, before and after a rebuild by replay.

How the cases travel. The generator writes well-formed events (the shared event models, in the
CloudEvents envelope) and publishes them with the platform's own producer to the namespace's
real `case-events`, `directory` and `station-activities` topics; the real reporting service runs
as a process and consumes them; the rebuild is the real CLI. Intake and routing are not in the
loop, on purpose:
- figures over days, weeks and months, times to accept and respond of hours and days, and SLA
  escalations need events spread over ten weeks; intake and routing stamp every event with the
  current time, and escalations would need working days to pass;
- about 1,200 cases × 8 handling steps through their HTTP APIs would take several minutes on the
  local store (≈100 submissions/s), over the budget of the whole suite.
What intake and routing publish for the same paths is checked by `test_closed_loop.py` and
`test_reporting_rebuild.py` (real cases through all four services, then a rebuild).

The expected figures are NOT computed by folding the events: the generator records, as it makes
each step, the ground truth it knows (who holds the case, when it was assigned, when the wait
started, what is overdue), and the expectations are sums over those records.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import random
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook

from shared.events.activity_events import MeetingRecorded
from shared.events.case_events import (
    CaseAccepted,
    CaseAssigned,
    CaseClosed,
    CaseDeclined,
    CaseEscalated,
    CaseMerged,
    CaseProgressed,
    CaseRated,
    CaseReassigned,
    CaseRejected,
    CaseReopened,
    CaseResponded,
    CaseReviewed,
    CaseStageChanged,
    CaseSubmitted,
    CaseTransferred,
    Channel,
    Rating,
)
from shared.events.directory_events import DirectoryEntryChanged, DirectoryKind
from shared.events.envelope import Envelope, EventData
from shared.events.house_events import HouseCaseLinked, HouseRegistered
from shared.metrics import Metrics
from shared.producer import EventPublisher
from tests.conftest import PlumbingSettings
from tests.e2e.platform import ADMIN, Platform
from tests.infra import ROOT, Infra

# Every path is there many times over at this size (the test checks it); the suite's time grows
# with it (about 9,600 events folded, then replayed).
CASES = 1200
START = datetime(2025, 9, 1, 0, 0, tzinfo=UTC)  # a Monday
# Reporting counts each event on its day in the city (MINYI_TIMEZONE's default).
SHANGHAI = ZoneInfo("Asia/Shanghai")
SPAN_DAYS = 70
PERIOD = {"since": "2025-09-01", "until": "2025-12-31"}
WINDOW = {"since": "2025-10-01", "until": "2025-10-31"}

STATIONS: dict[str, dict[str, Any]] = {
    "xijie": {"name": "西街街道人大代表联络站", "points": ["baiyun", "hexing", "xixin"]},
    "jianchi": {"name": "剑池街道人大代表联络站", "points": ["jianchi_centre"]},
    "longyuan": {"name": "龙渊街道人大代表联络站", "points": ["longyuan_centre", "yuanbei"]},
    "lanju": {"name": "兰巨乡人大代表联络站", "points": []},
}
REPRESENTATIVES: dict[str, tuple[str, str]] = {
    "0412": ("张献平", "xijie"),
    "0413": ("林莹", "xijie"),
    "0414": ("刘志明", "xijie"),
    "0415": ("周建国", "xijie"),
    "0501": ("陈卫东", "jianchi"),
    "0502": ("李春梅", "jianchi"),
    "0601": ("叶志强", "longyuan"),
    "0602": ("何晓东", "longyuan"),
    "0603": ("吴丽华", "longyuan"),
    "0701": ("王海燕", "lanju"),
}
CATEGORIES = {
    "parking": "停车位",
    "ev_charging": "电瓶车充电",
    "drainage": "排水防涝",
    "house_repair": "危旧房治理",
    "neighbour_dispute": "邻里纠纷",
}
POINT_NAMES = {
    "baiyun": "白云社区人大联络点",
    "hexing": "河星村人大联络点",
    "xixin": "西新社区人大联络点",
    "jianchi_centre": "剑池社区人大联络点",
    "longyuan_centre": "龙渊社区人大联络点",
    "yuanbei": "渊北村人大联络点",
}
CHANNELS: list[Channel] = ["qr", "web", "in_person", "meeting", "open311", "api"]
RATINGS: list[Rating] = ["satisfied", "basically_satisfied", "dissatisfied"]
STAGES = ["under_governance", "design", "repairing", "repaired", "acceptance_passed"]
STAGE_ORDER = [*STAGES, "expropriated"]
CLOSED = {"closed", "rejected", "merged"}
RESPONSE_PENDING = {"assigned", "accepted", "in_review", "handling", "transferred", "reopened"}
STAGED = {"handling", "transferred", "reopened", "responded", "closed"}
COUNTS = (
    "received",
    "reassigned",
    "accepted",
    "declined",
    "rejected",
    "merged",
    "responded",
    "closed",
    "reopened",
    "escalated",
    "rated",
)


# --- the ground truth the generator records --------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One counted thing, with everyone it counts for."""

    name: str
    day: date
    station: str
    representative: str | None
    category: str
    point: str | None
    duration_ms: int | None = None  # time to accept (accepted) or to respond (responded)


@dataclass
class Case:
    case_id: str
    station: str
    category: str
    point: str | None
    channel: Channel
    submitted_at: datetime
    holder: str | None = None
    status: str = "submitted"
    assigned_at: datetime | None = None
    waiting_since: datetime | None = None
    accept_escalated: bool = False
    respond_escalated: bool = False
    stage: str | None = None
    round: int = 0
    envelopes: list[Envelope] = field(default_factory=list)


@dataclass
class Generated:
    facts: list[Fact] = field(default_factory=list)
    city_received: list[tuple[date, Channel]] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    meetings: list[MeetingRecorded] = field(default_factory=list)
    case_events: list[Envelope] = field(default_factory=list)
    activity_events: list[Envelope] = field(default_factory=list)
    directory_events: list[Envelope] = field(default_factory=list)
    house_events: list[Envelope] = field(default_factory=list)


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.out = Generated()

    # - one step of a case: the event, and what it counts for -

    def emit(self, case: Case, data: EventData) -> None:
        case.envelopes.append(
            Envelope.wrap(
                data, source="minyi/test", subject=case.case_id, correlation_id=uuid.uuid4().hex
            )
        )

    def fact(
        self,
        case: Case,
        name: str,
        at: datetime,
        *,
        representative: str | None = None,
        duration_ms: int | None = None,
    ) -> None:
        self.out.facts.append(
            Fact(
                name=name,
                day=at.astimezone(SHANGHAI).date(),
                station=case.station,
                representative=representative or case.holder,
                category=case.category,
                point=case.point,
                duration_ms=duration_ms,
            )
        )

    def later(self, at: datetime, *, low_s: int, high_s: int) -> datetime:
        return at + timedelta(seconds=self.rng.randint(low_s, high_s))

    def action(self, case: Case, model: type[EventData], at: datetime, **fields: Any) -> None:
        self.emit(
            case,
            model(
                case_id=case.case_id,
                station_id=case.station,
                actor_role=fields.pop("actor_role", "staff"),
                actor_id=fields.pop("actor_id", f"{case.station}-staff"),
                at=at,
                **fields,
            ),
        )

    def assign(self, case: Case, representative: str | None, at: datetime) -> None:
        case.round += 1
        case.holder = representative
        case.status = "assigned"
        case.assigned_at = at
        self.emit(
            case,
            CaseAssigned(
                case_id=case.case_id,
                category=case.category,
                station_id=case.station,
                station_name=STATIONS[case.station]["name"],
                liaison_point_id=case.point,
                representative_code=representative,
                representative_name=REPRESENTATIVES[representative][0] if representative else None,
                reason="generated",
                round=case.round,
                assigned_at=at,
            ),
        )
        if case.round == 1:
            self.fact(case, "received", at)
            self.fact(case, "to_representative" if representative else "to_station_queue", at)
            self.fact(case, f"by_category.{case.category}", at)
            self.fact(case, "city_assigned", at)
        else:
            self.fact(case, "reassigned", at)

    def escalate(self, case: Case, deadline: str, at: datetime) -> None:
        self.action(
            case,
            CaseEscalated,
            at,
            actor_role="system",
            actor_id="routing.sla",
            deadline=deadline,
            due_at=at - timedelta(minutes=5),
        )
        self.fact(case, "escalated", at)
        if deadline == "accept":
            case.accept_escalated = True
        else:
            case.respond_escalated = True

    def accept(self, case: Case, at: datetime) -> None:
        assert case.holder and case.assigned_at
        took = (at - case.assigned_at) // timedelta(milliseconds=1)
        self.action(
            case,
            CaseAccepted,
            at,
            actor_role="representative",
            actor_id=f"rep-{case.holder}",
            representative_code=case.holder,
        )
        self.fact(case, "accepted", at, duration_ms=took)
        case.status = "accepted"

    def respond(self, case: Case, at: datetime) -> None:
        assert case.waiting_since
        took = (at - case.waiting_since) // timedelta(milliseconds=1)
        self.action(case, CaseResponded, at, response="已处理")
        self.fact(case, "responded", at, duration_ms=took)
        case.status = "responded"

    def rate(self, case: Case, rating: Rating, at: datetime) -> None:
        self.action(case, CaseRated, at, actor_role="resident", actor_id=None, rating=rating)
        self.fact(case, "rated", at)
        self.fact(case, f"ratings.{rating}", at)

    def move_stages(self, case: Case, at: datetime) -> datetime:
        if case.category != "house_repair":
            return at
        current = case.stage or "under_governance"
        for _ in range(self.rng.randint(0, 4)):
            if current in ("acceptance_passed", "expropriated"):
                break
            if current != "repaired" and self.rng.random() < 0.1:
                target = "expropriated"
            else:
                target = STAGES[STAGES.index(current) + 1]
            at = self.later(at, low_s=3600, high_s=5 * 86400)
            self.action(case, CaseStageChanged, at, from_stage=current, to_stage=target)
            current = case.stage = target
        return at

    # - one whole case -

    def case(self) -> Case:
        rng = self.rng
        station = rng.choice(list(STATIONS))
        points = STATIONS[station]["points"]
        case = Case(
            case_id=str(uuid.uuid4()),
            station=station,
            category=rng.choice(list(CATEGORIES)),
            point=rng.choice(points) if points and rng.random() < 0.8 else None,
            channel=rng.choice(CHANNELS),
            submitted_at=START + timedelta(seconds=rng.randint(0, SPAN_DAYS * 86400)),
        )
        case.waiting_since = case.submitted_at
        self.emit(
            case,
            CaseSubmitted(
                case_id=case.case_id,
                category=case.category,
                text="小区里要增加一些停车位，联系电话13800000000",
                channel=case.channel,
                liaison_point_id=case.point,
                has_contact=True,
                submitted_at=case.submitted_at,
            ),
        )
        self.out.city_received.append((case.submitted_at.astimezone(SHANGHAI).date(), case.channel))
        reps = [code for code, (_, s) in REPRESENTATIVES.items() if s == station]
        at = self.later(case.submitted_at, low_s=5, high_s=600)
        self.assign(case, rng.choice(reps) if rng.random() < 0.85 else None, at)
        self.handle(case, reps, at)
        return case

    def waits(self, case: Case, at: datetime) -> bool:
        """Some cases stop here for now, a few of them past their respond deadline."""
        if self.rng.random() >= 0.03:
            return False
        if self.rng.random() < 0.5:
            self.escalate(case, "respond", self.later(at, low_s=86400, high_s=3 * 86400))
        return True

    def handle(self, case: Case, reps: list[str], at: datetime) -> None:
        rng = self.rng
        if case.holder is None:
            # The station's queue: staff pass it to a representative, or it waits.
            if rng.random() < 0.3:
                at = self.later(at, low_s=3 * 86400, high_s=4 * 86400)
                self.escalate(case, "accept", at)
            if rng.random() < 0.5:
                return
            at = self.later(at, low_s=600, high_s=86400)
            self.action(
                case,
                CaseReassigned,
                at,
                from_representative=None,
                to_representative=reps[0],
                reason="指派",
            )
            self.assign(case, reps[0], at + timedelta(seconds=1))
            at += timedelta(seconds=1)
        while case.holder and rng.random() < 0.12:
            others = [r for r in reps if r != case.holder]
            if not others:
                break
            at = self.later(at, low_s=600, high_s=2 * 86400)
            self.action(
                case,
                CaseDeclined,
                at,
                actor_role="representative",
                actor_id=f"rep-{case.holder}",
                representative_code=case.holder,
                reason="不在职责范围",
            )
            self.fact(case, "declined", at, representative=case.holder)
            self.assign(case, rng.choice(others), at + timedelta(seconds=2))
            at += timedelta(seconds=2)
        roll = rng.random()
        if roll < 0.08:
            # Never accepted: waits, half of them past their accept deadline.
            if rng.random() < 0.5:
                self.escalate(case, "accept", self.later(at, low_s=3 * 86400, high_s=4 * 86400))
            return
        if roll < 0.12:
            at = self.later(at, low_s=3 * 86400, high_s=4 * 86400)
            self.escalate(case, "accept", at)
        if rng.random() < 0.04 and len(reps) > 1:
            # Staff reassign before acceptance.
            target = next(r for r in reps if r != case.holder)
            at = self.later(at, low_s=600, high_s=86400)
            self.action(
                case,
                CaseReassigned,
                at,
                from_representative=case.holder,
                to_representative=target,
                reason="分担工作",
            )
            self.assign(case, target, at + timedelta(seconds=1))
            at += timedelta(seconds=1)
        at = self.later(at, low_s=60, high_s=3 * 86400)
        self.accept(case, at)
        if self.waits(case, at):
            return
        at = self.later(at, low_s=60, high_s=86400)
        self.action(case, CaseReviewed, at, outcome="started")
        case.status = "in_review"
        if self.waits(case, at):
            return
        roll = rng.random()
        if roll < 0.08:
            at = self.later(at, low_s=60, high_s=86400)
            self.action(case, CaseRejected, at, reason="不属于受理范围")
            self.fact(case, "rejected", at)
            case.status = "rejected"
            return
        if roll < 0.13:
            at = self.later(at, low_s=60, high_s=86400)
            self.action(case, CaseMerged, at, into_case_id=str(uuid.uuid4()))
            self.fact(case, "merged", at)
            # Accepted before: out of completion, which the surviving case completes.
            self.fact(case, "merged_accepted", at)
            case.status = "merged"
            return
        at = self.later(at, low_s=60, high_s=86400)
        self.action(case, CaseReviewed, at, outcome="approved")
        case.status = "handling"
        if rng.random() < 0.3:
            at = self.later(at, low_s=60, high_s=86400)
            self.action(
                case, CaseTransferred, at, department_id="housing", department_name="住建局"
            )
            case.status = "transferred"
            self.action(case, CaseProgressed, self.later(at, low_s=60, high_s=600), note="在办")
        at = self.move_stages(case, at)
        roll = rng.random()
        if roll < 0.07:
            # Still being handled, some of them past their respond deadline.
            if rng.random() < 0.6:
                self.escalate(case, "respond", self.later(at, low_s=86400, high_s=3 * 86400))
            return
        if roll < 0.15:
            at = self.later(at, low_s=86400, high_s=3 * 86400)
            self.escalate(case, "respond", at)
        at = self.later(at, low_s=3600, high_s=10 * 86400)
        self.respond(case, at)
        if rng.random() < 0.15:
            return  # answered, never rated nor closed
        if rng.random() < 0.8:
            rating = rng.choice(RATINGS)
            at = self.later(at, low_s=60, high_s=3 * 86400)
            self.rate(case, rating, at)
            if rating == "dissatisfied" and rng.random() < 0.6:
                at = self.later(at, low_s=60, high_s=86400)
                self.action(
                    case,
                    CaseReopened,
                    at,
                    actor_role="resident",
                    actor_id=None,
                    reason="问题没有解决",
                )
                self.fact(case, "reopened", at)
                case.status = "reopened"
                case.waiting_since = at
                case.respond_escalated = False
                roll = rng.random()
                if roll < 0.3:
                    # Reopened and late again.
                    self.escalate(case, "respond", self.later(at, low_s=86400, high_s=86400 * 3))
                    return
                if roll < 0.4:
                    return  # reopened, being handled
                at = self.later(at, low_s=3600, high_s=5 * 86400)
                self.respond(case, at)
                if rng.random() < 0.5:
                    at = self.later(at, low_s=60, high_s=86400)
                    self.rate(case, rng.choice(RATINGS), at)
        if rng.random() < 0.9:
            at = self.later(at, low_s=60, high_s=2 * 86400)
            self.action(case, CaseClosed, at)
            self.fact(case, "closed", at)
            case.status = "closed"

    def meetings(self, count: int) -> None:
        for i in range(count):
            station = self.rng.choice(list(STATIONS))
            points = STATIONS[station]["points"]
            meeting = MeetingRecorded(
                meeting_id=str(uuid.uuid4()),
                kind=self.rng.choice(["deliberation_meeting", "themed_activity"]),
                station_id=station,
                liaison_point_id=self.rng.choice(points) if points and i % 3 else None,
                held_on=(START + timedelta(days=self.rng.randint(0, SPAN_DAYS))).date(),
                topic="议事",
                attendance=self.rng.randint(5, 80),
                case_ids=[c.case_id for c in self.rng.sample(self.out.cases, 3)],
                outcome="形成意见",
                recorded_by=f"{station}-staff",
                recorded_at=START + timedelta(days=SPAN_DAYS + 1),
            )
            self.out.meetings.append(meeting)
            envelope = Envelope.wrap(
                meeting, source="minyi/test", subject=meeting.meeting_id, correlation_id="m"
            )
            self.out.activity_events.append(envelope)
            if i % 10 == 0:
                # Recorded twice (a new event for the same meeting): counted once.
                self.out.activity_events.append(
                    Envelope.wrap(
                        meeting, source="minyi/test", subject=meeting.meeting_id, correlation_id="m"
                    )
                )

    def directory(self) -> None:
        entries: list[tuple[DirectoryKind, str, dict[str, Any]]] = [
            *(("station", s, {"id": s, "name": v["name"]}) for s, v in STATIONS.items()),
            *(
                ("representative", c, {"code": c, "name": n, "station": s, "phone": "13912345678"})
                for c, (n, s) in REPRESENTATIVES.items()
            ),
            *(("category", c, {"code": c, "name": n}) for c, n in CATEGORIES.items()),
            *(
                ("liaison_point", p, {"id": p, "name": n, "station": s})
                for s, v in STATIONS.items()
                for p in v["points"]
                for n in [POINT_NAMES[p]]
            ),
        ]
        for kind, key, entry in entries:
            self.out.directory_events.append(
                Envelope.wrap(
                    DirectoryEntryChanged(kind=kind, key=key, entry=entry),
                    source="minyi/routing",
                    subject=f"{kind}:{key}",
                    correlation_id="d",
                )
            )

    def run(self) -> Generated:
        for _ in range(CASES):
            case = self.case()
            self.out.cases.append(case)
            self.out.case_events.extend(case.envelopes)
            if self.rng.random() < 0.01:
                # Published twice (an outbox relay that crashed before removing it): counted once.
                self.out.case_events.append(self.rng.choice(case.envelopes))
        self.meetings(160)
        self.directory()
        return self.out


# --- the expected figures --------------------------------------------------------------------


def wilson(k: int, n: int) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    z = 1.96
    p = min(k, n) / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - margin), min(1.0, centre + margin)


def rate_figures(k: int, n: int) -> dict[str, Any]:
    low, high = wilson(k, n)
    return {
        "rate": None if n == 0 else min(1.0, k / n),
        "low": low,
        "high": high,
        "successes": k,
        "sample": n,
    }


def duration_figures(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "mean_seconds": None, "p90_seconds": None}
    ordered = sorted(values)
    rank = math.ceil(len(ordered) * 9 / 10)
    return {
        "count": len(ordered),
        "mean_seconds": sum(ordered) / len(ordered) / 1000,
        "p90_seconds": ordered[rank - 1] / 1000,
    }


def figures(facts: list[Fact], open_now: int, overdue_now: int) -> dict[str, Any]:
    counts = Counter(f.name for f in facts)
    ratings = {r: counts[f"ratings.{r}"] for r in RATINGS}
    return {
        **{name: counts[name] for name in COUNTS},
        "ratings": ratings,
        "completion_rate": rate_figures(
            counts["closed"], counts["accepted"] - counts["merged_accepted"]
        ),
        "satisfaction_rate": rate_figures(
            ratings["satisfied"] + ratings["basically_satisfied"], counts["rated"]
        ),
        "time_to_accept": duration_figures(
            [f.duration_ms for f in facts if f.name == "accepted" and f.duration_ms is not None]
        ),
        "time_to_respond": duration_figures(
            [f.duration_ms for f in facts if f.name == "responded" and f.duration_ms is not None]
        ),
        "open_now": open_now,
        "overdue_now": overdue_now,
    }


def is_open(case: Case) -> bool:
    return case.status not in CLOSED


def is_overdue(case: Case) -> bool:
    return (case.accept_escalated and case.status == "assigned") or (
        case.respond_escalated and case.status in RESPONSE_PENDING
    )


def in_period(day: date, period: dict[str, str]) -> bool:
    return date.fromisoformat(period["since"]) <= day <= date.fromisoformat(period["until"])


def directory_entry(attribute: str, key: str) -> tuple[str, str | None]:
    """The name and station the generated directory gives a key."""
    if attribute == "representative":
        return REPRESENTATIVES[key]
    if attribute == "category":
        return CATEGORIES[key], None
    return POINT_NAMES[key], next(s for s, v in STATIONS.items() if key in v["points"])


class Expected:
    def __init__(self, out: Generated, period: dict[str, str]) -> None:
        self.out = out
        self.period = period
        self.facts = [f for f in out.facts if in_period(f.day, period)]

    def now(self, attribute: str, key: str | None) -> tuple[int, int]:
        mine = [c for c in self.out.cases if getattr(c, attribute) == key]
        return sum(is_open(c) for c in mine), sum(is_overdue(c) for c in mine)

    def stations(self) -> list[dict[str, Any]]:
        found = []
        for station in sorted(STATIONS):
            facts = [f for f in self.facts if f.station == station]
            counts = Counter(f.name for f in facts)
            found.append(
                {
                    "station_id": station,
                    "station_name": STATIONS[station]["name"],
                    "assigned": counts["received"],
                    "to_representative": counts["to_representative"],
                    "to_station_queue": counts["to_station_queue"],
                    "by_category": {
                        c: counts[f"by_category.{c}"]
                        for c in sorted(CATEGORIES)
                        if counts[f"by_category.{c}"]
                    },
                    **figures(facts, *self.now("station", station)),
                }
            )
        return found

    def city(self) -> dict[str, Any]:
        received = [(d, c) for d, c in self.out.city_received if in_period(d, self.period)]
        counts = Counter(f.name for f in self.facts)
        city = figures(
            self.facts,
            sum(is_open(c) for c in self.out.cases),
            sum(is_overdue(c) for c in self.out.cases),
        )
        return {
            **city,
            "received": len(received),
            "assigned": counts["city_assigned"],
            "by_channel": dict(sorted(Counter(c for _, c in received).items())),
        }

    def keyed(self, kind: str) -> list[dict[str, Any]]:
        attribute = {
            "representatives": "representative",
            "categories": "category",
            "points": "point",
        }[kind]
        case_attribute = {"representative": "holder", "category": "category", "point": "point"}[
            attribute
        ]
        keys = {getattr(f, attribute) for f in self.facts} | {
            getattr(c, case_attribute) for c in self.out.cases if is_open(c)
        }
        found = []
        for key in sorted(k for k in keys if k):
            facts = [f for f in self.facts if getattr(f, attribute) == key]
            name, station = directory_entry(attribute, key)
            # Only what counted in the period, or is open now, is listed.
            found.append(
                {
                    "key": key,
                    "name": name,
                    "station_id": station,
                    **figures(facts, *self.now(case_attribute, key)),
                }
            )
        return found

    def house_repair(self) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for case in self.out.cases:
            if case.category == "house_repair" and case.status in STAGED:
                stages = found.setdefault(case.station, dict.fromkeys(STAGE_ORDER, 0))
                stages[case.stage or "under_governance"] += 1
        return dict(sorted(found.items()))

    def activities(self) -> dict[str, dict[str, int]]:
        found: dict[str, Counter[str]] = defaultdict(Counter)
        for meeting in self.out.meetings:
            if not in_period(meeting.held_on, self.period):
                continue
            found[meeting.station_id][
                "deliberation_meetings"
                if meeting.kind == "deliberation_meeting"
                else "themed_activities"
            ] += 1
            found[meeting.station_id]["attendance"] += meeting.attendance
            found[meeting.station_id]["linked_cases"] += len(set(meeting.case_ids))
        return {
            s: {
                n: c[n]
                for n in (
                    "deliberation_meetings",
                    "themed_activities",
                    "attendance",
                    "linked_cases",
                )
            }
            for s, c in sorted(found.items())
        }


# --- comparing -------------------------------------------------------------------------------


def differences(got: Any, want: Any, path: str = "") -> Iterator[str]:
    """Every place where got ≠ want; Wilson bounds may differ in the last bits only."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            yield f"{path}: {got!r} is not an object"
            return
        for key, value in want.items():
            yield from differences(got.get(key, "<missing>"), value, f"{path}.{key}")
    elif isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            yield f"{path}: {len(got) if isinstance(got, list) else got!r} items, want {len(want)}"
            return
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            yield from differences(g, w, f"{path}[{i}]")
    elif isinstance(want, float) and path.endswith((".low", ".high")):
        if not isinstance(got, float) or got != pytest.approx(want, rel=1e-12):
            yield f"{path}: {got!r} != {want!r}"
    elif got != want or type(got) is not type(want):
        yield f"{path}: {got!r} != {want!r}"


def same(got: Any, want: Any, what: str) -> None:
    found = list(differences(got, want, what))
    assert not found, f"{len(found)} differences, first: " + "; ".join(found[:8])


# --- the test --------------------------------------------------------------------------------


@pytest.fixture
def reporting(infra: Infra, namespace: str, settings: PlumbingSettings) -> Iterator[Platform]:
    running = Platform(infra=infra, namespace=namespace)
    try:
        running.start("reporting")
        yield running
    finally:
        running.stop_all()


async def publish(settings: PlumbingSettings, out: Generated) -> None:
    publisher = EventPublisher(settings=settings, metrics=Metrics("generator"))
    await publisher.start()
    try:
        for topic, envelopes in (
            ("directory", out.directory_events),
            ("station-activities", out.activity_events),
            ("houses", out.house_events),
            ("case-events", out.case_events),
        ):
            for start in range(0, len(envelopes), 2000):
                await publisher.publish_many(
                    [(settings.topic(topic), e) for e in envelopes[start : start + 2000]]
                )
    finally:
        await publisher.stop()


def report(platform: Platform, path: str, **params: Any) -> Any:
    response = httpx.get(platform.url("reporting", path), params=params, headers=ADMIN, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def everything(platform: Platform) -> dict[str, Any]:
    """Every figure the API gives for the generated data."""
    found: dict[str, Any] = {}
    for name, period in (("period", PERIOD), ("window", WINDOW)):
        found[f"stations.{name}"] = report(platform, "/v1/reports/stations", **period)
        found[f"city.{name}"] = report(platform, "/v1/reports/city", **period)
        for kind in ("representatives", "categories", "points"):
            found[f"{kind}.{name}"] = report(platform, f"/v1/reports/{kind}", **period, limit=1000)
    found["series.city.week"] = report(platform, "/v1/reports/series", group_by="week", **PERIOD)
    found["series.xijie.month"] = report(
        platform,
        "/v1/reports/series",
        dimension="station",
        key="xijie",
        group_by="month",
        **PERIOD,
    )
    found["house-repair"] = report(platform, "/v1/reports/house-repair")
    found["activities"] = report(platform, "/v1/reports/activities", **PERIOD)
    found["transparency"] = report(platform, "/v1/public/transparency", **PERIOD)
    found["rankings"] = report(platform, "/v1/reports/rankings", min_sample=50, **PERIOD)
    found["summary"] = report(platform, "/v1/reports/summary", **PERIOD)
    return found


def check(found: dict[str, Any], out: Generated) -> None:
    for name, period in (("period", PERIOD), ("window", WINDOW)):
        expected = Expected(out, period)
        same(found[f"stations.{name}"]["stations"], expected.stations(), f"stations.{name}")
        same(found[f"city.{name}"]["city"], expected.city(), f"city.{name}")
        for kind in ("representatives", "categories", "points"):
            page = found[f"{kind}.{name}"]
            items = expected.keyed(kind)
            assert page["total"] == len(items), kind
            same(page["items"], items, f"{kind}.{name}")
            assert items, kind
    expected = Expected(out, PERIOD)
    # A week's slice has that week's events: the figures of the same days asked directly.
    for point in found["series.city.week"]["points"]:
        week = Expected(out, {"since": point["since"], "until": point["until"]})
        want = {k: v for k, v in week.city().items() if k not in ("open_now", "overdue_now")}
        want.pop("assigned"), want.pop("by_channel")
        same(point, {**want, "open_now": 0, "overdue_now": 0}, f"series.week.{point['since']}")
    months = found["series.xijie.month"]["points"]
    assert [p["since"] for p in months] == ["2025-09-01", "2025-10-01", "2025-11-01", "2025-12-01"]
    for point in months:
        month = Expected(out, {"since": point["since"], "until": point["until"]})
        (xijie,) = [s for s in month.stations() if s["station_id"] == "xijie"]
        want = {k: xijie[k] for k in ("accepted", "closed", "time_to_accept", "time_to_respond")}
        same(point, want, f"series.xijie.{point['since']}")
    house = found["house-repair"]
    same(
        {s["station_id"]: s["stages"] for s in house["stations"]},
        expected.house_repair(),
        "house-repair",
    )
    assert house["total"] == sum(sum(s.values()) for s in expected.house_repair().values())
    activities = found["activities"]
    same(
        {
            s["station_id"]: {
                k: s[k]
                for k in (
                    "deliberation_meetings",
                    "themed_activities",
                    "attendance",
                    "linked_cases",
                )
            }
            for s in activities["stations"]
        },
        expected.activities(),
        "activities",
    )
    city_activities = Counter[str]()
    for counts in expected.activities().values():
        city_activities.update(counts)
    same(activities["city"], dict(city_activities), "activities.city")
    public = found["transparency"]
    for station, want in zip(public["stations"], expected.stations(), strict=True):
        assert station["received"] == want["assigned"]
        same(station["completion_rate"], want["completion_rate"], "public.completion")
        same(
            station["house_repair_stages"],
            expected.house_repair().get(station["station_id"], dict.fromkeys(STAGE_ORDER, 0)),
            "public.stages",
        )
    text = json.dumps(public, ensure_ascii=False)
    assert "representative" not in text
    for name, _ in REPRESENTATIVES.values():
        assert name not in text
    assert "13912345678" not in text and "13800000000" not in text and "停车位" not in text
    city = expected.city()
    assert found["summary"]["city"]["sentence"]["en"] == (
        f"since {PERIOD['since']}, {city['accepted']} suggestions accepted, "
        f"completion {city['completion_rate']['rate'] * 100:.1f}%, "
        f"satisfaction {city['satisfaction_rate']['rate'] * 100:.1f}%"
    )


def exported_rows(platform: Platform, kind: str) -> tuple[list[list[str]], list[list[Any]]]:
    url = platform.url("reporting", f"/v1/reports/{kind}")
    as_csv = httpx.get(f"{url}.csv", params=PERIOD, headers=ADMIN)
    as_xlsx = httpx.get(f"{url}.xlsx", params=PERIOD, headers=ADMIN)
    assert as_csv.status_code == as_xlsx.status_code == 200
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    workbook = load_workbook(io.BytesIO(as_xlsx.content), read_only=True)
    cells = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    workbook.close()
    return rows, cells


def check_exports(platform: Platform, found: dict[str, Any]) -> None:
    """The CSV and XLSX files, read back, hold the numbers of the JSON reports."""
    columns = {
        "accepted": "accepted",
        "closed": "closed",
        "rated": "rated",
        "ratings.dissatisfied": "dissatisfied",
        "completion_rate.rate": "completion rate",
        "satisfaction_rate.low": "satisfaction low (95% Wilson)",
        "time_to_accept.mean_seconds": "time to accept mean (s)",
        "time_to_respond.p90_seconds": "time to respond p90 (s)",
        "open_now": "open now",
        "overdue_now": "overdue now",
    }
    for kind, items, key, key_label in (
        ("stations", found["stations.period"]["stations"], "station_id", "station id"),
        ("representatives", found["representatives.period"]["items"], "key", "representative code"),
        ("categories", found["categories.period"]["items"], "key", "category"),
        ("points", found["points.period"]["items"], "key", "liaison point"),
    ):
        rows, cells = exported_rows(platform, kind)
        header = rows[0]
        assert [str(c) for c in cells[0]] == header
        assert len(rows) == len(cells) == len(items) + 1, kind

        def at(en: str, header: list[str] = header) -> int:
            return next(i for i, h in enumerate(header) if h.endswith(f"({en})"))

        for item, row, cell in zip(items, rows[1:], cells[1:], strict=True):
            assert row[at(key_label)] == cell[at(key_label)] == item[key]
            for dotted, en in columns.items():
                want: Any = item
                for part in dotted.split("."):
                    want = want[part]
                text, value = row[at(en)], cell[at(en)]
                if want is None:
                    assert text == "" and value is None, (kind, dotted)
                elif isinstance(want, int):
                    assert int(text) == value == want, (kind, dotted)
                else:
                    assert float(text) == want, (kind, dotted)
                    assert value == pytest.approx(want, rel=1e-15, abs=0), (kind, dotted)


def house_events(out: Generated) -> list[Envelope]:
    """The houses the staged house-repair cases stand for, one house per case (the migration
    path of docs/reporting.md): registered, then its stage now. Reporting counts houses."""
    events: list[Envelope] = []
    for case in out.cases:
        if case.category != "house_repair" or case.status not in STAGED:
            continue
        house_id = f"house-{case.case_id}"
        stage = case.stage or "under_governance"
        common: dict[str, Any] = {
            "house_id": house_id,
            "station_id": case.station,
            "households": 2,
            "consenting": 1,
            "objecting": 0,
            "actor_id": f"{case.station}-staff",
            "at": case.submitted_at,
        }
        registered = HouseRegistered.model_validate(
            {**common, "version": 1, "stage": "under_governance", "floor_area_m2": 80.0}
        )
        moved = HouseCaseLinked.model_validate(
            {**common, "version": 2, "stage": stage, "case_id": case.case_id}
        )
        for data in (registered, moved):
            events.append(
                Envelope.wrap(data, source="minyi/test", subject=house_id, correlation_id="houses")
            )
    return events


def wait_for_counts(platform: Platform, out: Generated, *, timeout_s: float) -> None:
    """Until reporting has folded every event (the city counts are the last to settle)."""
    want = Expected(out, PERIOD).city()
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        city = report(platform, "/v1/reports/city", **PERIOD)["city"]
        last = {k: (city[k], want[k]) for k in COUNTS if city[k] != want[k]}
        if last:
            # Every report read competes with the folding for the one store: while the city
            # is behind, read nothing else and not often.
            time.sleep(3)
            continue
        house = report(platform, "/v1/reports/activities", **PERIOD)["city"]
        attendance = (house["attendance"], sum(m.attendance for m in out.meetings))
        if attendance[0] != attendance[1]:
            last["attendance"] = attendance
        houses = report(platform, "/v1/reports/house-repair")["total"]
        if houses != len(out.house_events) // 2:
            last["houses"] = (houses, len(out.house_events) // 2)
        if city["open_now"] != want["open_now"]:
            last["open_now"] = (city["open_now"], want["open_now"])
        if not last:
            return
        time.sleep(1)
    raise AssertionError(f"reporting did not catch up within {timeout_s}s: {last}")


# Folding ~9,600 events and replaying them all: 2–3 minutes on a quiet 2-core machine, twice
# that on a slow or busy one (the suite's default per-test limit is 5 minutes).
@pytest.mark.timeout(900)
def test_every_figure_of_generated_cases_matches_before_and_after_a_rebuild(
    reporting: Platform, settings: PlumbingSettings
) -> None:
    out = Generator(seed=20251231).run()
    out.house_events = house_events(out)
    assert len(out.cases) == CASES
    statuses = Counter(c.status for c in out.cases)
    # Every path is there: each status, reopenings, every rating, overdue cases, escalations.
    assert set(statuses) >= {
        "assigned",
        "accepted",
        "in_review",
        "handling",
        "transferred",
        "responded",
        "closed",
        "rejected",
        "merged",
        "reopened",
    }, statuses
    names = Counter(f.name for f in out.facts)
    for name in (
        "declined",
        "reassigned",
        "reopened",
        "escalated",
        "to_station_queue",
        "ratings.satisfied",
        "ratings.basically_satisfied",
        "ratings.dissatisfied",
    ):
        assert names[name] > 10, name
    assert sum(is_overdue(c) for c in out.cases) > 20
    assert sum(1 for c in out.cases if c.stage) > 20

    asyncio.run(publish(settings, out))
    # ~9,600 events: about a minute on a quiet 2-core machine, up to 3 on a slow or busy one.
    wait_for_counts(reporting, out, timeout_s=480)
    before = everything(reporting)
    check(before, out)
    check_exports(reporting, before)

    rebuilt = subprocess.run(
        [sys.executable, "-m", "services.reporting", "rebuild"],
        env={**reporting.env(), "MINYI_REBUILD_GRACE_SECONDS": "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=480,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    total = len(out.case_events) + len(out.activity_events) + len(out.directory_events)
    total += len(out.house_events)
    assert f"replayed {total}/{total} events (100%)" in rebuilt.stderr
    after = everything(reporting)
    for key in before:
        assert after[key] == before[key], key
    check(after, out)
