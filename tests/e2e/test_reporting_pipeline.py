"""160 generated cases through the real pipeline, end to end: every figure reporting gives
equals one counted here from the API answers, before and after a rebuild by replay.

How the cases travel. Residents submit to intake's HTTP API (QR codes, liaison points, the web
form with nothing named; station staff enter cases met in person); routing assigns them from
the real `case.submitted` event; representatives and station staff act through routing's staff
API (accept, decline, reassign, review, approve, reject, merge, transfer, respond, close);
residents rate and reopen through intake's API; reporting counts what all of it published.
The expected figures are counted by the test as it makes each call, from what the APIs answer
(who holds a case after routing, a decline or a reassignment; its station and liaison point;
its status), never from reporting.

What this covers that `test_reporting_generated.py` does not: the events are the ones intake
and routing really publish (their fields, rounds, holders, points and order), routing's own
choices after a decline or a reassignment, intake's rules for rating and reopening, and
concurrent writers on the four services. What only the generated test covers: figures over
days, weeks and months (here everything happens today), exact times to accept and respond
(here they depend on the servers' clocks, so only their counts are exact), SLA escalations and
overdue cases (deadlines are working days: none passes during a test), house-repair stages,
meetings, and the CSV/XLSX exports.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx
import yaml

from shared.events.case_events import Rating
from tests.e2e.platform import ADMIN, DEMO_PASSWORD, Platform, eventually
from tests.e2e.test_reporting_generated import CLOSED, COUNTS, RATINGS, rate_figures, same
from tests.e2e.test_reporting_generated import differences as compare
from tests.infra import ROOT

SEED = 20260412
# About 2,500 HTTP calls and 1,600 events: some 100 s on the local store (its write rate,
# not the test, is the limit; 300 cases took 200 s).
CASES = 160
WORKERS = 8
DEMO = ROOT / "services" / "routing" / "demo_directory.yaml"
# The demo has accounts for xijie's representatives and two stations' staff only.
EXTRA_ACCOUNTS = [
    *(
        {
            "username": f"rep-{code}",
            "display_name": f"代表{code}",
            "role": "representative",
            "representative_code": code,
            "password": DEMO_PASSWORD,
        }
        for code in ("0501", "0502", "0601", "0602")
    ),
    {
        "username": "longyuan-staff",
        "display_name": "龙渊联络站工作人员",
        "role": "staff",
        "station": "longyuan",
        "password": DEMO_PASSWORD,
    },
]

Outcome = Literal[
    "assigned",
    "accepted",
    "in_review",
    "handling",
    "rejected",
    "merged_early",
    "merged",
    "responded",
    "closed",
]
OUTCOMES: dict[Outcome, int] = {
    "assigned": 7,
    "accepted": 6,
    "in_review": 5,
    "handling": 7,
    "rejected": 9,
    "merged_early": 4,
    "merged": 5,
    "responded": 12,
    "closed": 45,
}
Reopen = Literal["left", "answered", "answered_rated"]  # and then: nothing, answered, rated
REOPENS: list[Reopen] = ["left", "answered", "answered_rated"]
T = TypeVar("T")


# --- the directory, read from the demo file the platform was seeded with ---------------------


@dataclass(frozen=True)
class Demo:
    representatives: dict[str, tuple[str, str]]  # code: (name, station)
    points: dict[str, tuple[str, str]]  # id: (name, station)
    categories: dict[str, str]  # code: name
    stations: dict[str, str]  # id: name

    @classmethod
    def load(cls) -> Demo:
        data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
        return cls(
            representatives={r["code"]: (r["name"], r["station"]) for r in data["representatives"]},
            points={p["id"]: (p["name"], p["station"]) for p in data["liaison_points"]},
            categories={c["code"]: c["name"] for c in data["categories"]},
            stations={s["id"]: s["name"] for s in data["stations"]},
        )

    def reps_of(self, station: str) -> list[str]:
        return sorted(c for c, (_, s) in self.representatives.items() if s == station)


def add_accounts(platform: Platform, tmp_path: Path) -> None:
    """The demo directory again, with accounts for every representative and station."""
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["users"] = [*data["users"], *EXTRA_ACCOUNTS]
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "services.routing", "seed-demo", str(path)],
        env=platform.env(),
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )


# --- what each case will go through -----------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    index: int
    body: dict[str, Any]
    entered_by: str | None  # a station staff account entering the case for a resident met
    outcome: Outcome
    declines: int
    reassign: Literal["rep", "queue"] | None  # by station staff, before acceptance
    reassign_after_accept: bool
    review: bool
    transfer: bool
    rating: Rating | None
    rate_before_close: bool
    reopen: Reopen | None
    second_rating: Rating


def make_plan(index: int, rng: random.Random, demo: Demo) -> Plan:
    category = rng.choice(sorted(demo.categories))
    body: dict[str, Any] = {"category": category, "text": f"第{index}条意见：请代表关注解决"}
    entered_by = None
    roll = rng.random()
    if roll < 0.4:
        code = rng.choice(sorted(demo.representatives))
        body |= {"channel": "qr", "representative_code": code}
        if rng.random() < 0.3:
            body["liaison_point_id"] = rng.choice(sorted(demo.points))
    elif roll < 0.72:
        body |= {
            "channel": rng.choice(["web", "api"]),
            "liaison_point_id": rng.choice(sorted(demo.points)),
        }
    elif roll < 0.85:
        body["channel"] = "web"  # nothing named: the default station's queue
    else:
        entered_by = rng.choice(["xijie-staff", "jianchi-staff", "longyuan-staff"])
    outcome = rng.choices(list(OUTCOMES), weights=list(OUTCOMES.values()))[0]
    answered = outcome in ("responded", "closed")
    rating = rng.choice([*RATINGS, None]) if answered and rng.random() < 0.85 else None
    rate_before_close = outcome == "closed" and rating is not None and rng.random() < 0.25
    reopen = None
    if rating == "dissatisfied" and not rate_before_close and rng.random() < 0.75:
        reopen = rng.choice(REOPENS)
    return Plan(
        index=index,
        body=body,
        entered_by=entered_by,
        outcome=outcome,
        declines=(rng.random() < 0.15) + (rng.random() < 0.05),
        reassign="rep" if rng.random() < 0.07 else "queue" if rng.random() < 0.04 else None,
        reassign_after_accept=rng.random() < 0.05,
        review=rng.random() < 0.5,
        transfer=rng.random() < (0.5 if outcome == "handling" else 0.2),
        rating=rating,
        rate_before_close=rate_before_close,
        reopen=reopen,
        second_rating=rng.choice(RATINGS),
    )


# --- what the test records as it goes ---------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One counted thing, with everyone it counts for (docs/reporting.md: "What each event
    adds")."""

    name: str
    station: str
    representative: str | None
    category: str
    point: str | None


@dataclass
class Tracked:
    plan: Plan
    case_id: str = ""
    tracking_code: str = ""
    category: str = ""
    station: str = ""
    holder: str | None = None
    point: str | None = None
    status: str = "submitted"
    declined_by: set[str] = field(default_factory=set)


class Ledger:
    def __init__(self) -> None:
        self.facts: list[Fact] = []
        self.submitted: Counter[str] = Counter()  # by channel
        self._lock = threading.Lock()

    def count(self, case: Tracked, *names: str, representative: str | None = None) -> None:
        with self._lock:
            self.facts.extend(
                Fact(
                    name=name,
                    station=case.station,
                    representative=representative or case.holder,
                    category=case.category,
                    point=case.point,
                )
                for name in names
            )

    def submit(self, channel: str) -> None:
        with self._lock:
            self.submitted[channel] += 1


# --- driving the services ---------------------------------------------------------------------


class Driver:
    def __init__(self, platform: Platform, client: httpx.Client, demo: Demo) -> None:
        self.platform = platform
        self.client = client
        self.demo = demo
        self.ledger = Ledger()
        self.headers: dict[str, dict[str, str]] = {}
        self.merge_into: dict[str, str] = {}  # station: a case that is never merged itself

    def sign_in_everyone(self) -> None:
        names = [
            *(f"rep-{code}" for code in self.demo.representatives),
            "xijie-staff",
            "jianchi-staff",
            "longyuan-staff",
            "city-supervisor",
        ]
        for name in names:
            answer = self.client.post(
                self.platform.url("routing", "/v1/auth/token"),
                json={"username": name, "password": DEMO_PASSWORD},
            )
            assert answer.status_code == 200, (name, answer.text)
            self.headers[name] = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def staff_of(self, case: Tracked) -> str:
        return f"{case.station}-staff"

    # - HTTP -

    def act(self, case: Tracked, who: str, action: str, **fields: Any) -> dict[str, Any]:
        # Without If-Match an action applies to the case as it is now, even when routing
        # records the resident's rating meanwhile.
        answer = self.client.post(
            self.platform.url("routing", f"/v1/staff/cases/{case.case_id}/actions"),
            json={"action": action, **fields},
            headers=self.headers[who],
        )
        assert answer.status_code == 200, (case.plan.index, action, answer.text)
        detail: dict[str, Any] = answer.json()
        assert detail["station_id"] == case.station  # nothing here moves a case between stations
        case.status = detail["status"]
        return detail

    def routed(self, case_id: str) -> dict[str, Any]:
        answer = self.client.get(
            self.platform.url("routing", f"/v1/staff/cases/{case_id}"),
            headers=self.headers["city-supervisor"],
        )
        assert answer.status_code == 200, answer.text
        detail: dict[str, Any] = answer.json()
        return detail

    def resident_view(self, case: Tracked) -> dict[str, Any]:
        answer = self.client.get(self.platform.url("intake", f"/v1/cases/{case.tracking_code}"))
        assert answer.status_code == 200, answer.text
        view: dict[str, Any] = answer.json()
        return view

    def resident(self, case: Tracked, what: str, body: dict[str, Any]) -> dict[str, Any]:
        # intake applying a case event meanwhile (the station closing it, say) is absorbed.
        answer = self.client.post(
            self.platform.url("intake", f"/v1/cases/{case.tracking_code}/{what}"), json=body
        )
        assert answer.status_code == 202, (case.plan.index, what, answer.text)
        view: dict[str, Any] = answer.json()
        return view

    # - phase 1: submit, and learn where routing put each case -

    def submit(self, case: Tracked) -> None:
        plan = case.plan
        if plan.entered_by:
            url, headers = "/v1/staff/cases", self.headers[plan.entered_by]
        else:
            url, headers = "/v1/cases", {}
        answer = self.client.post(self.platform.url("intake", url), json=plan.body, headers=headers)
        assert answer.status_code == 202, answer.text
        receipt = answer.json()
        case.case_id, case.tracking_code = receipt["case_id"], receipt["tracking_code"]
        case.category = plan.body["category"]
        self.ledger.submit(plan.body.get("channel", "in_person"))

    def all_assigned(self, cases: list[Tracked]) -> bool:
        answer = self.client.get(
            self.platform.url("routing", "/v1/staff/cases"),
            params={"limit": 500},
            headers=self.headers["city-supervisor"],
        )
        assert answer.status_code == 200, answer.text
        assigned = {c["case_id"] for c in answer.json() if c["status"] == "assigned"}
        return all(c.case_id in assigned for c in cases)

    def first_assignment(self, case: Tracked) -> None:
        detail = self.routed(case.case_id)
        assert detail["round"] == 1 and detail["category"] == case.category
        case.station, case.holder = detail["station_id"], detail["representative_code"]
        case.point, case.status = detail["liaison_point_id"], "assigned"
        body = case.plan.body
        if body.get("channel") == "qr":
            assert case.holder == body["representative_code"], detail["reason"]
        elif case.plan.entered_by:
            assert case.holder is None and case.station == case.plan.entered_by.split("-")[0]
        elif "liaison_point_id" not in body:
            assert case.holder is None and case.station == "xijie", detail["reason"]
        self.ledger.count(
            case,
            "received",
            "to_representative" if case.holder else "to_station_queue",
            f"by_category.{case.category}",
            "city_assigned",
        )

    # - phase 2: representatives and station staff handle the cases -

    def reassigned(self, case: Tracked, detail: dict[str, Any]) -> None:
        """Routing chose a holder again (round > 1): counted for whoever holds it now."""
        case.holder, case.point = detail["representative_code"], detail["liaison_point_id"]
        self.ledger.count(case, "reassigned")

    def reassign(self, case: Tracked, rng: random.Random, *, to_queue: bool = False) -> None:
        fields: dict[str, Any] = {"reason": "联络站调整承办代表"}
        if not to_queue:
            others = [r for r in self.demo.reps_of(case.station) if r != case.holder]
            fresh = [r for r in others if r not in case.declined_by]
            fields["representative_code"] = rng.choice(fresh or others)
        detail = self.act(case, self.staff_of(case), "reassign", **fields)
        assert detail["representative_code"] == fields.get("representative_code")
        self.reassigned(case, detail)

    def accept(self, case: Tracked) -> None:
        assert case.holder
        self.act(case, f"rep-{case.holder}", "accept")
        self.ledger.count(case, "accepted")

    def merge(self, case: Tracked) -> None:
        self.act(case, self.staff_of(case), "merge", into_case_id=self.merge_into[case.station])
        self.ledger.count(case, "merged")

    def respond(self, case: Tracked, text: str) -> None:
        self.act(case, self.staff_of(case), "respond", response=text)
        self.ledger.count(case, "responded")

    def close(self, case: Tracked) -> None:
        self.act(case, self.staff_of(case), "close")
        self.ledger.count(case, "closed")

    def handle(self, case: Tracked) -> None:
        plan = case.plan
        rng = random.Random(f"{SEED}/{plan.index}")  # the same choices whatever thread runs it
        staff = self.staff_of(case)
        if plan.outcome == "merged_early":  # a duplicate, merged before anyone accepts it
            self.merge(case)
            return
        for _ in range(plan.declines):
            if case.holder is None:
                break
            decliner = case.holder
            detail = self.act(case, f"rep-{decliner}", "decline", reason="不在我的联系片区")
            self.ledger.count(case, "declined", representative=decliner)
            case.declined_by.add(decliner)
            assert detail["representative_code"] not in case.declined_by, detail["reason"]
            self.reassigned(case, detail)
        if plan.reassign == "queue" and case.holder:
            self.reassign(case, rng, to_queue=True)
        if plan.reassign == "rep" or (case.holder is None and plan.outcome != "assigned"):
            self.reassign(case, rng)
        if plan.outcome == "assigned":
            return
        self.accept(case)
        if plan.reassign_after_accept:
            self.reassign(case, rng)
            self.accept(case)
        if plan.outcome == "accepted":
            return
        if plan.outcome == "merged":
            self.merge(case)
            # Accepted before: out of completion, which the surviving case completes.
            self.ledger.count(case, "merged_accepted")
            return
        if plan.review or plan.outcome == "in_review":
            self.act(case, staff, "begin_review")
        if plan.outcome == "in_review":
            return
        if plan.outcome == "rejected":
            self.act(case, staff, "reject", reason="不属于人大代表联络站的受理范围")
            self.ledger.count(case, "rejected")
            return
        self.act(case, staff, "approve")
        if plan.transfer:
            self.act(case, staff, "transfer", department_id="housing", note="请住建局核实")
        if plan.outcome == "handling":
            return
        self.respond(case, "经协调，问题已经处理，请查看。")
        if plan.outcome == "closed" and not plan.rate_before_close:
            self.close(case)

    # - phase 3: residents rate and reopen; staff close what was rated first -

    def ready_to_rate(self, case: Tracked) -> None:
        eventually(
            lambda: "rate" in self.resident_view(case)["allowed_actions"],
            timeout_s=60,
            interval_s=0.3,
        )

    def rate(self, case: Tracked, rating: Rating) -> None:
        self.ready_to_rate(case)
        assert self.resident(case, "rating", {"rating": rating})["rating"] == rating
        self.ledger.count(case, "rated", f"ratings.{rating}")

    def feedback(self, case: Tracked) -> None:
        plan = case.plan
        if plan.rating is None:
            return
        self.rate(case, plan.rating)
        if plan.rate_before_close:
            self.close(case)
        elif plan.reopen:
            self.resident(case, "reopen", {"reason": "问题还是没有解决，申请重新办理"})
            self.ledger.count(case, "reopened")
            case.status = "reopened"

    # - phase 4: the station answers reopened cases again -

    def answer_again(self, case: Tracked) -> None:
        plan = case.plan
        if plan.reopen is None:
            return
        eventually(
            lambda: self.routed(case.case_id)["status"] == "reopened", timeout_s=60, interval_s=0.3
        )
        if plan.reopen == "left":
            return
        self.respond(case, "重新核实后已彻底处理，请再查看。")
        if plan.outcome == "closed":
            self.close(case)
        if plan.reopen == "answered_rated":
            self.rate(case, plan.second_rating)


def in_parallel(work: Callable[[T], object], items: Iterable[T]) -> None:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for _ in pool.map(work, items):
            pass


# --- the expected figures ---------------------------------------------------------------------


def figures(facts: list[Fact], cases: list[Tracked]) -> dict[str, Any]:
    """Figures of docs/reporting.md; of the times, only the counts are known exactly here."""
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
        "time_to_accept": {"count": counts["accepted"]},
        "time_to_respond": {"count": counts["responded"]},
        "open_now": sum(c.status not in CLOSED for c in cases),
        "overdue_now": 0,
    }


class Expected:
    def __init__(self, driver: Driver, cases: list[Tracked]) -> None:
        self.demo = driver.demo
        self.facts = driver.ledger.facts
        self.submitted = driver.ledger.submitted
        self.cases = cases

    def city(self) -> dict[str, Any]:
        counts = Counter(f.name for f in self.facts)
        return {
            **figures(self.facts, self.cases),
            "received": sum(self.submitted.values()),
            "assigned": counts["city_assigned"],
            "by_channel": dict(sorted(self.submitted.items())),
        }

    def stations(self) -> list[dict[str, Any]]:
        found = []
        for station in sorted({c.station for c in self.cases}):
            facts = [f for f in self.facts if f.station == station]
            counts = Counter(f.name for f in facts)
            found.append(
                {
                    "station_id": station,
                    "station_name": self.demo.stations[station],
                    "assigned": counts["received"],
                    "to_representative": counts["to_representative"],
                    "to_station_queue": counts["to_station_queue"],
                    "by_category": {
                        c: counts[f"by_category.{c}"]
                        for c in sorted(self.demo.categories)
                        if counts[f"by_category.{c}"]
                    },
                    **figures(facts, [c for c in self.cases if c.station == station]),
                }
            )
        return found

    def keyed(self, kind: str) -> list[dict[str, Any]]:
        attribute, holding = {
            "representatives": ("representative", "holder"),
            "categories": ("category", "category"),
            "points": ("point", "point"),
        }[kind]
        # Listed: every key with figures, or with open cases now.
        keys = {getattr(f, attribute) for f in self.facts} | {
            getattr(c, holding) for c in self.cases if c.status not in CLOSED
        }
        found = []
        for key in sorted(k for k in keys if k):
            if kind == "representatives":
                name, station = self.demo.representatives[key]
            elif kind == "points":
                name, station = self.demo.points[key]
            else:
                name, station = self.demo.categories[key], None
            found.append(
                {
                    "key": key,
                    "name": name,
                    "station_id": station,
                    **figures(
                        [f for f in self.facts if getattr(f, attribute) == key],
                        [c for c in self.cases if getattr(c, holding) == key],
                    ),
                }
            )
        return found


# --- reading and comparing the reports --------------------------------------------------------


def reports(platform: Platform, client: httpx.Client) -> dict[str, Any]:
    def get(path: str, **params: Any) -> Any:
        answer = client.get(platform.url("reporting", path), params=params, headers=ADMIN)
        assert answer.status_code == 200, answer.text
        return answer.json()

    return {
        "city": get("/v1/reports/city")["city"],
        "stations": get("/v1/reports/stations")["stations"],
        **{
            kind: get(f"/v1/reports/{kind}", limit=1000)
            for kind in ("representatives", "categories", "points")
        },
    }


def mismatches(found: dict[str, Any], expected: Expected) -> list[str]:
    wrong = [
        *compare(found["city"], expected.city(), "city"),
        *compare(found["stations"], expected.stations(), "stations"),
    ]
    for kind in ("representatives", "categories", "points"):
        items = expected.keyed(kind)
        if found[kind]["total"] != len(items):
            wrong.append(f"{kind}.total: {found[kind]['total']} != {len(items)}")
        wrong.extend(compare(found[kind]["items"], items, kind))
    return wrong


def summaries(found: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("city", found["city"]),
        *((f"station {s['station_id']}", s) for s in found["stations"]),
        *(
            (f"{kind} {item['key']}", item)
            for kind in ("representatives", "categories", "points")
            for item in found[kind]["items"]
        ),
    ]


def check_times(found: dict[str, Any], *, within_s: float) -> None:
    """Means and p90s come from the servers' clocks: present, and no longer than the test."""
    for what, summary in summaries(found):
        for kind in ("time_to_accept", "time_to_respond"):
            times = summary[kind]
            if times["count"] == 0:
                assert times["mean_seconds"] is None and times["p90_seconds"] is None, what
                continue
            for figure in ("mean_seconds", "p90_seconds"):
                assert 0 <= times[figure] <= within_s, (what, kind, times)


# --- the test ---------------------------------------------------------------------------------


def test_every_figure_of_cases_driven_through_the_real_services_matches_after_a_rebuild(
    platform: Platform, tmp_path: Path
) -> None:
    started = time.monotonic()
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        phases[name] = round(time.monotonic() - started - sum(phases.values()), 1)
        print(f"{name}: {phases[name]}s", flush=True)

    demo = Demo.load()
    add_accounts(platform, tmp_path)
    rng = random.Random(SEED)
    cases = [Tracked(plan=make_plan(i, rng, demo)) for i in range(CASES)]
    limits = httpx.Limits(max_connections=2 * WORKERS, max_keepalive_connections=2 * WORKERS)
    with httpx.Client(timeout=30, limits=limits) as client:
        driver = Driver(platform, client, demo)
        driver.sign_in_everyone()
        phase("accounts")

        in_parallel(driver.submit, cases)
        phase("submitted")
        eventually(lambda: driver.all_assigned(cases), timeout_s=90, interval_s=1)
        in_parallel(driver.first_assignment, cases)
        for case in cases:
            if case.plan.outcome not in ("merged", "merged_early"):
                driver.merge_into.setdefault(case.station, case.case_id)
        phase("assigned")

        in_parallel(driver.handle, cases)
        phase("handled")
        in_parallel(driver.feedback, cases)
        phase("rated, reopened")
        in_parallel(driver.answer_again, cases)
        phase("answered again")

        # Every path is there.
        statuses = Counter(c.status for c in cases)
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
        names = Counter(f.name for f in driver.ledger.facts)
        for name in (
            "declined",
            "reassigned",
            "rejected",
            "merged",
            "reopened",
            "to_station_queue",
            *(f"ratings.{r}" for r in RATINGS),
        ):
            assert names[name] >= 5, (name, names)
        assert len({c.station for c in cases}) == 3

        expected = Expected(driver, cases)
        last: list[str] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            before = reports(platform, client)
            last = mismatches(before, expected)
            if not last:
                break
            time.sleep(1)
        assert not last, f"{len(last)} differences, first: " + "; ".join(last[:8])
        check_times(before, within_s=time.monotonic() - started)
        phase("reporting caught up")

        rebuilt = subprocess.run(
            [sys.executable, "-m", "services.reporting", "rebuild"],
            env={**platform.env(), "MINYI_REBUILD_GRACE_SECONDS": "1"},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
        assert "read models rebuilt from" in rebuilt.stdout
        after = reports(platform, client)
        for key in before:
            same(after[key], before[key], f"rebuilt {key}")
        assert after == before
        phase("rebuilt")
    print(f"{CASES} cases, {len(driver.ledger.facts)} facts, {statuses}; seconds: {phases}")
