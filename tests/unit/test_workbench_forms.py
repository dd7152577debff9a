"""The workbench's form handling: form fields to the API's commands, errors to fields."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.routing.domain.workflow import Respond, Transfer
from services.routing.web.catalog import CATALOG
from services.routing.web.forms import ACTION_FIELDS, field_errors, parse_command
from services.routing.web.views import safe_next


def zh(key: str, **values: object) -> str:
    return CATALOG.text(key, "zh", **values)


def test_empty_optional_fields_are_left_out_and_unknown_fields_ignored() -> None:
    command = parse_command(
        "transfer", {"department_id": "housing", "note": "", "csrf": "x", "version": "3"}
    )
    assert command == Transfer(department_id="housing")
    assert parse_command("respond", {"response": "已处理完毕，谢谢"}) == Respond(
        response="已处理完毕，谢谢"
    )


@pytest.mark.parametrize(
    ("action", "form", "field", "message"),
    [
        ("decline", {}, "reason", "此项必填。"),
        ("reject", {"reason": "x"}, "reason", "至少 2 个字。"),
        ("merge", {}, "into_case_id", "此项必填。"),
        ("progress", {"note": "字" * 2001}, "note", "最多 2000 个字。"),
    ],
)
def test_a_bad_form_names_the_field_in_chinese(
    action: str, form: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_command(action, form)
    assert field_errors(raised.value, zh, skip=1) == {field: message}


def test_every_action_with_fields_has_labels_in_both_languages() -> None:
    for action in ACTION_FIELDS:
        assert CATALOG.text(f"action_{action}", "en")
        for field in ACTION_FIELDS[action]:
            assert CATALOG.text(f"field_{field}", "zh")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "/staff"),
        ("/staff/cases/c1?lang=en", "/staff/cases/c1?lang=en"),
        ("https://evil.example/staff", "/staff"),
        ("//evil.example/staff", "/staff"),
        ("/v1/staff/cases", "/staff"),
    ],
)
def test_after_sign_in_only_workbench_paths_are_followed(given: str | None, expected: str) -> None:
    assert safe_next(given) == expected
