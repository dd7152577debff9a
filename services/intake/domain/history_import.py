"""Past cases (the city's suggestions from before Minyi), read row by row from an import file
and turned into what a live case would have left behind: its events, with their historical
times, and the resident's view folded from them. Pure: rows in, events out; no I/O.

A row is checked in three steps, and every problem names its field:
1. `HistoryRow` parses the fields (types, formats, ISO 8601 times);
2. `rule_problems` checks them together (status implications, ordered times, none in the future);
3. `HistoryChecker` checks the directory references like a live submission (active category,
   representative, liaison point, station) and that the external id is not repeated in the file.

docs/operations.md#importing-past-cases describes the file for the people who write one.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from services.intake.domain.cases import CaseSnapshot, TimelineStep
from services.intake.domain.timeline import change_for
from services.intake.domain.tracking import new_tracking_code
from shared.events.case_events import (
    CaseAccepted,
    CaseAction,
    CaseAssigned,
    CaseClosed,
    CaseRated,
    CaseRejected,
    CaseResponded,
    CaseStatus,
    CaseSubmitted,
    Channel,
    ImportedHistory,
    ImportedStatus,
    Rating,
)
from shared.events.envelope import EventData

# Who the handling events of an imported case name as their actor (actor_role "system").
IMPORT_ACTOR = "import"
# What the resident reads when the file gave no response text or rejection reason.
NO_RESPONSE = "已答复（历史记录，未附答复内容）"
NO_REJECTION_REASON = "不予受理（历史记录，未附理由）"

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
# The case ids of imported cases are derived from the external id (uuid5), so one external id
# is one case wherever and however often it is imported.
_CASE_ID_NAMESPACE = uuid.UUID("6f1c52a4-8d0e-4b7a-9a35-2f0e6d1c9b47")

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


DirectoryKindName = Literal["categories", "stations", "liaison_points", "representatives"]
_KEYS: Mapping[DirectoryKindName, str] = {
    "categories": "code",
    "stations": "id",
    "liaison_points": "id",
    "representatives": "code",
}


@dataclass(frozen=True)
class DirectoryView:
    """The directory entries a row is checked against (intake's copy, read once)."""

    entries: Mapping[DirectoryKindName, Mapping[str, Mapping[str, Any]]]

    @classmethod
    def of(cls, entries: Mapping[DirectoryKindName, Iterable[Mapping[str, Any]]]) -> DirectoryView:
        return cls(
            {kind: {str(e[_KEYS[kind]]): e for e in entries.get(kind, ())} for kind in _KEYS}
        )

    def get(self, kind: DirectoryKindName, key: str) -> Mapping[str, Any] | None:
        return self.entries.get(kind, {}).get(key)

    def active(self, kind: DirectoryKindName, key: str) -> Mapping[str, Any] | None:
        entry = self.get(kind, key)
        return entry if entry is not None and entry.get("active", True) else None


@dataclass(frozen=True)
class Holder:
    """Who held the case: its station (None only for a case still `submitted`) and
    representative, with the names the directory gives them."""

    station_id: str | None
    station_name: str | None
    representative_code: str | None
    representative_name: str | None


def resolve_holder(
    row: HistoryRow, *, directory: DirectoryView
) -> tuple[Holder | None, list[FieldProblem]]:
    """The references checked like a live submission's (active entries only), and the station:
    `station_id`, else the representative's, else the liaison point's."""
    problems: list[FieldProblem] = []
    if directory.active("categories", row.category) is None:
        problems.append(FieldProblem("category", f"no active category {row.category!r}"))
    representative = point = None
    if row.representative_code is not None:
        representative = directory.active("representatives", row.representative_code)
        if representative is None:
            problems.append(
                FieldProblem(
                    "representative_code", f"no active representative {row.representative_code!r}"
                )
            )
    if row.liaison_point_id is not None:
        point = directory.active("liaison_points", row.liaison_point_id)
        if point is None:
            problems.append(
                FieldProblem(
                    "liaison_point_id", f"no active liaison point {row.liaison_point_id!r}"
                )
            )
    if row.station_id is not None:
        if directory.active("stations", row.station_id) is None:
            problems.append(FieldProblem("station_id", f"no active station {row.station_id!r}"))
        if representative is not None and representative.get("station") != row.station_id:
            problems.append(
                FieldProblem(
                    "representative_code",
                    f"representative {row.representative_code} belongs to station "
                    f"{representative.get('station')}, not {row.station_id}",
                )
            )
        if point is not None and point.get("station") != row.station_id:
            problems.append(
                FieldProblem(
                    "liaison_point_id",
                    f"liaison point {row.liaison_point_id} belongs to station "
                    f"{point.get('station')}, not {row.station_id}",
                )
            )
    station_id = (
        row.station_id
        or (str(representative["station"]) if representative else None)
        or (str(point["station"]) if point else None)
    )
    if station_id is None and row.status != "submitted":
        problems.append(
            FieldProblem(
                "station_id",
                f"a {row.status} case was held by a station: "
                "give station_id, representative_code or liaison_point_id",
            )
        )
    if problems:
        return None, problems
    station = directory.get("stations", station_id) if station_id else None
    return (
        Holder(
            station_id=station_id,
            station_name=str(station["name"]) if station else station_id,
            representative_code=row.representative_code,
            representative_name=str(representative["name"]) if representative else None,
        ),
        [],
    )


def step_times(row: HistoryRow) -> dict[str, datetime]:
    """The time of every step the case went through: a step the file gave no time for
    happened, as far as anyone can tell, when the step before it did."""
    times: dict[str, datetime] = {}
    previous = row.submitted_at
    for name in REACHED[row.status]:
        previous = getattr(row, name) or previous
        times[name] = previous
    return times


def history_events(row: HistoryRow, *, case_id: str, holder: Holder) -> list[EventData]:
    """The events a live case would have produced to end where this one did, in order:
    `case.submitted` (with `imported`), then as the status implies `case.assigned`,
    `case.accepted`, `case.rejected` or `case.responded` and `case.closed`, and `case.rated`."""
    times = step_times(row)
    events: list[EventData] = [
        CaseSubmitted(
            case_id=case_id,
            category=row.category,
            text=row.text,
            channel=row.channel,
            representative_code=row.representative_code,
            liaison_point_id=row.liaison_point_id,
            station_id=row.station_id,
            submitted_at=row.submitted_at,
            imported=ImportedHistory(
                external_id=row.external_id,
                status=row.status,
                station_id=holder.station_id,
                representative_code=holder.representative_code,
                assigned_at=times.get("assigned_at"),
                accepted_at=times.get("accepted_at"),
                responded_at=times.get("responded_at"),
                closed_at=times.get("closed_at"),
            ),
        )
    ]
    if row.status == "submitted" or holder.station_id is None:
        return events
    station_id = holder.station_id
    events.append(
        CaseAssigned(
            case_id=case_id,
            category=row.category,
            station_id=station_id,
            station_name=holder.station_name or station_id,
            liaison_point_id=row.liaison_point_id,
            representative_code=holder.representative_code,
            representative_name=holder.representative_name,
            reason=f"imported history (external id {row.external_id})",
            round=1,
            assigned_at=times["assigned_at"],
        )
    )
    if row.status == "assigned":
        return events
    events.append(
        CaseAccepted(
            case_id=case_id,
            station_id=station_id,
            actor_role="system",
            actor_id=IMPORT_ACTOR,
            at=times["accepted_at"],
            # As routing does for a case in a station's queue: no representative, no code.
            representative_code=holder.representative_code or "",
        )
    )
    if row.status == "rejected":
        events.append(
            CaseRejected(
                case_id=case_id,
                station_id=station_id,
                actor_role="system",
                actor_id=IMPORT_ACTOR,
                at=times["closed_at"],
                reason=row.rejection_reason or NO_REJECTION_REASON,
            )
        )
        return events
    if row.status == "accepted":
        return events
    events.append(
        CaseResponded(
            case_id=case_id,
            station_id=station_id,
            actor_role="system",
            actor_id=IMPORT_ACTOR,
            at=times["responded_at"],
            response=row.response or NO_RESPONSE,
        )
    )
    if row.status == "closed":
        events.append(
            CaseClosed(
                case_id=case_id,
                station_id=station_id,
                actor_role="system",
                actor_id=IMPORT_ACTOR,
                at=times["closed_at"],
            )
        )
    if row.rating is not None:
        events.append(
            CaseRated(
                case_id=case_id,
                station_id=station_id,
                actor_role="system",
                actor_id=IMPORT_ACTOR,
                at=times[REACHED[row.status][-1]],
                rating=row.rating,
            )
        )
    return events


def occurred_at(event: EventData) -> datetime:
    """When the event happened: the time its envelope carries (CloudEvents `time`)."""
    if isinstance(event, CaseSubmitted):
        return event.submitted_at
    if isinstance(event, CaseAssigned):
        return event.assigned_at
    if isinstance(event, CaseAction):
        return event.at
    raise ValueError(f"no time for {event.TYPE}")


@dataclass(frozen=True)
class ResidentView:
    """What intake stores for the resident, as if each event had come back from Kafka."""

    status: CaseStatus
    timeline: tuple[TimelineStep, ...]
    fields: Mapping[str, Any]
    updated_at: datetime


def resident_view(events: Sequence[EventData]) -> ResidentView:
    """The resident's view after `events` (the first is `case.submitted`), by the same
    timeline rules a live case follows (`timeline.change_for`)."""
    submitted = events[0]
    if not isinstance(submitted, CaseSubmitted):
        raise ValueError("the first event of a case is case.submitted")
    case = CaseSnapshot(case_id=submitted.case_id, version=1, status="submitted")
    steps = [TimelineStep(status="submitted", at=submitted.submitted_at)]
    fields: dict[str, Any] = {}
    for event in events[1:]:
        change = change_for(event, current=case)
        fields.update(change.fields)
        if change.status is not None:
            case = case.model_copy(update={"status": change.status})
        if change.step is not None:
            steps.append(change.step)
    return ResidentView(
        status=case.status, timeline=tuple(steps), fields=fields, updated_at=steps[-1].at
    )


@dataclass(frozen=True)
class ImportedCase:
    """A valid row, ready to store: the case, its events in order, the resident's view."""

    row: int
    external_id: str
    case_id: str
    tracking_code: str
    fingerprint: str
    events: tuple[EventData, ...]
    view: ResidentView

    @property
    def idempotency_key(self) -> str:
        return import_key(self.external_id)

    @property
    def submitted(self) -> CaseSubmitted:
        first = self.events[0]
        assert isinstance(first, CaseSubmitted)
        return first


def import_key(external_id: str) -> str:
    """The idempotency key of an imported case: importing it again collides on it."""
    return f"import:{external_id}"


def imported_case_id(external_id: str) -> str:
    return str(uuid.uuid5(_CASE_ID_NAMESPACE, external_id))


class HistoryChecker:
    """Checks the rows of one file in order against one directory snapshot. Remembers each
    external id's first row, so a repeated one is refused."""

    def __init__(self, *, directory: DirectoryView, now: datetime, timezone: tzinfo) -> None:
        self._directory = directory
        self._now = now
        self._context = {"timezone": timezone}
        self._first_row: dict[str, int] = {}

    def check(self, number: int, raw: Mapping[str, Any]) -> ImportedCase | RowProblem:
        data = cleaned(raw)
        problems = [FieldProblem("", p) for p in column_problems(list(data), header=False)]
        external_id = data.get("external_id")
        if isinstance(external_id, str):
            external_id = external_id.strip()
            first = self._first_row.setdefault(external_id, number)
            if first != number:
                problems.append(
                    FieldProblem("external_id", f"{external_id!r} is already on row {first}")
                )
        if problems:
            return RowProblem(number, tuple(problems))
        try:
            row = HistoryRow.model_validate(data, context=self._context)
        except ValidationError as exc:
            return RowProblem(number, tuple(field_problems(exc)))
        problems = rule_problems(row, now=self._now)
        holder, reference_problems = resolve_holder(row, directory=self._directory)
        problems += reference_problems
        if problems or holder is None:
            return RowProblem(number, tuple(problems))
        case_id = imported_case_id(row.external_id)
        events = history_events(row, case_id=case_id, holder=holder)
        return ImportedCase(
            row=number,
            external_id=row.external_id,
            case_id=case_id,
            tracking_code=new_tracking_code(),
            fingerprint=row.fingerprint(),
            events=tuple(events),
            view=resident_view(events),
        )


@dataclass
class ImportTally:
    """What an import (or a dry run) did with the rows it read. A dry run counts as
    `imported` the rows it would import."""

    read: int = 0
    imported: int = 0
    already: int = 0
    refused: list[int] = field(default_factory=list)


def row_ranges(rows: Sequence[int]) -> str:
    """`3, 7–9, 12` for rows 3, 7, 8, 9 and 12."""
    parts: list[str] = []
    start = end = None
    for row in sorted(rows):
        if end is not None and row == end + 1:
            end = row
            continue
        if start is not None:
            parts.append(str(start) if start == end else f"{start}–{end}")
        start = end = row
    if start is not None:
        parts.append(str(start) if start == end else f"{start}–{end}")
    return ", ".join(parts)
