"""Who may see a case's photos in intake: the same people routing lets see the case."""

from __future__ import annotations

from typing import Any

import pytest

from services.intake.entrypoints.staff_http import may_see
from shared.auth import Claims

CASE: dict[str, Any] = {
    "station": {"id": "xijie", "name": "西街"},
    "representative": {"code": "0412", "name": "张献平"},
    "transferred_to": "housing",
}


def claims(role: str, **scope: str) -> Claims:
    return Claims.model_validate({"sub": "u", "role": role, "exp": 0, **scope})


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (claims("staff", station="xijie"), True),
        (claims("station_head", station="jianchi"), False),
        (claims("representative", representative_code="0412"), True),
        (claims("representative", representative_code="0413"), False),
        (claims("department", department="housing"), True),
        (claims("department", department="water"), False),
        (claims("supervisor"), True),
    ],
)
def test_photos_are_visible_exactly_to_the_case_s_people(who: Claims, allowed: bool) -> None:
    assert may_see(CASE, who) is allowed


def test_a_case_not_yet_assigned_is_visible_to_no_station() -> None:
    assert not may_see({"station": None}, claims("staff", station="xijie"))
