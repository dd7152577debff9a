"""Duplicates, "me too" and merged residents answered, across the four services as processes.

One story: resident A submits; resident B's draft gets A's case suggested (nothing personal
in it); a third resident says "me too" on A with a phone (counted once per request, shown on
A's tracking page); staff see A as a candidate duplicate on B's case page and merge B into A;
A is answered; B's resident is told A's answer, follows it on their own tracking page and
rates it there; the supporter's SMS is queued; reporting counts A once for completion and
both residents' ratings, and the supporter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from shared.auth import SESSION_COOKIE
from shared.topics import RESIDENT_CONTACTS
from tests.e2e.platform import Platform, act, eventually, sign_in, staff_case
from tests.e2e.test_case_flow import assigned, resident_view, submit
from tests.infra import Infra, free_port
from tests.kafka_tools import read_topic

A_TEXT = "我是王小明，小区东门停车场晚上停满了，希望增加车位"
B_TEXT = "东门停车场晚上总是停满车，回家没地方停"
ANSWER = "已协调在东门外侧增设20个夜间停车位。"
SUPPORTER_PHONE = "13900001111"


@pytest.fixture(scope="module")
def platform(infra: Infra, shared_namespace: str, shared_settings: object) -> Iterator[Platform]:
    # An SMS gateway nobody listens on: the supporter's SMS stays queued, where it is checked.
    running = Platform(
        infra=infra,
        namespace=shared_namespace,
        extra_env={
            "MINYI_SMS_GATEWAY_URL": f"http://127.0.0.1:{free_port()}/sms",
            "MINYI_GATEWAY_SECRET": "e2e-duplicates-gateway-secret",
            "MINYI_GATEWAY_TIMEOUT_S": "0.5",
        },
    )
    try:
        running.start_all()
        yield running
    finally:
        running.stop_all()


def ok(response: httpx.Response, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json()


def similar_to(platform: Platform, draft: dict[str, Any], case_id: str) -> Any:
    found = ok(platform.post("intake", "/v1/cases/similar", json=draft))
    return next((c for c in found["cases"] if c["case_id"] == case_id), None)


def queued_sms(platform: Platform, case_id: str) -> list[dict[str, Any]]:
    client: MongoClient[dict[str, Any]] = MongoClient(platform.infra.mongo_url)
    try:
        deliveries = client[f"{platform.namespace}_minyi_notify"]["deliveries"]
        return list(deliveries.find({"case_id": case_id, "channel": "sms"}))
    finally:
        client.close()


def station(platform: Platform) -> dict[str, Any] | None:
    report = platform.get("reporting", "/v1/reports/stations").json()
    return next((s for s in report["stations"] if s["station_id"] == "xijie"), None)


def test_a_duplicate_is_suggested_joined_merged_and_its_resident_answered(
    platform: Platform,
) -> None:
    a = submit(platform, {"category": "parking", "text": A_TEXT, "representative_code": "0412"})
    eventually(lambda: assigned(platform, a["tracking_code"]), timeout_s=15)

    # B's draft: A is suggested, with nothing personal (A's resident did not consent to publish).
    draft = {"category": "parking", "text": B_TEXT, "representative_code": "0412"}
    suggestion = eventually(lambda: similar_to(platform, draft, a["case_id"]))
    assert suggestion["text"] is None and suggestion["supporters"] == 0
    assert suggestion["status"] == "assigned"
    raw = platform.post("intake", "/v1/cases/similar", json=draft).text
    assert a["tracking_code"] not in raw and "王小明" not in raw
    lights = {**draft, "text": "东门路灯坏了好几天，晚上很黑"}
    assert similar_to(platform, lights, a["case_id"]) is None

    # A third resident says "me too" on A, with a phone; the same request twice counts once.
    me_too = {"contact": {"phone": SUPPORTER_PHONE}}
    key = {"Idempotency-Key": "e2e-me-too-0001"}
    path = f"/v1/cases/{a['case_id']}/supporters"
    assert ok(platform.post("intake", path, json=me_too, headers=key), 202)["supporters"] == 1
    assert ok(platform.post("intake", path, json=me_too, headers=key), 202)["supporters"] == 1
    assert resident_view(platform, a["tracking_code"])["supporters"] == 1
    assert similar_to(platform, draft, a["case_id"])["supporters"] == 1
    # The supporter's contact has a key of its own on the compacted topic: compaction never
    # drops the case's resident's contact (keyed by the case id) for it.
    contacts = asyncio.run(
        read_topic(
            platform.infra.kafka_bootstrap, f"{platform.namespace}.{RESIDENT_CONTACTS}", expect=1
        )
    )
    keys = [r.key.decode() for r in contacts if r.key.decode().startswith(a["case_id"])]
    assert len(keys) == 1 and keys[0].startswith(a["case_id"] + "/s"), keys

    # B submits anyway; staff see A as a candidate duplicate on B's page and merge B into A.
    b = submit(platform, draft)
    eventually(lambda: assigned(platform, b["tracking_code"]), timeout_s=15)
    rep, staff = sign_in(platform, "rep-0412"), sign_in(platform, "xijie-staff")
    for case in (a, b):
        ok(act(platform, rep, case["case_id"], "accept"))
    session = {SESSION_COOKIE: staff["Authorization"].removeprefix("Bearer ")}
    page = httpx.get(
        platform.url("routing", f"/staff/cases/{b['case_id']}"), cookies=session, timeout=10
    )
    assert page.status_code == 200
    assert 'id="duplicates"' in page.text
    assert f'name="into_case_id" value="{a["case_id"]}"' in page.text
    assert eventually(
        lambda: ok(staff_case(platform, staff, a["case_id"]))["supporters"] == 1
    )  # routing shows the "me too" count too
    ok(act(platform, staff, b["case_id"], "merge", into_case_id=a["case_id"]))
    eventually(lambda: resident_view(platform, b["tracking_code"])["status"] == "merged")

    # A is answered: B's resident reads the answer on their own page and is told of it.
    ok(act(platform, staff, a["case_id"], "approve"))
    ok(act(platform, staff, a["case_id"], "respond", response=ANSWER))
    view = eventually(
        lambda: (
            (v := resident_view(platform, b["tracking_code"]))["merged_into"]["response"] == ANSWER
            and v
        )
    )
    assert view["status"] == "merged" and view["allowed_actions"] == ["rate"]
    assert view["merged_into"]["case_id"] == a["case_id"]
    page = httpx.get(platform.url("intake", f"/t/{b['tracking_code']}"), timeout=10)
    assert 'id="merged-into"' in page.text and ANSWER in page.text and 'id="rating"' in page.text
    assert A_TEXT not in page.text  # nothing of the other resident's case

    def told() -> list[dict[str, Any]]:
        inbox = platform.get("notify", f"/v1/inbox/case:{b['case_id']}").json()
        return [m for m in inbox["messages"] if ANSWER in m["body"]]

    eventually(told)
    sms = eventually(lambda: queued_sms(platform, a["case_id"]))
    assert SUPPORTER_PHONE in {d["address"] for d in sms}

    # Both residents rate the one answer; A is closed.
    rated = platform.post(
        "intake", f"/v1/cases/{b['tracking_code']}/rating", json={"rating": "satisfied"}
    )
    assert ok(rated, 202)["allowed_actions"] == []
    assert (
        platform.post(
            "intake", f"/v1/cases/{a['tracking_code']}/rating", json={"rating": "dissatisfied"}
        ).status_code
        == 202
    )
    ok(act(platform, staff, a["case_id"], "close"))

    def counted() -> dict[str, Any] | None:
        found = station(platform)
        return found if found and found["closed"] == 1 and found["rated"] == 2 else None

    figures = eventually(counted)
    assert (figures["accepted"], figures["merged_accepted"], figures["merged"]) == (2, 1, 1)
    assert figures["completion_rate"]["rate"] == 1.0
    assert figures["ratings"]["satisfied"] == 1 and figures["ratings"]["dissatisfied"] == 1
    assert figures["supporters"] == 1
