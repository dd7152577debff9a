"""Representatives' QR codes and a printable sheet per station, from intake's directory copy."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import HTMLResponse, Response

from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.entrypoints.deps import Directory, Settings
from services.intake.settings import IntakeSettings
from services.intake.web.qr import qr_png, qr_svg, resident_form_url
from services.intake.web.qr_sheet import render_qr_sheet
from shared.mongo import Document

CACHE_CONTROL: Final = "public, max-age=3600"

_NOT_FOUND: Final[dict[int | str, dict[str, object]]] = {
    404: {"description": "No active representative has this code."}
}

router = APIRouter(tags=["qr"])


def _form_url(settings: IntakeSettings, code: str) -> str:
    return resident_form_url(base_url=settings.public_base_url, representative_code=code)


async def _active_representative(directory: DirectoryCopy, code: str) -> Document:
    entry = await directory.entry("representative", code)
    if entry is None or not entry.get("active", True):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no active representative {code}")
    return entry


@router.get(
    "/v1/qr/{representative_code}.svg",
    response_class=Response,
    summary="A representative's QR code (SVG), opening the resident form pre-set to them.",
    responses={200: {"content": {"image/svg+xml": {}}}, **_NOT_FOUND},
)
async def get_qr_svg(
    representative_code: str, directory: Directory, settings: Settings
) -> Response:
    entry = await _active_representative(directory, representative_code)
    return Response(
        qr_svg(_form_url(settings, entry["code"])),
        media_type="image/svg+xml",
        headers={"Cache-Control": CACHE_CONTROL},
    )


@router.get(
    "/v1/qr/{representative_code}.png",
    response_class=Response,
    summary="A representative's QR code (PNG), opening the resident form pre-set to them.",
    responses={200: {"content": {"image/png": {}}}, **_NOT_FOUND},
)
async def get_qr_png(
    representative_code: str,
    directory: Directory,
    settings: Settings,
    scale: Annotated[int, Query(ge=2, le=40, description="Pixels per QR module.")] = 10,
) -> Response:
    entry = await _active_representative(directory, representative_code)
    return Response(
        qr_png(_form_url(settings, entry["code"]), scale=scale),
        media_type="image/png",
        headers={"Cache-Control": CACHE_CONTROL},
    )


@router.get(
    "/v1/stations/{station_id}/qr-sheet",
    response_class=HTMLResponse,
    summary="A print-ready A4 sheet with the QR code of every active representative.",
    responses={404: {"description": "No active station has this id."}},
)
async def get_qr_sheet(station_id: str, directory: Directory, settings: Settings) -> HTMLResponse:
    station = await directory.entry("station", station_id)
    if station is None or not station.get("active", True):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no active station {station_id}")
    representatives = [
        r
        for r in await directory.entries("representative")
        if r.get("station") == station_id and r.get("active", True)
    ]
    cards = [
        (r, _form_url(settings, r["code"]))
        for r in sorted(representatives, key=lambda r: r["code"])
    ]
    return HTMLResponse(render_qr_sheet(station=station, cards=cards))
