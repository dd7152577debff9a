"""Open cases like a resident's draft: a bounded read of the station's newest open cases of the
category, compared with the draft by shared.similarity."""

from __future__ import annotations

from datetime import tzinfo

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.domain.similar_cases import (
    CANDIDATES,
    MAX_SUGGESTIONS,
    OPEN_STATUSES,
    SimilarCase,
    SimilarDraft,
    neighbourhood,
    place_of,
    profile_of,
    public_suggestion,
)
from shared.similarity import Profile, best_matches


async def similar_cases(
    *, draft: SimilarDraft, cases: CaseRepository, directory: DirectoryCopy, zone: tzinfo
) -> list[SimilarCase]:
    """At most MAX_SUGGESTIONS open cases alike to the draft, best first; none when the draft
    does not say where it is."""
    points = {str(p["id"]): p for p in await directory.entries("liaison_point") if "id" in p}
    representative = (
        await directory.entry("representative", draft.representative_code)
        if draft.representative_code
        else None
    )
    place = neighbourhood(draft, points=points, representative=representative)
    if place is None:
        return []
    station_id, point_id = place
    documents = await cases.open_alike(
        station_id=station_id, category=draft.category, statuses=OPEN_STATUSES, limit=CANDIDATES
    )
    profile = Profile(
        category=draft.category,
        text=draft.text,
        place=place_of(
            point_id=point_id,
            location=draft.location.model_dump() if draft.location else None,
            points=points,
        ),
    )
    by_id = {d["_id"]: d for d in documents}
    matches = best_matches(
        profile,
        [(d["_id"], profile_of(d, points=points)) for d in documents],
        limit=MAX_SUGGESTIONS,
    )
    return [public_suggestion(by_id[key], score=s, points=points, zone=zone) for key, s in matches]
