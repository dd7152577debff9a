"""Page language: Chinese by default, English on request, remembered in a cookie."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from starlette.requests import Request

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "zh"
LANGUAGE_COOKIE = "minyi_lang"

# Strings the shared layout uses; each service adds its own catalog.
LAYOUT_STRINGS: Mapping[str, Mapping[Language, str]] = {
    "site_name": {"zh": "民意 · 代表联络站", "en": "Minyi · Liaison stations"},
    "skip_to_content": {"zh": "跳到正文", "en": "Skip to content"},
    "switch_language": {"zh": "English", "en": "中文"},
    "switch_language_label": {"zh": "Switch to English", "en": "切换到中文"},
    "footer": {
        "zh": "人大代表联络站 · 民意直通车",
        "en": "People's congress representative liaison stations",
    },
}


def as_language(value: str | None) -> Language | None:
    if value is None:
        return None
    candidate = value.strip().lower()[:2]
    for language in LANGUAGES:
        if candidate == language:
            return language
    return None


def pick_language(request: Request) -> Language:
    """`?lang=` beats the remembered choice, which beats the default; the browser's
    Accept-Language is ignored on purpose: Chinese is the default for everyone."""
    return (
        as_language(request.query_params.get("lang"))
        or as_language(request.cookies.get(LANGUAGE_COOKIE))
        or DEFAULT_LANGUAGE
    )


class Catalog:
    """Translated strings by key; a missing key is a bug, so it fails loudly in tests."""

    def __init__(self, *catalogs: Mapping[str, Mapping[Language, str]]) -> None:
        merged: dict[str, Mapping[Language, str]] = {}
        for catalog in (LAYOUT_STRINGS, *catalogs):
            for key, texts in catalog.items():
                missing = [language for language in LANGUAGES if language not in texts]
                if missing:
                    raise ValueError(f"string {key!r} lacks {missing}")
                merged[key] = texts
        self._strings = merged

    def text(self, key: str, language: Language, **values: object) -> str:
        try:
            template = self._strings[key][language]
        except KeyError:
            raise KeyError(f"no string {key!r}") from None
        return template.format(**values) if values else template

    def __contains__(self, key: object) -> bool:
        return key in self._strings
