"""Photos residents attach: only real JPEG, PNG or WebP images, few and small. Pure.

The declared type must match the bytes (magic numbers), so a renamed file of another kind is
refused here, as the request is read. Decoding, the pixel limit and re-encoding without
metadata come after, off the event loop (domain/photos.py). Images stay in intake's own store;
events only say how many there are.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ImageType = Literal["image/jpeg", "image/png", "image/webp"]
MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024


def sniff(data: bytes) -> ImageType | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class AttachmentIn(BaseModel):
    """An image as JSON: its bytes in base64."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filename: str = Field(min_length=1, max_length=100)
    content_type: ImageType
    data: str = Field(description="The image, base64-encoded.", repr=False)

    @field_validator("data")
    @classmethod
    def _is_base64(cls, value: str) -> str:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("data must be base64") from None
        if len(raw) > MAX_ATTACHMENT_BYTES:
            raise ValueError(f"an image may be at most {MAX_ATTACHMENT_BYTES // 1024} KiB")
        if not raw:
            raise ValueError("the image is empty")
        return value

    @model_validator(mode="after")
    def _type_matches_content(self) -> AttachmentIn:
        actual = sniff(self.raw())
        if actual != self.content_type:
            raise ValueError(
                f"the file is not a {self.content_type} image"
                + (f" (it looks like {actual})" if actual else "")
            )
        return self

    def raw(self) -> bytes:
        return base64.b64decode(self.data)


class StoredAttachment(BaseModel):
    """What the case document keeps about each image (the bytes live elsewhere): the size and
    sha256 are those of the image as stored, re-encoded without metadata."""

    model_config = ConfigDict(frozen=True)

    n: int
    filename: str
    content_type: ImageType
    size: int
    sha256: str
