"""The workbench's forms: their fields as the API's commands and directory entries, and pydantic's
errors as one message per field in the page's language. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, get_args

from pydantic import TypeAdapter, ValidationError

from services.routing.domain.directory import EntryKind, Level
from services.routing.domain.workflow import Command

Text = Callable[..., str]  # a catalog lookup in the page's language: text(key, **values)

# The form fields each action takes, in the order the form shows them.
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "decline": ("reason",),
    "reject": ("reason",),
    "merge": ("into_case_id",),
    "transfer": ("department_id", "note"),
    "progress": ("note",),
    "respond": ("template_id", "response"),
    "reassign": ("representative_code", "reason"),
    "return": ("reason",),
}
# The case page's own forms beside the workflow's actions (supervision, follow-up call), by the
# name `?done=` carries back, with their fields.
CASE_FORM_FIELDS: dict[str, tuple[str, ...]] = {
    "supervise": ("reason", "deadline"),
    "follow_up": ("rating", "channel", "comment"),
}
# Where a handler's refusal (an unknown department, a bad merge target) belongs on the form.
REFUSAL_FIELD = {
    "merge": "into_case_id",
    "transfer": "department_id",
    "respond": "template_id",
    "reassign": "representative_code",
}
_COMMAND: TypeAdapter[Command] = TypeAdapter(Command)

LEVELS: tuple[str, ...] = get_args(Level)
# The directory forms the workbench offers, by path segment: the directory kind and its template.
ADMIN_FORMS: dict[str, tuple[EntryKind, str]] = {
    "representatives": ("representatives", "admin_representative.html"),
    "categories": ("categories", "admin_category.html"),
}


class Form(Protocol):
    """A submitted form: one value per field, or all of a repeated field's values."""

    def get(self, key: str) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


def parse_command(action: str, form: dict[str, str]) -> Command:
    """The form as the API's command; an empty field counts as not given."""
    fields = {name: form[name] for name in ACTION_FIELDS.get(action, ()) if form.get(name)}
    return _COMMAND.validate_python({"action": action, **fields})


def refusal_field(action: str) -> str:
    """The field a handler's refusal of this action is shown at."""
    return REFUSAL_FIELD.get(action, ACTION_FIELDS.get(action, ("",))[0])


def _given(entry: dict[str, Any]) -> dict[str, Any]:
    """An empty text box counts as not given, so a required field says so."""
    return {name: value for name, value in entry.items() if value != ""}


def representative_entry(form: Form) -> dict[str, Any]:
    return _given(
        {
            "code": str(form.get("code") or "").strip(),
            "name": str(form.get("name") or "").strip(),
            "level": str(form.get("level") or ""),
            "station": str(form.get("station") or ""),
            "points": [str(p) for p in form.getlist("points")],
            "specialties": [str(s) for s in form.getlist("specialties")],
            "active": form.get("active") == "on",
        }
    )


def category_entry(form: Form) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": str(form.get("code") or "").strip(),
        "name": str(form.get("name") or "").strip(),
        "name_en": str(form.get("name_en") or "").strip(),
        "active": form.get("active") == "on",
    }
    for days in ("sla_accept_days", "sla_respond_days"):
        value = str(form.get(days) or "").strip()
        if value:
            entry[days] = value
    return _given(entry)


def directory_entry(kind: str, form: Form) -> dict[str, Any]:
    """The directory entry an admin form describes."""
    return representative_entry(form) if kind == "representatives" else category_entry(form)


def field_errors(exc: ValidationError, text: Text, *, skip: int = 0) -> dict[str, str]:
    """pydantic's errors as one message per form field, in the page's language.

    `skip` drops leading location parts that are not field names (a union tag, a list index).
    Errors not tied to a field go under "".
    """
    found: dict[str, str] = {}
    for error in exc.errors():
        location = [str(part) for part in error["loc"][skip:]]
        field = location[0] if location else ""
        found.setdefault(field, _message(error, text))
    return found


def _message(error: Mapping[str, Any], text: Text) -> str:
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "missing":
        return str(text("err_required"))
    if kind == "string_too_short":
        return str(
            text("err_required")
            if context.get("min_length") == 1
            else text("err_too_short", n=context.get("min_length"))
        )
    if kind == "string_too_long":
        return str(text("err_too_long", n=context.get("max_length")))
    if kind == "string_pattern_mismatch":
        return str(text("err_pattern"))
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return str(text("err_number"))
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return str(text("err_range"))
    if kind in ("literal_error", "enum"):
        return str(text("err_choice"))
    return str(text("err_other", msg=str(error["msg"]).removeprefix("Value error, ")))


# The formal suggestion's forms (代表建议), by the name `?done=` carries back, with their fields.
SUGGESTION_FORM_FIELDS: dict[str, tuple[str, ...]] = {
    "submitted": ("title", "body", "case_ids", "cosigners", "department_id", "answer_due"),
    "answer": ("answer",),
    "evaluation": ("rating", "comment"),
}


def suggestion_fields(form_name: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The form as the API's command: case ids and co-signers are lists, split on white space
    and commas; an empty field counts as not given."""
    fields: dict[str, Any] = {}
    for name in SUGGESTION_FORM_FIELDS[form_name]:
        value = form.get(name, "").strip()
        if name in ("case_ids", "cosigners"):
            fields[name] = value.replace(",", " ").replace("，", " ").split()
        elif value:
            fields[name] = value
    return fields
