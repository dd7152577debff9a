"""The printable sheet of a station's representatives' QR codes: one HTML page, pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, Final

from services.intake.web.qr import level_label, qr_svg

SCAN_PROMPT: Final = "扫码向人大代表提意见建议 / Scan to send your suggestion"
Entry = Mapping[str, Any]


def render_qr_sheet(*, station: Entry, cards: Sequence[tuple[Entry, str]]) -> str:
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


def _card(*, representative: Entry, url: str) -> str:
    svg = qr_svg(url, inline=True).decode("utf-8")
    return f"""<section class="card">
{svg}
<p class="name">{escape(representative["name"])}</p>
<p class="meta">{escape(level_label(representative.get("level", "")))} · \
<span class="code">{escape(representative["code"])}</span></p>
<p class="prompt">{escape(SCAN_PROMPT)}</p>
<p class="url">{escape(url)}</p>
</section>"""
