"""A resident's erasure reaches every service (PIPL): the four services as processes, a case
with recognisable strings everywhere it goes, erased through intake's admin API, then every
document of every database of the namespace scanned for those strings — none is left, and the
case still counts in reporting."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from bson import json_util
from pymongo import MongoClient

from shared.topics import RESIDENT_CONTACTS
from tests.e2e.platform import ADMIN, Platform, act, eventually, sign_in, staff_case
from tests.e2e.test_case_flow import QR_CASE, assigned, resident_view, submit
from tests.infra import Infra, free_port
from tests.integration.test_intake_attachments import tiny_png
from tests.kafka_tools import read_topic

LAT, LON = 28.0731927, 119.1362841


@pytest.fixture
def platform(infra: Infra, namespace: str, settings: object) -> Iterator[Platform]:
    # notify with an SMS gateway nobody listens on: the resident's SMS stays queued, with their
    # number in it, until the erasure.
    running = Platform(
        infra=infra,
        namespace=namespace,
        extra_env={
            "MINYI_SMS_GATEWAY_URL": f"http://127.0.0.1:{free_port()}/sms",
            "MINYI_GATEWAY_SECRET": "e2e-erasure-gateway-secret",
            "MINYI_GATEWAY_TIMEOUT_S": "0.5",
        },
    )
    try:
        running.start_all()
        yield running
    finally:
        running.stop_all()


def every_document(platform: Platform) -> Iterator[tuple[str, str, str]]:
    """(database, collection, the document as text) for every document of the namespace."""
    client: MongoClient[dict[str, Any]] = MongoClient(platform.infra.mongo_url)
    try:
        for database in client.list_database_names():
            if not database.startswith(platform.namespace + "_"):
                continue
            for collection in client[database].list_collection_names():
                for document in client[database][collection].find():
                    text = str(document) + json_util.dumps(document, ensure_ascii=False)
                    yield database, collection, text
    finally:
        client.close()


def leftovers(platform: Platform, secrets: list[str]) -> list[str]:
    return [
        f"{database}.{collection}: {secret!r}"
        for database, collection, text in every_document(platform)
        for secret in secrets
        if secret in text
    ]


def test_an_erased_resident_is_nowhere_in_any_store_and_their_case_still_counts(
    platform: Platform,
) -> None:
    marker = uuid.uuid4().hex[:10]
    digits = f"{uuid.uuid4().int % 10**8:08d}"
    phone = f"+86 137 {digits[:4]} {digits[4:]}"
    email = f"resident-{marker}@example.cn"
    text = f"标记{marker}：小区东门的停车场晚上停满了"
    question = f"请问具体是哪个门？问{marker}"
    answer = f"是东门，靠近{marker}号楼"
    photo_name = f"gate-{marker}.png"
    receipt = submit(
        platform,
        {
            **QR_CASE,
            "text": text,
            "location": {"lat": LAT, "lon": LON},
            "contact": {"name": "王阿姨", "phone": phone, "email": email},
            "attachments": [
                {
                    "filename": photo_name,
                    "content_type": "image/png",
                    "data": base64.b64encode(tiny_png()).decode(),
                }
            ],
        },
    )
    code, case_id = receipt["tracking_code"], receipt["case_id"]
    eventually(lambda: assigned(platform, code), timeout_s=20)
    photo_sha256 = resident_view(platform, code)["attachments"][0]["sha256"]

    # The case flows everywhere: accepted (the resident is told, by SMS too), a question from
    # the station, the resident's answer (the station's inbox quotes it).
    representative = sign_in(platform, "rep-0412")
    staff = sign_in(platform, "xijie-staff")
    assert act(platform, representative, case_id, "accept").status_code == 200
    asked = httpx.post(
        platform.url("routing", f"/v1/staff/cases/{case_id}/messages"),
        json={"text": question},
        headers=staff,
        timeout=10,
    )
    assert asked.status_code == 200, asked.text
    eventually(lambda: resident_view(platform, code)["messages"])
    replied = platform.post("intake", f"/v1/cases/{code}/messages", json={"text": answer})
    assert replied.status_code == 202, replied.text
    eventually(
        lambda: any(
            answer in m["body"]
            for m in platform.get("notify", "/v1/inbox/station:xijie").json()["messages"]
        )
    )
    eventually(
        lambda: any(
            m["text"] == answer for m in staff_case(platform, staff, case_id).json()["messages"]
        )
    )

    normalized = f"137{digits}"
    secrets = [phone, normalized, email, text, question, answer, photo_name, photo_sha256]
    secrets += [str(LAT), str(LON)]
    before = leftovers(platform, secrets)
    # Each service held some of it: the scan would see it if it stayed.
    for database in ("minyi_intake", "minyi_routing", "minyi_notify"):
        assert any(f"{platform.namespace}_{database}." in found for found in before), database
    assert any(".deliveries: " in found and repr(phone) in found for found in before)
    counted = platform.get("reporting", "/v1/reports/city").json()["city"]

    erased = httpx.post(
        platform.url("intake", "/v1/admin/erasures"),
        json={"email": email.upper()},
        headers=ADMIN,
        timeout=10,
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["erased"] == 1

    def scrubbed() -> bool:
        found = leftovers(platform, secrets)
        assert not found, found  # `eventually` reports the last leftovers it saw
        return True

    eventually(scrubbed, timeout_s=30, interval_s=0.5)

    log = platform.get("intake", f"/v1/admin/erasures/{case_id}").json()["entries"]
    assert [(e["scope"], e["contact"]) for e in log] == [("all", True)]
    eventually(
        lambda: platform.get("intake", f"/v1/admin/erasures/{case_id}").json()["entries"][0][
            "tombstone_at"
        ]
    )
    records = asyncio.run(
        read_topic(
            platform.infra.kafka_bootstrap, f"{platform.namespace}.{RESIDENT_CONTACTS}", expect=2
        )
    )
    keyed = [r.value for r in records if r.key == case_id.encode()]
    assert keyed[0] is not None and keyed[-1] is None  # compaction keeps the tombstone only

    # What counts stays: the case, its status, station, category and dates.
    view = resident_view(platform, code)
    assert (view["status"], view["category"], view["text"]) == ("accepted", "parking", "[erased]")
    assert view["station"]["id"] == "xijie" and view["attachments"] == []
    routed = staff_case(platform, staff, case_id).json()
    assert (routed["status"], routed["station_id"], routed["text"]) == (
        "accepted",
        "xijie",
        "[erased]",
    )
    assert platform.get("reporting", "/v1/reports/city").json()["city"] == counted
    assert counted["received"] == 1 and counted["accepted"] == 1
    photo = platform.get("intake", f"/v1/cases/{code}/attachments/1")
    assert photo.status_code == 404
    assert json.dumps(erased.json()).find(normalized) == -1
