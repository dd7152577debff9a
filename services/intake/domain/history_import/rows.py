"""The rows of an import file: its columns, each row's fields, and the rules between them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from shared.events.case_events import Channel, ImportedStatus, Rating


class ImportFailed(Exception):
    """Nothing can be imported: the file or the environment is not usable."""


COLUMNS: tuple[str, ...] = (
    "external_id",
    "submitted_at",
    "category",
    "text",
    "channel",
    "representative_code",
    "liaison_point_id",
    "station_id",
    "status",
    "assigned_at",
    "accepted_at",
    "responded_at",
    "closed_at",
    "response",
    "rejection_reason",
    "rating",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("external_id", "submitted_at", "category", "text")
# Resident personal data is never imported: a file that carries it is refused, not trimmed,
# so nobody believes it was kept.
PERSONAL_COLUMNS = frozenset(
    {
        "name",
        "resident",
        "resident_name",
        "contact",
        "contact_name",
        "contact_phone",
        "phone",
        "mobile",
        "telephone",
        "tel",
        "email",
        "id_number",
        "id_card",
    }
)
STEP_TIMES: tuple[str, ...] = ("assigned_at", "accepted_at", "responded_at", "closed_at")
# The step times a case in each status has been through, in order. A rejected case was
# accepted, then rejected at review; `closed_at` holds when it was rejected.
REACHED: Mapping[ImportedStatus, tuple[str, ...]] = {
    "submitted": (),
    "assigned": ("assigned_at",),
    "accepted": ("assigned_at", "accepted_at"),
    "responded": ("assigned_at", "accepted_at", "responded_at"),
    "closed": ("assigned_at", "accepted_at", "responded_at", "closed_at"),
    "rejected": ("assigned_at", "accepted_at", "closed_at"),
}
_NEVER: Mapping[str, str] = {
    "assigned_at": "was never assigned",
    "accepted_at": "was never accepted",
    "responded_at": "was never responded to",
    "closed_at": "was never closed or rejected",
}
ANSWERED: frozenset[ImportedStatus] = frozenset({"responded", "closed"})
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]


def parse_time(value: object, *, timezone: tzinfo) -> datetime:
    """An ISO 8601 time with its offset, or a date alone (midnight in `timezone`), in UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            if _DATE_ONLY.match(text):
                return datetime.combine(date.fromisoformat(text), time(), timezone).astimezone(UTC)
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not an ISO 8601 date or time") from None
    else:
        raise ValueError("must be an ISO 8601 date or time, as text")
    if parsed.tzinfo is None:
        raise ValueError(
            f"{value!s} has no time zone: write it with its offset "
            "(e.g. 2024-03-01T09:30:00+08:00) or give the date alone"
        )
    return parsed.astimezone(UTC)


class HistoryRow(BaseModel):
    """One past case as the file gives it. Times are parsed with the `timezone` of the
    validation context (for dates alone); without one, UTC."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    external_id: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")
    submitted_at: datetime
    category: Code
    text: str = Field(min_length=1, max_length=5000)
    channel: Channel = "in_person"
    representative_code: Code | None = None
    liaison_point_id: Code | None = None
    station_id: Code | None = None
    status: ImportedStatus = "submitted"
    assigned_at: datetime | None = None
    accepted_at: datetime | None = None
    responded_at: datetime | None = None
    closed_at: datetime | None = None
    response: str | None = Field(default=None, min_length=1, max_length=5000)
    rejection_reason: str | None = Field(default=None, min_length=1, max_length=2000)
    rating: Rating | None = None

    @field_validator("submitted_at", *STEP_TIMES, mode="before")
    @classmethod
    def _time(cls, value: object, info: ValidationInfo) -> object:
        if value is None:
            return None
        context = info.context if isinstance(info.context, dict) else {}
        return parse_time(value, timezone=context.get("timezone", UTC))

    @field_validator("channel", "status", "rating", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    def fingerprint(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


@dataclass(frozen=True)
class FieldProblem:
    field: str  # "" for a problem of the row as a whole (not JSON, wrong number of values)
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


@dataclass(frozen=True)
class RowProblem:
    """A refused row: its number (the file's line where it starts) and every problem found."""

    row: int
    problems: tuple[FieldProblem, ...]

    def __str__(self) -> str:
        return f"row {self.row}: " + "; ".join(str(p) for p in self.problems)


def column_problems(names: Sequence[str], *, header: bool) -> list[str]:
    """What is wrong with a file's columns (a CSV header, or a JSONL row's keys)."""
    problems: list[str] = []
    personal = [n for n in names if n in PERSONAL_COLUMNS]
    if personal:
        problems.append(
            f"{', '.join(personal)}: resident personal data is not imported; "
            "remove the column(s) from the file"
        )
    unknown = [n for n in names if n not in COLUMNS and n not in PERSONAL_COLUMNS]
    if unknown:
        problems.append(
            f"unknown column(s) {', '.join(unknown)}; the columns are: {', '.join(COLUMNS)}"
        )
    if header:
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            problems.append(f"repeated column(s) {', '.join(repeated)}")
        missing = [c for c in REQUIRED_COLUMNS if c not in names]
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
    return problems


def cleaned(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The row without its empty cells: an empty or blank value means "not known"."""
    return {
        key: value
        for key, value in raw.items()
        if value is not None and not (isinstance(value, str) and not value.strip())
    }


def field_problems(exc: ValidationError) -> list[FieldProblem]:
    problems = []
    for err in exc.errors():
        name = ".".join(str(part) for part in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "required"
        elif err["type"] == "extra_forbidden":
            message = "not a column of the import"
        problems.append(FieldProblem(name, message))
    return problems


def rule_problems(row: HistoryRow, *, now: datetime) -> list[FieldProblem]:
    """The rules between fields: what the status implies, times in order and not after now."""
    problems: list[FieldProblem] = []
    if row.channel == "qr" and row.representative_code is None:
        problems.append(
            FieldProblem("representative_code", "a qr case names the representative of the code")
        )
    reached = REACHED[row.status]
    for name in STEP_TIMES:
        if getattr(row, name) is not None and name not in reached:
            problems.append(FieldProblem(name, f"given, but a {row.status} case {_NEVER[name]}"))
    previous_name, previous = "submitted_at", row.submitted_at
    if row.submitted_at > now:
        problems.append(FieldProblem("submitted_at", "is in the future"))
    for name in reached:
        value: datetime | None = getattr(row, name)
        if value is None:
            continue
        if value > now:
            problems.append(FieldProblem(name, "is in the future"))
        if value < previous:
            problems.append(
                FieldProblem(
                    name, f"{value.isoformat()} is before {previous_name} {previous.isoformat()}"
                )
            )
        previous_name, previous = name, value
    if row.response is not None and row.status not in ANSWERED:
        problems.append(
            FieldProblem("response", f"only a responded or closed case has one, not a {row.status}")
        )
    if row.rejection_reason is not None and row.status != "rejected":
        problems.append(
            FieldProblem("rejection_reason", f"only a rejected case has one, not a {row.status}")
        )
    if row.rating is not None and row.status not in ANSWERED:
        problems.append(
            FieldProblem("rating", f"only a responded or closed case is rated, not a {row.status}")
        )
    return problems
