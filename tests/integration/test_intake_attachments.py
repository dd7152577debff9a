"""Photos on a submission: stored in intake's database, served back, never on a topic."""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from shared.events.envelope import Envelope
from shared.topics import CASE_EVENTS
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.kafka_tools import read_topic

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


@pytest.fixture
async def intake(settings: PlumbingSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        IntakeSettings(
            kafka_bootstrap=settings.kafka_bootstrap,
            mongo_url=settings.mongo_url,
            namespace=settings.namespace,
            outbox_poll_seconds=0.1,
        )
    )
    async with serving(app, "intake", ready=False) as client:
        yield client


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
    assert [(a["n"], a["filename"], a["size"]) for a in view["attachments"]] == [
        (1, "wall.png", len(red)),
        (2, "roof.png", len(blue)),
    ]
    served = await intake.get(f"/v1/cases/{code}/attachments/2")
    assert served.status_code == 200
    assert served.content == blue
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
