"""Preview the words an audience would read about an event, without sending anything."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.notify.domain.rules import template_key
from services.notify.domain.templates import Language, render


def preview_template(
    *, event_type: str, audience: str, language: Language, data: Mapping[str, Any]
) -> tuple[str, str]:
    """(title, body). Raises UnknownTemplate, MissingTemplateData (domain.templates)."""
    return render(template_key(event_type, audience), data, language)
