"""Publishing is the resident's choice: intake in process on the real store and broker, cases
submitted through the form, the JSON API, Open311 and the staff route, then read through
Open311 by the public (no key) and by a partner (api_key)."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from shared.mongo import Document, service_database
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.integration.test_intake_open311 import load_demo_directory
from tests.tokens import bearer, publish_test_accounts

API_KEY = "partner-key-for-publication"
PARTNER = {"api_key": API_KEY}
REQUESTS = "/open311/v2/requests"
TEXT = (
    "西街3号楼门口，川A12345和京A·D12345天天堵住消防通道。"
    "我的电话13800138000，身份证330181199001011234，邮箱 wang.ayi@example.cn，麻烦处理。"
)
SCRUBBED = (
    "西街3号楼门口，[车牌]和[车牌]天天堵住消防通道。"
    "我的电话[电话]，身份证[身份证]，邮箱 [邮箱]，麻烦处理。"
)
SECRETS = ("川A12345", "D12345", "13800138000", "330181199001011234", "wang.ayi@example.cn")
PLACE = "白云路18号王家门口"
LOCATION = {"lat": 28.07526, "lon": 119.13814}
ROUNDED = (28.075, 119.138)


@dataclass
class Intake:
    client: httpx.AsyncClient
    cases: AsyncCollection[Document]


def intake_settings(settings: PlumbingSettings, **changes: Any) -> IntakeSettings:
    fields: dict[str, Any] = {
        "kafka_bootstrap": settings.kafka_bootstrap,
        "mongo_url": settings.mongo_url,
        "namespace": settings.namespace,
        "outbox_poll_seconds": 0.1,
        "open311_api_keys": [API_KEY],
        "rate_limit_per_minute": 100000,
        "rate_limit_burst": 100000,
    }
    return IntakeSettings(**{**fields, **changes})


@pytest.fixture
async def intake(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> AsyncIterator[Intake]:
    configured = intake_settings(settings)
    database = service_database(mongo, configured)
    await publish_test_accounts(settings)
    async with serving(create_app(configured), "intake") as client:
        await load_demo_directory(DirectoryCopy(database))
        yield Intake(client=client, cases=database["cases"])


async def submit_json(intake: Intake, **fields: Any) -> str:
    body = {"category": "parking", "text": TEXT, "location": LOCATION, **fields}
    response = await intake.client.post("/v1/cases", json=body)
    assert response.status_code == 202, response.text
    return str(response.json()["case_id"])


async def submit_form(intake: Intake, **fields: str) -> tuple[str, str]:
    """The resident's page, as a browser posts it: (case id, tracking code)."""
    data = {
        "category": "parking",
        "text": TEXT,
        "place": PLACE,
        "lat": str(LOCATION["lat"]),
        "lon": str(LOCATION["lon"]),
        "submission_id": f"page:{uuid.uuid4().hex}",
        **fields,
    }
    response = await intake.client.post("/new", data=data)
    assert response.status_code == 303, response.text
    match = re.match(r"^/t/([^?]+)\?new=1$", response.headers["location"])
    assert match
    stored = await intake.cases.find_one({"tracking_code": match.group(1)})
    assert stored is not None
    return str(stored["_id"]), match.group(1)


async def submit_open311(intake: Intake, **fields: str) -> str:
    form = {
        **PARTNER,
        "service_code": "parking",
        "description": TEXT,
        "address_string": "白云路18号 电话13800138000",
        "lat": str(LOCATION["lat"]),
        "long": str(LOCATION["lon"]),
        **fields,
    }
    response = await intake.client.post(f"{REQUESTS}.json", data=form)
    assert response.status_code == 200, response.text
    return str(response.json()[0]["service_request_id"])


async def listed(intake: Intake, **params: str) -> dict[str, dict[str, Any]]:
    response = await intake.client.get(f"{REQUESTS}.json", params=params)
    assert response.status_code == 200, response.text
    return {r["service_request_id"]: r for r in response.json()}


async def test_the_public_reads_only_consented_resident_cases_scrubbed_and_rounded(
    intake: Intake,
) -> None:
    form_case, _ = await submit_form(intake, may_publish="yes")
    api_case = await submit_json(intake, channel="api", may_publish=True)
    private_case = await submit_json(intake)  # no consent given: private
    private_form, private_code = await submit_form(intake)  # box left unticked
    staff = await intake.client.post(
        "/v1/staff/cases",
        json={"category": "parking", "text": TEXT, "location": LOCATION, "may_publish": True},
        headers=bearer("staff", station="xijie"),
    )
    assert staff.status_code == 202, staff.text
    staff_case = str(staff.json()["case_id"])
    partner_case = await submit_open311(intake, **{"attribute[may_publish]": "true"})
    partner_private = await submit_open311(intake)
    every = {form_case, api_case, private_case, private_form, staff_case, partner_case}
    every.add(partner_private)

    public = await listed(intake)
    assert set(public) == {form_case, api_case, partner_case}
    for request in public.values():
        assert request["description"] == SCRUBBED
        assert (request["lat"], request["long"]) == ROUNDED
    assert public[partner_case]["address"] == "白云路18号 电话[电话]"
    assert public[form_case]["address"] is None  # the form's place is not published
    for fmt in ("json", "xml"):
        whole = (await intake.client.get(f"{REQUESTS}.{fmt}", params={"extensions": "true"})).text
        for secret in (*SECRETS, PLACE, "28.07526", "119.13814"):
            assert secret not in whole, (fmt, secret)
    root = ET.fromstring((await intake.client.get(f"{REQUESTS}.xml")).content)
    assert {r.findtext("service_request_id") for r in root.findall("request")} == set(public)

    # A partner reads every case, whoever entered it, in full.
    full = await listed(intake, **PARTNER)
    assert set(full) == every
    assert full[private_case]["description"] == TEXT
    assert (full[private_case]["lat"], full[private_case]["long"]) == (28.07526, 119.13814)
    assert full[partner_private]["address"] == "白云路18号 电话13800138000"

    # One by one: a case the public may not read is as unknown as a made-up one.
    unknown = await intake.client.get(f"{REQUESTS}/{uuid.uuid4()}.json")
    for hidden in (private_case, private_form, staff_case, partner_private):
        answer = await intake.client.get(f"{REQUESTS}/{hidden}.json")
        assert answer.status_code == 404 == unknown.status_code
        assert answer.json()[0]["description"] == f"service_request_id {hidden!r} was not found"
        assert (await intake.client.get(f"/open311/v2/tokens/{hidden}.json")).status_code == 404
        with_key = await intake.client.get(f"{REQUESTS}/{hidden}.json", params=PARTNER)
        assert with_key.status_code == 200
        assert with_key.json()[0]["description"].startswith(TEXT)  # the partner reads it all
    one = (await intake.client.get(f"{REQUESTS}/{api_case}.json")).json()[0]
    assert (one["description"], one["lat"]) == (SCRUBBED, ROUNDED[0])
    by_ids = await listed(intake, service_request_id=f"{api_case},{private_case}")
    assert set(by_ids) == {api_case}

    # What was stored: the resident's choice, and the public time only where it counts.
    stored = {d["_id"]: d async for d in intake.cases.find({"_id": {"$in": sorted(every)}})}
    assert {c for c, d in stored.items() if d["may_publish"]} == {
        form_case,
        api_case,
        staff_case,
        partner_case,
    }
    assert {c for c, d in stored.items() if "published_at" in d} == set(public)

    # The resident still reads their own case whole, by its tracking code.
    own = await intake.client.get(f"/v1/cases/{private_code}")
    assert own.status_code == 200
    assert own.json()["text"] == f"{TEXT}\n\n地点：{PLACE}"


async def test_the_residents_own_name_and_introduced_names_stay_out_of_the_public_view(
    intake: Intake,
) -> None:
    # No cue in the text says 周建平 is a name: only the contact does.
    text = "周建平家门口的路灯坏了一个月，我是周建平的邻居刘阿姨，晚上很黑。物业王经理说不归他管。"
    contact = {"name": "周建平", "phone": "13800138000"}
    case_id = await submit_json(intake, channel="api", may_publish=True, text=text, contact=contact)
    public = (await listed(intake))[case_id]
    one = (await intake.client.get(f"{REQUESTS}/{case_id}.json")).json()[0]
    expected = (
        "[姓名]家门口的路灯坏了一个月，我是[姓名]的邻居[姓名]，晚上很黑。物业[姓名]说不归他管。"
    )
    assert public["description"] == one["description"] == expected
    assert "周建平" not in (await intake.client.get(f"{REQUESTS}.xml")).text
    # A partner reads the text as written, and never the contact.
    full = (await listed(intake, **PARTNER))[case_id]
    assert full["description"] == text
    assert "13800138000" not in str(full)


async def test_timeline_notes_and_names_stay_out_of_the_public_extensions(
    intake: Intake,
) -> None:
    case_id = await submit_json(intake, may_publish=True)
    now = datetime.now(UTC)
    await intake.cases.update_one(
        {"_id": case_id},
        {
            "$set": {
                "status": "reopened",
                "representative": {"code": "0412", "name": "张献平"},
                "station": {"id": "xijie", "name": "西街街道人大代表联络站"},
            },
            "$push": {
                "timeline": {
                    "$each": [
                        {
                            "status": "assigned",
                            "at": now,
                            "note": "西街街道人大代表联络站 · 张献平",
                        },
                        {"status": "reopened", "at": now, "note": "我是王阿姨，还是没人管"},
                    ]
                }
            },
        },
    )

    public = (await listed(intake, extensions="true"))[case_id]
    extended = public["extended_attributes"]
    assert extended["representative"] is None
    assert [(s["status"], s["note"]) for s in extended["timeline"]] == [
        ("submitted", None),
        ("assigned", None),
        ("reopened", None),
    ]
    assert public["status_notes"] == "重新办理"
    assert public["agency_responsible"] == "西街街道人大代表联络站"
    one = (await intake.client.get(f"{REQUESTS}/{case_id}.json?extensions=true")).text
    for secret in ("张献平", "王阿姨"):
        assert secret not in one

    partner = (await listed(intake, extensions="true", **PARTNER))[case_id]
    assert partner["extended_attributes"]["representative"] == "张献平"
    assert partner["status_notes"] == "我是王阿姨，还是没人管"


async def test_consent_must_be_given_plainly_and_a_wrong_key_is_refused(intake: Intake) -> None:
    refused = await intake.client.post(
        "/v1/cases", json={"category": "parking", "text": TEXT, "may_publish": "yes"}
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["detail"]] == ["may_publish"]

    odd = await intake.client.post(
        f"{REQUESTS}.json",
        data={**PARTNER, "service_code": "parking", "description": TEXT, "lat": "28", "long": "119"}
        | {"attribute[may_publish]": "maybe"},
    )
    assert odd.status_code == 400
    assert odd.json() == [
        {"code": 400, "description": "attribute[may_publish] must be true or false"}
    ]

    for path in (f"{REQUESTS}.json", f"{REQUESTS}/{uuid.uuid4()}.json"):
        wrong = await intake.client.get(path, params={"api_key": "guess"})
        assert wrong.status_code == 403
        assert wrong.json() == [{"code": 403, "description": "api_key is invalid"}]


async def test_the_form_asks_for_publishing_consent_unticked(intake: Intake) -> None:
    page = await intake.client.get("/new")
    assert page.status_code == 200
    box = re.search(r'<input type="checkbox" id="may_publish"[^>]*>', page.text)
    assert box is not None
    assert 'name="may_publish" value="yes"' in box.group(0)
    assert "checked" not in box.group(0)
    assert "身份证号" in page.text and "约 100 米" in page.text


async def test_public_reads_are_rate_limited_and_answered_as_open311_errors(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    configured = intake_settings(settings, rate_limit_per_minute=6, rate_limit_burst=2)
    async with serving(create_app(configured), "intake") as client:
        codes = [(await client.get(f"{REQUESTS}.json")).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        limited = await client.get(f"{REQUESTS}.xml")
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        root = ET.fromstring(limited.content)
        assert (root.tag, root.findtext("error/code")) == ("errors", "429")
        one = await client.get(f"{REQUESTS}/{uuid.uuid4()}.json")
        assert one.status_code == 429
        assert one.json()[0]["code"] == 429
