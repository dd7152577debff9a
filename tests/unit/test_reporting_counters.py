"""Reporting: the counter increments each event causes, and the summaries folded from buckets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from services.reporting.domain.counters import CounterDelta, deltas_for, station_bucket_key
from services.reporting.domain.summaries import summarize_city, summarize_stations
from shared.events.case_events import CaseAssigned, CaseSubmitted, Channel
from shared.events.envelope import Envelope
from shared.events.notification_events import NotificationSent

AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def wrap(data: CaseSubmitted | CaseAssigned | NotificationSent) -> Envelope:
    return Envelope.wrap(data, source="test", subject="case-1", correlation_id="r")


def submitted(channel: Channel = "web", at: datetime = AT) -> Envelope:
    return wrap(
        CaseSubmitted(
            case_id="case-1", category="parking", text="停车难", channel=channel, submitted_at=at
        )
    )


def assigned(representative_code: str | None = "0412", at: datetime = AT) -> Envelope:
    return wrap(
        CaseAssigned(
            case_id="case-1",
            category="parking",
            station_id="xijie",
            station_name="西街联络站",
            representative_code=representative_code,
            reason="qr",
            assigned_at=at,
        )
    )


# --- deltas_for ------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["qr", "web", "api", "open311"])
def test_a_submission_counts_as_received_in_the_city_bucket_by_channel(channel: Channel) -> None:
    assert deltas_for(submitted(channel)) == [
        CounterDelta(
            bucket="city_daily",
            key="2025-03-14",
            labels={"day": "2025-03-14"},
            increments={"received": 1, f"by_channel.{channel}": 1},
        )
    ]


def test_an_assignment_to_a_representative_counts_for_the_station_and_the_city() -> None:
    station, city = deltas_for(assigned("0412"))

    assert station == CounterDelta(
        bucket="station_daily",
        key="xijie|2025-03-14",
        labels={"station_id": "xijie", "station_name": "西街联络站", "day": "2025-03-14"},
        increments={"assigned": 1, "to_representative": 1, "by_category.parking": 1},
    )
    assert city == CounterDelta(
        bucket="city_daily",
        key="2025-03-14",
        labels={"day": "2025-03-14"},
        increments={"assigned": 1},
    )


def test_an_assignment_to_the_station_queue_counts_as_queued() -> None:
    station, _ = deltas_for(assigned(None))

    assert station.increments == {
        "assigned": 1,
        "to_station_queue": 1,
        "by_category.parking": 1,
    }


def test_the_bucket_day_is_the_events_own_date() -> None:
    late = datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)

    (city,) = deltas_for(submitted(at=late))
    station, _ = deltas_for(assigned(at=late + timedelta(seconds=1)))

    assert city.key == "2025-12-31"
    assert station.key == "xijie|2026-01-01"


def test_events_reporting_does_not_count_produce_no_deltas() -> None:
    sent = NotificationSent(
        notification_id="n1",
        cause_event_id="e1",
        recipient="representative:0412",
        channel="inbox",
        sent_at=AT,
    )

    assert deltas_for(wrap(sent)) == []


def test_station_bucket_key_joins_station_and_iso_day() -> None:
    assert station_bucket_key("xijie", date(2025, 1, 2)) == "xijie|2025-01-02"


def test_the_bucket_day_follows_the_events_time_zone() -> None:
    beijing = timezone(timedelta(hours=8))

    (city,) = deltas_for(submitted(at=datetime(2025, 3, 15, 1, 0, tzinfo=beijing)))

    assert city.key == "2025-03-15"


# --- summaries -------------------------------------------------------------------------------


def station_bucket(station: str, day: str, **counts: Any) -> dict[str, Any]:
    return {
        "_id": f"{station}|{day}",
        "station_id": station,
        "station_name": f"{station} station",
        "day": day,
        "counts": counts,
    }


def test_station_summary_sums_several_daily_buckets() -> None:
    buckets = [
        station_bucket(
            "xijie",
            "2025-03-13",
            assigned=3,
            to_representative=2,
            to_station_queue=1,
            by_category={"parking": 2, "drainage": 1},
        ),
        station_bucket(
            "xijie",
            "2025-03-14",
            assigned=4,
            to_representative=4,
            by_category={"parking": 1, "other": 3},
        ),
        station_bucket("jianchi", "2025-03-14", assigned=1, to_station_queue=1),
    ]

    jianchi, xijie = summarize_stations(buckets)

    assert xijie.station_id == "xijie"
    assert xijie.station_name == "xijie station"
    assert (xijie.assigned, xijie.to_representative, xijie.to_station_queue) == (7, 6, 1)
    assert xijie.by_category == {"drainage": 1, "other": 3, "parking": 3}
    assert list(xijie.by_category) == sorted(xijie.by_category)
    assert (jianchi.station_id, jianchi.assigned, jianchi.to_station_queue) == ("jianchi", 1, 1)
    assert jianchi.by_category == {}


def test_station_summary_counts_missing_fields_as_zero() -> None:
    bare = {"station_id": "longyuan"}
    empty_counts = {"station_id": "longyuan", "counts": {}}
    null_categories = {"station_id": "longyuan", "counts": {"assigned": 2, "by_category": None}}

    (summary,) = summarize_stations([bare, empty_counts, null_categories])

    assert summary.station_name == "longyuan"
    assert summary.assigned == 2
    assert summary.to_representative == 0
    assert summary.to_station_queue == 0
    assert summary.by_category == {}


def test_station_summaries_are_sorted_by_station_and_empty_without_buckets() -> None:
    buckets = [station_bucket(s, "2025-03-14", assigned=1) for s in ("c", "a", "b")]

    assert [s.station_id for s in summarize_stations(buckets)] == ["a", "b", "c"]
    assert summarize_stations([]) == []


def test_city_summary_sums_several_daily_buckets() -> None:
    buckets = [
        {"day": "2025-03-13", "counts": {"received": 5, "assigned": 4, "by_channel": {"web": 3}}},
        {"day": "2025-03-14", "counts": {"received": 2, "by_channel": {"qr": 1, "web": 1}}},
        {"day": "2025-03-15", "counts": {"assigned": 1}},
    ]

    summary = summarize_city(buckets)

    assert summary.received == 7
    assert summary.assigned == 5
    assert summary.by_channel == {"qr": 1, "web": 4}
    assert list(summary.by_channel) == ["qr", "web"]


def test_city_summary_counts_missing_fields_as_zero() -> None:
    summary = summarize_city([{}, {"counts": None}, {"counts": {"by_channel": None}}])

    assert (summary.received, summary.assigned, summary.by_channel) == (0, 0, {})


def test_summaries_of_the_deltas_count_each_event_once() -> None:
    station, city_assigned = deltas_for(assigned("0412"))
    (city_received,) = deltas_for(submitted("qr"))

    def as_bucket(delta: CounterDelta) -> dict[str, Any]:
        counts: dict[str, Any] = {}
        for path, n in delta.increments.items():
            *parents, leaf = path.split(".")
            node = counts
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = node.get(leaf, 0) + n
        return {**delta.labels, "counts": counts}

    (stations,) = summarize_stations([as_bucket(station)])
    city = summarize_city([as_bucket(city_assigned), as_bucket(city_received)])

    assert (stations.assigned, stations.to_representative, stations.by_category) == (
        1,
        1,
        {"parking": 1},
    )
    assert (city.received, city.assigned, city.by_channel) == (1, 1, {"qr": 1})


def test_a_re_routed_case_is_counted_as_reassigned_not_assigned_again() -> None:
    from datetime import UTC, datetime

    from services.reporting.domain.counters import deltas_for
    from shared.events.case_events import CaseAssigned
    from shared.events.envelope import Envelope

    event = Envelope.wrap(
        CaseAssigned(
            case_id="c",
            category="parking",
            station_id="xijie",
            station_name="西街",
            representative_code="0414",
            reason="declined, re-routed",
            round=2,
            assigned_at=datetime(2026, 11, 25, tzinfo=UTC),
        ),
        source="test",
        subject="c",
        correlation_id="x",
    )
    deltas = deltas_for(event)
    assert [d.increments for d in deltas] == [{"reassigned": 1}]
