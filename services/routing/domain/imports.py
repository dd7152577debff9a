"""Past cases imported into intake (`python -m services.intake import`, docs/operations.md).

Their `case.submitted` carries `imported`: what the case had become before Minyi. Routing
records such a case as it was — station, holder, status, the times of its steps, an audit
trail by actor `import` — instead of routing it now. It publishes nothing (the import already
published the case's history) and gives it no deadline to watch: history is never escalated.
An imported case still open (assigned, accepted) counts in its representative's open load.
The resident's rating, if any, is in the history too and is recorded with the case; the case's
own `case.rated` (from the import) that follows it is then left alone, so a history costs
routing one write however many of its cases were rated.

A case imported while still `submitted` (nobody held it yet) is not history: it is routed like
a live case.
"""

from __future__ import annotations

from datetime import datetime

from services.routing.domain.assignment import RoutingDecision
from services.routing.domain.directory import Directory
from shared.events.case_events import CaseRated, CaseSubmitted, ImportedHistory

IMPORT_ACTOR = "import"


def is_history(submitted: CaseSubmitted) -> bool:
    """An imported case that someone held: recorded as it was, not routed."""
    history = submitted.imported
    return history is not None and history.status != "submitted" and history.station_id is not None


def imported_decision(
    submitted: CaseSubmitted, history: ImportedHistory, *, station_id: str, directory: Directory
) -> RoutingDecision:
    """Who held the case, named as the directory names them now."""
    station = directory.station(station_id)
    code = history.representative_code
    representative = directory.representative(code) if code else None
    return RoutingDecision(
        station_id=station_id,
        station_name=station.name if station else station_id,
        liaison_point_id=submitted.liaison_point_id,
        representative_code=code,
        representative_name=representative.name if representative else None,
        reason=f"imported history (external id {history.external_id})",
    )


def rated_at_of(history: ImportedHistory) -> datetime | None:
    """When the imported case was rated: at its last step, as its `case.rated` says."""
    return history.closed_at if history.status == "closed" else history.responded_at


def rated_by_import(rated: CaseRated) -> bool:
    """A rating published by the import: routing recorded it from the case's history."""
    return rated.actor_role == "system" and rated.actor_id == IMPORT_ACTOR
