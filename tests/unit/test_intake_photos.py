"""Residents' photos as intake keeps them: decoded under a pixel limit, upright, re-encoded with
no metadata (no EXIF, GPS, XMP or comments), with a thumbnail; refusals name the photo."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import struct
import threading
import zlib
from typing import Any

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from services.intake.domain.attachments import AttachmentIn, ImageType
from services.intake.domain.errors import PhotoRefused
from services.intake.domain.photos import (
    MAX_PIXELS,
    THUMBNAIL_SIDE,
    PhotoUnusable,
    clean_attachments,
    clean_image,
)
from services.intake.handlers import submission
from services.intake.handlers.submission import PhotoCleaner
from services.intake.web.catalog import CATALOG
from services.intake.web.forms import Message, photo_refused_errors

# Strings planted in the metadata: none may survive in the cleaned bytes.
SECRETS = (b"SECRET-XMP-ALICE", b"SECRET-COMMENT-138", b"PhoneCo", b"Zhang San")
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="SECRET-XMP-ALICE"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
FORMATS: dict[ImageType, str] = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def camera_exif(orientation: int = 6) -> Image.Exif:
    """What a phone writes: where (GPS), what device, whose, and how the camera was held."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Artist] = "Zhang San"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (28.0, 4.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (119.0, 8.0, 30.0)
    return exif


def two_halves(mode: str = "RGB") -> Image.Image:
    """80×40: red on the left, blue on the right, so a turn shows where each half went."""
    image = Image.new(mode, (80, 40), "blue")
    image.paste(Image.new(mode, (40, 40), "red"), (0, 0))
    return image


def saved(image: Image.Image, content_type: ImageType, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, FORMATS[content_type], **options)
    return out.getvalue()


def photo_with_everything(content_type: ImageType) -> bytes:
    """The photo as the phone saved it: orientation 6 (turn 90° clockwise to view), GPS and
    the owner in EXIF, XMP, a comment and a colour profile."""
    options: dict[str, Any] = {"exif": camera_exif(), "xmp": XMP}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    if content_type == "image/png":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "SECRET-COMMENT-138")
        text.add_itxt("XML:com.adobe.xmp", XMP.decode())
        options = {"exif": camera_exif(), "pnginfo": text, "icc_profile": icc}
    elif content_type == "image/jpeg":
        options |= {"comment": "SECRET-COMMENT-138", "icc_profile": icc, "quality": 95}
    else:
        options |= {"icc_profile": icc, "quality": 95}
    data = saved(two_halves(), content_type, **options)
    for secret in (b"SECRET-XMP-ALICE", b"PhoneCo"):
        assert secret in data  # the fixture really carries them
    return data


def colour_at(image: Image.Image, xy: tuple[int, int]) -> str:
    r, g, b = image.convert("RGB").getpixel(xy)  # type: ignore[misc]
    if r > 200 and g < 60 and b < 60:
        return "red"
    if b > 200 and r < 60 and g < 60:
        return "blue"
    return f"other {(r, g, b)}"


def png_canvas(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of this size, all black: tiny on disk, huge once decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/webp"])
def test_a_cleaned_photo_has_no_metadata_is_upright_and_keeps_its_type(
    content_type: ImageType,
) -> None:
    cleaned = clean_image(photo_with_everything(content_type), declared=content_type)

    for secret in SECRETS:
        assert secret not in cleaned.data
    assert b"GPS" not in cleaned.data and b"Exif" not in cleaned.data
    image = Image.open(io.BytesIO(cleaned.data))
    assert image.format == FORMATS[content_type]
    assert cleaned.content_type == content_type
    assert not image.getexif()
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment", "icc_profile"} & set(
        image.info
    )
    # Turned 90° clockwise: 80×40 became 40×80, the left (red) half is now on top.
    assert image.size == (cleaned.width, cleaned.height) == (40, 80)
    assert colour_at(image, (20, 10)) == "red"
    assert colour_at(image, (20, 70)) == "blue"


def test_a_photo_without_an_orientation_tag_stays_as_drawn() -> None:
    exif = camera_exif()
    del exif[ExifTags.Base.Orientation]
    cleaned = clean_image(saved(two_halves(), "image/jpeg", exif=exif), declared="image/jpeg")
    image = Image.open(io.BytesIO(cleaned.data))
    assert image.size == (80, 40)
    assert colour_at(image, (10, 20)) == "red"
    assert b"PhoneCo" not in cleaned.data


def test_a_palette_png_keeps_its_transparent_colour() -> None:
    image = two_halves().convert("P")
    transparent = image.getpixel((10, 10))
    cleaned = clean_image(saved(image, "image/png", transparency=transparent), declared="image/png")
    assert Image.open(io.BytesIO(cleaned.data)).info == {"transparency": transparent}


def test_the_thumbnail_is_a_small_jpeg_of_the_upright_photo() -> None:
    big = Image.new("RGB", (1600, 800), "red")
    cleaned = clean_image(
        saved(big, "image/png", exif=camera_exif(orientation=8)), declared="image/png"
    )
    thumbnail = Image.open(io.BytesIO(cleaned.thumbnail))
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (THUMBNAIL_SIDE // 2, THUMBNAIL_SIDE)  # turned, longer side 320
    assert not thumbnail.getexif()


def test_a_small_photo_is_not_enlarged_and_transparency_turns_white() -> None:
    clear = Image.new("RGBA", (30, 20), (0, 0, 0, 0))
    cleaned = clean_image(saved(clear, "image/webp"), declared="image/webp")
    thumbnail = Image.open(io.BytesIO(cleaned.thumbnail))
    assert thumbnail.size == (30, 20)
    assert thumbnail.convert("RGB").getpixel((5, 5)) == (255, 255, 255)


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    bomb = png_canvas(20_000, 20_000)  # 400 megapixels in a few dozen kilobytes
    assert len(bomb) < 200_000
    with pytest.raises(PhotoUnusable) as refused:
        clean_image(bomb, declared="image/png")
    assert refused.value.reason == "pixels"
    assert f"at most {MAX_PIXELS // 1_000_000} megapixels" in str(refused.value)


def test_a_photo_over_intake_s_own_limit_is_refused_with_its_size() -> None:
    # Under Pillow's default guard (89 MP), over intake's 40 MP.
    with pytest.raises(PhotoUnusable) as refused:
        clean_image(png_canvas(8_000, 6_000), declared="image/png")
    assert refused.value.reason == "pixels"
    assert "8000×6000" in str(refused.value)


def truncated_jpeg() -> bytes:
    """A JPEG cut off halfway through its pixels: the header reads, the pixels do not."""
    noise = Image.effect_noise((256, 256), 64).convert("RGB")
    whole = saved(noise, "image/jpeg", quality=90)
    return whole[: len(whole) // 2]


def test_a_truncated_jpeg_is_refused() -> None:
    with pytest.raises(PhotoUnusable) as refused:
        clean_image(truncated_jpeg(), declared="image/jpeg")
    assert refused.value.reason == "unreadable"
    assert "truncated or corrupt" in str(refused.value)


def test_bytes_that_only_start_like_an_image_are_refused() -> None:
    with pytest.raises(PhotoUnusable) as refused:
        clean_image(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10, declared="image/png")
    assert refused.value.reason == "unreadable"


def test_the_declared_type_must_be_what_the_bytes_decode_as() -> None:
    with pytest.raises(PhotoUnusable) as refused:
        clean_image(saved(two_halves(), "image/webp"), declared="image/png")
    assert refused.value.reason == "type"
    assert str(refused.value) == "the file is not a image/png image (it is image/webp)"


def attachment(data: bytes, content_type: ImageType = "image/png") -> AttachmentIn:
    return AttachmentIn(
        filename="wall.png", content_type=content_type, data=base64.b64encode(data).decode()
    )


def test_a_submission_s_photos_are_numbered_and_described_by_their_cleaned_bytes() -> None:
    original = photo_with_everything("image/jpeg")
    (cleaned,) = clean_attachments([attachment(original, "image/jpeg")])
    stored = cleaned.stored()
    assert (stored.n, stored.filename, stored.content_type) == (1, "wall.png", "image/jpeg")
    assert stored.size == len(cleaned.image.data) != len(original)
    assert stored.sha256 == hashlib.sha256(cleaned.image.data).hexdigest()


def test_the_refused_photo_is_named_by_its_place_in_the_submission() -> None:
    good = attachment(saved(two_halves(), "image/png"))
    with pytest.raises(PhotoRefused) as refused:
        clean_attachments([good, attachment(png_canvas(20_000, 20_000))])
    assert (refused.value.index, refused.value.reason) == (1, "pixels")
    assert refused.value.field == "attachments.1.data"


@pytest.mark.parametrize(
    ("reason", "key"),
    [
        ("pixels", "error.photos.smaller"),
        ("too_large", "error.photos.smaller"),
        ("unreadable", "error.photos.unreadable"),
        ("type", "error.photos.one"),
    ],
)
def test_the_form_says_which_photo_and_why(reason: str, key: str) -> None:
    errors = photo_refused_errors(PhotoRefused(2, reason, "…"))
    assert errors == {"photos": Message(key, {"n": 3})}
    for language in ("zh", "en"):
        assert "3" in CATALOG.text(key, language, n=3)


async def test_photos_are_cleaned_off_the_event_loop_a_few_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop_thread = threading.get_ident()
    release = threading.Event()
    lock = threading.Lock()
    running: list[int] = []
    most_at_once = 0

    def slow_clean(attachments: Any) -> list[Any]:
        nonlocal most_at_once
        with lock:
            running.append(threading.get_ident())
            most_at_once = max(most_at_once, len(running))
        release.wait(5)
        with lock:
            running.remove(threading.get_ident())
        return []

    monkeypatch.setattr(submission, "clean_attachments", slow_clean)
    cleaner = PhotoCleaner(at_once=2)
    one = [attachment(saved(two_halves(), "image/png"))]
    tasks = [asyncio.create_task(cleaner.clean(one)) for _ in range(4)]
    for _ in range(100):  # the loop is free while they work: it gets here
        await asyncio.sleep(0.01)
        if len(running) == 2:
            break
    snapshot = list(running)
    release.set()
    await asyncio.gather(*tasks)
    assert len(snapshot) == 2 and loop_thread not in snapshot
    assert most_at_once == 2
