"""What a stranger reads of a suggested similar case (services/intake/domain/similar_cases.py),
where a draft is looked for, "me too" ids, and how a merged case follows the surviving one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.intake.domain.cases import CaseSnapshot
from services.intake.domain.merged import as_follower, combined_version
from services.intake.domain.resident_actions import allowed_actions
from services.intake.domain.similar_cases import (
    SimilarDraft,
    neighbourhood,
    place_of,
    public_suggestion,
)
from services.intake.domain.supporters import may_be_supported, supporter_id
from shared.events.case_events import GeoPoint

AT = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
CITY = ZoneInfo("Asia/Shanghai")
POINTS: dict[str, dict[str, Any]] = {
    "baiyun": {"id": "baiyun", "station": "xijie", "name": "白云社区", "lat": 28.08, "lon": 119.14},
    "hexing": {"id": "hexing", "station": "xijie", "name": "河星村"},
}
TEXT = "我是张三，电话13800138000，小区东门停车场晚上停满了，车牌浙K12345的车常年占位。"


def stored(**overrides: Any) -> dict[str, Any]:
    return {
        "_id": "case-1",
        "tracking_code": "MY7K2Q9P",
        "category": "parking",
        "text": TEXT,
        "channel": "web",
        "may_publish": False,
        "liaison_point_id": "baiyun",
        "location": {"lat": 28.081234, "lon": 119.141234},
        "contact": {"name": "张三", "phone": "13800138000"},
        "status": "handling",
        "submitted_at": AT,
        "supporters": 3,
        **overrides,
    }


def test_a_suggestion_without_consent_shows_no_text_and_nothing_personal() -> None:
    record = public_suggestion(stored(), score=0.81234, points=POINTS, zone=CITY)
    dumped = record.model_dump_json()
    assert record.text is None
    assert record.point_name == "白云社区"
    assert record.supporters == 3
    assert record.submitted_on.isoformat() == "2026-11-03"
    assert record.score == 0.812
    for secret in ("MY7K2Q9P", "13800138000", "张三", "28.08", "119.14", "停车场"):
        assert secret not in dumped, secret


def test_a_consented_suggestion_shows_its_text_scrubbed_of_personal_data() -> None:
    record = public_suggestion(stored(may_publish=True), score=0.7, points=POINTS, zone=CITY)
    assert record.text is not None and "东门停车场晚上停满了" in record.text
    for secret in ("13800138000", "张三", "浙K12345", "MY7K2Q9P"):
        assert secret not in record.model_dump_json(), secret


def test_consent_on_a_case_staff_entered_is_no_consent() -> None:
    record = public_suggestion(
        stored(may_publish=True, channel="in_person"), score=1, points=POINTS, zone=CITY
    )
    assert record.text is None


def test_a_suggestion_was_submitted_on_the_citys_day() -> None:
    # 00:30 on 4 November in the city is still 3 November in UTC.
    late = stored(submitted_at=datetime(2026, 11, 3, 16, 30, tzinfo=UTC))
    assert public_suggestion(late, score=1, points=POINTS, zone=CITY).submitted_on.isoformat() == (
        "2026-11-04"
    )


def test_a_draft_is_looked_for_at_its_point_its_representatives_point_or_the_nearest() -> None:
    at_point = SimilarDraft(category="parking", text=TEXT, liaison_point_id="hexing")
    assert neighbourhood(at_point, points=POINTS, representative=None) == ("xijie", "hexing")
    by_qr = SimilarDraft(category="parking", text=TEXT, representative_code="0412")
    rep = {"code": "0412", "station": "xijie", "points": ["baiyun"]}
    assert neighbourhood(by_qr, points=POINTS, representative=rep) == ("xijie", "baiyun")
    near = SimilarDraft(category="parking", text=TEXT, location=GeoPoint(lat=28.081, lon=119.14))
    assert neighbourhood(near, points=POINTS, representative=None) == ("xijie", "baiyun")
    far = SimilarDraft(category="parking", text=TEXT, location=GeoPoint(lat=28.2, lon=119.14))
    assert neighbourhood(far, points=POINTS, representative=None) is None
    nowhere = SimilarDraft(category="parking", text=TEXT)
    assert neighbourhood(nowhere, points=POINTS, representative=None) is None


def test_a_place_is_its_own_location_else_its_points() -> None:
    assert place_of(point_id="baiyun", location=None, points=POINTS).lat == 28.08
    own = place_of(point_id="baiyun", location={"lat": 28.1, "lon": 119.2}, points=POINTS)
    assert (own.lat, own.lon) == (28.1, 119.2)
    assert not place_of(point_id="hexing", location=None, points=POINTS).located


def test_a_supporter_id_is_stable_per_idempotency_key_and_opaque() -> None:
    assert supporter_id("key-12345678") == supporter_id("key-12345678")
    assert supporter_id("key-12345678") != supporter_id("key-87654321")
    assert supporter_id(None) != supporter_id(None)
    assert "key" not in supporter_id("key-12345678")


def test_only_open_cases_can_be_joined() -> None:
    assert may_be_supported("handling") and may_be_supported("responded")
    assert not any(may_be_supported(s) for s in ("closed", "rejected", "merged"))


def test_a_merged_cases_resident_may_rate_the_surviving_answer_once_and_never_reopen() -> None:
    own = CaseSnapshot(case_id="b", version=4, status="merged", station_id="xijie")
    responded = {"_id": "a", "status": "responded", "responded_at": AT, "version": 9}
    now = AT + timedelta(hours=1)
    before = as_follower(own, rated_at=None, surviving={**responded, "status": "handling"})
    assert allowed_actions(before, now=now) == []
    follower = as_follower(own, rated_at=None, surviving=responded)
    assert allowed_actions(follower, now=now) == ["rate"]
    rated = as_follower(own, rated_at=now, surviving=responded)
    assert allowed_actions(rated, now=now) == []
    answered_again = {**responded, "responded_at": now + timedelta(days=1)}
    assert allowed_actions(
        as_follower(own, rated_at=now, surviving=answered_again), now=now + timedelta(days=1)
    ) == ["rate"]
    assert combined_version({"version": 4, "surviving": responded}) == 13
