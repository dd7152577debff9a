"""Every action routing writes into a case's audit trail has a label on the case page (which
otherwise shows the raw action name, e.g. `meeting_decision`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.routing.domain.workflow import RULES
from services.routing.web.catalog import CATALOG
from services.routing.web.views import audit_note
from shared.web.i18n import Language

ROUTING = Path(__file__).resolve().parents[2] / "services" / "routing"


def audit_actions() -> set[str]:
    found: set[str] = set()
    for source in ROUTING.rglob("*.py"):
        found.update(re.findall(r'\baction="([a-z_]+)"', source.read_text(encoding="utf-8")))
    return found


def test_every_audit_action_written_has_a_label_in_both_languages() -> None:
    actions = audit_actions() | set(RULES)
    assert "meeting_decision" in actions  # the scan finds the literal actions
    missing = sorted(a for a in actions if f"action_{a}" not in CATALOG)
    assert missing == []


def _note(
    action: str, detail: dict[str, Any] | None, note: str | None, lang: Language
) -> str | None:
    return audit_note(
        action,
        detail,
        note,
        word=lambda key, **values: CATALOG.text(key, lang, **values),
        known=CATALOG,
        local=lambda at: at.strftime("%Y-%m-%d %H:%M"),
    )


def test_an_entrys_codes_are_worded_in_the_pages_language_then_what_a_person_wrote() -> None:
    assert _note("escalate", {"deadline": "accept"}, None, "zh") == "受理期限已过"
    assert _note("escalate", {"deadline": "respond"}, None, "en") == "Respond by passed"
    due = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    assert _note("escalate_supervision", {"due_at": due}, None, "zh") == (
        "督办期限 2026-12-04 09:30 已过"
    )
    stage = {"from_stage": "under_governance", "to_stage": "design"}
    assert (
        _note("change_stage", stage, "图纸已交", "zh") == "阶段：已纳入治理 → 方案设计中：图纸已交"
    )
    assert _note("change_stage", {"to_stage": "design"}, None, "zh") == "阶段：方案设计中"
    call = {"rating": "satisfied", "channel": "phone"}
    assert _note("follow_up", call, "灯亮了", "zh") == "满意（电话回访）：灯亮了"
    assert _note("follow_up", call, None, "en") == "Satisfied (By phone)"
    assert _note("rate", {"rating": "dissatisfied"}, None, "zh") == "不满意"


def test_entries_written_before_the_codes_moved_and_unknown_codes_show_as_stored() -> None:
    assert _note("rate", None, "basically_satisfied", "zh") == "基本满意"
    assert _note("escalate", None, "accept deadline passed", "zh") == "accept deadline passed"
    assert _note("respond", None, "已修好", "zh") == "已修好"
    assert _note("escalate", {"deadline": "someday"}, None, "zh") == "someday已过"
    assert _note("assign", None, None, "zh") is None
