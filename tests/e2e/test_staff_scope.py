"""Staff see only their station; residents' contact data never reaches a topic."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from shared.topics import CASE_EVENTS
from tests.e2e.platform import Platform, act, eventually, sign_in, staff_case
from tests.e2e.test_case_flow import QR_CASE, assigned, submit
from tests.kafka_tools import read_topic


@pytest.fixture
def platform(shared_platform: Platform) -> Platform:
    """The module's tests share one platform (tests/e2e/conftest.py)."""
    return shared_platform


def test_staff_of_another_station_get_404_and_strangers_401(platform: Platform) -> None:
    receipt = submit(platform, QR_CASE)
    eventually(lambda: assigned(platform, receipt["tracking_code"]), timeout_s=15)
    case_id = receipt["case_id"]

    own = sign_in(platform, "xijie-staff")
    other = sign_in(platform, "jianchi-staff")
    assert staff_case(platform, own, case_id).status_code == 200
    assert staff_case(platform, other, case_id).status_code == 404
    assert act(platform, other, case_id, "reassign", reason="想拿过来").status_code == 404
    listed = httpx.get(platform.url("routing", "/v1/staff/cases"), headers=other, timeout=10)
    assert case_id not in {c["case_id"] for c in listed.json()}

    not_holder = sign_in(platform, "rep-0413")
    assert staff_case(platform, not_holder, case_id).status_code == 404
    assert staff_case(platform, {}, case_id).status_code == 401
    assert staff_case(platform, {"Authorization": "Bearer forged"}, case_id).status_code == 401
    wrong = platform.post(
        "routing", "/v1/auth/token", json={"username": "xijie-staff", "password": "guess-guess"}
    )
    assert wrong.status_code == 401


def test_case_events_carry_no_resident_contact_data(platform: Platform) -> None:
    contact = {"name": "王阿姨", "phone": "13800001234", "email": "wang.ayi@example.cn"}
    receipt = submit(platform, {**QR_CASE, "contact": contact})
    eventually(lambda: assigned(platform, receipt["tracking_code"]), timeout_s=15)
    holder = sign_in(platform, "rep-0412")
    assert act(platform, holder, receipt["case_id"], "accept").status_code == 200

    def case_records() -> list[Any] | None:
        records = asyncio.run(
            read_topic(platform.infra.kafka_bootstrap, f"{platform.namespace}.{CASE_EVENTS}")
        )
        mine = [r for r in records if r.key == receipt["case_id"].encode()]
        return mine if len(mine) >= 3 else None

    # Other tests' cases share the topic; this case's records are the ones keyed by its id.
    records: list[Any] = eventually(case_records, timeout_s=20)
    types = [dict(r.headers)["ce_type"].decode() for r in records]
    assert types == ["case.submitted", "case.assigned", "case.accepted"]
    for record in records:
        for value in contact.values():
            assert value.encode() not in record.value
            assert all(value.encode() not in v for _, v in record.headers)


def test_staff_enter_a_meeting_case_that_lands_in_their_own_station_queue(
    platform: Platform,
) -> None:
    staff = sign_in(platform, "jianchi-staff")
    body = {
        "category": "garbage_sorting",
        "text": "议事会上居民提出垃圾分类亭应放在小区门口",
        "channel": "meeting",
        "meeting_id": "m-2026-11",
    }
    assert platform.post("intake", "/v1/staff/cases", json=body).status_code == 401
    entered = platform.post("intake", "/v1/staff/cases", json=body, headers=staff)
    assert entered.status_code == 202, entered.text
    receipt = entered.json()

    view = eventually(lambda: assigned(platform, receipt["tracking_code"]), timeout_s=15)
    assert view["station"]["id"] == "jianchi"
    assert view["channel"] == "meeting"
    detail = staff_case(platform, staff, receipt["case_id"]).json()
    assert detail["representative_code"] is None
    assert detail["meetings"] == ["m-2026-11"]
    assert detail["reason"].endswith(
        "entered by station staff; station queue of 剑池街道人大代表联络站"
    )

    supervisor = sign_in(platform, "city-supervisor")
    assert (
        platform.post("intake", "/v1/staff/cases", json=body, headers=supervisor).status_code == 403
    )
    public = platform.post("intake", "/v1/cases", json={**body, "channel": "meeting"})
    assert public.status_code == 422  # residents cannot claim a staff channel
