"""Representatives' QR codes and the station sheet, served from intake's directory copy on the
real store, in process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.entrypoints import qr
from services.intake.entrypoints.deps import Container
from services.intake.settings import IntakeSettings
from services.intake.web.qr import level_label, qr_png, qr_svg, resident_form_url
from services.routing.adapters.directory_repository import DEMO_DIRECTORY, read_directory_file
from shared.events.directory_events import DirectoryKind
from shared.metrics import Metrics
from shared.mongo import Document
from shared.outbox import OutboxRelay
from shared.producer import EventPublisher
from tests.conftest import PlumbingSettings

PUBLIC_BASE_URL = "https://minyi.example.cn"
DEMO = read_directory_file(DEMO_DIRECTORY).model_dump(mode="json")
XIJIE = sorted(
    (r for r in DEMO["representatives"] if r["station"] == "xijie" and r["active"]),
    key=lambda r: r["code"],
)
ELSEWHERE = [r for r in DEMO["representatives"] if r["station"] != "xijie"]
LOADED_AT = datetime(2025, 5, 1, tzinfo=UTC)


async def load_demo(directory: DirectoryCopy) -> None:
    kinds: list[tuple[DirectoryKind, str, str]] = [
        ("station", "stations", "id"),
        ("representative", "representatives", "code"),
    ]
    for kind, section, key in kinds:
        for entry in DEMO[section]:
            await directory.apply(kind=kind, key=entry[key], entry=entry, at=LOADED_AT)


async def change(directory: DirectoryCopy, kind: DirectoryKind, entry: dict[str, Any]) -> None:
    key = entry["code"] if kind == "representative" else entry["id"]
    await directory.apply(kind=kind, key=key, entry=entry, at=LOADED_AT + timedelta(minutes=1))


@pytest.fixture
async def directory(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> AsyncIterator[DirectoryCopy]:
    intake_settings = IntakeSettings(namespace=settings.namespace)
    copy = DirectoryCopy(mongo[intake_settings.database_name])
    await copy.ensure_indexes()
    await load_demo(copy)
    yield copy
    await mongo.drop_database(intake_settings.database_name)


@pytest.fixture
async def client(
    settings: PlumbingSettings, directory: DirectoryCopy
) -> AsyncIterator[httpx.AsyncClient]:
    intake_settings = IntakeSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
        public_base_url=PUBLIC_BASE_URL,
    )
    metrics = Metrics(intake_settings.service_name)
    app = FastAPI()
    app.state.container = Container.of(
        settings=intake_settings,
        cases=CaseRepository(directory.collection.database),
        directory=directory,
        relay=OutboxRelay(
            collections=[],
            publisher=EventPublisher(settings=intake_settings, metrics=metrics),
            settings=intake_settings,
            metrics=metrics,
        ),
    )
    app.include_router(qr.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http


def form_url(code: str) -> str:
    return resident_form_url(base_url=PUBLIC_BASE_URL, representative_code=code)


async def test_the_svg_qr_code_opens_the_form_of_that_representative(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/qr/0412.svg")

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert ElementTree.fromstring(response.content).tag == "{http://www.w3.org/2000/svg}svg"
    assert response.content == qr_svg(form_url("0412"))


async def test_the_png_qr_code_opens_the_form_of_that_representative_at_the_asked_scale(
    client: httpx.AsyncClient,
) -> None:
    default = await client.get("/v1/qr/0412.png")
    large = await client.get("/v1/qr/0412.png", params={"scale": 20})

    assert (default.status_code, large.status_code) == (200, 200)
    assert default.headers["content-type"] == "image/png"
    assert default.headers["cache-control"] == "public, max-age=3600"
    assert default.content == qr_png(form_url("0412"), scale=10)
    assert large.content == qr_png(form_url("0412"), scale=20)


@pytest.mark.parametrize("scale", [1, 41, "big"])
async def test_a_png_scale_outside_2_to_40_is_refused(
    client: httpx.AsyncClient, scale: int | str
) -> None:
    response = await client.get("/v1/qr/0412.png", params={"scale": scale})
    assert response.status_code == 422


@pytest.mark.parametrize("suffix", ["svg", "png"])
async def test_an_unknown_representative_has_no_qr_code(
    client: httpx.AsyncClient, suffix: str
) -> None:
    response = await client.get(f"/v1/qr/9999.{suffix}")

    assert response.status_code == 404
    assert response.json() == {"detail": "no active representative 9999"}


@pytest.mark.parametrize("suffix", ["svg", "png"])
async def test_an_inactive_representative_has_no_qr_code(
    client: httpx.AsyncClient, directory: DirectoryCopy, suffix: str
) -> None:
    await change(directory, "representative", {**XIJIE[-1], "active": False})

    response = await client.get(f"/v1/qr/{XIJIE[-1]['code']}.{suffix}")

    assert response.status_code == 404
    assert response.json() == {"detail": f"no active representative {XIJIE[-1]['code']}"}


async def test_the_station_sheet_is_a_print_ready_page_with_a_card_per_representative(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/stations/xijie/qr-sheet")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<html lang="zh-CN">' in page
    assert "@page { size: A4; margin: 12mm }" in page
    assert "<h1>西街街道人大代表联络站</h1>" in page
    assert len(XIJIE) >= 2
    assert page.count("<svg") == len(XIJIE)
    assert page.count("扫码向人大代表提意见建议 / Scan to send your suggestion") == len(XIJIE)
    positions = [page.index(f'<span class="code">{r["code"]}</span>') for r in XIJIE]
    assert positions == sorted(positions), "cards are in code order"
    for representative in XIJIE:
        assert representative["name"] in page
        assert form_url(representative["code"]) in page
        assert level_label(representative["level"]) in page
    assert ELSEWHERE
    for other in ELSEWHERE:
        assert f'<span class="code">{other["code"]}</span>' not in page
        assert other["name"] not in page
    for outside in ("<script", "src=", "<link", "@import", "<?xml"):
        assert outside not in page


async def test_the_sheet_leaves_out_inactive_representatives(
    client: httpx.AsyncClient, directory: DirectoryCopy
) -> None:
    retired = XIJIE[0]
    await change(directory, "representative", {**retired, "active": False})

    page = (await client.get("/v1/stations/xijie/qr-sheet")).text

    assert page.count("<svg") == len(XIJIE) - 1
    assert retired["name"] not in page


async def test_the_sheet_escapes_directory_text(
    client: httpx.AsyncClient, directory: DirectoryCopy
) -> None:
    await change(directory, "station", {**DEMO["stations"][0], "name": "西街<b>站</b>"})
    await change(directory, "representative", {**XIJIE[0], "name": "<script>x()</script>"})

    page = (await client.get("/v1/stations/xijie/qr-sheet")).text

    assert "<h1>西街&lt;b&gt;站&lt;/b&gt;</h1>" in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page
    assert "<script" not in page


async def test_an_unknown_station_has_no_sheet(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/stations/nowhere/qr-sheet")

    assert response.status_code == 404
    assert response.json() == {"detail": "no active station nowhere"}
