"""Every door is locked: each operation of the four OpenAPI documents answers 401 without a
token unless it is public by design (listed below with the reason), and station-scoped users
get 404 for another station's data.

The apps run in-process on the real broker and store; tokens are minted as routing mints them.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from services.intake.app import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.reporting.adapters.read_models import ReadModels
from services.reporting.app import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.house_repository import HouseRepository
from services.routing.app import create_app as routing_app
from services.routing.settings import RoutingSettings
from shared.mongo import Document, service_database
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.integration.test_house_repair_and_meetings_store import add_case, house
from tests.tokens import bearer, publish_test_accounts, until_accounts_read

# (service, method, path template) → why anyone may call it.
PUBLIC: dict[tuple[str, str, str], str] = {
    **{
        (service, "GET", path): "probes and scraping for the operators' network"
        for service in ("intake", "routing", "notify", "reporting")
        for path in ("/healthz", "/readyz", "/metrics")
    },
    **{
        (service, "GET", "/asyncapi.json"): "the events' contract, for downstream consumers"
        for service in ("intake", "routing", "notify", "reporting")
    },
    ("intake", "POST", "/v1/cases"): "residents submit without an account",
    ("intake", "GET", "/v1/cases/{tracking_code}"): "the resident's own case, by its secret code",
    ("intake", "GET", "/v1/cases/{tracking_code}/attachments/{n}"): "the resident's own photos",
    ("intake", "POST", "/v1/cases/{tracking_code}/rating"): "the resident rates by code",
    ("intake", "POST", "/v1/cases/{tracking_code}/reopen"): "the resident reopens by code",
    ("intake", "POST", "/v1/cases/{tracking_code}/messages"): "the resident answers by code",
    ("intake", "POST", "/v1/cases/similar"): "a resident's draft meets similar open cases: "
    "no text unless its resident consented, no contact, no tracking code, no location",
    ("intake", "POST", "/v1/cases/{case_id}/supporters"): "'me too' without an account, by "
    "the public case id",
    ("intake", "GET", "/v1/qr/{representative_code}.svg"): "QR codes are posted publicly",
    ("intake", "GET", "/v1/qr/{representative_code}.png"): "QR codes are posted publicly",
    ("intake", "GET", "/v1/stations/{station_id}/qr-sheet"): "the station's printable QR sheet",
    ("intake", "GET", "/open311/v2/discovery.{fmt}"): "Open311 discovery is public",
    ("intake", "GET", "/open311/v2/services.{fmt}"): "the categories are public",
    ("intake", "GET", "/open311/v2/services/{service_code}.{fmt}"): "a category's definition",
    ("intake", "POST", "/open311/v2/requests.{fmt}"): "partners submit with their api_key",
    ("intake", "GET", "/open311/v2/requests.{fmt}"): "consented cases only, scrubbed, unless keyed",
    ("intake", "GET", "/open311/v2/tokens/{token}.{fmt}"): "a submitter follows its token",
    ("intake", "GET", "/open311/v2/requests/{service_request_id}.{fmt}"): "as the list",
    ("routing", "GET", "/v1/directory"): "stations and representatives are public office",
    ("routing", "GET", "/v1/directory/stations"): "stations are public",
    ("routing", "GET", "/v1/directory/departments"): "departments are public",
    ("routing", "GET", "/v1/directory/representatives/{code}"): "a representative's public card",
    ("routing", "GET", "/v1/directory/representatives"): "the public directory, a page at a time",
    ("routing", "GET", "/v1/directory/liaison_points"): "the public directory's points, paged",
    ("routing", "POST", "/v1/auth/token"): "signing in",
    ("routing", "POST", "/v1/auth/oidc"): "signing in through the city's identity provider",
    ("reporting", "GET", "/v1/public/transparency"): "aggregated per station and city only",
    ("reporting", "GET", "/v1/public/representatives/{code}/record"): "a representative's "
    "public duty record: counts only, satisfaction withheld on few ratings",
}

# A value each path parameter accepts, so that only the access rule can refuse the call.
PATH_VALUES = {
    "tracking_code": "ABCD2345EF",
    "n": "1",
    "representative_code": "0412",
    "station_id": "xijie",
    "fmt": "json",
    "service_code": "parking",
    "service_request_id": "x",
    "token": "x",
    "code": "0412",
    "kind": "stations",
    "key": "xijie",
    "case_id": "00000000-0000-0000-0000-000000000000",
    "meeting_id": "m",
    "house_id": "h",
    "item_id": "1",
    "suggestion_id": "s",
    "recipient": "station:xijie",
    "message_id": "x",
    "username": "xijie-staff",
}


@dataclass(frozen=True)
class Apps:
    intake: httpx.AsyncClient
    routing: httpx.AsyncClient
    notify: httpx.AsyncClient
    reporting: httpx.AsyncClient

    def of(self, service: str) -> httpx.AsyncClient:
        client: httpx.AsyncClient = getattr(self, service)
        return client


@pytest.fixture
async def apps(settings: PlumbingSettings) -> AsyncIterator[Apps]:
    common: dict[str, Any] = {
        "kafka_bootstrap": settings.kafka_bootstrap,
        "mongo_url": settings.mongo_url,
        "namespace": settings.namespace,
    }
    await publish_test_accounts(settings)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(serving(app, name, ready=False))
            for app, name in (
                (intake_app(IntakeSettings(**common)), "intake"),
                (routing_app(RoutingSettings(**common)), "routing"),
                (notify_app(NotifySettings(**common)), "notify"),
                (reporting_app(ReportingSettings(**common)), "reporting"),
            )
        ]
        await asyncio.gather(*(until_accounts_read(client) for client in clients))
        yield Apps(*clients)


def operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)


async def test_every_operation_needs_a_token_unless_it_is_public_by_design(apps: Apps) -> None:
    seen: set[tuple[str, str, str]] = set()
    open_doors: list[str] = []
    for service in ("intake", "routing", "notify", "reporting"):
        client = apps.of(service)
        document = (await client.get("/openapi.json")).json()
        for method, path in operations(document):
            seen.add((service, method, path))
            body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
            answer = await client.request(method, concrete(path), json=body)
            public = (service, method, path) in PUBLIC
            if not public and answer.status_code != 401:
                open_doors.append(f"{service} {method} {path} → {answer.status_code}")
            if public and answer.status_code == 401:
                open_doors.append(f"{service} {method} {path} is listed public but answers 401")
    assert not open_doors, "\n".join(open_doors)
    # The list stays honest: nothing in it that no document has any more.
    assert set(PUBLIC) <= seen, sorted(set(PUBLIC) - seen)


async def test_the_pages_behind_sign_in_send_strangers_to_it(apps: Apps) -> None:
    for service, page in (("routing", "/staff"), ("reporting", "/dashboard")):
        answer = await apps.of(service).get(page)
        assert answer.status_code in (302, 303), (service, page, answer.status_code)
        assert "/staff/sign-in" in answer.headers["location"], answer.headers["location"]
    representative = bearer("representative", representative_code="0412")
    cookie = {"minyi_session": representative["Authorization"].removeprefix("Bearer ")}
    answer = await apps.reporting.get("/dashboard", cookies=cookie)
    assert answer.status_code == 403


XIJIE = bearer("staff", username="xijie-staff", station="xijie")
JIANCHI = bearer("staff", username="jianchi-staff", station="jianchi")


async def test_an_inbox_is_its_recipients_and_admins_only(apps: Apps) -> None:
    inbox = "/v1/inbox/station:xijie"
    assert (await apps.notify.get(inbox, headers=XIJIE)).status_code == 200
    assert (await apps.notify.get(inbox, headers=bearer("admin"))).status_code == 200
    head = bearer("station_head", station="xijie")
    assert (await apps.notify.get("/v1/inbox/station_head:xijie", headers=head)).status_code == 200
    for stranger in (
        JIANCHI,
        bearer("representative", representative_code="0412"),
        bearer("supervisor"),
        bearer("station_head", station="jianchi"),
    ):
        assert (await apps.notify.get(inbox, headers=stranger)).status_code == 404
        marked = await apps.notify.post(f"{inbox}/some-message/read", headers=stranger)
        assert marked.status_code == 404
    rep = bearer("representative", representative_code="0412")
    assert (await apps.notify.get("/v1/inbox/representative:0412", headers=rep)).status_code == 200
    assert (await apps.notify.get("/v1/inbox/representative:0413", headers=rep)).status_code == 404


async def test_figures_are_station_scoped_for_station_staff_and_city_wide_for_supervisors(
    apps: Apps,
) -> None:
    reports = apps.reporting
    for path in ("/v1/reports/representatives", "/v1/reports/representatives.csv"):
        other = await reports.get(path, params={"station_id": "jianchi"}, headers=XIJIE)
        assert other.status_code == 404, path
        own = await reports.get(path, headers=XIJIE)
        assert own.status_code == 200, path
        city = await reports.get(path, params={"station_id": "jianchi"}, headers=bearer())
        assert city.status_code == 200, path
    scoped = (await reports.get("/v1/reports/representatives", headers=XIJIE)).json()
    assert scoped["station_id"] == "xijie"  # asked for nothing, given their own station
    for role in ("representative", "department"):
        refused = await reports.get("/v1/reports/city", headers=bearer(role))
        assert refused.status_code == 403, role


async def test_a_duty_record_is_for_its_representative_their_station_and_the_city(
    apps: Apps, settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    reporting = ReportingSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
    )
    await ReadModels(service_database(mongo, reporting), zone=reporting.zone).save_names(
        [("representative", "0412", {"name": "王代表", "station": "xijie"}, datetime.now(UTC))]
    )
    path = "/v1/reports/representatives/0412/record"
    for headers, expected in (
        (XIJIE, 200),
        (bearer("representative", username="rep-0412", representative_code="0412"), 200),
        (bearer(), 200),
        (JIANCHI, 404),
        (bearer("representative", representative_code="0415"), 404),
        (bearer("department"), 403),
    ):
        answer = await apps.reporting.get(path, headers=headers)
        assert answer.status_code == expected, (headers, answer.text)


async def test_a_case_of_another_station_does_not_exist_for_its_staff(
    apps: Apps, settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    routing = RoutingSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
    )
    cases = RoutedCaseRepository(mongo[routing.database_name])
    await cases.ensure_indexes()
    case_id = await add_case(cases, station="xijie", category="parking")
    path = f"/v1/staff/cases/{case_id}"
    assert (await apps.routing.get(path, headers=XIJIE)).status_code == 200
    assert (await apps.routing.get(path, headers=bearer("supervisor"))).status_code == 200
    assert (await apps.routing.get(path, headers=JIANCHI)).status_code == 404
    for method, sub, body in (
        ("POST", "/actions", {"action": "progress", "note": "进展"}),
        ("POST", "/messages", {"text": "请问具体位置？"}),
        ("POST", "/stage", {"stage": "design"}),
    ):
        answer = await apps.routing.request(method, path + sub, json=body, headers=JIANCHI)
        assert answer.status_code == 404, (sub, answer.text)
    for who, listed in ((XIJIE, True), (JIANCHI, False)):
        queue = (await apps.routing.get("/v1/staff/cases", headers=who)).json()
        assert (case_id in {c["case_id"] for c in queue}) is listed


async def test_a_house_of_another_station_does_not_exist_for_its_staff(
    apps: Apps, settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    routing = RoutingSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
    )
    houses = HouseRepository(mongo[routing.database_name])
    await houses.ensure_indexes()
    built, event = house("解放街 12 号")
    await houses.add(built, event=event)
    path = f"/v1/staff/houses/{built.house_id}"
    assert (await apps.routing.get(path, headers=XIJIE)).status_code == 200
    assert (await apps.routing.get(path, headers=bearer("supervisor"))).status_code == 200
    assert (await apps.routing.get(path, headers=JIANCHI)).status_code == 404
    for sub, payload in (
        ("/stage", {"stage": "design"}),
        ("/consents", {"household": "1-101", "consent": "consented"}),
        ("/cases", {"case_id": "00000000-0000-0000-0000-000000000000"}),
    ):
        answer = await apps.routing.post(path + sub, json=payload, headers=JIANCHI)
        assert answer.status_code == 404, (sub, answer.text)
        refused = await apps.routing.post(path + sub, json=payload, headers=bearer("supervisor"))
        assert refused.status_code == 403, (sub, refused.text)
    listed = (await apps.routing.get("/v1/staff/houses", headers=JIANCHI)).json()
    assert built.house_id not in {h["house_id"] for h in listed}
    mine = (await apps.routing.get("/v1/staff/houses", headers=XIJIE)).json()
    assert built.house_id in {h["house_id"] for h in mine}
    rep = bearer("representative", representative_code="0412")
    assert (await apps.routing.get("/v1/staff/houses", headers=rep)).status_code == 403
