"""Dilapidated houses (危旧房) under governance: the aggregate the repair stages belong to. Pure.

A house is a building a station governs: its public building address, its floor area and its
households, each known by a label such as `2-301` (never a name or a phone) with its answer to
the repair plan (consented, objected, not yet asked). It moves through the stages of
`house_repair.TRANSITIONS` from `under_governance` on registration, and any number of
`house_repair` cases of its station may be linked to it: the stage counts of the story
(318 = 60 + 88 + 165 + 5) count houses, so a house with three cases counts once.

Station staff and heads write their own station's houses; supervisors and admins read every
station's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from services.routing.domain.directory import Directory
from services.routing.domain.house_repair import (
    CATEGORY,
    INITIAL_STAGE,
    STAGES,
    Stage,
    change_stage,
    next_stages,
)
from services.routing.domain.workflow import STATION_ROLES, Actor, CaseState, NotPermitted
from shared.events.house_events import (
    Consent,
    HouseCaseLinked,
    HouseConsentRecorded,
    HouseRegistered,
    HouseStageChanged,
)

MAX_HOUSEHOLDS = 500
# A flat's label: building-unit-room style, letters and digits only, so no name fits in it.
LABEL_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z\-#]{0,19}$"
HouseholdLabel = Annotated[str, Field(pattern=LABEL_PATTERN)]
# Statuses of a case that cannot be linked: withdrawn from the station's work.
UNLINKABLE: frozenset[str] = frozenset({"rejected", "merged"})


class RegisterHouse(BaseModel):
    """The command: a building the station takes into the programme."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    liaison_point_id: str | None = Field(default=None, max_length=64)
    address: str = Field(
        min_length=2,
        max_length=200,
        description="The building's public address (street, number, building), never a "
        "resident's contact.",
    )
    floor_area_m2: float = Field(gt=0, le=1_000_000, description="Floor area in m².")
    households: list[HouseholdLabel] = Field(
        min_length=1,
        max_length=MAX_HOUSEHOLDS,
        description="Each household's label, e.g. `2-301`: a flat, never a person.",
    )

    @field_validator("address")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        stripped = " ".join(value.split())
        if len(stripped) < 2:
            raise ValueError("the address needs at least 2 characters")
        return stripped

    @field_validator("households")
    @classmethod
    def _unique(cls, labels: list[str]) -> list[str]:
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise ValueError(f"households listed twice: {', '.join(repeated)}")
        return labels


class RecordConsent(BaseModel):
    """The command: one household's answer to the repair plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    household: HouseholdLabel
    consent: Consent


class LinkCase(BaseModel):
    """The command: a house_repair case of the station raised about this house."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str = Field(min_length=1, max_length=64)


class Household(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    consent: Consent = "not_asked"
    answered_at: datetime | None = None
    recorded_by: str | None = None


class StageStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime
    actor_id: str
    from_stage: Stage
    to_stage: Stage
    note: str | None = None


class House(BaseModel):
    model_config = ConfigDict(frozen=True)

    house_id: str
    station_id: str
    liaison_point_id: str | None = None
    address: str
    floor_area_m2: float
    households: list[Household]
    stage: Stage = INITIAL_STAGE
    history: list[StageStep] = Field(default_factory=list)
    case_ids: list[str] = Field(default_factory=list)
    registered_by: str
    registered_at: datetime
    updated_at: datetime
    version: int = 1

    @computed_field  # type: ignore[prop-decorator]
    @property
    def consenting(self) -> int:
        """Households that consented to the repair plan."""
        return sum(1 for h in self.households if h.consent == "consented")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def objecting(self) -> int:
        """Households that objected to it."""
        return sum(1 for h in self.households if h.consent == "objected")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def allowed_stages(self) -> list[Stage]:
        """Where the stage may move next."""
        return next_stages(self.stage)


class InvalidHouse(ValueError):
    """The command names something that does not fit the station or the house (422)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class CaseOfAnotherHouse(Exception):
    """The case is already linked to another house (409)."""

    def __init__(self, case_id: str, house_id: str) -> None:
        super().__init__(f"case {case_id} is already linked to house {house_id}")
        self.case_id = case_id
        self.house_id = house_id


def house_scope(actor: Actor) -> str | None:
    """The station whose houses the actor reads; None for every station.

    Raises NotPermitted for representatives and departments."""
    if actor.role in ("admin", "supervisor"):
        return None
    if actor.role in STATION_ROLES and actor.station_id is not None:
        return actor.station_id
    raise NotPermitted(f"a {actor.role} may not read a station's houses")


def can_see_house(house: House, actor: Actor) -> bool:
    if actor.role in ("admin", "supervisor"):
        return True
    return actor.role in STATION_ROLES and actor.station_id == house.station_id


def _writer(actor: Actor, *, station_id: str | None = None) -> str:
    """The station the actor writes for; NotPermitted for anyone but its staff and head."""
    if actor.role not in STATION_ROLES or actor.station_id is None:
        raise NotPermitted(f"a {actor.role} may not change a station's houses")
    if station_id is not None and station_id != actor.station_id:
        raise NotPermitted("staff change only their own station's houses")
    return actor.station_id


def _figures(house: House, *, actor: Actor, at: datetime) -> dict[str, object]:
    return {
        "house_id": house.house_id,
        "station_id": house.station_id,
        "liaison_point_id": house.liaison_point_id,
        "version": house.version,
        "stage": house.stage,
        "households": len(house.households),
        "consenting": house.consenting,
        "objecting": house.objecting,
        "actor_id": actor.username,
        "at": at,
    }


def register_house(
    command: RegisterHouse,
    *,
    house_id: str,
    actor: Actor,
    directory: Directory,
    now: datetime,
) -> tuple[House, HouseRegistered]:
    """The house to store (at `under_governance`) and its event, or why it cannot be."""
    station = _writer(actor)
    if command.liaison_point_id is not None:
        point = directory.point(command.liaison_point_id)
        if point is None or point.station != station:
            raise InvalidHouse([f"liaison point {command.liaison_point_id} is not in {station}"])
    house = House(
        house_id=house_id,
        station_id=station,
        liaison_point_id=command.liaison_point_id,
        address=command.address,
        floor_area_m2=command.floor_area_m2,
        households=[Household(label=label) for label in command.households],
        registered_by=actor.username,
        registered_at=now,
        updated_at=now,
    )
    event = HouseRegistered.model_validate(
        {**_figures(house, actor=actor, at=now), "floor_area_m2": house.floor_area_m2}
    )
    return house, event


def record_consent(
    house: House, *, label: str, consent: Consent, actor: Actor, now: datetime
) -> tuple[House, HouseConsentRecorded | None]:
    """One household's answer; the same answer again changes nothing (no event)."""
    _writer(actor, station_id=house.station_id)
    found = next((h for h in house.households if h.label == label), None)
    if found is None:
        raise InvalidHouse([f"house {house.house_id} has no household {label}"])
    if found.consent == consent:
        return house, None
    households = [
        h
        if h.label != label
        else Household(label=label, consent=consent, answered_at=now, recorded_by=actor.username)
        for h in house.households
    ]
    after = house.model_copy(
        update={"households": households, "version": house.version + 1, "updated_at": now}
    )
    event = HouseConsentRecorded.model_validate(
        {
            **_figures(after, actor=actor, at=now),
            "from_consent": found.consent,
            "to_consent": consent,
        }
    )
    return after, event


def move_house(
    house: House, *, target: Stage, note: str | None, actor: Actor, now: datetime
) -> tuple[House, HouseStageChanged]:
    """One step of the stage table (house_repair.TRANSITIONS), or StageChangeNotAllowed."""
    _writer(actor, station_id=house.station_id)
    source = house.stage
    change_stage(source, target, what="a house")
    step = StageStep(at=now, actor_id=actor.username, from_stage=source, to_stage=target, note=note)
    after = house.model_copy(
        update={
            "stage": target,
            "history": [*house.history, step],
            "version": house.version + 1,
            "updated_at": now,
        }
    )
    event = HouseStageChanged.model_validate(
        {**_figures(after, actor=actor, at=now), "from_stage": source, "to_stage": target}
    )
    return after, event


def link_case(
    house: House,
    *,
    case: CaseState,
    category: str,
    linked_to: str | None,
    actor: Actor,
    now: datetime,
) -> tuple[House, HouseCaseLinked | None]:
    """Link a house_repair case of the house's station; linking it again changes nothing.

    `linked_to`: the house the case is linked to already, if any."""
    _writer(actor, station_id=house.station_id)
    if linked_to == house.house_id and case.case_id in house.case_ids:
        return house, None
    if linked_to is not None and linked_to != house.house_id:
        raise CaseOfAnotherHouse(case.case_id, linked_to)
    problems: list[str] = []
    if case.station_id != house.station_id:
        problems.append(f"case {case.case_id} is not a case of station {house.station_id}")
    if category != CATEGORY:
        problems.append(f"case {case.case_id} is a {category} case, not {CATEGORY}")
    if case.status in UNLINKABLE:
        problems.append(f"case {case.case_id} is {case.status}")
    if problems:
        raise InvalidHouse(problems)
    after = house.model_copy(
        update={
            "case_ids": [*house.case_ids, case.case_id],
            "version": house.version + 1,
            "updated_at": now,
        }
    )
    event = HouseCaseLinked.model_validate(
        {**_figures(after, actor=actor, at=now), "case_id": case.case_id}
    )
    return after, event


def count_stages(stages: Iterable[Stage]) -> dict[Stage, int]:
    """Houses per stage, every stage present (zero included), in the table's order."""
    counts = Counter(stages)
    return {stage: counts.get(stage, 0) for stage in STAGES}
