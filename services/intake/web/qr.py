"""QR codes that open the resident form pre-set to one representative. Pure: no I/O."""

from __future__ import annotations

import io
from typing import Final
from urllib.parse import quote

import segno

ERROR_CORRECTION: Final = "M"  # survives ~15% damage: a scuffed or partly covered print
QUIET_ZONE_MODULES: Final = 4  # the light border a scanner needs, as the QR standard asks
SVG_MODULE_PX: Final = 8

LEVEL_LABELS: Final[dict[str, str]] = {
    "national": "全国人大代表",
    "provincial": "省人大代表",
    "municipal": "市人大代表",
    "county": "县（市）人大代表",
}


def resident_form_url(*, base_url: str, representative_code: str) -> str:
    """The resident form, pre-set to the representative: `<base>/r/<code>`."""
    return f"{base_url.rstrip('/')}/r/{quote(representative_code, safe='')}"


def encode(url: str) -> segno.QRCode:
    """A full-size QR code (never Micro QR, which phone cameras do not read) at level M."""
    return segno.make(url, error=ERROR_CORRECTION, micro=False, boost_error=False)


def qr_svg(url: str, *, inline: bool = False) -> bytes:
    """An SVG document; `inline` leaves out the XML declaration and the fixed size, for
    embedding in HTML and sizing with CSS."""
    out = io.BytesIO()
    encode(url).save(
        out,
        kind="svg",
        scale=1 if inline else SVG_MODULE_PX,
        border=QUIET_ZONE_MODULES,
        dark="#000",
        light="#fff",  # an opaque background, so it still scans on a dark screen
        xmldecl=not inline,
        omitsize=inline,
    )
    return out.getvalue()


def qr_png(url: str, *, scale: int = 10) -> bytes:
    """A black-and-white PNG, `scale` pixels per module."""
    out = io.BytesIO()
    encode(url).save(out, kind="png", scale=scale, border=QUIET_ZONE_MODULES)
    return out.getvalue()


def level_label(level: str) -> str:
    return LEVEL_LABELS.get(level, "人大代表")
