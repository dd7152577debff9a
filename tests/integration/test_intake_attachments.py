"""Photos on a submission: cleaned of metadata, stored in intake's database with a thumbnail,
served back (the thumbnail too), never on a topic."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image
from pymongo import AsyncMongoClient

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from shared.events.envelope import Envelope
from shared.mongo import Document
from shared.topics import CASE_EVENTS
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.kafka_tools import read_topic
from tests.tokens import bearer, publish_test_accounts, until_accounts_read
from tests.unit.test_intake_photos import (
    SECRETS,
    photo_with_everything,
    png_canvas,
    truncated_jpeg,
)

CASE = {"category": "house_repair", "text": "西新社区老房子墙体开裂，请看照片"}


def tiny_png(colour: bytes = b"\xff\x00\x00") -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + colour)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def photo(data: bytes, content_type: str = "image/png", name: str = "wall.png") -> dict[str, str]:
    return {"filename": name, "content_type": content_type, "data": base64.b64encode(data).decode()}


def intake_settings(settings: PlumbingSettings) -> IntakeSettings:
    return IntakeSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
        outbox_poll_seconds=0.1,
    )


@pytest.fixture
async def intake(settings: PlumbingSettings) -> AsyncIterator[httpx.AsyncClient]:
    await publish_test_accounts(settings)
    app = create_app(intake_settings(settings))
    async with serving(app, "intake", ready=False) as client:
        await until_accounts_read(client)
        yield client


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


async def test_photos_are_kept_by_intake_and_only_counted_on_the_topic(
    intake: httpx.AsyncClient, settings: PlumbingSettings
) -> None:
    red, blue = tiny_png(), tiny_png(b"\x00\x00\xff")
    response = await intake.post(
        "/v1/cases", json={**CASE, "attachments": [photo(red), photo(blue, name="roof.png")]}
    )
    assert response.status_code == 202, response.text
    code = response.json()["tracking_code"]

    view = (await intake.get(f"/v1/cases/{code}")).json()
    served = await intake.get(f"/v1/cases/{code}/attachments/2")
    assert served.status_code == 200
    # Re-encoded: the same pixels, and the size and hash of what is served.
    assert decoded(served.content).convert("RGB").getpixel((0, 0)) == (0, 0, 255)
    assert [(a["n"], a["filename"]) for a in view["attachments"]] == [
        (1, "wall.png"),
        (2, "roof.png"),
    ]
    assert view["attachments"][1]["size"] == len(served.content)
    assert view["attachments"][1]["sha256"] == hashlib.sha256(served.content).hexdigest()
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert (await intake.get(f"/v1/cases/{code}/attachments/3")).status_code == 404

    records = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=1)
    event = Envelope.from_bytes(records[0].value)
    assert event.data["attachment_count"] == 2
    assert base64.b64encode(red) not in records[0].value
    assert len(records[0].value) < 2000


@pytest.mark.parametrize(
    ("attachments", "message"),
    [
        ([photo(b"\xff\xd8\xff\xe0 not really a png")], "not a image/png image"),
        ([photo(b"GIF89a....", content_type="image/gif")], "Input should be"),
        ([{"filename": "x.png", "content_type": "image/png", "data": "%%%"}], "base64"),
        ([photo(tiny_png())] * 4, "at most 3"),
    ],
)
async def test_anything_but_a_few_real_images_gets_422_naming_the_field(
    intake: httpx.AsyncClient, attachments: list[dict[str, str]], message: str
) -> None:
    response = await intake.post("/v1/cases", json={**CASE, "attachments": attachments})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert all(e["field"].startswith("attachments") for e in errors)
    assert any(message in e["msg"] for e in errors), errors


async def test_staff_get_a_photo_without_its_gps_and_the_workbench_its_thumbnail(
    intake: httpx.AsyncClient, settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    original = photo_with_everything("image/jpeg")  # GPS, owner, XMP, comment, orientation 6
    response = await intake.post(
        "/v1/cases", json={**CASE, "attachments": [photo(original, "image/jpeg", "gate.jpg")]}
    )
    assert response.status_code == 202, response.text
    url = f"/v1/staff/cases/{response.json()['case_id']}/attachments/1"

    assert (await intake.get(url)).status_code == 401
    served = await intake.get(url, headers=bearer("supervisor"))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    image = decoded(served.content)
    assert not image.getexif() and not image.getexif().get_ifd(0x8825)  # no EXIF, no GPS
    for secret in SECRETS:
        assert secret not in served.content
    assert image.size == (40, 80)  # turned upright as the camera said

    thumb = await intake.get(url, params={"size": "thumb"}, headers=bearer("supervisor"))
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/jpeg"
    assert thumb.content != served.content
    assert decoded(thumb.content).size == (40, 80)  # small already: not enlarged

    # Nothing of the original is kept in the store either.
    stored = await mongo[intake_settings(settings).database_name]["attachments"].find_one({})
    assert stored is not None
    assert bytes(stored["data"]) == served.content
    assert bytes(stored["thumbnail"]) == thumb.content
    assert (await intake.get(url, params={"size": "huge"}, headers=bearer())).status_code == 422


async def test_a_photo_stored_before_thumbnails_existed_serves_itself_as_its_thumbnail(
    intake: httpx.AsyncClient, settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    response = await intake.post("/v1/cases", json={**CASE, "attachments": [photo(tiny_png())]})
    assert response.status_code == 202, response.text
    case_id = response.json()["case_id"]
    attachments = mongo[intake_settings(settings).database_name]["attachments"]
    await attachments.update_one(
        {"_id": f"{case_id}:1"}, {"$unset": {"thumbnail": "", "thumbnail_type": ""}}
    )

    url = f"/v1/staff/cases/{case_id}/attachments/1"
    full = await intake.get(url, headers=bearer())
    thumb = await intake.get(url, params={"size": "thumb"}, headers=bearer())
    assert thumb.status_code == full.status_code == 200
    assert (thumb.content, thumb.headers["content-type"]) == (full.content, "image/png")


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        (png_canvas(20_000, 20_000), "image/png", "at most 40 megapixels"),
        (truncated_jpeg(), "image/jpeg", "truncated or corrupt"),
    ],
    ids=["decompression-bomb", "truncated-jpeg"],
)
async def test_a_photo_that_cannot_be_decoded_safely_is_a_422_on_its_data(
    intake: httpx.AsyncClient,
    settings: PlumbingSettings,
    mongo: AsyncMongoClient[Document],
    data: bytes,
    content_type: str,
    message: str,
) -> None:
    good = photo(tiny_png())
    for path, headers in (
        ("/v1/cases", {}),
        ("/v1/staff/cases", bearer("staff", station="xijie")),
    ):
        response = await intake.post(
            path,
            json={**CASE, "attachments": [good, photo(data, content_type)]},
            headers=headers,
        )
        assert response.status_code == 422, response.text
        (error,) = response.json()["detail"]
        assert error["field"] == "attachments.1.data"
        assert error["loc"] == ["body", "attachments", "1", "data"]
        assert message in error["msg"]
    database = mongo[intake_settings(settings).database_name]
    assert await database["cases"].count_documents({}) == 0
    assert await database["attachments"].count_documents({}) == 0


async def test_the_resident_form_names_the_photo_that_has_too_many_pixels(
    intake: httpx.AsyncClient,
) -> None:
    response = await intake.post(
        "/new",
        data={"category": "house_repair", "text": CASE["text"]},
        files=[("photos", ("wall.png", png_canvas(20_000, 20_000), "image/png"))],
    )
    assert response.status_code == 422
    assert "第 1 张照片太大（最多 4000 万像素）" in response.text
