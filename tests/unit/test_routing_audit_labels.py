"""Every action routing writes into a case's audit trail has a label on the case page (which
otherwise shows the raw action name, e.g. `meeting_decision`)."""

from __future__ import annotations

import re
from pathlib import Path

from services.routing.domain.workflow import RULES
from services.routing.web.catalog import CATALOG

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
