"""What the meeting pages' forms say, as the commands' fields. Pure.

The "new meeting" form lists the proposed agenda items, each with a tick box (`pick`), an
editable title (`title-<n>`) and its cases (`cases-<n>`); representatives are codes separated
by spaces or commas; deliberators one per line, "name, role" (the role defaults to 议事员).
The "record a meeting or activity held" form writes representatives and case ids the same way.
The domain's refusals read at the fields they concern (`problem_errors`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from services.routing.domain.meetings import MeetingProblem
from services.routing.web.forms import Text

_SEPARATORS = re.compile(r"[\s,，、;；]+")
_NAME_ROLE = re.compile(r"\s*[,，、;；]\s*|\s+")


def _words(text: str) -> list[str]:
    return [w for w in _SEPARATORS.split(text.strip()) if w]


def deliberators(text: str) -> list[dict[str, str]]:
    """One per non-empty line: "name, role" or "name role"; a name alone is a deliberator."""
    found: list[dict[str, str]] = []
    for line in text.splitlines():
        parts = [p for p in _NAME_ROLE.split(line.strip(), maxsplit=1) if p]
        if not parts:
            continue
        entry = {"name": parts[0]}
        if len(parts) > 1:
            entry["role"] = parts[1]
        found.append(entry)
    return found


def plan_fields(form: Mapping[str, str], picked: Sequence[str]) -> dict[str, Any]:
    """The PlanMeeting fields of the form, with the agenda items ticked in `picked`."""
    fields: dict[str, Any] = {
        "topic": form.get("topic", "").strip(),
        "planned_on": form.get("planned_on", "").strip() or None,
        "liaison_point_id": form.get("liaison_point_id", "").strip() or None,
        "representatives": _words(form.get("representatives", "")),
        "deliberators": deliberators(form.get("deliberators", "")),
        "agenda": [
            {
                "title": form.get(f"title-{n}", "").strip(),
                "category": form.get(f"category-{n}", "").strip() or None,
                "case_ids": _words(form.get(f"cases-{n}", "")),
            }
            for n in picked
        ],
    }
    return {k: v for k, v in fields.items() if v is not None}


def record_fields(form: Mapping[str, str]) -> dict[str, Any]:
    """The RecordMeeting fields of the form: a meeting or activity held, recorded afterwards."""
    fields: dict[str, Any] = {
        "kind": form.get("kind", "").strip() or None,
        "liaison_point_id": form.get("liaison_point_id", "").strip() or None,
        "held_on": form.get("held_on", "").strip() or None,
        "topic": form.get("topic", "").strip(),
        "attendance": form.get("attendance", "").strip() or None,
        "outcome": form.get("outcome", "").strip(),
        "representatives": _words(form.get("representatives", "")),
        "case_ids": _words(form.get("case_ids", "")),
    }
    return {k: v for k, v in fields.items() if v is not None}


def hold_fields(form: Mapping[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "held_on": form.get("held_on", "").strip() or None,
        "attendance": form.get("attendance", "").strip(),
        "minutes": form.get("minutes", "").strip(),
        "outcome": form.get("outcome", "").strip(),
    }
    return {k: v for k, v in fields.items() if v is not None}


def decision_fields(form: Mapping[str, str], ticked: Sequence[str]) -> dict[str, Any]:
    """The decision and the cases ticked (none ticked: every case of the item)."""
    fields: dict[str, Any] = {"decision": form.get("decision", "").strip()}
    if ticked:
        fields["case_ids"] = list(ticked)
    return fields


def problem_errors(details: Sequence[MeetingProblem], text: Text) -> dict[str, str]:
    """The domain's refusal as one message per form field, in the page's language (`text`);
    the messages of two problems at one field are joined."""
    found: dict[str, list[str]] = {}
    for problem in details:
        message = text(f"meeting_problem_{problem.code}", **problem.values)
        found.setdefault(problem.field, []).append(message)
    return {field: " ".join(messages) for field, messages in found.items()}
