"""Residents' photos made safe to keep: decoded under a pixel limit, turned upright, re-encoded
without any metadata, plus a small thumbnail for the workbench. Pure (Pillow works on bytes in
memory), and CPU work: callers run it off the event loop.

A phone photo carries where and when it was taken (EXIF GPS), the device, often the owner's
name (XMP, comments). None of it is kept: only the pixels are decoded and written again, so
whatever the file carried beside them is gone. Decoding is bounded before any pixel is read:
a small file that declares a huge canvas (a decompression bomb) is refused from its header.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from PIL import Image, ImageOps

from services.intake.domain.attachments import AttachmentIn, ImageType, StoredAttachment
from services.intake.domain.errors import PhotoRefused

MAX_PIXELS: Final = 40_000_000
"""Larger than any phone camera (a 48 MP sensor saves 12 MP by default); decoded as RGBA that is
160 MB, so a few at once stay within a small machine's memory."""
MAX_CLEAN_BYTES: Final = 8 * 1024 * 1024
"""A re-encoded photo may grow (a 2 MiB JPEG at low quality, written again at 85): past this it
is refused rather than stored, well under the store's 16 MiB document limit."""
THUMBNAIL_SIDE: Final = 320
THUMBNAIL_TYPE: Final[ImageType] = "image/jpeg"
JPEG_QUALITY: Final = 85
WEBP_QUALITY: Final = 85
THUMBNAIL_QUALITY: Final = 80

# Pillow's names of the formats intake takes; MPO is the multi-picture JPEG some phones save.
_DECODED_AS: Final[dict[str, ImageType]] = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
}
_FORMATS: Final = ("JPEG", "PNG", "WEBP")
_ALPHA_MODES: Final = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_PNG_MODES: Final = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"})

RefusalReason = Literal["type", "pixels", "unreadable", "too_large"]


class PhotoUnusable(ValueError):
    """The bytes are not a photo intake can keep; `reason` says why, the message says it in
    words a resident (or an API client) can act on."""

    def __init__(self, reason: RefusalReason, message: str) -> None:
        super().__init__(message)
        self.reason: RefusalReason = reason


@dataclass(frozen=True)
class CleanImage:
    """The photo as intake keeps it: the same type, upright, with nothing but pixels."""

    content_type: ImageType
    data: bytes
    width: int
    height: int
    thumbnail: bytes
    """A JPEG whose longer side is at most THUMBNAIL_SIDE (never enlarged)."""


@dataclass(frozen=True)
class CleanAttachment:
    """Photo `n` (1-based, as it is served) of a submission, cleaned."""

    n: int
    filename: str
    image: CleanImage

    def stored(self) -> StoredAttachment:
        return StoredAttachment(
            n=self.n,
            filename=self.filename,
            content_type=self.image.content_type,
            size=len(self.image.data),
            sha256=hashlib.sha256(self.image.data).hexdigest(),
        )


def clean_attachments(attachments: Sequence[AttachmentIn]) -> list[CleanAttachment]:
    """Every photo of a submission cleaned, in order; raises PhotoRefused naming the first
    one that cannot be kept."""
    cleaned = []
    for index, attachment in enumerate(attachments):
        try:
            image = clean_image(attachment.raw(), declared=attachment.content_type)
        except PhotoUnusable as exc:
            raise PhotoRefused(index, exc.reason, str(exc)) from None
        cleaned.append(CleanAttachment(n=index + 1, filename=attachment.filename, image=image))
    return cleaned


def clean_image(data: bytes, *, declared: ImageType) -> CleanImage:
    """Decode, check, turn upright and re-encode `data`; raises PhotoUnusable.

    The declared type must be what the bytes decode as: a PNG sent as a JPEG is refused,
    not silently converted, so what the resident sees is what the station sees.
    """
    image = _open(data)
    actual = _DECODED_AS.get(image.format or "")
    if actual != declared:
        raise PhotoUnusable(
            "type",
            f"the file is not a {declared} image" + (f" (it is {actual})" if actual else ""),
        )
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise PhotoUnusable("pixels", _too_many_pixels(width, height))
    try:
        image.load()
    except Exception:
        # Truncated or corrupt pixel data: Pillow raises OSError, SyntaxError, ValueError or
        # struct.error depending on where the file breaks; each is the sender's bad file.
        raise PhotoUnusable("unreadable", "the image data is truncated or corrupt") from None
    upright = _upright(image)
    cleaned = _encode(upright, declared)
    if len(cleaned) > MAX_CLEAN_BYTES:
        raise PhotoUnusable(
            "too_large",
            "the image is too detailed to keep at this size; send a smaller photo",
        )
    return CleanImage(
        content_type=declared,
        data=cleaned,
        width=upright.width,
        height=upright.height,
        thumbnail=_thumbnail(upright),
    )


def _open(data: bytes) -> Image.Image:
    """The image's header read (no pixels yet), only as one of the formats intake takes."""
    try:
        return Image.open(io.BytesIO(data), formats=_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard (at twice its default limit, which is above ours) fired first.
        raise PhotoUnusable("pixels", _too_many_pixels()) from None
    except Exception:
        # UnidentifiedImageError for what no plugin recognises; a broken header can raise
        # SyntaxError, ValueError or struct.error from inside the plugin.
        raise PhotoUnusable("unreadable", "the file cannot be decoded as an image") from None


def _too_many_pixels(width: int | None = None, height: int | None = None) -> str:
    limit = f"at most {MAX_PIXELS // 1_000_000} megapixels"
    return f"the image is {width}×{height} pixels; {limit}" if width else f"images have {limit}"


def _upright(image: Image.Image) -> Image.Image:
    """The pixels turned as the camera's orientation tag says, with no metadata left.

    Clearing `info` is what drops EXIF, XMP, comments, text chunks and the ICC profile: Pillow's
    PNG writer falls back to `info` for some of them, JPEG and WebP writers only write what
    `save` is given. A palette's or grey image's transparent colour is pixels, so it stays.
    """
    # A malformed EXIF block: the photo itself is fine, it is kept as it was drawn.
    with contextlib.suppress(Exception):
        ImageOps.exif_transpose(image, in_place=True)
    transparency = image.info.get("transparency")
    image.info = {} if transparency is None else {"transparency": transparency}
    return image


def _encode(image: Image.Image, content_type: ImageType) -> bytes:
    out = io.BytesIO()
    if content_type == "image/jpeg":
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")  # CMYK and the rarer JPEG modes
        image.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    elif content_type == "image/png":
        if image.mode not in _PNG_MODES:
            # Decoded into a mode Pillow does not write back as PNG (32-bit grey, say).
            image = image.convert("RGBA" if image.mode in _ALPHA_MODES else "RGB")
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=WEBP_QUALITY)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    """A small JPEG of the upright image; transparent parts become white."""
    has_alpha = image.mode in _ALPHA_MODES or "transparency" in image.info
    if image.mode not in ("L", "RGB", "RGBA"):
        image = image.convert("RGBA" if has_alpha else "RGB")
    scale = min(1.0, THUMBNAIL_SIDE / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if size != image.size:
        # reducing_gap: a fast integer reduction first, then the exact filter on what is left.
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    out = io.BytesIO()
    image.save(out, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return out.getvalue()
