"""Events on the `case-events` topic, keyed by case id.

Read by routing, notify, reporting, intake and downstream systems, so they carry no resident
personal data: no name, phone or email, only whether contact was given.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, get_args

from pydantic import Field

from shared.events.envelope import EventData

Channel = Literal["qr", "web", "in_person", "meeting", "open311", "api"]

# Every status a case can show anyone; routing's own state machine uses the handled subset.
CaseStatus = Literal[
    "submitted",
    "assigned",
    "accepted",
    "in_review",
    "handling",
    "responded",
    "closed",
    "declined",
    "rejected",
    "merged",
    "transferred",
    "reopened",
    "escalated",
]
# A case in one of these is over: no conversation, not open in any count.
CLOSED_STATUSES: frozenset[CaseStatus] = frozenset({"closed", "rejected", "merged"})

# The envelope source of every event of an imported past case (`python -m services.intake
# import`): notify skips them, downstream systems can tell history from live cases.
IMPORT_SOURCE = "minyi/import"
ImportedStatus = Literal["submitted", "assigned", "accepted", "responded", "closed", "rejected"]

Rating = Literal["satisfied", "basically_satisfied", "dissatisfied"]


class GeoPoint(EventData):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ImportedHistory(EventData):
    """What a past case (from before Minyi) had become when it was imported.

    The times are the ones its events carry: a step the file gave no time for has the time of
    the step before it. None: the case never reached that step.
    """

    external_id: str = Field(description="The case's id in the records it was imported from.")
    status: ImportedStatus = Field(description="Its status when imported: its last event's.")
    station_id: str | None = Field(
        default=None, description="The station that held it; None only while `submitted`."
    )
    representative_code: str | None = None
    assigned_at: datetime | None = None
    accepted_at: datetime | None = None
    responded_at: datetime | None = None
    closed_at: datetime | None = Field(
        default=None, description="When it was closed, or rejected for a rejected case."
    )
    # Added within v1 (compatible). Its `case.rated` follows on the same partition; routing
    # records the rating from here with the case, in the one write that stores it.
    rating: Rating | None = Field(
        default=None, description="The resident's rating, when the case had been rated."
    )


class CaseSubmitted(EventData):
    TYPE = "case.submitted"
    VERSION = 1

    case_id: str
    category: str
    text: str
    channel: Channel
    representative_code: str | None = None
    liaison_point_id: str | None = None
    location: GeoPoint | None = None
    has_contact: bool = False
    attachment_count: int = Field(default=0, ge=0, description="Photos kept by intake.")
    station_id: str | None = Field(
        default=None, description="Set for cases entered by station staff: their station."
    )
    meeting_id: str | None = Field(
        default=None, description="The deliberation meeting the case was raised at."
    )
    submitted_at: datetime
    imported: ImportedHistory | None = Field(
        default=None,
        description="Set only for a past case loaded by the history import (source "
        "`minyi/import`): routing records it as it was instead of routing it.",
    )


class CaseAssigned(EventData):
    TYPE = "case.assigned"
    VERSION = 1

    case_id: str
    category: str
    station_id: str
    station_name: str
    liaison_point_id: str | None = None
    representative_code: str | None = Field(
        default=None, description="None when the case waits in the station's queue."
    )
    representative_name: str | None = None
    reason: str = Field(description="Why this holder was chosen, for staff and residents.")
    round: int = Field(
        default=1,
        ge=1,
        description="1 for the first assignment; more after a decline or a reassignment.",
    )
    assigned_at: datetime


ActorRole = Literal["representative", "staff", "department", "resident", "system"]


class CaseAction(EventData):
    """What every handling event carries: which case, which station, who, when."""

    case_id: str
    station_id: str
    actor_role: ActorRole
    actor_id: str | None = Field(default=None, description="Username or code; None for residents.")
    at: datetime


class CaseAccepted(CaseAction):
    TYPE = "case.accepted"
    representative_code: str


class CaseDeclined(CaseAction):
    TYPE = "case.declined"
    representative_code: str
    reason: str


class CaseReviewed(CaseAction):
    TYPE = "case.reviewed"
    outcome: Literal["started", "approved"]


class CaseRejected(CaseAction):
    TYPE = "case.rejected"
    reason: str = Field(description="Shown to the resident.")


class CaseMerged(CaseAction):
    TYPE = "case.merged"
    into_case_id: str


class CaseTransferred(CaseAction):
    TYPE = "case.transferred"
    department_id: str
    department_name: str
    note: str | None = None


class CaseProgressed(CaseAction):
    TYPE = "case.progressed"
    note: str


class CaseResponded(CaseAction):
    TYPE = "case.responded"
    response: str = Field(description="The feedback the resident reads.")


class CaseClosed(CaseAction):
    TYPE = "case.closed"


class CaseRated(CaseAction):
    TYPE = "case.rated"
    rating: Rating
    comment: str | None = None
    # Added within v1 (compatible): the resident of a case merged into another rates the
    # surviving case's answer; the rating stays on their own case (one rating per resident).
    answer_of: str | None = Field(
        default=None, description="The surviving case whose answer a merged case's resident rated."
    )


class CaseReopened(CaseAction):
    TYPE = "case.reopened"
    reason: str


class CaseReassigned(CaseAction):
    TYPE = "case.reassigned"
    from_representative: str | None
    to_representative: str | None
    reason: str


class CaseEscalated(CaseAction):
    TYPE = "case.escalated"
    deadline: Literal["accept", "respond"]
    due_at: datetime


# Dilapidated-house repair (危旧房治理) stages, in the table's order (docs/lifecycle.md): what
# `case.stage_changed` speaks of; routing moves cases through them, reporting counts them.
HouseStage = Literal[
    "under_governance",
    "design",
    "repairing",
    "repaired",
    "acceptance_passed",
    "expropriated",
]
HOUSE_STAGES: tuple[HouseStage, ...] = get_args(HouseStage)


class CaseStageChanged(CaseAction):
    """A dilapidated-house repair case moved to another stage (house_repair cases only)."""

    TYPE = "case.stage_changed"
    from_stage: str | None = Field(
        default=None, description="None if the case had no stage recorded before."
    )
    to_stage: str
    note: str | None = None


class CaseMessageSent(CaseAction):
    """A message between the station and the resident: a question, or the answer to one."""

    TYPE = "case.message_sent"
    message_id: str
    direction: Literal["to_resident", "to_station"]
    text: str
    attachment_count: int = 0


FollowUpChannel = Literal["phone", "in_person"]


class CaseFollowedUp(CaseAction):
    """Station staff recorded the rating a resident gave by phone or in person (回访), for a
    resident who cannot rate online. A type of its own, not `case.rated`: every reader that
    counts `case.rated` as the resident's own rating stays right, and follow-ups are counted
    apart. The actor is who recorded it."""

    TYPE = "case.followed_up"
    rating: Rating
    comment: str | None = Field(default=None, description="What the resident said, as noted.")
    channel: FollowUpChannel = Field(description="How staff reached the resident.")


class CaseSupervised(CaseAction):
    """The liaison office of the standing committee urged a case (督办): a reason and a deadline
    by which the case must be answered. A case can be supervised more than once."""

    TYPE = "case.supervised"
    supervision_id: str
    reason: str
    due_at: datetime = Field(description="The case must be responded to by then.")
    representative_code: str | None = Field(
        default=None, description="Who held the case when it was supervised (told too)."
    )


class CaseSupervisionEscalated(CaseAction):
    """A supervision's deadline passed with the case still not responded to: once per record."""

    TYPE = "case.supervision_escalated"
    supervision_id: str
    due_at: datetime
    representative_code: str | None = None


class CaseReturned(CaseAction):
    """A supervisor sent a responded case back to the station to be handled again (退回重办)."""

    TYPE = "case.returned"
    reason: str = Field(description="Why the response was not good enough; for the station.")
    representative_code: str | None = None


# Formal suggestions (代表建议, docs/suggestions.md): a suggestion links one or more cases and
# each of its steps is published once per linked case, keyed by that case, so the case's own
# readers (intake's timeline, notify's per-case rules, reporting) take it in the case's order.
# Count suggestions by distinct `suggestion_id`. Their text is the representative's and the
# department's public-facing work, not the resident's: it travels clear, and nothing is copied
# into it from a case.
SuggestionRating = Literal["satisfied", "basically_satisfied", "dissatisfied"]


class CaseSuggestionLinked(CaseAction):
    """A representative submitted a formal suggestion that takes up this case."""

    TYPE = "case.suggestion_linked"
    suggestion_id: str
    number: str = Field(description="The session year's number, e.g. 2027-001.")
    title: str
    lead_representative: str = Field(description="The author's representative code.")
    cosigners: list[str] = Field(default_factory=list, description="Co-signers' codes.")
    department_id: str
    department_name: str
    answer_due: date = Field(description="The statutory answer deadline (a local day).")
    linked_cases: int = Field(ge=1, description="How many cases the suggestion links.")


class CaseSuggestionAnswered(CaseAction):
    """The responsible department answered a suggestion that takes up this case."""

    TYPE = "case.suggestion_answered"
    suggestion_id: str
    number: str
    title: str
    department_id: str
    department_name: str
    answer: str = Field(description="The department's answer; residents read it.")
    round: int = Field(ge=1, description="2: answered again after a dissatisfied evaluation.")


class CaseSuggestionEvaluated(CaseAction):
    """The lead representative evaluated the department's answer."""

    TYPE = "case.suggestion_evaluated"
    suggestion_id: str
    number: str
    lead_representative: str
    rating: SuggestionRating
    comment: str | None = None
    reanswer: bool = Field(description="True: the department must answer again.")


class CaseMeetingDecided(CaseAction):
    """A deliberation meeting (议事会) decided an agenda item that takes up this case: published
    once per case the decision names, keyed by that case (docs/meetings.md). The deliberators
    stay in routing's store; the item's title and the decision are the station's words about the
    resident's matter, so they travel sealed like other staff notes."""

    TYPE = "case.meeting_decided"
    meeting_id: str
    item_id: str = Field(description="The agenda item, within its meeting.")
    held_on: date = Field(description="The day the meeting was held (a local day).")
    item_title: str
    decision: str = Field(description="What the meeting decided; residents read it.")
    decided_cases: int = Field(ge=1, description="How many cases the decision names.")


class CaseSupported(EventData):
    """A resident joined the case ("me too") instead of opening another: how many have now.

    No personal data: the supporter's contact (if any) goes to notify on `resident-contacts`
    under `supporter_id`."""

    TYPE = "case.supported"
    VERSION = 1

    case_id: str
    supporter_id: str = Field(description="Opaque; the same id as on the contact, if any.")
    supporters: int = Field(ge=1, description='Residents who said "me too", this one included.')
    has_contact: bool = False
    supported_at: datetime


ErasureScope = Literal["all", "contact"]
"""What an erasure removed: `all` the resident's personal data of the case (a PIPL request),
or only their `contact` (the retention job, some time after the case closed)."""


class CaseErased(EventData):
    """intake erased the resident's personal data of a case; each service scrubs its copy.

    It carries none itself (no subject, no contact, no text) and names no actor: who asked is
    in intake's erasure log. Not a step of the case's lifecycle, so it is not in
    `CASE_EVENT_TYPES`: the timeline and the counts do not fold it, and a consumer that does not
    route it skips it.
    """

    TYPE = "case.erased"
    VERSION = 1

    case_id: str
    scope: ErasureScope = Field(
        description="`all`: text, messages, notes, photos, location and contact are gone; "
        "`contact`: the phone and email only."
    )
    erased_at: datetime


# The lifecycle events of a case (case.erased travels on the same topic but is not one).
CASE_EVENT_TYPES: dict[str, type[EventData]] = {
    model.TYPE: model
    for model in (
        CaseSubmitted,
        CaseAssigned,
        CaseAccepted,
        CaseDeclined,
        CaseReviewed,
        CaseRejected,
        CaseMerged,
        CaseTransferred,
        CaseProgressed,
        CaseResponded,
        CaseClosed,
        CaseRated,
        CaseReopened,
        CaseReassigned,
        CaseEscalated,
        CaseMessageSent,
        CaseStageChanged,
        CaseFollowedUp,
        CaseSupervised,
        CaseSupervisionEscalated,
        CaseReturned,
        CaseSupported,
        CaseSuggestionLinked,
        CaseSuggestionAnswered,
        CaseSuggestionEvaluated,
        CaseMeetingDecided,
    )
}
