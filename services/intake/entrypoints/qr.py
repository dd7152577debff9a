"""Representatives' QR codes and a printable sheet per station, from intake's directory copy."""

from __future__ import annotations

from html import escape
from typing import Annotated, Final

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import HTMLResponse, Response

from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.domain.qr import level_label, qr_png, qr_svg, resident_form_url
from services.intake.settings import IntakeSettings
from shared.mongo import Document

CACHE_CONTROL: Final = "public, max-age=3600"
SCAN_PROMPT: Final = "扫码向人大代表提意见建议 / Scan to send your suggestion"

_NOT_FOUND: Final[dict[int | str, dict[str, object]]] = {
    404: {"description": "No active representative has this code."}
}


def build_qr_router(*, directory: DirectoryCopy, settings: IntakeSettings) -> APIRouter:
    router = APIRouter(tags=["qr"])

    async def active_representative(code: str) -> Document:
        entry = await directory.entry("representative", code)
        if entry is None or not entry.get("active", True):
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail=f"no active representative {code}"
            )
        return entry

    def form_url(code: str) -> str:
        return resident_form_url(base_url=settings.public_base_url, representative_code=code)

    @router.get(
        "/v1/qr/{representative_code}.svg",
        response_class=Response,
        summary="A representative's QR code (SVG), opening the resident form pre-set to them.",
        responses={200: {"content": {"image/svg+xml": {}}}, **_NOT_FOUND},
    )
    async def get_qr_svg(representative_code: str) -> Response:
        entry = await active_representative(representative_code)
        return Response(
            qr_svg(form_url(entry["code"])),
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
        scale: Annotated[int, Query(ge=2, le=40, description="Pixels per QR module.")] = 10,
    ) -> Response:
        entry = await active_representative(representative_code)
        return Response(
            qr_png(form_url(entry["code"]), scale=scale),
            media_type="image/png",
            headers={"Cache-Control": CACHE_CONTROL},
        )

    @router.get(
        "/v1/stations/{station_id}/qr-sheet",
        response_class=HTMLResponse,
        summary="A print-ready A4 sheet with the QR code of every active representative.",
        responses={404: {"description": "No active station has this id."}},
    )
    async def get_qr_sheet(station_id: str) -> HTMLResponse:
        station = await directory.entry("station", station_id)
        if station is None or not station.get("active", True):
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no active station {station_id}")
        representatives = [
            r
            for r in await directory.entries("representative")
            if r.get("station") == station_id and r.get("active", True)
        ]
        cards = [(r, form_url(r["code"])) for r in sorted(representatives, key=lambda r: r["code"])]
        return HTMLResponse(render_qr_sheet(station=station, cards=cards))

    return router


def render_qr_sheet(*, station: Document, cards: list[tuple[Document, str]]) -> str:
    """One A4-printable page (or more) of cards: QR, code, name, level. No scripts, no
    external assets; every directory string is escaped."""
    body = "\n".join(_card(representative=r, url=url) for r, url in cards) or (
        '<p class="empty">本站暂无在任代表 / No active representatives</p>'
    )
    name = escape(station["name"])
    subtitle = " · ".join(
        escape(part) for part in (station.get("name_en"), station.get("hall")) if part
    )
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name} · 代表二维码</title>
<style>
@page {{ size: A4; margin: 12mm }}
* {{ box-sizing: border-box }}
body {{ margin: 0; color: #000; background: #fff;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
  sans-serif; -webkit-print-color-adjust: exact; print-color-adjust: exact }}
h1 {{ font-size: 16pt; margin: 0 0 1mm }}
.subtitle {{ font-size: 9pt; margin: 0 0 5mm }}
.grid {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 5mm }}
.card {{ border: 0.3mm solid #000; border-radius: 2mm; padding: 4mm 3mm; text-align: center;
  break-inside: avoid; page-break-inside: avoid }}
.card svg {{ display: block; width: 40mm; height: 40mm; margin: 0 auto 2mm }}
.name {{ font-size: 15pt; font-weight: bold; margin: 0 }}
.meta {{ font-size: 10pt; margin: 1mm 0 0 }}
.code {{ font-family: ui-monospace, "DejaVu Sans Mono", monospace }}
.prompt {{ font-size: 8.5pt; margin: 2mm 0 0 }}
.url {{ font-size: 6.5pt; margin: 1mm 0 0; word-break: break-all; color: #333 }}
</style>
</head>
<body>
<h1>{name}</h1>
<p class="subtitle">{subtitle}</p>
<main class="grid">
{body}
</main>
</body>
</html>
"""


def _card(*, representative: Document, url: str) -> str:
    svg = qr_svg(url, inline=True).decode("utf-8")
    return f"""<section class="card">
{svg}
<p class="name">{escape(representative["name"])}</p>
<p class="meta">{escape(level_label(representative.get("level", "")))} · \
<span class="code">{escape(representative["code"])}</span></p>
<p class="prompt">{escape(SCAN_PROMPT)}</p>
<p class="url">{escape(url)}</p>
</section>"""
