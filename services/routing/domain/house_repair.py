"""Dilapidated-house repair (危旧房治理): the repair stages and their table. Pure: no I/O.

The stages belong to a house (`domain/houses.py`): a house moves along the table below, and
every `house_repair` case linked to it follows its stage (its timeline shows each step). A case
of category `house_repair` not linked to a house (one from before houses existed) keeps a stage
of its own under the rules below until it is linked; it is not counted as a house.
The table:

    under_governance → design → repairing → repaired → acceptance_passed
    under_governance | design | repairing → expropriated (征收拆除)

The rule for when a case has a stage:
- The stage starts when the station approves the case (review → handling). Approval itself is
  the ordinary workflow action and records nothing extra: a house_repair case that has been
  approved and has no stage stored yet is `under_governance` (`INITIAL_STAGE`). So the first
  recorded change is always from `under_governance`.
- Station staff and station heads of the case's station may change the stage while the case is
  being handled: `handling`, `transferred`, `reopened` or `responded` (a repair often outlasts
  the answer to the resident). Once a case is closed its last stage is final; before approval,
  or when it was rejected or merged, it has no stage and is not counted.
- Every change is one step of the table; repeating the current stage or skipping one is refused
  with the current stage and the allowed targets. `acceptance_passed` and `expropriated` are
  final.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.routing.domain.workflow import (
    STATION_ROLES,
    Actor,
    CaseState,
    NotPermitted,
    OutOfScope,
    Status,
    can_see,
)
from shared.events.case_events import HOUSE_STAGES, CaseStageChanged, HouseStage

CATEGORY = "house_repair"

Stage = HouseStage
STAGES: tuple[Stage, ...] = HOUSE_STAGES
INITIAL_STAGE: Stage = "under_governance"

TRANSITIONS: Mapping[Stage, frozenset[Stage]] = {
    "under_governance": frozenset({"design", "expropriated"}),
    "design": frozenset({"repairing", "expropriated"}),
    "repairing": frozenset({"repaired", "expropriated"}),
    "repaired": frozenset({"acceptance_passed"}),
    "acceptance_passed": frozenset(),
    "expropriated": frozenset(),
}

# Statuses in which staff may change the stage.
STAGE_STATUSES: frozenset[Status] = frozenset({"handling", "transferred", "reopened", "responded"})
# Statuses in which a case has a stage (and is counted per stage): approved, not withdrawn.
STAGED_STATUSES: frozenset[Status] = STAGE_STATUSES | {"closed"}


class NotHouseRepair(ValueError):
    """The case is not a dilapidated-house repair case (422)."""


class FollowsHouse(Exception):
    """The case is linked to a house: its stage is the house's, moved on the house (409)."""

    def __init__(self, *, case_id: str, house_id: str, current: Stage | None) -> None:
        super().__init__(f"case {case_id} follows house {house_id}: change the stage on the house")
        self.house_id = house_id
        self.current = current


class StageChangeNotAllowed(Exception):
    """Not from the current stage, or not in the case's current status (409)."""

    def __init__(
        self, *, current: Stage | None, target: Stage, allowed: list[Stage], what: str = "a case"
    ) -> None:
        where = f"{what} at stage {current}" if current else f"{what} with no stage yet"
        hint = ", ".join(allowed) if allowed else "none"
        super().__init__(f"cannot move {where} to {target}; allowed: {hint}")
        self.current = current
        self.target = target
        self.allowed = allowed


def next_stages(stage: Stage) -> list[Stage]:
    """The stages a case at `stage` may move to, in the order of the table."""
    return [s for s in STAGES if s in TRANSITIONS[stage]]


def change_stage(current: Stage, target: Stage, *, what: str = "a case") -> Stage:
    """One step of the table; returns the new stage or raises naming what is allowed."""
    if target not in TRANSITIONS[current]:
        raise StageChangeNotAllowed(
            current=current, target=target, allowed=next_stages(current), what=what
        )
    return target


def is_house_repair(category: str) -> bool:
    return category == CATEGORY


def stage_of(*, category: str, status: Status, stored: Stage | None) -> Stage | None:
    """The stage a case is at now: None for other categories and before approval."""
    if not is_house_repair(category) or status not in STAGED_STATUSES:
        return None
    return stored or INITIAL_STAGE


def count_stages(cases: Iterable[tuple[str, Status, Stage | None]]) -> dict[Stage, int]:
    """Cases per stage, every stage present (zero included), from (category, status, stored)."""
    counts: dict[Stage, int] = dict.fromkeys(STAGES, 0)
    for category, status, stored in cases:
        stage = stage_of(category=category, status=status, stored=stored)
        if stage is not None:
            counts[stage] += 1
    return counts


@dataclass(frozen=True)
class StageDecision:
    source: Stage
    target: Stage
    event: CaseStageChanged


def decide_stage(
    case: CaseState,
    *,
    category: str,
    stored: Stage | None,
    target: Stage,
    note: str | None,
    actor: Actor,
    now: datetime,
    house_id: str | None = None,
) -> StageDecision:
    """Who may move which case to which stage; the event it causes. `house_id`: the house the
    case is linked to, whose stage it follows."""
    if not can_see(case, actor):
        raise OutOfScope(case.case_id)
    if actor.role not in STATION_ROLES or actor.station_id != case.station_id:
        raise NotPermitted(f"a {actor.role} may not change the stage of a case")
    if not is_house_repair(category):
        raise NotHouseRepair(f"case {case.case_id} is a {category} case, not {CATEGORY}")
    current = stage_of(category=category, status=case.status, stored=stored)
    if house_id is not None:
        raise FollowsHouse(case_id=case.case_id, house_id=house_id, current=current)
    if current is None or case.status not in STAGE_STATUSES:
        raise StageChangeNotAllowed(current=current, target=target, allowed=[])
    change_stage(current, target)
    event = CaseStageChanged(
        case_id=case.case_id,
        station_id=case.station_id,
        actor_role="staff",
        actor_id=actor.username,
        at=now,
        from_stage=current,
        to_stage=target,
        note=note,
    )
    return StageDecision(source=current, target=target, event=event)


def follow_house(
    case: CaseState,
    *,
    category: str,
    stored: Stage | None,
    target: Stage,
    note: str | None,
    actor: Actor,
    now: datetime,
) -> CaseStageChanged | None:
    """The step a linked case takes when its house moves to `target`, for its timeline: none
    when the case is not being handled (a closed case keeps its last stage, one not approved
    has none) or is at `target` already. Not checked against the table: the house was."""
    current = stage_of(category=category, status=case.status, stored=stored)
    if current is None or case.status not in STAGE_STATUSES or current == target:
        return None
    return CaseStageChanged(
        case_id=case.case_id,
        station_id=case.station_id,
        actor_role="staff",
        actor_id=actor.username,
        at=now,
        from_stage=current,
        to_stage=target,
        note=note,
    )
