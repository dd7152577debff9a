"""What intake refuses, as exceptions the entry points map to answers in one place each
(entrypoints/errors.py for the JSON API; the pages and Open311 answer in their own terms)."""

from __future__ import annotations


class CaseNotFound(Exception):
    """No case has this tracking code, or (`by="id"`) this id: what the answer names."""

    def __init__(self, value: str, *, by: str = "tracking code") -> None:
        super().__init__(value)
        self.by = by

    @property
    def detail(self) -> str:
        return f"no case has this {self.by}"


class PhotoNotFound(Exception):
    """The case has no photo with this number."""

    def __init__(self, n: int) -> None:
        super().__init__(f"the case has no photo {n}")
        self.n = n


class UnknownReference(ValueError):
    """The submission names a category, representative or point the directory lacks (422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class PhotoRefused(ValueError):
    """Photo `index` (0-based, as in the request's `attachments`) cannot be kept: it does not
    decode, is not the type it claims, or has too many pixels (422 on `attachments.<i>.data`).

    `reason` is domain.photos' RefusalReason: the pages pick their message by it."""

    def __init__(self, index: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.reason = reason

    @property
    def field(self) -> str:
        return f"attachments.{self.index}.data"
