"""intake's Open311 GeoReport v2 endpoint in process, on the real store and broker."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.entrypoints.deps import Container
from services.intake.open311 import routes as open311
from services.intake.settings import IntakeSettings
from services.routing.adapters.directory_repository import read_directory_file
from shared.events.envelope import Envelope
from shared.http import create_service_app
from shared.outbox import OutboxRelay
from shared.runtime import ServiceRuntime, runtime_lifespan
from shared.topics import CASE_EVENTS
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.kafka_tools import read_topic

DEMO_DIRECTORY = Path(__file__).resolve().parents[2] / "services/routing/demo_directory.yaml"
API_KEY = "test-open311-key"
PARTNER = {"api_key": API_KEY}
BASE = "/open311/v2"
FORM = {
    "api_key": API_KEY,
    "service_code": "parking",
    "description": "白云社区晚上停车位不够，车辆乱停占用消防通道。",
    "lat": "28.0752",
    "long": "119.1381",
}


@dataclass
class Open311Api:
    client: httpx.AsyncClient
    cases: CaseRepository


def build_app(settings: IntakeSettings) -> tuple[FastAPI, CaseRepository, DirectoryCopy]:
    """intake's wiring for the Open311 router: its repositories and a running outbox relay."""
    runtime = ServiceRuntime(settings)
    cases = CaseRepository(runtime.db)
    directory = DirectoryCopy(runtime.db)
    relay = OutboxRelay(
        collections=[cases.collection],
        publisher=runtime.publisher,
        settings=settings,
        metrics=runtime.metrics,
    )

    async def on_start() -> None:
        async def setup() -> None:
            await cases.ensure_indexes()
            await directory.ensure_indexes()

        runtime.spawn_setup(setup)
        runtime.spawn("outbox", relay.run)

    app = create_service_app(
        title="Minyi intake (Open311)",
        description="Open311 under test.",
        version="0.0.0",
        metrics=runtime.metrics,
        max_body_bytes=settings.max_body_bytes,
        lifespan=runtime_lifespan(runtime, on_start=on_start),
        readiness=runtime.readiness,
    )
    app.state.container = Container.of(
        settings=settings, cases=cases, directory=directory, relay=relay
    )
    app.include_router(open311.router)
    return app, cases, directory


async def load_demo_directory(directory: DirectoryCopy) -> None:
    demo = read_directory_file(DEMO_DIRECTORY).model_dump(mode="json")
    at = datetime.now(UTC)
    for category in demo["categories"]:
        await directory.apply(kind="category", key=category["code"], entry=category, at=at)
    for point in demo["liaison_points"]:
        await directory.apply(kind="liaison_point", key=point["id"], entry=point, at=at)
    retired = {"code": "retired", "name": "已停用", "name_en": "Retired", "active": False}
    await directory.apply(kind="category", key="retired", entry=retired, at=at)


@pytest.fixture
async def api(settings: PlumbingSettings) -> AsyncIterator[Open311Api]:
    app, cases, directory = build_app(
        IntakeSettings(
            kafka_bootstrap=settings.kafka_bootstrap,
            mongo_url=settings.mongo_url,
            namespace=settings.namespace,
            outbox_poll_seconds=0.1,
            open311_api_keys=[API_KEY],
            # Reading is rate-limited too: these tests read far more than a client would.
            rate_limit_per_minute=100000,
            rate_limit_burst=100000,
        )
    )
    async with serving(app, "intake") as client:
        await load_demo_directory(directory)
        yield Open311Api(client=client, cases=cases)


async def post(api: Open311Api, fmt: str, **fields: str) -> httpx.Response:
    """A form-encoded POST, as every Open311 client sends it."""
    form = {k: v for k, v in {**FORM, **fields}.items() if v != ""}
    return await api.client.post(f"{BASE}/requests.{fmt}", data=form)


async def posted_id(api: Open311Api, **fields: str) -> str:
    response = await post(api, "json", **fields)
    assert response.status_code == 200, response.text
    return str(response.json()[0]["service_request_id"])


def xml_of(response: httpx.Response) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def error_of(response: httpx.Response) -> list[dict[str, Any]]:
    body = response.json()
    assert isinstance(body, list)
    assert all(set(e) == {"code", "description"} for e in body)
    assert all(e["code"] == response.status_code for e in body)
    return body


async def test_discovery_services_and_definitions_answer_in_json_and_xml(
    api: Open311Api,
) -> None:
    discovery = await api.client.get(f"{BASE}/discovery.json")
    assert discovery.status_code == 200
    endpoint = discovery.json()["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://intake/open311/v2/"
    assert xml_of(await api.client.get(f"{BASE}/discovery.xml")).tag == "discovery"

    services = (await api.client.get(f"{BASE}/services.json")).json()
    codes = [s["service_code"] for s in services]
    assert "parking" in codes and "retired" not in codes
    parking = next(s for s in services if s["service_code"] == "parking")
    assert (parking["service_name"], parking["metadata"], parking["type"]) == (
        "停车位",
        True,
        "realtime",
    )
    root = xml_of(await api.client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == codes

    definition = (await api.client.get(f"{BASE}/services/parking.json")).json()
    assert definition["service_code"] == "parking"
    point = definition["attributes"][0]
    assert (point["code"], point["datatype"]) == ("liaison_point", "singlevaluelist")
    assert {"key": "baiyun", "name": "白云社区人大联络点"} in point["values"]
    root = xml_of(await api.client.get(f"{BASE}/services/parking.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("attributes/attribute/code") == "liaison_point"

    assert (await api.client.get(f"{BASE}/services/retired.json")).status_code == 404


async def test_a_posted_request_is_stored_published_without_contact_and_read_back_by_a_partner(
    api: Open311Api, settings: PlumbingSettings
) -> None:
    response = await post(
        api,
        "json",
        **{
            "first_name": "Ying",
            "last_name": "Lin",
            "phone": "+86 138 0000 5678",
            "email": "lin.ying@example.cn",
            "address_string": "白云路 18 号",
            "attribute[liaison_point]": "baiyun",
            "attribute[representative_code]": "0412",
            "media_url": "http://example.cn/photo.jpg",
            "jurisdiction_id": "longquan.minyi",
        },
    )
    assert response.status_code == 200, response.text
    [receipt] = response.json()
    request_id = receipt["service_request_id"]
    assert receipt["account_id"] is None
    assert receipt["service_notice"]

    xml_post = await post(api, "xml", description="垃圾分类亭的位置离住户太近，气味很大。")
    assert xml_post.status_code == 200
    xml_id = xml_of(xml_post).findtext("request/service_request_id")
    assert xml_id

    # Posted without attribute[may_publish]: private, so read back as the partner.
    assert (await api.client.get(f"{BASE}/requests.json")).json() == []
    listed = (await api.client.get(f"{BASE}/requests.json", params=PARTNER)).json()
    assert {r["service_request_id"] for r in listed} == {request_id, xml_id}
    mine = next(r for r in listed if r["service_request_id"] == request_id)
    assert mine["status"] == "open"
    assert mine["service_code"] == "parking"
    assert mine["service_name"] == "停车位"
    assert mine["description"] == FORM["description"]
    assert mine["address"] == "白云路 18 号"
    assert (mine["lat"], mine["long"]) == (28.0752, 119.1381)
    assert mine["requested_datetime"].endswith("Z")
    for secret in ("138 0000 5678", "lin.ying@example.cn", "Ying"):
        assert secret not in (await api.client.get(f"{BASE}/requests.json", params=PARTNER)).text

    root = xml_of(await api.client.get(f"{BASE}/requests.xml", params=PARTNER))
    assert root.tag == "service_requests"
    by_id = {r.findtext("service_request_id"): r for r in root.findall("request")}
    assert set(by_id) == {request_id, xml_id}
    assert by_id[request_id].findtext("status") == "open"
    assert by_id[request_id].findtext("address") == "白云路 18 号"

    one = await api.client.get(f"{BASE}/requests/{request_id}.xml", params=PARTNER)
    assert xml_of(one).findtext("request/service_request_id") == request_id
    token = (await api.client.get(f"{BASE}/tokens/{request_id}.json", params=PARTNER)).json()
    assert token == [{"service_request_id": request_id, "token": request_id}]

    records = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=2)
    events = {Envelope.from_bytes(r.value).subject: r for r in records}
    submitted = Envelope.from_bytes(events[request_id].value)
    assert submitted.type == "case.submitted"
    assert submitted.data["channel"] == "open311"
    assert submitted.data["liaison_point_id"] == "baiyun"
    assert submitted.data["representative_code"] == "0412"
    assert submitted.data["has_contact"] is True
    for secret in ("138 0000 5678", "lin.ying@example.cn", "Ying", "Lin"):
        assert secret.encode() not in events[request_id].value


@pytest.mark.parametrize("reader", [{}, PARTNER], ids=["public", "partner"])
async def test_get_requests_filters_by_status_service_code_and_dates(
    api: Open311Api, reader: dict[str, str]
) -> None:
    # Published, so that the public reads them too: through its own index, by the same rules.
    consented = {"attribute[may_publish]": "true"}
    parking = await posted_id(api, **consented)
    drainage = await posted_id(
        api, service_code="drainage", description="下雨天路口积水严重。", **consented
    )
    closed = await posted_id(api, description="小区出入口需要划定临时停车区域。", **consented)
    old = await posted_id(api, description="去年反映过的停车难问题还没有解决。", **consented)
    await api.cases.collection.update_one(
        {"_id": closed},
        {"$set": {"status": "closed", "response": "已划定 12 个临时停车位。"}},
    )
    long_ago = datetime.now(UTC) - timedelta(days=120)
    await api.cases.collection.update_one(
        {"_id": old}, {"$set": {"submitted_at": long_ago, "published_at": long_ago}}
    )

    async def ids(**params: str) -> list[str]:
        response = await api.client.get(f"{BASE}/requests.json", params={**params, **reader})
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in response.json()]

    assert set(await ids()) == {parking, drainage, closed}  # the last 90 days
    assert set(await ids(status="open")) == {parking, drainage}
    assert await ids(status="closed") == [closed]
    assert set(await ids(service_code="drainage,parking", status="open")) == {parking, drainage}
    window = {
        "start_date": (long_ago - timedelta(days=1)).isoformat(),
        "end_date": (long_ago + timedelta(days=1)).isoformat(),
    }
    assert await ids(**window) == [old]
    assert set(await ids(service_request_id=f"{old},{closed}")) == {old, closed}

    closed_one = (await api.client.get(f"{BASE}/requests/{closed}.json", params=reader)).json()[0]
    assert (closed_one["status"], closed_one["status_notes"]) == (
        "closed",
        "已划定 12 个临时停车位。",
    )


@pytest.mark.parametrize("reader", [{}, PARTNER], ids=["public", "partner"])
async def test_requests_page_and_extend_on_request(api: Open311Api, reader: dict[str, str]) -> None:
    for n in range(3):
        description = f"第 {n + 1} 条关于停车位的意见建议。"
        await posted_id(api, description=description, **{"attribute[may_publish]": "true"})
    await posted_id(api, description="这一条没有同意公开。")  # only the partner pages over it

    async def page(**params: str) -> list[dict[str, Any]]:
        response = await api.client.get(f"{BASE}/requests.json", params={**params, **reader})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    first = await page(page_size="2")
    second = await page(page_size="2", page="2")
    assert (len(first), len(second)) == (2, 2 if reader else 1)
    assert not {r["service_request_id"] for r in first} & {r["service_request_id"] for r in second}
    assert "extended_attributes" not in first[0]

    extended = await page(extensions="true")
    attributes = extended[0]["extended_attributes"]
    assert attributes["case_status"] == "submitted"
    assert attributes["channel"] == "open311"
    assert attributes["timeline"][0]["status"] == "submitted"
    params = {"extensions": "true", "page_size": "1", **reader}
    root = xml_of(await api.client.get(f"{BASE}/requests.xml", params=params))
    assert root.findtext("request/extended_attributes/timeline/step/status") == "submitted"


async def test_spec_errors_come_with_their_status_and_errors_body(api: Open311Api) -> None:
    missing_key = await post(api, "json", api_key="")
    assert missing_key.status_code == 403
    assert "api_key" in error_of(missing_key)[0]["description"]
    wrong_key = await post(api, "xml", api_key="guess")
    assert wrong_key.status_code == 403
    root = xml_of(wrong_key)
    assert (root.tag, root.findtext("error/code")) == ("errors", "403")

    bad_code = await post(api, "json", service_code="nonexistent")
    assert bad_code.status_code == 400
    assert error_of(bad_code)[0]["description"] == "service_code 'nonexistent' was not found"
    retired = await post(api, "json", service_code="retired")
    assert retired.status_code == 400

    no_description = await post(api, "json", description="")
    assert no_description.status_code == 400
    assert error_of(no_description)[0]["description"] == "description is required"
    no_location = await post(api, "json", lat="", long="")
    assert no_location.status_code == 400
    bad_point = await post(api, "json", **{"attribute[liaison_point]": "nowhere"})
    assert bad_point.status_code == 400
    assert "attribute[liaison_point]" in error_of(bad_point)[0]["description"]

    elsewhere = await post(api, "json", jurisdiction_id="chicago.il")
    assert elsewhere.status_code == 404
    error_of(elsewhere)
    listing_elsewhere = await api.client.get(f"{BASE}/services.json?jurisdiction_id=sf.ca")
    assert listing_elsewhere.status_code == 404

    unknown = await api.client.get(f"{BASE}/requests/00000000-0000-0000-0000-000000000000.json")
    assert unknown.status_code == 404
    error_of(unknown)
    unknown_xml = await api.client.get(f"{BASE}/requests/nope.xml")
    assert (unknown_xml.status_code, xml_of(unknown_xml).tag) == (404, "errors")
    assert (await api.client.get(f"{BASE}/tokens/nope.json")).status_code == 404
    assert (await api.client.get(f"{BASE}/services.csv")).status_code == 404

    too_long = await api.client.get(
        f"{BASE}/requests.json",
        params={"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-06-01T00:00:00Z"},
    )
    assert too_long.status_code == 400
    error_of(too_long)

    # Everything posted above was refused: there is nothing to list, for anyone.
    assert (await api.client.get(f"{BASE}/requests.json")).json() == []
    assert (await api.client.get(f"{BASE}/requests.json", params=PARTNER)).json() == []
