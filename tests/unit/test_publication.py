"""What of a case the public may read: consent and channel, the place left out, ~100 m."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.intake.domain import publication

AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("channel", ["qr", "web", "api", "open311"])
def test_a_consented_resident_submission_is_public_from_its_submission(channel: str) -> None:
    assert publication.is_public(channel=channel, may_publish=True)
    assert publication.published_at(channel=channel, may_publish=True, submitted_at=AT) == AT


@pytest.mark.parametrize(
    ("channel", "may_publish"),
    [("web", False), ("qr", None), ("api", "true"), ("in_person", True), ("meeting", True)],
)
def test_no_consent_or_a_staff_entered_case_is_never_public(
    channel: str, may_publish: object
) -> None:
    assert not publication.is_public(channel=channel, may_publish=may_publish)


def test_staff_entered_cases_get_no_public_time() -> None:
    assert publication.published_at(channel="meeting", may_publish=True, submitted_at=AT) is None


def test_the_place_paragraph_comes_off_again_and_only_it() -> None:
    text = publication.with_place("桥洞下雨天积水", " 河星村\n桥洞 ")
    assert text == "桥洞下雨天积水\n\n地点：河星村 桥洞"
    assert publication.without_place(text) == "桥洞下雨天积水"
    kept = "第一段。\n\n第二段说的是地点的事。"
    assert publication.without_place(kept) == kept


def test_public_text_drops_the_place_and_scrubs_the_rest() -> None:
    text = publication.with_place("川A12345堵门，电话13800138000", "白云路18号")
    assert publication.public_text(text) == "[车牌]堵门，电话[电话]"


def test_locations_are_rounded_to_about_100_m() -> None:
    assert publication.approximate({"lat": 28.07526, "lon": 119.13814}) == (28.075, 119.138)
    assert publication.approximate({"lat": -90, "lon": 180}) == (-90.0, 180.0)
    assert publication.approximate(None) == (None, None)
    assert publication.approximate({}) == (None, None)
