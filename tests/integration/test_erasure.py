"""Erasing a resident's data and the retention of their contact, on the real store and broker:
intake (and notify, where it takes part) in process.

The erasure that reaches every service, scanned for in every database, is in
tests/e2e/test_erasure_e2e.py; here each part is proved where it happens.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from services.intake.adapters.erasure import ErasureRepository
from services.intake.app import create_app
from services.intake.entrypoints.deps import Container
from services.intake.entrypoints.erasure_cli import erase_command
from services.intake.entrypoints.privacy_timers import RetentionScheduler
from services.intake.settings import IntakeSettings
from services.notify.settings import NotifySettings
from shared.events.case_events import CaseAssigned, CaseClosed
from shared.events.envelope import Envelope
from shared.events.resident_events import ResidentContactGiven
from shared.mongo import Document
from shared.topics import CASE_EVENTS, RESIDENT_CONTACTS, dead_letter_topic
from tests.conftest import PlumbingSettings
from tests.infra import free_port
from tests.integration.in_process import serving
from tests.integration.test_intake_attachments import tiny_png
from tests.integration.test_notify_gateway import (
    accepted,
    publish,
    responded,
    running,
    until,
    wrap,
)
from tests.kafka_tools import read_topic
from tests.tokens import bearer, publish_test_accounts

ADMIN = bearer("admin", username="dpo")
STATION = "xijie"
CASE: dict[str, Any] = {"category": "parking", "liaison_point_id": "baiyun"}


def intake_settings(settings: PlumbingSettings, **extra: Any) -> IntakeSettings:
    return IntakeSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
        outbox_poll_seconds=0.1,
        **extra,
    )


@pytest.fixture
async def intake_app(settings: PlumbingSettings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    await publish_test_accounts(settings)
    app = create_app(intake_settings(settings))
    async with serving(app, "intake") as client:
        yield client, app


def unique() -> str:
    return uuid.uuid4().hex[:10]


async def submit(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/v1/cases", json={**CASE, **fields})
    assert response.status_code == 202, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


def intake_db(mongo: AsyncMongoClient[Document], settings: PlumbingSettings) -> Any:
    return mongo[f"{settings.namespace}_minyi_intake"]


def notify_db(mongo: AsyncMongoClient[Document], settings: PlumbingSettings) -> Any:
    return mongo[f"{settings.namespace}_minyi_notify"]


async def erase(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/v1/admin/erasures", json=body, headers=ADMIN)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def finished(
    client: httpx.AsyncClient, case_id: str, *, scope: str = "all"
) -> dict[str, Any]:
    """The case's erasure log entry of `scope`, once the erasure is finished."""

    async def probe() -> dict[str, Any] | None:
        response = await client.get(f"/v1/admin/erasures/{case_id}", headers=ADMIN)
        if response.status_code != 200:
            return None
        entries: list[dict[str, Any]] = response.json()["entries"]
        return next((e for e in entries if e["scope"] == scope and e["finished_at"]), None)

    return await until(probe, f"the erasure ({scope}) of {case_id} finished")


def last_value_per_key(records: list[Any]) -> dict[bytes, bytes | None]:
    """What compaction keeps of a compacted topic: the last value of each key."""
    return {record.key: record.value for record in records}


async def test_erasure_by_phone_scrubs_every_case_of_the_resident_once_and_says_so_again(
    intake_app: tuple[httpx.AsyncClient, Any],
    settings: PlumbingSettings,
    mongo: AsyncMongoClient[Document],
) -> None:
    intake, _ = intake_app
    marker = unique()
    phrase = f"东门停车场的标记{marker}"
    email = f"erase-{marker}@example.cn"
    photo_name = f"photo-{marker}.png"
    first = await submit(
        intake,
        text=f"{phrase}，晚上总是停满",
        location={"lat": 28.0731927, "lon": 119.1362841},
        contact={"name": "王阿姨", "phone": "+86 139 1234 5678", "email": email},
        attachments=[
            {
                "filename": photo_name,
                "content_type": "image/png",
                "data": base64.b64encode(tiny_png()).decode(),
            }
        ],
    )
    # The same phone written another way: the same resident.
    second = await submit(intake, text=f"{phrase} 第二件", contact={"phone": "13912345678"})
    other = await submit(intake, text="另一位居民的意见建议", contact={"phone": "13800009999"})
    cases = intake_db(mongo, settings)["cases"]

    dry = await erase(intake, phone="0086 139-1234-5678", dry_run=True)
    assert dry["dry_run"] is True and dry["erased"] == 0
    assert {c["case_id"] for c in dry["cases"]} == {first["case_id"], second["case_id"]}
    assert (await cases.find_one({"_id": first["case_id"]}))["text"].startswith(phrase)

    staff = await intake.post(
        "/v1/admin/erasures",
        json={"phone": "13912345678"},
        headers=bearer("staff", station=STATION),
    )
    assert staff.status_code == 403

    answer = await erase(intake, phone="0086 139-1234-5678")
    assert answer["erased"] == 2
    assert answer["subject"].startswith("hmac-sha256:")
    assert "139" not in answer["subject"]
    erased = await cases.find_one({"_id": first["case_id"]})
    assert erased["text"] == "[erased]"
    assert erased["contact"] is None and erased["location"] is None
    assert erased["attachments"] == []
    assert (erased["status"], erased["category"]) == ("submitted", "parking")
    assert "contact_phone_key" not in erased and "contact_email_key" not in erased
    assert (
        await intake_db(mongo, settings)["attachments"].count_documents(
            {"case_id": first["case_id"]}
        )
        == 0
    )
    view = await intake.get(f"/v1/cases/{first['tracking_code']}")
    assert view.status_code == 200 and view.json()["text"] == "[erased]"
    assert (await cases.find_one({"_id": other["case_id"]}))["contact"]["phone"] == "13800009999"

    for receipt in (first, second):
        entry = await finished(intake, receipt["case_id"])
        assert entry["scope"] == "all" and entry["by"] == "admin:dpo"
        assert entry["tombstone_at"] is not None
        assert entry["subject"] == answer["subject"]
    stored = str(
        await cases.find({"_id": {"$in": [first["case_id"], second["case_id"]]}}).to_list()
    )
    for secret in (phrase, email, "1234 5678", "13912345678", photo_name, "28.0731927"):
        assert secret not in stored, secret

    contacts = await read_topic(
        settings.kafka_bootstrap, settings.topic(RESIDENT_CONTACTS), expect=5
    )
    latest = last_value_per_key(contacts)
    assert latest[first["case_id"].encode()] is None
    assert latest[second["case_id"].encode()] is None
    assert latest[other["case_id"].encode()] is not None
    events = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=5)
    erasures = [Envelope.from_bytes(r.value) for r in events if b"case.erased" in r.value]
    assert sorted(e.subject for e in erasures) == sorted([first["case_id"], second["case_id"]])
    assert all(e.data["scope"] == "all" for e in erasures)
    for record in events:
        for secret in (email, "139 1234", "13912345678"):
            assert secret.encode() not in record.value

    again = await erase(intake, phone="+8613912345678")
    assert again["erased"] == 0
    assert {c["case_id"] for c in again["cases"]} == {first["case_id"], second["case_id"]}
    assert not any(c["erased_now"] for c in again["cases"])
    by_code = await erase(intake, tracking_code=first["tracking_code"].lower())
    assert by_code["erased"] == 0 and by_code["cases"][0]["scope"] == "all"
    events_after = await read_topic(
        settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=len(events)
    )
    assert sum(b"case.erased" in r.value for r in events_after) == 2


async def test_an_erasure_request_names_exactly_one_valid_subject(
    intake_app: tuple[httpx.AsyncClient, Any],
) -> None:
    intake, _ = intake_app

    async def post(body: dict[str, Any]) -> httpx.Response:
        return await intake.post("/v1/admin/erasures", json=body, headers=ADMIN)

    nothing = await post({})
    assert nothing.status_code == 422
    assert "exactly one of tracking_code, phone or email" in nothing.text
    both = await post({"phone": "13912345678", "email": "a@example.cn"})
    assert both.status_code == 422 and "got phone, email" in both.text
    bad_phone = await post({"phone": "call me"})
    assert bad_phone.status_code == 422
    assert bad_phone.json()["detail"][0]["loc"][-1] == "phone"
    bad_code = await post({"tracking_code": "???"})
    assert bad_code.status_code == 422
    assert bad_code.json()["detail"][0]["loc"][-1] == "tracking_code"
    unknown = await post({"tracking_code": "MY-0123456789ABCDEFGHJKMNPQRS"})
    assert unknown.status_code == 404
    no_log = await intake.get("/v1/admin/erasures/no-such-case", headers=ADMIN)
    assert no_log.status_code == 404
    nobody = await post({"email": f"nobody-{unique()}@example.cn"})
    assert nobody.status_code == 200 and nobody.json()["cases"] == []


async def test_the_command_line_erases_by_email_with_a_dry_run_first(
    intake_app: tuple[httpx.AsyncClient, Any],
    settings: PlumbingSettings,
    mongo: AsyncMongoClient[Document],
    capsys: pytest.CaptureFixture[str],
) -> None:
    intake, _ = intake_app
    email = f"Cli-{unique()}@Example.cn"
    receipt = await submit(intake, text="命令行删除的意见建议", contact={"email": email})
    config = intake_settings(settings)

    def run(*, dry_run: bool, address: str = email) -> int:
        return erase_command(
            tracking_code=None,
            phone=None,
            email=address,
            dry_run=dry_run,
            by="cli:dpo",
            settings=config,
        )

    assert await asyncio.to_thread(run, dry_run=True) == 0
    assert f"would erase {receipt['case_id']} (submitted)" in capsys.readouterr().out
    cases = intake_db(mongo, settings)["cases"]
    assert (await cases.find_one({"_id": receipt["case_id"]}))["contact"]["email"] == email

    assert await asyncio.to_thread(run, dry_run=False, address=email.lower()) == 0
    assert f"erased {receipt['case_id']}" in capsys.readouterr().out
    assert (await cases.find_one({"_id": receipt["case_id"]}))["contact"] is None
    # The running service finishes it: the tombstone goes out after the case.erased event.
    entry = await finished(intake, receipt["case_id"])
    assert entry["by"] == "cli:dpo" and entry["tombstone_at"] is not None

    assert await asyncio.to_thread(run, dry_run=False) == 0
    assert f"already erased {receipt['case_id']}" in capsys.readouterr().out
    assert await asyncio.to_thread(run, dry_run=False, address="nobody@example.cn") == 1
    bad = erase_command(
        tracking_code=None,
        phone="not a phone",
        email=None,
        dry_run=False,
        by="cli:dpo",
        settings=config,
    )
    assert bad == 2
    assert "--phone: phone must be digits" in capsys.readouterr().err


def notify_settings(settings: PlumbingSettings) -> NotifySettings:
    return NotifySettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
        outbox_poll_seconds=0.1,
        consumer_retry_max_seconds=0.5,
        # A gateway nobody listens on: the resident's SMS stays queued, with their number.
        sms_gateway_url=f"http://127.0.0.1:{free_port()}/sms",
        gateway_secret="erasure-test-secret",
        gateway_timeout_s=0.5,
        delivery_backoff_base_s=0.2,
        delivery_backoff_cap_s=0.5,
        delivery_poll_s=0.2,
    )


def assigned_and_closed(case_id: str) -> list[tuple[str, Envelope]]:
    """What routing would publish: the case reaches a station and is accepted, then closed."""
    at = datetime.now(UTC)
    who = {"station_id": STATION, "actor_id": "xijie-staff", "at": at}
    return [
        (
            CASE_EVENTS,
            wrap(
                CaseAssigned(
                    case_id=case_id,
                    category="parking",
                    station_id=STATION,
                    station_name="西街联络站",
                    reason="test",
                    assigned_at=at,
                ),
                case_id,
            ),
        ),
        (CASE_EVENTS, accepted(case_id)),
        (CASE_EVENTS, wrap(CaseClosed(case_id=case_id, actor_role="staff", **who), case_id)),
    ]


async def test_contacts_expire_once_across_replicas_a_set_time_after_the_case_ends(
    intake_app: tuple[httpx.AsyncClient, Any],
    settings: PlumbingSettings,
    mongo: AsyncMongoClient[Document],
) -> None:
    intake, app = intake_app
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    text = f"保留期限到后删除联系方式{unique()}"
    async with running(notify_settings(settings)):
        receipt = await submit(intake, text=text, contact={"phone": phone})
        case_id = receipt["case_id"]
        contacts = notify_db(mongo, settings)["resident_contacts"]
        await until(
            lambda: contacts.find_one({"_id": case_id, "contact.phone": phone}), "notify's copy"
        )
        await publish(settings, assigned_and_closed(case_id))
        cases = intake_db(mongo, settings)["cases"]
        closed = await until(
            lambda: cases.find_one({"_id": case_id, "status": "closed"}), "the case closed"
        )
        deliveries = notify_db(mongo, settings)["deliveries"]
        await until(
            lambda: deliveries.find_one({"case_id": case_id, "address": phone}), "the SMS queued"
        )

        container: Container = app.state.container
        woken: list[int] = []

        def wake_finisher() -> None:
            woken.append(1)
            container.wake_erasures()

        def scheduler(days_later: int) -> RetentionScheduler:
            return RetentionScheduler(
                erasures=ErasureRepository(container.erasures.cases.database),
                relay=container.relay,
                wake_finisher=wake_finisher,
                retention_days=180,
                interval_s=3600,
                clock=lambda: closed["retention_since"] + timedelta(days=days_later),
            )

        assert (await scheduler(179).run_once()).expired == 0
        assert (await cases.find_one({"_id": case_id}))["contact"]["phone"] == phone
        replicas = [scheduler(181) for _ in range(3)]
        passes = await asyncio.gather(*(r.run_once() for r in replicas))
        assert sum(p.expired for p in passes) == 1
        assert woken == [1]

        kept = await cases.find_one({"_id": case_id})
        assert kept["contact"] is None and kept["text"] == text  # the text is not contact data
        assert kept["erasure"]["scope"] == "contact" and "retention_since" not in kept
        entry = await finished(intake, case_id, scope="contact")
        assert (entry["by"], entry["subject"]) == ("retention", None)
        forgotten = await until(
            lambda: contacts.find_one({"_id": case_id, "erased.scope": "contact"}),
            "notify forgot the contact",
        )
        assert "contact" not in forgotten
        sms = await until(
            lambda: deliveries.find_one({"case_id": case_id, "state": "cancelled"}),
            "the queued SMS cancelled",
        )
        assert sms["address"] == "[erased]" and "next_attempt_at" not in sms

        # A contact record read again later (a lagging consumer, a replay before compaction)
        # stays erased; another case's contact still goes in.
        sentinel = f"sentinel-{unique()}"
        again = ResidentContactGiven(case_id=case_id, phone=phone, given_at=datetime.now(UTC))
        fresh = ResidentContactGiven(case_id=sentinel, phone=phone, given_at=datetime.now(UTC))
        await publish(
            settings,
            [(RESIDENT_CONTACTS, wrap(again, case_id)), (RESIDENT_CONTACTS, wrap(fresh, sentinel))],
        )
        await until(lambda: contacts.find_one({"_id": sentinel}), "the sentinel contact")
        assert "contact" not in await contacts.find_one({"_id": case_id})

        # The resident asks for full erasure later: the scope widens to everything.
        widened = await erase(intake, tracking_code=receipt["tracking_code"])
        assert widened["erased"] == 1 and widened["cases"][0]["scope"] == "all"
        await until(
            lambda: contacts.find_one({"_id": case_id, "erased.scope": "all"}),
            "notify widened the erasure",
        )
        assert (await cases.find_one({"_id": case_id}))["text"] == "[erased]"
        assert (await finished(intake, case_id))["tombstone_at"] is not None

    events = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=6)
    scopes = [
        Envelope.from_bytes(r.value).data["scope"] for r in events if b"case.erased" in r.value
    ]
    assert scopes == ["contact", "all"]
    records = await read_topic(
        settings.kafka_bootstrap, settings.topic(RESIDENT_CONTACTS), expect=2
    )
    keyed = [r for r in records if r.key == case_id.encode()]
    assert keyed[0].value is not None and keyed[-1].value is None


async def test_notify_forgets_a_contact_on_its_tombstone_instead_of_dead_lettering_it(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    case_id, kept = f"tomb-{unique()}", f"kept-{unique()}"
    given = [
        ResidentContactGiven(case_id=c, phone="13900001111", given_at=datetime.now(UTC))
        for c in (case_id, kept)
    ]
    async with running(notify_settings(settings)):
        contacts = notify_db(mongo, settings)["resident_contacts"]
        await publish(settings, [(RESIDENT_CONTACTS, wrap(g, g.case_id)) for g in given])
        await until(lambda: contacts.find_one({"_id": kept, "contact": {"$ne": None}}), "kept")
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(
                settings.topic(RESIDENT_CONTACTS), value=None, key=case_id.encode()
            )
        finally:
            await producer.stop()
        forgotten = await until(
            lambda: contacts.find_one({"_id": case_id, "erased.scope": "contact"}),
            "the contact forgotten",
        )
    assert "contact" not in forgotten and forgotten["has_contact"] is False
    assert (await contacts.find_one({"_id": kept}))["contact"]["phone"] == "13900001111"
    dead = await read_topic(
        settings.kafka_bootstrap, settings.topic(dead_letter_topic("notify.contacts")), timeout_s=5
    )
    assert dead == []


async def me_too(
    client: httpx.AsyncClient, case_id: str, *, key: str, **contact: str
) -> httpx.Response:
    return await client.post(
        f"/v1/cases/{case_id}/supporters",
        json={"contact": contact},
        headers={"Idempotency-Key": key},
    )


async def stored_anywhere(
    mongo: AsyncMongoClient[Document], settings: PlumbingSettings, secrets: list[str]
) -> list[str]:
    """Where in intake's and notify's stores any of the secrets is, document by document."""
    found = []
    for db in (intake_db(mongo, settings), notify_db(mongo, settings)):
        for collection in await db.list_collection_names():
            async for document in db[collection].find():
                text = str(document)
                found += [f"{collection}: {s!r}" for s in secrets if s in text]
    return found


async def test_an_erasure_by_phone_reaches_a_me_too_supporter_and_leaves_the_case_alone(
    intake_app: tuple[httpx.AsyncClient, Any],
    settings: PlumbingSettings,
    mongo: AsyncMongoClient[Document],
) -> None:
    intake, _ = intake_app
    resident_phone = f"139{uuid.uuid4().int % 10**8:08d}"
    digits = f"{uuid.uuid4().int % 10**8:08d}"
    phone, normalized = f"+86 136 {digits[:4]} {digits[4:]}", f"136{digits}"
    email = f"me-too-{unique()}@example.cn"
    text = f"东门停车位不够{unique()}"
    async with running(notify_settings(settings)):
        receipt = await submit(intake, text=text, contact={"phone": resident_phone})
        case_id = receipt["case_id"]
        key = f"me-too-{unique()}"
        joined = await me_too(intake, case_id, key=key, phone=phone, email=email)
        assert joined.status_code == 202 and joined.json()["supporters"] == 1, joined.text
        supporters = intake_db(mongo, settings)["supporters"]
        (record,) = await supporters.find({"case_id": case_id}).to_list()
        supporter = record["supporter_id"]
        assert record["contact_phone_key"] == f"phone:{normalized}"
        contacts = notify_db(mongo, settings)["resident_contacts"]
        await until(
            lambda: contacts.find_one({"_id": supporter, "contact.phone": phone}), "notify's copy"
        )
        # The case is answered: its resident and its supporter each have an SMS queued (the
        # gateway never answers), with their numbers in it.
        assigned, accepted_, _ = assigned_and_closed(case_id)
        await publish(settings, [assigned, accepted_, (CASE_EVENTS, responded(case_id))])
        deliveries = notify_db(mongo, settings)["deliveries"]
        for address in (phone, resident_phone):
            query = {"case_id": case_id, "address": address}
            await until(partial(deliveries.find_one, query), f"the SMS to {address} queued")
        assert await stored_anywhere(mongo, settings, [phone, email])

        dry = await erase(intake, phone=f"0086-136-{digits[:4]}-{digits[4:]}", dry_run=True)
        assert [(c["case_id"], c["supporter_id"], c["scope"]) for c in dry["cases"]] == [
            (case_id, supporter, None)
        ]
        answer = await erase(intake, phone=normalized)
        assert answer["erased"] == 1
        assert answer["cases"] == [
            {
                "case_id": case_id,
                "supporter_id": supporter,
                "status": None,
                "erased_now": True,
                "scope": "contact",
            }
        ]

        # The supporter's record keeps its place and nothing else; the case is untouched.
        erased = await supporters.find_one({"_id": f"{case_id}/{supporter}"})
        assert erased["contact"] is None and "contact_phone_key" not in erased
        case = await intake_db(mongo, settings)["cases"].find_one({"_id": case_id})
        assert (case["text"], case["contact"]["phone"], case["supporters"]) == (
            text,
            resident_phone,
            1,
        )
        assert "erasure" not in case
        view = await intake.get(f"/v1/cases/{receipt['tracking_code']}")
        assert (view.json()["text"], view.json()["supporters"]) == (text, 1)

        response = await intake.get(f"/v1/admin/erasures/{case_id}", headers=ADMIN)
        assert response.status_code == 200
        (entry,) = response.json()["entries"]
        assert (entry["supporter_id"], entry["scope"], entry["subject"]) == (
            supporter,
            "contact",
            answer["subject"],
        )

        async def tombstoned() -> dict[str, Any] | None:
            logged = await intake.get(f"/v1/admin/erasures/{case_id}", headers=ADMIN)
            found: dict[str, Any] = logged.json()["entries"][0]
            return found if found["tombstone_at"] else None

        await until(tombstoned, "the supporter's tombstone sent")
        forgotten = await until(
            lambda: contacts.find_one({"_id": supporter, "erased.scope": "contact"}),
            "notify forgot the supporter",
        )
        assert "contact" not in forgotten and forgotten["follows"] == case_id
        await until(
            lambda: deliveries.find_one(
                {
                    "case_id": case_id,
                    "recipient": f"case:{supporter}",
                    "state": "cancelled",
                    "address": "[erased]",
                }
            ),
            "the supporter's SMS cancelled, its number gone",
        )
        assert (await contacts.find_one({"_id": case_id}))["contact"]["phone"] == resident_phone
        kept = await deliveries.find_one({"case_id": case_id, "recipient": f"case:{case_id}"})
        assert kept["address"] == resident_phone

        leftovers = await stored_anywhere(mongo, settings, [phone, normalized, email])
        assert leftovers == []
        assert await stored_anywhere(mongo, settings, [resident_phone])

        # The same request again (a client retry) neither counts twice nor brings it back;
        # asking again finds the erasure in the log.
        again = await me_too(intake, case_id, key=key, phone=phone, email=email)
        assert again.status_code == 202 and again.json()["supporters"] == 1
        assert (await supporters.find_one({"_id": f"{case_id}/{supporter}"}))["contact"] is None
        repeat = await erase(intake, phone=phone)
        assert [(c["supporter_id"], c["erased_now"], c["scope"]) for c in repeat["cases"]] == [
            (supporter, False, "contact")
        ]

    contacts_topic = await read_topic(
        settings.kafka_bootstrap, settings.topic(RESIDENT_CONTACTS), expect=3
    )
    latest = last_value_per_key(contacts_topic)
    assert latest[f"{case_id}/{supporter}".encode()] is None
    assert latest[case_id.encode()] is not None


async def test_supporters_contacts_expire_with_their_case_even_once_the_case_was_erased(
    intake_app: tuple[httpx.AsyncClient, Any],
    settings: PlumbingSettings,
    mongo: AsyncMongoClient[Document],
) -> None:
    intake, app = intake_app
    container: Container = app.state.container
    cases = intake_db(mongo, settings)["cases"]
    supporters = intake_db(mongo, settings)["supporters"]
    # One case without a contact of its own; one whose resident is erased once it closed.
    quiet = await submit(intake, text=f"没有留联系方式{unique()}")
    erased = await submit(intake, text=f"后来被删除{unique()}", contact={"phone": "13700001111"})
    phones = {}
    for receipt in (quiet, erased):
        phones[receipt["case_id"]] = f"135{uuid.uuid4().int % 10**8:08d}"
        joined = await me_too(
            intake, receipt["case_id"], key=unique(), phone=phones[receipt["case_id"]]
        )
        assert joined.status_code == 202, joined.text
        await publish(settings, assigned_and_closed(receipt["case_id"]))
    ended = [
        await until(
            partial(cases.find_one, {"_id": receipt["case_id"], "status": "closed"}),
            "the case closed",
        )
        for receipt in (quiet, erased)
    ]
    await erase(intake, tracking_code=erased["tracking_code"])
    # The erased resident's case still waits for the retention job: its supporter's contact
    # is theirs, not the erased resident's.
    assert "retention_since" in await cases.find_one({"_id": erased["case_id"]})
    latest = max(d["retention_since"] for d in ended)
    scheduler = RetentionScheduler(
        erasures=ErasureRepository(container.erasures.cases.database),
        relay=container.relay,
        wake_finisher=container.wake_erasures,
        retention_days=180,
        interval_s=3600,
        clock=lambda: latest + timedelta(days=181),
    )
    done = await scheduler.run_once()
    assert done.expired >= 2  # other tests' ended cases may be due too
    for receipt in (quiet, erased):
        record = await supporters.find_one({"case_id": receipt["case_id"]})
        assert record["contact"] is None and record["erasure"]["by"] == "retention"
        assert phones[receipt["case_id"]] not in str(record)

    async def released(case_id: str) -> Document | None:
        # A case that changed since the pass read it (intake applying its own case.supported
        # late) is released by a later pass.
        case: Document | None = await cases.find_one(
            {"_id": case_id, "retention_since": {"$exists": False}}
        )
        if case is None:
            await scheduler.run_once()
        return case

    for receipt in (quiet, erased):
        case = await until(partial(released, receipt["case_id"]), "off the retention index")
        assert case["supporters"] == 1
    assert (await cases.find_one({"_id": quiet["case_id"]}))["text"].startswith("没有留联系方式")

    async def tombstoned() -> dict[str, Any] | None:
        logged = await intake.get(f"/v1/admin/erasures/{quiet['case_id']}", headers=ADMIN)
        entries: list[dict[str, Any]] = logged.json()["entries"]
        return next((e for e in entries if e["supporter_id"] and e["tombstone_at"]), None)

    entry = await until(tombstoned, "the supporter's tombstone sent")
    assert (entry["by"], entry["subject"], entry["scope"]) == ("retention", None, "contact")
