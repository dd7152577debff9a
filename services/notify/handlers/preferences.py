"""A recipient's channels, language and quiet hours: read and set by the people they belong to
(admins: anyone's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.notify.adapters.preferences_repository import PreferencesRepository
from services.notify.domain.preferences import (
    DEFAULT_PREFERENCES,
    Preferences,
    may_edit,
    own_recipients,
)
from shared.auth import Claims


class NotYourPreferences(PermissionError):
    """The signed-in user answers for neither this inbox nor, as an admin, for all."""


@dataclass(frozen=True)
class RecipientPreferences:
    recipient: str
    preferences: Preferences
    stored: bool  # False: nothing was set, these are the defaults


async def get_preferences(
    *, recipient: str, claims: Claims, preferences: PreferencesRepository
) -> RecipientPreferences:
    """Raises NotYourPreferences."""
    _check(recipient, claims)
    stored = await preferences.get(recipient)
    return RecipientPreferences(recipient, stored or DEFAULT_PREFERENCES, stored is not None)


async def set_preferences(
    *, recipient: str, wanted: Preferences, claims: Claims, preferences: PreferencesRepository
) -> RecipientPreferences:
    """Replaces the whole set. Raises NotYourPreferences."""
    _check(recipient, claims)
    await preferences.put(recipient, wanted, by=claims.sub, at=datetime.now(UTC))
    return RecipientPreferences(recipient, wanted, stored=True)


def _check(recipient: str, claims: Claims) -> None:
    own = own_recipients(
        username=claims.sub,
        role=claims.role,
        station=claims.station,
        representative_code=claims.representative_code,
        department=claims.department,
    )
    if not may_edit(recipient, is_admin=claims.role == "admin", own=own):
        raise NotYourPreferences("you may only see and set your own preferences (admins: anyone's)")
