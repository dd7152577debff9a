"""Every error answer fits what the OpenAPI document declares for its operation and status: the
four services answer real errors of each kind (401, 403, 404, 409, 412, 413, 422, 429, 503) and each
body is validated against the schema the serving app's own `/openapi.json` names for that route
and status (shared.openapi: `ErrorBody`, its extensions, `ValidationProblem`).

The apps run in-process on the real broker and store; tokens are minted as routing mints them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema_rs
import pytest
from pymongo import AsyncMongoClient

from services.intake.app import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.reporting.app import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import (
    DEMO_DIRECTORY,
    DirectoryRepository,
    read_directory_file,
)
from services.routing.app import create_app as routing_app
from services.routing.settings import RoutingSettings
from shared.mongo import Document
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.integration.test_house_repair_and_meetings_store import add_case
from tests.tokens import bearer, publish_test_accounts, until_accounts_read

XIJIE = bearer("staff", username="xijie-staff", station="xijie")
REPRESENTATIVE = bearer("representative", representative_code="0412")


@dataclass
class Contract:
    """A service's client and its OpenAPI document; records each status checked."""

    client: httpx.AsyncClient
    document: dict[str, Any]
    checked: set[int] = field(default_factory=set)

    async def check(
        self, status: int, method: str, template: str, path: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Send the request, expect `status`, and validate the body against the declared
        schema of `template`'s operation for that status."""
        answer = await self.client.request(method, path or template, **kwargs)
        assert answer.status_code == status, (method, path or template, answer.text)
        declared = self.document["paths"][template][method.lower()]["responses"]
        assert str(status) in declared, f"{method} {template} does not declare {status}"
        media = declared[str(status)]["content"]
        assert answer.headers["content-type"].startswith("application/json"), answer.headers
        schema = {**media["application/json"]["schema"], "components": self.document["components"]}
        body: dict[str, Any] = answer.json()
        errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(body)]
        assert not errors, (method, template, status, body, errors)
        self.checked.add(status)
        return body


@dataclass(frozen=True)
class Services:
    intake: Contract
    routing: Contract
    notify: Contract
    reporting: Contract
    cases: RoutedCaseRepository


@pytest.fixture
async def services(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> AsyncIterator[Services]:
    common: dict[str, Any] = {
        "kafka_bootstrap": settings.kafka_bootstrap,
        "mongo_url": settings.mongo_url,
        "namespace": settings.namespace,
    }
    routing = RoutingSettings(**common)
    await publish_test_accounts(settings)
    async with contextlib.AsyncExitStack() as stack:
        contracts = []
        for app, name in (
            (intake_app(IntakeSettings(**common)), "intake"),
            (routing_app(routing), "routing"),
            (notify_app(NotifySettings(**common)), "notify"),
            (reporting_app(ReportingSettings(**common)), "reporting"),
        ):
            client = await stack.enter_async_context(serving(app, name, ready=False))
            contracts.append(Contract(client, (await client.get("/openapi.json")).json()))
        await asyncio.gather(*(until_accounts_read(c.client) for c in contracts))
        cases = RoutedCaseRepository(mongo[routing.database_name])
        await cases.ensure_indexes()
        intake, routing_contract, notify, reporting = contracts
        yield Services(intake, routing_contract, notify, reporting, cases)


async def test_every_kind_of_error_answer_fits_the_schema_its_operation_declares(
    services: Services,
) -> None:
    # intake: the resident's API.
    intake = services.intake
    await intake.check(404, "GET", "/v1/cases/{tracking_code}", "/v1/cases/MY-0000")
    await intake.check(422, "POST", "/v1/cases", json={"text": "x"})
    await intake.check(401, "POST", "/v1/staff/cases", json={})
    submission = {"category": "parking", "text": "小区里要增加一些停车位"}
    key = {"Idempotency-Key": "error-contract-1"}
    receipt = await intake.client.post("/v1/cases", json=submission, headers=key)
    assert receipt.status_code == 202, receipt.text
    await intake.check(
        409, "POST", "/v1/cases", json={**submission, "text": "另一件事情"}, headers=key
    )
    rating = "/v1/cases/{tracking_code}/rating"
    code = receipt.json()["tracking_code"]
    resident_view = await intake.client.get(f"/v1/cases/{code}")
    assert resident_view.headers["ETag"] == 'W/"1"'
    again = await intake.client.get(f"/v1/cases/{code}", headers={"If-None-Match": 'W/"1"'})
    assert again.status_code == 304
    refused = await intake.check(
        409, "POST", rating, f"/v1/cases/{code}/rating", json={"rating": "satisfied"}
    )
    assert refused["status"] == "submitted"  # the extension members of the shared body
    for _ in range(40):  # the resident actions' rate limit: 10 at once, then 30 a minute
        answer = await intake.client.post(f"/v1/cases/{code}/rating", json={"rating": "x"})
        if answer.status_code == 429:
            break
    await intake.check(429, "POST", rating, f"/v1/cases/{code}/rating", json={"rating": "x"})
    assert {401, 404, 409, 422, 429} <= intake.checked

    # routing: the staff API, actions with If-Match.
    routing = services.routing
    await routing.check(401, "GET", "/v1/staff/cases")
    await routing.check(403, "GET", "/v1/staff/house-repair/stages", headers=REPRESENTATIVE)
    one = "/v1/staff/cases/{case_id}"
    await routing.check(404, "GET", one, "/v1/staff/cases/no-such-case", headers=XIJIE)
    await routing.check(422, "GET", "/v1/staff/cases", params={"cursor": "?"}, headers=XIJIE)
    case_id = await add_case(services.cases, station="xijie", category="parking")
    actions = "/v1/staff/cases/{case_id}/actions"
    path = f"/v1/staff/cases/{case_id}/actions"
    # No directory imported yet: an action cannot be decided, nothing is stored (503).
    unavailable = await routing.check(
        503, "POST", actions, path, json={"action": "approve"}, headers=XIJIE
    )
    assert unavailable["request_id"]
    await DirectoryRepository(services.cases.collection.database).save(
        read_directory_file(DEMO_DIRECTORY)
    )
    conflict = await routing.check(
        409, "POST", actions, path, json={"action": "approve"}, headers=XIJIE
    )
    assert "progress" in conflict["allowed_actions"]
    read = await routing.client.get(f"/v1/staff/cases/{case_id}", headers=XIJIE)
    version = read.json()["version"]
    assert read.headers["ETag"] == f'W/"{version}"'
    current = {**XIJIE, "If-None-Match": read.headers["ETag"]}
    unchanged = await routing.client.get(f"/v1/staff/cases/{case_id}", headers=current)
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    progress = {"action": "progress", "note": "已联系物业"}
    stale = {**XIJIE, "If-Match": f'W/"{version + 1}"'}
    precondition = await routing.check(412, "POST", actions, path, json=progress, headers=stale)
    assert precondition["status"] == "handling"
    garbled = {**XIJIE, "If-Match": "version seven"}
    problem = await routing.check(422, "POST", actions, path, json=progress, headers=garbled)
    assert problem["detail"][0]["loc"] == ["header", "If-Match"]
    stage = "/v1/staff/cases/{case_id}/stage"
    await routing.check(
        422,
        "POST",
        stage,
        f"/v1/staff/cases/{case_id}/stage",
        json={"stage": "design"},
        headers=XIJIE,
    )
    sign_in = {"username": "nobody-here", "password": "wrong"}
    for _ in range(10):  # five free failures of one account, then waits
        if (await routing.client.post("/v1/auth/token", json=sign_in)).status_code == 429:
            break
    await routing.check(429, "POST", "/v1/auth/token", json=sign_in)
    assert {401, 403, 404, 409, 412, 422, 429, 503} <= routing.checked

    # notify: the inbox and preferences.
    notify = services.notify
    inbox = "/v1/inbox/{recipient}"
    await notify.check(401, "GET", inbox, "/v1/inbox/station:xijie")
    await notify.check(404, "GET", inbox, "/v1/inbox/station:jianchi", headers=XIJIE)
    await notify.check(422, "GET", inbox, "/v1/inbox/nobody", headers=XIJIE)
    preferences = "/v1/preferences/{recipient}"
    await notify.check(403, "GET", preferences, "/v1/preferences/station:jianchi", headers=XIJIE)
    too_large = b'{"data": "' + b"x" * 1_100_000 + b'"}'
    await notify.check(
        413,
        "POST",
        "/v1/templates/preview",
        content=too_large,
        headers={**XIJIE, "Content-Type": "application/json"},
    )
    assert {401, 403, 404, 413, 422} <= notify.checked

    # reporting: station-scoped figures.
    reporting = services.reporting
    figures = "/v1/reports/representatives"
    await reporting.check(401, "GET", figures)
    await reporting.check(403, "GET", figures, headers=REPRESENTATIVE)
    await reporting.check(404, "GET", figures, params={"station_id": "jianchi"}, headers=XIJIE)
    backwards = {"since": "2026-02-01", "until": "2026-01-01"}
    await reporting.check(422, "GET", figures, params=backwards, headers=XIJIE)
    assert {401, 403, 404, 422} <= reporting.checked
