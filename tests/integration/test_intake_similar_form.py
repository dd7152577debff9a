"""The resident's form without its script, through the real intake: "check for similar cases
first" posts the form and gets it back as typed with the open cases like it, and "me too" on
one of them joins it (with the contact typed in), as the script does with the JSON API."""

from __future__ import annotations

import html
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from services.routing.adapters.directory_repository import read_directory_file
from shared.events.case_events import CaseAssigned
from shared.events.directory_events import DirectoryKind
from shared.mongo import Document, service_database
from shared.topics import CASE_EVENTS
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.integration.test_intake_open311 import DEMO_DIRECTORY
from tests.integration.test_notify_gateway import publish, until, wrap
from tests.tokens import publish_test_accounts

OPEN_CASE = "白云社区东门停车位不够，晚上车都停到消防通道上了"
DRAFT = "白云社区东门停车位太少，晚上车停到消防通道上"


@dataclass
class Intake:
    client: httpx.AsyncClient
    db: AsyncDatabase[Document]


@pytest.fixture
async def intake(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> AsyncIterator[Intake]:
    configured = IntakeSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
        outbox_poll_seconds=0.1,
        rate_limit_per_minute=100000,
        rate_limit_burst=100000,
    )
    database = service_database(mongo, configured)
    await publish_test_accounts(settings)
    async with serving(create_app(configured), "intake") as client:
        directory = DirectoryCopy(database)
        demo = read_directory_file(DEMO_DIRECTORY).model_dump(mode="json")
        at = datetime.now(UTC)
        loads: tuple[tuple[DirectoryKind, list[dict[str, Any]], str], ...] = (
            ("category", demo["categories"], "code"),
            ("station", demo["stations"], "id"),
            ("liaison_point", demo["liaison_points"], "id"),
            ("representative", demo["representatives"], "code"),
        )
        for kind, entries, key in loads:
            for entry in entries:
                await directory.apply(kind=kind, key=entry[key], entry=entry, at=at)
        yield Intake(client=client, db=database)


async def open_case(intake: Intake, settings: PlumbingSettings) -> str:
    """A consented case of representative 0412's station, routed there (as routing would)."""
    body = {
        "category": "parking",
        "text": OPEN_CASE,
        "representative_code": "0412",
        "may_publish": True,
    }
    response = await intake.client.post("/v1/cases", json=body)
    assert response.status_code == 202, response.text
    case_id = str(response.json()["case_id"])
    assigned = CaseAssigned(
        case_id=case_id,
        category="parking",
        station_id="xijie",
        station_name="西街联络站",
        representative_code="0412",
        reason="qr",
        assigned_at=datetime.now(UTC),
    )
    await publish(settings, [(CASE_EVENTS, wrap(assigned, case_id))])
    await until(
        lambda: intake.db["cases"].find_one({"_id": case_id, "station_id": "xijie"}),
        "the case routed",
    )
    return case_id


def form(**fields: str) -> dict[str, str]:
    return {
        "category": "parking",
        "text": DRAFT,
        "submission_id": f"page:{uuid.uuid4().hex}",
        **fields,
    }


def page_text(response: httpx.Response) -> str:
    return html.unescape(response.text)


async def test_without_the_script_the_form_lists_similar_cases_and_keeps_what_was_typed(
    intake: Intake, settings: PlumbingSettings
) -> None:
    case_id = await open_case(intake, settings)
    blank = await intake.client.get("/r/0412")
    assert blank.status_code == 200
    assert 'id="check-similar" formaction="/r/0412/similar"' in blank.text
    assert 'id="similar" hidden' in blank.text  # nothing listed until asked

    typed = form(contact_phone="13900002222", place="东门")
    checked = await intake.client.post("/r/0412/similar", data=typed)

    assert checked.status_code == 200, checked.text
    text = page_text(checked)
    assert f'id="similar-{case_id}"' in text
    assert OPEN_CASE in text  # its resident consented to publish it
    assert f'formaction="/r/0412/similar/{case_id}"' in text
    assert 'action="/r/0412"' in text  # "submit" still submits a new case
    assert f">{DRAFT}</textarea>" in text
    assert 'value="13900002222"' in text and 'value="东门"' in text
    assert f'value="{typed["submission_id"]}"' in text
    assert await intake.db["cases"].count_documents({"text": DRAFT}) == 0  # nothing submitted


async def test_without_the_script_me_too_joins_the_case_once_with_the_typed_contact(
    intake: Intake, settings: PlumbingSettings
) -> None:
    case_id = await open_case(intake, settings)
    phone = f"137{uuid.uuid4().int % 10**8:08d}"
    typed = form(contact_phone=phone, consent="yes")

    joined = await intake.client.post(f"/r/0412/similar/{case_id}", data=typed)

    assert joined.status_code == 200, joined.text
    assert "已附议，共 1 人反映此事" in page_text(joined)
    assert f'formaction="/r/0412/similar/{case_id}"' not in joined.text
    again = await intake.client.post(f"/r/0412/similar/{case_id}", data=typed)
    assert again.status_code == 200 and "已附议，共 1 人反映此事" in page_text(again)
    case = await intake.db["cases"].find_one({"_id": case_id})
    assert case is not None and case["supporters"] == 1
    (record,) = await intake.db["supporters"].find({"case_id": case_id}).to_list()
    assert record["contact"]["phone"] == phone  # an erasure by this phone finds it

    # A contact needs consent, as on the form; the case is not joined without it.
    refused = await intake.client.post(
        f"/r/0412/similar/{case_id}", data=form(contact_phone="13900003333")
    )
    assert refused.status_code == 422
    assert 'id="consent-error"' in refused.text
    after = await intake.db["cases"].find_one({"_id": case_id})
    assert after is not None and after["supporters"] == 1


async def test_without_the_script_checking_refuses_a_draft_field_by_field_and_unknown_cases(
    intake: Intake,
) -> None:
    empty = await intake.client.post("/r/0412/similar", data=form(text="", category=""))
    assert empty.status_code == 422
    assert 'id="text-error"' in empty.text and 'id="category-error"' in empty.text
    # The plain form knows no place without the script's location: nothing to compare with.
    nowhere = await intake.client.post("/new/similar", data=form())
    assert nowhere.status_code == 200 and 'id="similar-none"' in nowhere.text
    unknown = await intake.client.post("/new/similar/no-such-case", data=form())
    assert unknown.status_code == 404
    assert 'id="error-summary"' in unknown.text
    stranger = await intake.client.post("/r/9999/similar", data=form())
    assert stranger.status_code == 404


async def test_me_too_on_an_unknown_case_names_its_id_not_a_tracking_code(
    intake: Intake,
) -> None:
    response = await intake.client.post("/v1/cases/no-such-case/supporters", json={})
    assert response.status_code == 404
    assert response.json() == {"detail": "no case has this id"}
    tracked = await intake.client.get("/v1/cases/MY-0123456789ABCDEFGHJKMNPQRS")
    assert tracked.json() == {"detail": "no case has this tracking code"}
