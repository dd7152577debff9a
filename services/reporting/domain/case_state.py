"""One case as reporting sees it, folded from its events in order, and what each event adds to
the daily figures. Pure: (state before, event payload) in, (state after, contributions) out.

The per-case state answers two questions no counter can: *who* an event counts for (handling
events carry the station, not the representative, category or liaison point, which come from the
case's latest `case.assigned`), and *what is true now* (open, overdue, house-repair stage).

Definitions (docs/reporting.md has them with the formulas):
- open now: every status but `closed`, `rejected` and `merged` (a `responded` case is open: the
  station has not closed it).
- overdue now: routing's SLA scheduler escalated a deadline that still applies — the accept
  deadline while the case is `assigned`, the respond deadline (escalated since the latest
  reopening, which starts a fresh one) while the response is pending. Routing alone knows the
  working-day calendar, so reporting takes its word (`case.escalated`) instead of computing
  deadlines a second time.
- time to accept: `case.accepted.at` − the `at` of the assignment it accepts (the latest
  `case.assigned`), counted once per acceptance.
- time to respond: `case.responded.at` − the start of the wait it answers: the submission, or
  the latest reopening (or return for redo) for a response after one.
- follow-up calls (`case.followed_up`): counted apart from the resident's own ratings, never
  blended into them (`followed_up`, `follow_up_ratings.<rating>`).
- supervision (`case.supervised`): every record (`supervised`), every case once
  (`supervised_cases`), and each record's outcome once: `supervision_met` when the next response
  comes by its deadline, `supervision_missed` when routing escalates it or the response comes
  late. A case withdrawn (rejected, merged) while supervised has no outcome.
- `returned`: responses a supervisor sent back for redo (`case.returned`).
- merged duplicates count once for completion: a case merged after it was accepted adds
  `merged_accepted`, which completion takes out of its accepted (closed ÷ (accepted −
  merged_accepted)); the surviving case's close completes the matter. Each resident's rating
  counts: a merged case's resident rates the surviving answer on their own case
  (`case.rated` with `answer_of`), a rating like any other.
- `supporters`: residents who said "me too" (`case.supported`), for the case's station, point,
  category and holder, on the day they joined.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from pydantic import BaseModel, ConfigDict

from services.reporting.domain.contributions import (
    Contribution,
    Dimension,
    DurationKind,
    city,
)
from shared.events.case_events import (
    CLOSED_STATUSES,
    CaseAccepted,
    CaseAction,
    CaseAssigned,
    CaseClosed,
    CaseDeclined,
    CaseEscalated,
    CaseFollowedUp,
    CaseMerged,
    CaseRated,
    CaseReassigned,
    CaseRejected,
    CaseReopened,
    CaseResponded,
    CaseReturned,
    CaseReviewed,
    CaseStageChanged,
    CaseSubmitted,
    CaseSupervised,
    CaseSupervisionEscalated,
    CaseSupported,
    CaseTransferred,
)
from shared.events.envelope import EventData
from shared.zones import city_day

CaseEvent = CaseSubmitted | CaseAssigned | CaseSupported | CaseAction

ACCEPT_PENDING = frozenset({"assigned"})
RESPONSE_PENDING = frozenset(
    {"assigned", "accepted", "in_review", "handling", "transferred", "reopened"}
)
HOUSE_REPAIR = "house_repair"
# Statuses in which a house-repair case has a stage (as routing counts them): approved and not
# withdrawn; an approved case with no stage recorded yet is at the first one.
STAGED_STATUSES = frozenset({"handling", "transferred", "reopened", "responded", "closed"})
INITIAL_STAGE = "under_governance"

# Handling events that change the status, and to what.
_STATUS_AFTER: dict[str, str] = {
    CaseAccepted.TYPE: "accepted",
    CaseDeclined.TYPE: "assigned",
    CaseRejected.TYPE: "rejected",
    CaseMerged.TYPE: "merged",
    CaseTransferred.TYPE: "transferred",
    CaseResponded.TYPE: "responded",
    CaseClosed.TYPE: "closed",
    CaseReopened.TYPE: "reopened",
    CaseReassigned.TYPE: "assigned",
    CaseReturned.TYPE: "handling",
}
# Handling events counted once each under this name.
_COUNTED: dict[str, str] = {
    CaseAccepted.TYPE: "accepted",
    CaseDeclined.TYPE: "declined",
    CaseRejected.TYPE: "rejected",
    CaseMerged.TYPE: "merged",
    CaseResponded.TYPE: "responded",
    CaseClosed.TYPE: "closed",
    CaseReopened.TYPE: "reopened",
    CaseEscalated.TYPE: "escalated",
    CaseFollowedUp.TYPE: "followed_up",
    CaseSupervised.TYPE: "supervised",
    CaseReturned.TYPE: "returned",
}


class CaseState(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    status: str = "submitted"
    station_id: str | None = None
    representative_code: str | None = None
    liaison_point_id: str | None = None
    category: str | None = None
    submitted_at: datetime | None = None
    assigned_at: datetime | None = None
    waiting_since: datetime | None = None
    accept_escalated: bool = False
    respond_escalated: bool = False
    recorded_stage: str | None = None
    supervised: bool = False
    accepted_once: bool = False
    # Supervision records without an outcome yet: id → the deadline.
    pending_supervisions: dict[str, datetime] = {}

    @property
    def open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def overdue(self) -> bool:
        return (self.accept_escalated and self.status in ACCEPT_PENDING) or (
            self.respond_escalated and self.status in RESPONSE_PENDING
        )

    @property
    def stage(self) -> str | None:
        """The house-repair stage now; None for other cases and before approval."""
        if self.category != HOUSE_REPAIR or self.status not in STAGED_STATUSES:
            return None
        return self.recorded_stage or INITIAL_STAGE


def duration_ms(start: datetime | None, end: datetime) -> int | None:
    """Whole milliseconds from start to end (never negative); None without a start."""
    if start is None:
        return None
    return max((end - start) // timedelta(milliseconds=1), 0)


def _spread(
    state: CaseState,
    *,
    station_id: str,
    day: date,
    counts: dict[str, int],
    durations: dict[DurationKind, list[int]] | None = None,
    representative_code: str | None = None,
    in_city: bool = True,
) -> list[Contribution]:
    """The same increments for the station, the representative, the category, the point and
    the city. The representative is the event's own, else the case's holder."""
    durations = durations or {}
    representative = representative_code or state.representative_code
    made = [
        Contribution(
            dimension="station",
            station_id=station_id,
            key=station_id,
            day=day,
            counts=counts,
            durations=durations,
        )
    ]
    keyed: tuple[tuple[Dimension, str | None], ...] = (
        ("representative", representative),
        ("category", state.category),
        ("point", state.liaison_point_id),
    )
    for dimension, key in keyed:
        if key:
            made.append(
                Contribution(
                    dimension=dimension,
                    station_id=station_id,
                    key=key,
                    day=day,
                    counts=counts,
                    durations=durations,
                )
            )
    if in_city:
        made.append(city(day, counts, durations))
    return made


def _assigned(
    state: CaseState, assigned: CaseAssigned, zone: tzinfo
) -> tuple[CaseState, list[Contribution]]:
    after = state.model_copy(
        update={
            "status": "assigned",
            "station_id": assigned.station_id,
            "representative_code": assigned.representative_code,
            "liaison_point_id": assigned.liaison_point_id,
            "category": assigned.category,
            "assigned_at": assigned.assigned_at,
        }
    )
    day = city_day(assigned.assigned_at, zone)
    if assigned.round > 1:
        # Re-routed after a decline or a reassignment: the same case, not a new one.
        return after, _spread(
            after,
            station_id=assigned.station_id,
            day=day,
            counts={"reassigned": 1},
        )
    held = "to_representative" if assigned.representative_code else "to_station_queue"
    made = _spread(
        after, station_id=assigned.station_id, day=day, counts={"received": 1}, in_city=False
    )
    station = made[0]
    made[0] = station.model_copy(
        update={
            "counts": {"received": 1, held: 1, f"by_category.{assigned.category}": 1},
            "labels": {"station_name": assigned.station_name},
        }
    )
    for i, contribution in enumerate(made):
        if contribution.dimension == "representative" and assigned.representative_name:
            made[i] = contribution.model_copy(
                update={"labels": {"representative_name": assigned.representative_name}}
            )
    made.append(city(day, {"assigned": 1}, {}))
    return after, made


def _action(
    state: CaseState, action: CaseAction, zone: tzinfo
) -> tuple[CaseState, list[Contribution]]:
    update: dict[str, object] = {}
    if action.TYPE in _STATUS_AFTER:
        update["status"] = _STATUS_AFTER[action.TYPE]
    counts: dict[str, int] = {}
    durations: dict[DurationKind, list[int]] = {}
    representative: str | None = None
    if action.TYPE in _COUNTED:
        counts[_COUNTED[action.TYPE]] = 1
    if isinstance(action, CaseAccepted | CaseDeclined):
        representative = action.representative_code
    if isinstance(action, CaseAccepted):
        update["representative_code"] = action.representative_code
        update["accepted_once"] = True
        took = duration_ms(state.assigned_at, action.at)
        if took is not None:
            durations["accept"] = [took]
    elif isinstance(action, CaseResponded):
        took = duration_ms(state.waiting_since, action.at)
        if took is not None:
            durations["respond"] = [took]
        for due in state.pending_supervisions.values():
            met = "supervision_met" if action.at <= due else "supervision_missed"
            counts[met] = counts.get(met, 0) + 1
        update["pending_supervisions"] = {}
    elif isinstance(action, CaseReopened):
        update["waiting_since"] = action.at
        update["respond_escalated"] = False
    elif isinstance(action, CaseReturned):
        # The redo's time to respond counts from the return; routing keeps the respond
        # deadline (and whether it was escalated) as it was, and so does `overdue`.
        update["waiting_since"] = action.at
    elif isinstance(action, CaseReviewed):
        update["status"] = "in_review" if action.outcome == "started" else "handling"
    elif isinstance(action, CaseMerged) and state.accepted_once and state.open:
        # Its acceptance is the survivor's to complete: out of this case's completion.
        counts["merged_accepted"] = 1
    elif isinstance(action, CaseRated):
        counts = {"rated": 1, f"ratings.{action.rating}": 1}
    elif isinstance(action, CaseFollowedUp):
        counts[f"follow_up_ratings.{action.rating}"] = 1
    elif isinstance(action, CaseSupervised):
        if not state.supervised:
            counts["supervised_cases"] = 1
        update["supervised"] = True
        update["pending_supervisions"] = {
            **state.pending_supervisions,
            action.supervision_id: action.due_at,
        }
    elif isinstance(action, CaseSupervisionEscalated):
        if action.supervision_id in state.pending_supervisions:
            counts["supervision_missed"] = 1
            update["pending_supervisions"] = {
                k: v for k, v in state.pending_supervisions.items() if k != action.supervision_id
            }
    elif isinstance(action, CaseEscalated):
        update[f"{action.deadline}_escalated"] = True
    elif isinstance(action, CaseStageChanged):
        update["recorded_stage"] = action.to_stage
    after = state.model_copy(update=update)
    if not counts:
        return after, []
    return after, _spread(
        state,
        station_id=action.station_id,
        day=city_day(action.at, zone),
        counts=counts,
        durations=durations,
        representative_code=representative,
    )


_ACTION_MODELS: tuple[type[CaseAction], ...] = (
    CaseAccepted,
    CaseDeclined,
    CaseReviewed,
    CaseRejected,
    CaseMerged,
    CaseTransferred,
    CaseResponded,
    CaseClosed,
    CaseRated,
    CaseReopened,
    CaseReassigned,
    CaseEscalated,
    CaseStageChanged,
    CaseFollowedUp,
    CaseSupervised,
    CaseSupervisionEscalated,
    CaseReturned,
)
FOLDED: tuple[type[CaseEvent], ...] = (
    CaseSubmitted,
    CaseAssigned,
    CaseSupported,
    *_ACTION_MODELS,
)
"""The case events that change a case as reporting sees it, or the figures."""


def apply_event(
    state: CaseState, event: EventData, *, zone: tzinfo
) -> tuple[CaseState, list[Contribution]]:
    """The case after `event`, and what the event adds to the daily figures, each on its day
    in the city (`zone`). A case's first event starts from `CaseState(case_id=...)`; events of
    other types change nothing."""
    if isinstance(event, CaseSubmitted):
        after = state.model_copy(
            update={
                "category": state.category or event.category,
                "submitted_at": event.submitted_at,
                "waiting_since": state.waiting_since or event.submitted_at,
            }
        )
        return after, [
            city(
                city_day(event.submitted_at, zone),
                {"received": 1, f"by_channel.{event.channel}": 1},
                {},
            )
        ]
    if isinstance(event, CaseAssigned):
        return _assigned(state, event, zone)
    if isinstance(event, CaseSupported):
        if state.station_id is None:
            # Not routed yet: the city counts it, no station can.
            return state, [city(city_day(event.supported_at, zone), {"supporters": 1}, {})]
        return state, _spread(
            state,
            station_id=state.station_id,
            day=city_day(event.supported_at, zone),
            counts={"supporters": 1},
        )
    if isinstance(event, _ACTION_MODELS):
        return _action(state, event, zone)
    return state, []


def folds(event: EventData) -> bool:
    return isinstance(event, FOLDED)
