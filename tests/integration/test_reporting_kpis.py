"""Reporting KPIs on the real store: counters applied twice, then read over HTTP in process."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.reporting.adapters.read_models import ReadModels
from services.reporting.handlers.projections import apply_case_events
from shared.dispatch import Event
from shared.events.case_events import (
    CaseAccepted,
    CaseAssigned,
    CaseClosed,
    CaseRated,
    Rating,
)
from shared.events.envelope import Envelope, EventData

DAY = datetime(2025, 5, 6, 10, 0, tzinfo=UTC)
SINCE, UNTIL = "2025-05-01", "2025-05-31"
# station → (accepted, closed, ratings); "big" is over the minimum sample, the others are not.
SATISFIED: list[Rating] = ["satisfied"]
BASICALLY: list[Rating] = ["basically_satisfied"]
DISSATISFIED: list[Rating] = ["dissatisfied"]
PLAN: dict[str, tuple[int, int, list[Rating]]] = {
    "big": (25, 21, SATISFIED * 15 + BASICALLY * 4 + DISSATISFIED * 3),
    "tiny": (3, 3, SATISFIED * 2),
    "mid": (22, 22, SATISFIED * 5 + DISSATISFIED * 5),
}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    margin = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5
    return centre - margin, centre + margin


def events() -> list[EventData]:
    made: list[EventData] = []
    for station, (accepted, closed, ratings) in PLAN.items():
        for i in range(accepted):
            case = f"{station}-{i}"
            # Spread over two days so figures are sums of several buckets.
            at = DAY + timedelta(days=i % 2)
            common = {"case_id": case, "station_id": station, "at": at}
            made.append(
                CaseAssigned(
                    case_id=case,
                    category="parking",
                    station_id=station,
                    station_name=f"{station} 站",
                    representative_code="0412",
                    reason="qr",
                    assigned_at=at,
                )
            )
            made.append(
                CaseAccepted(**common, actor_role="representative", representative_code="0412")
            )
            if i < closed:
                made.append(CaseClosed(**common, actor_role="staff"))
            if i < len(ratings):
                made.append(CaseRated(**common, actor_role="resident", rating=ratings[i]))
    # Outside the period: must not count.
    made.append(
        CaseAccepted(
            case_id="old",
            station_id="big",
            at=DAY - timedelta(days=60),
            actor_role="representative",
            representative_code="0412",
        )
    )
    return made


def envelopes() -> list[Event[EventData]]:
    return [
        Event.of(Envelope.wrap(e, source="test", subject="c", correlation_id=uuid.uuid4().hex), e)
        for e in events()
    ]


def expected(station: str) -> dict[str, float | int]:
    accepted, closed, ratings = PLAN[station]
    count = Counter(ratings)
    happy = count["satisfied"] + count["basically_satisfied"]
    return {
        "accepted": accepted,
        "closed": closed,
        "rated": len(ratings),
        "happy": happy,
        "completion": closed / accepted,
        "satisfaction": happy / len(ratings),
    }


async def test_kpis_are_counted_once_and_reported_ranked_and_quoted(
    reporting: tuple[httpx.AsyncClient, ReadModels],
) -> None:
    client, read_models = reporting
    batch = envelopes()

    first = await apply_case_events(batch, read_models=read_models)
    again = await apply_case_events(batch, read_models=read_models)

    assert first > len(batch)  # every event counts for its station and the city, at least
    assert again == 0

    period = {"since": SINCE, "until": UNTIL}
    stations = (await client.get("/v1/reports/stations", params=period)).json()["stations"]
    assert [s["station_id"] for s in stations] == ["big", "mid", "tiny"]
    for s in stations:
        want = expected(s["station_id"])
        accepted, closed, ratings = PLAN[s["station_id"]]
        assert s["station_name"] == f"{s['station_id']} 站"
        assert (s["assigned"], s["accepted"], s["closed"], s["rated"]) == (
            accepted,
            accepted,
            closed,
            len(ratings),
        )
        assert s["ratings"] == {
            name: ratings.count(name)
            for name in ("satisfied", "basically_satisfied", "dissatisfied")
        }
        assert s["by_category"] == {"parking": accepted}
        assert s["completion_rate"]["rate"] == pytest.approx(want["completion"])
        assert s["completion_rate"]["sample"] == accepted
        assert (s["completion_rate"]["low"], s["completion_rate"]["high"]) == pytest.approx(
            wilson(closed, accepted)
        )
        assert s["satisfaction_rate"]["rate"] == pytest.approx(want["satisfaction"])
        assert (s["satisfaction_rate"]["low"], s["satisfaction_rate"]["high"]) == pytest.approx(
            wilson(int(want["happy"]), len(ratings))
        )

    city = (await client.get("/v1/reports/city", params=period)).json()["city"]
    accepted_all = sum(p[0] for p in PLAN.values())
    closed_all = sum(p[1] for p in PLAN.values())
    rated_all = sum(len(p[2]) for p in PLAN.values())
    happy_all = sum(int(expected(s)["happy"]) for s in PLAN)
    assert (city["assigned"], city["accepted"], city["closed"], city["rated"]) == (
        accepted_all,
        accepted_all,
        closed_all,
        rated_all,
    )
    assert city["completion_rate"]["rate"] == pytest.approx(closed_all / accepted_all)
    assert city["satisfaction_rate"]["rate"] == pytest.approx(happy_all / rated_all)

    ranking = (
        await client.get(
            "/v1/reports/rankings", params={**period, "metric": "completion", "min_sample": 20}
        )
    ).json()["ranking"]
    # mid: 22/22 has a higher lower bound than big: 21/25; tiny: 3/3 is too small to rank.
    assert [(r["rank"], r["station_id"], r["sample"]) for r in ranking["ranked"]] == [
        (1, "mid", 22),
        (2, "big", 25),
    ]
    assert wilson(22, 22)[0] > wilson(21, 25)[0]
    assert [(r["station_id"], r["rank"], r["sample"]) for r in ranking["not_ranked"]] == [
        ("tiny", None, 3)
    ]
    assert (ranking["ranked"][1]["low"], ranking["ranked"][1]["high"]) == pytest.approx(
        wilson(21, 25)
    )

    by_satisfaction = (
        await client.get(
            "/v1/reports/rankings", params={**period, "metric": "satisfaction", "min_sample": 10}
        )
    ).json()["ranking"]
    assert [r["station_id"] for r in by_satisfaction["ranked"]] == ["big", "mid"]
    assert [r["station_id"] for r in by_satisfaction["not_ranked"]] == ["tiny"]

    summary = (await client.get("/v1/reports/summary", params=period)).json()
    completion_pct = f"{closed_all / accepted_all * 100:.1f}%"
    satisfaction_pct = f"{happy_all / rated_all * 100:.1f}%"
    assert summary["city"]["accepted"] == accepted_all
    assert summary["city"]["sentence"]["en"] == (
        f"since {SINCE}, {accepted_all} suggestions accepted, "
        f"completion {completion_pct}, satisfaction {satisfaction_pct}"
    )
    assert summary["city"]["sentence"]["zh"] == (
        f"自{SINCE}以来，受理意见建议{accepted_all}件，"
        f"办结率{completion_pct}，满意度{satisfaction_pct}"
    )
    tiny = next(s for s in summary["stations"] if s["station_id"] == "tiny")
    assert tiny["sentence"]["en"] == (
        f"since {SINCE}, 3 suggestions accepted, completion 100.0%, satisfaction 100.0%"
    )


async def test_an_unknown_metric_is_refused(
    reporting: tuple[httpx.AsyncClient, ReadModels],
) -> None:
    client, _ = reporting

    response = await client.get("/v1/reports/rankings", params={"metric": "speed"})

    assert response.status_code == 422
