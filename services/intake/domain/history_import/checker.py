"""The rows of one file checked in order: each becomes a case ready to store, or a refusal."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from pydantic import ValidationError

from services.intake.domain.history_import.history import (
    ResidentView,
    history_events,
    resident_view,
)
from services.intake.domain.history_import.references import DirectoryView, resolve_holder
from services.intake.domain.history_import.rows import (
    FieldProblem,
    HistoryRow,
    RowProblem,
    cleaned,
    column_problems,
    field_problems,
    rule_problems,
)
from services.intake.domain.tracking import new_tracking_code
from shared.events.case_events import CaseSubmitted
from shared.events.envelope import EventData

# The case ids of imported cases are derived from the external id (uuid5), so one external id
# is one case wherever and however often it is imported.
_CASE_ID_NAMESPACE = uuid.UUID("6f1c52a4-8d0e-4b7a-9a35-2f0e6d1c9b47")


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
