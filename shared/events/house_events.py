"""Events on the `houses` topic, keyed by house id: the dilapidated houses (危旧房) a station
governs, each moving through the repair stages whatever how many cases were raised about it.

Read by reporting and downstream systems (the stage and consent figures), so they carry no
personal data and no free text: the address and the households' labels stay in routing, and
each event carries the house's figures as they are after it (stage, households, consents) with
the house's `version`, so a reader keeps the newest state per house whatever the order or the
number of deliveries, and a replay rebuilds it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import Field

from shared.events.case_events import HouseStage
from shared.events.envelope import EventData

Consent = Literal["not_asked", "consented", "objected"]
CONSENTS: tuple[Consent, ...] = get_args(Consent)


class HouseEvent(EventData):
    """What every house event says: which house, where, and its figures after the event."""

    house_id: str
    station_id: str
    liaison_point_id: str | None = None
    version: int = Field(ge=1, description="The house's version after this event.")
    stage: HouseStage = Field(description="The house's stage after this event.")
    households: int = Field(ge=0, description="How many households live in the house.")
    consenting: int = Field(ge=0, description="Households that consented to the repair plan.")
    objecting: int = Field(ge=0, description="Households that objected to it.")
    actor_id: str
    at: datetime


class HouseRegistered(HouseEvent):
    TYPE = "house.registered"

    floor_area_m2: float = Field(gt=0)


class HouseConsentRecorded(HouseEvent):
    """One household's answer changed; which household stays in routing (a flat number next to
    an address points at a family)."""

    TYPE = "house.consent_recorded"

    from_consent: Consent
    to_consent: Consent


class HouseStageChanged(HouseEvent):
    TYPE = "house.stage_changed"

    from_stage: HouseStage
    to_stage: HouseStage


class HouseCaseLinked(HouseEvent):
    """A house_repair case was raised about this house; a house may have several."""

    TYPE = "house.case_linked"

    case_id: str


HOUSE_EVENT_TYPES: dict[str, type[EventData]] = {
    model.TYPE: model
    for model in (HouseRegistered, HouseConsentRecorded, HouseStageChanged, HouseCaseLinked)
}
