"""Recipients' preferences over HTTP: signed-in users read and set their own."""

from __future__ import annotations

from fastapi import APIRouter

from services.notify.domain.preferences import Preferences
from services.notify.entrypoints.deps import CurrentClaims, PreferencesStore
from services.notify.entrypoints.schemas import PreferencesView, Recipient
from services.notify.handlers import preferences as preferences_handlers
from services.notify.handlers.preferences import RecipientPreferences

router = APIRouter(prefix="/v1/preferences", tags=["preferences"])


@router.get(
    "/{recipient}",
    response_model=PreferencesView,
    summary="A recipient's channels, language and quiet hours (defaults if never set).",
    responses={401: {"description": "Not signed in."}, 403: {"description": "Not yours."}},
)
async def get_preferences(
    recipient: Recipient, claims: CurrentClaims, preferences: PreferencesStore
) -> PreferencesView:
    return _view(
        await preferences_handlers.get_preferences(
            recipient=recipient, claims=claims, preferences=preferences
        )
    )


@router.put(
    "/{recipient}",
    response_model=PreferencesView,
    summary="Set a recipient's channels, language and quiet hours (the whole set).",
    responses={
        401: {"description": "Not signed in."},
        403: {"description": "Not yours."},
        422: {"description": "A field is invalid; each error names its field."},
    },
)
async def put_preferences(
    recipient: Recipient, body: Preferences, claims: CurrentClaims, preferences: PreferencesStore
) -> PreferencesView:
    return _view(
        await preferences_handlers.set_preferences(
            recipient=recipient, wanted=body, claims=claims, preferences=preferences
        )
    )


def _view(found: RecipientPreferences) -> PreferencesView:
    return PreferencesView(
        recipient=found.recipient, preferences=found.preferences, stored=found.stored
    )
