"""Representatives' QR codes: the URL they carry, and images that really encode it.

No QR decoder is needed: the encoder is deterministic, so an image whose module grid equals
the grid of a fresh encoding of the URL (same version, error level M) carries that URL. The
grids are read back from the PNG pixels and the SVG path, not taken from the encoder.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from xml.etree import ElementTree

import pytest
import segno

from services.intake.web.qr import (
    QUIET_ZONE_MODULES,
    SVG_MODULE_PX,
    encode,
    level_label,
    qr_png,
    qr_svg,
    resident_form_url,
)

URL = "https://minyi.example.cn/r/0412"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"

Grid = list[list[bool]]  # True = dark module


def fresh_grid(url: str) -> Grid:
    qr = segno.make(url, error="m", micro=False, boost_error=False)
    return [[bool(module) for module in row] for row in qr.matrix]


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    bit_depth: int
    colour_type: int
    rows: list[bytes]  # unfiltered scanlines

    def dark(self, x: int, y: int) -> bool:
        assert (self.bit_depth, self.colour_type) == (1, 0), "expects 1-bit greyscale"
        return not (self.rows[y][x // 8] >> (7 - x % 8)) & 1


def read_png(data: bytes) -> Png:
    """Enough of PNG for a QR image: checked chunks, IHDR, and the IDAT scanlines unfiltered."""
    assert data.startswith(PNG_SIGNATURE)
    position, chunks = len(PNG_SIGNATURE), []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        payload = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + payload) == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, payload))
        position += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, bit_depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert interlace == 0
    raw = zlib.decompress(b"".join(p for k, p in chunks if k == b"IDAT"))
    stride = 1 + (width * bit_depth + 7) // 8
    assert len(raw) == stride * height
    rows: list[bytes] = []
    previous = bytes(stride - 1)
    for y in range(height):
        line = raw[y * stride : (y + 1) * stride]
        previous = unfilter(line[0], line[1:], previous, bpp=max(1, bit_depth // 8))
        rows.append(previous)
    return Png(width, height, bit_depth, colour_type, rows)


def unfilter(kind: int, line: bytes, previous: bytes, *, bpp: int) -> bytes:
    """Undo one of PNG's five scanline filters (None, Sub, Up, Average, Paeth)."""
    out = bytearray(line)
    for i, value in enumerate(line):
        left = out[i - bpp] if i >= bpp else 0
        up = previous[i]
        up_left = previous[i - bpp] if i >= bpp else 0
        if kind == 0:
            predictor = 0
        elif kind == 1:
            predictor = left
        elif kind == 2:
            predictor = up
        elif kind == 3:
            predictor = (left + up) // 2
        elif kind == 4:
            p = left + up - up_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
            predictor = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
        else:
            raise AssertionError(f"unknown PNG filter type {kind}")
        out[i] = (value + predictor) & 0xFF
    return bytes(out)


def png_grid(png: Png, *, scale: int) -> Grid:
    """The module grid, sampled at each module's centre, inside the quiet zone."""
    modules = png.width // scale - 2 * QUIET_ZONE_MODULES
    offset = QUIET_ZONE_MODULES * scale + scale // 2
    return [
        [png.dark(offset + col * scale, offset + row * scale) for col in range(modules)]
        for row in range(modules)
    ]


def svg_grid(svg: bytes) -> Grid:
    """The module grid drawn by segno's dark path: `M x y`, `m dx dy`, `h run`, in modules."""
    root = ElementTree.fromstring(svg)
    (path,) = [p for p in root.iter(f"{SVG_NS}path") if p.get("class") == "qrline"]
    view_box = root.get("viewBox")
    side = float(view_box.split()[2]) if view_box else float(root.get("width", 0)) / SVG_MODULE_PX
    size = int(side) - 2 * QUIET_ZONE_MODULES
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, first, second in re.findall(
        r"([MmHh])(-?[\d.]+)(?: (-?[\d.]+))?", path.get("d", "")
    ):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            row = int(y) - QUIET_ZONE_MODULES
            for col in range(int(x), int(x + float(first))):
                grid[row][col - QUIET_ZONE_MODULES] = True
            x += float(first)
    return grid


def test_the_form_url_is_the_base_url_plus_r_and_the_code() -> None:
    url = resident_form_url(base_url="https://minyi.example.cn", representative_code="0412")
    assert url == URL


def test_a_trailing_slash_on_the_base_url_does_not_double_the_slash() -> None:
    url = resident_form_url(base_url="https://minyi.example.cn/", representative_code="0412")
    assert url == URL


def test_the_code_is_url_quoted_so_it_cannot_change_the_path_or_add_a_query() -> None:
    url = resident_form_url(base_url="http://h", representative_code="a b/../?x=1#é")
    assert url == "http://h/r/a%20b%2F..%2F%3Fx%3D1%23%C3%A9"


def test_the_svg_is_an_xml_document_with_an_svg_root() -> None:
    root = ElementTree.fromstring(qr_svg(URL))
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("width") and root.get("height")


def test_the_inline_svg_has_no_xml_declaration_and_scales_by_its_view_box() -> None:
    svg = qr_svg(URL, inline=True)
    assert svg.startswith(b"<svg")
    root = ElementTree.fromstring(svg)
    assert root.get("viewBox") and root.get("width") is None


@pytest.mark.parametrize("inline", [False, True])
def test_the_svg_draws_exactly_the_qr_code_of_the_url(inline: bool) -> None:
    assert svg_grid(qr_svg(URL, inline=inline)) == fresh_grid(URL)


def test_the_png_starts_with_the_png_signature() -> None:
    assert qr_png(URL).startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("scale", [2, 10, 40])
def test_the_png_is_the_qr_grid_plus_quiet_zone_times_the_scale(scale: int) -> None:
    png = read_png(qr_png(URL, scale=scale))
    side = (len(fresh_grid(URL)) + 2 * QUIET_ZONE_MODULES) * scale
    assert (png.width, png.height) == (side, side)


def test_a_larger_scale_makes_a_larger_png() -> None:
    sizes = [read_png(qr_png(URL, scale=s)).width for s in (2, 10, 40)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3


@pytest.mark.parametrize("scale", [2, 7, 10])
def test_the_png_pixels_are_exactly_the_qr_code_of_the_url(scale: int) -> None:
    png = read_png(qr_png(URL, scale=scale))
    assert png_grid(png, scale=scale) == fresh_grid(URL)


def test_the_png_keeps_a_light_quiet_zone_around_the_code() -> None:
    scale = 4
    png = read_png(qr_png(URL, scale=scale))
    border = QUIET_ZONE_MODULES * scale
    edge = [(x, y) for x in range(png.width) for y in range(border)]
    edge += [(y, x) for x, y in edge]
    assert not any(png.dark(x, y) for x, y in edge)
    assert not any(png.dark(png.width - 1 - x, png.height - 1 - y) for x, y in edge)


def test_a_different_representative_gets_a_different_code() -> None:
    other = resident_form_url(base_url="https://minyi.example.cn", representative_code="0413")
    assert png_grid(read_png(qr_png(other, scale=3)), scale=3) != fresh_grid(URL)
    assert png_grid(read_png(qr_png(other, scale=3)), scale=3) == fresh_grid(other)


def test_codes_use_error_correction_m_not_a_boosted_level_nor_micro_qr() -> None:
    qr = encode(URL)
    assert qr.error == "M" and not qr.is_micro


@pytest.mark.parametrize(
    ("level", "label"),
    [
        ("national", "全国人大代表"),
        ("provincial", "省人大代表"),
        ("municipal", "市人大代表"),
        ("county", "县（市）人大代表"),
        ("unknown", "人大代表"),
    ],
)
def test_each_level_has_its_chinese_label(level: str, label: str) -> None:
    assert level_label(level) == label
