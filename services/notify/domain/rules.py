"""Who hears what, and on which channels: a table of rows rather than code paths. Pure.

Each row says: when an event of this type arrives (and its `when` conditions hold), tell this
audience, with this template, urgently or not, in the in-app inbox and on the push channels
listed. The audience's address is read from the event (`representative:<code>`,
`station:<id>`, `case:<id>`, `department:<id>`, `station_head:<id>`). A push goes out only
where the channel is configured, the recipient has an address on it and has not turned it off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from services.notify.domain.delivery import PushChannel
from shared.events.case_events import (
    CaseAccepted,
    CaseAssigned,
    CaseClosed,
    CaseEscalated,
    CaseMeetingDecided,
    CaseMerged,
    CaseMessageSent,
    CaseRejected,
    CaseReopened,
    CaseResponded,
    CaseReturned,
    CaseSuggestionAnswered,
    CaseSuggestionLinked,
    CaseSupervised,
    CaseSupervisionEscalated,
    CaseTransferred,
)
from shared.events.envelope import EventData

Audience = Literal["representative", "station", "case", "department", "station_head", "follower"]

ADDRESS_FIELD: Mapping[Audience, str] = {
    "representative": "representative_code",
    "station": "station_id",
    "case": "case_id",
    "department": "department_id",
    "station_head": "station_id",
    # Not the event's: the residents who follow its case (`followers`), each under its own id.
    "follower": "case_id",
}
"""Which field of the event names the audience's inbox."""


@dataclass(frozen=True)
class When:
    """A condition on one field of the event: set (not None) or not, or equal to a value."""

    field: str
    is_set: bool | None = None
    equals: str | None = None

    def holds(self, data: Mapping[str, Any]) -> bool:
        value = data.get(self.field)
        if self.is_set is not None and (value is not None) != self.is_set:
            return False
        return self.equals is None or value == self.equals


@dataclass(frozen=True)
class Rule:
    event_type: str
    audience: Audience
    when: tuple[When, ...] = ()
    urgent: bool = False
    push: tuple[PushChannel, ...] = ()

    @property
    def template_key(self) -> str:
        return template_key(self.event_type, self.audience)


def template_key(event_type: str, audience: str) -> str:
    return f"{event_type}:{audience}"


HELD = When("representative_code", is_set=True)
QUEUED = When("representative_code", is_set=False)

RESIDENT: tuple[PushChannel, ...] = ("sms", "email")
"""The resident gave a phone, an email or both with the case (intake's `Contact`)."""
STAFF: tuple[PushChannel, ...] = ("im", "email")
"""Representatives and staff: the duty app (IM) and email."""
URGENT: tuple[PushChannel, ...] = ("sms", "im", "email")

RULES: tuple[Rule, ...] = (
    # A new or re-assigned case (any round): its holder, or the station's queue.
    Rule(CaseAssigned.TYPE, "representative", when=(HELD,), push=STAFF),
    Rule(CaseAssigned.TYPE, "station", when=(QUEUED,), push=STAFF),
    # The resident follows their case's progress in the case's inbox, and by SMS or email.
    Rule(CaseAccepted.TYPE, "case", push=RESIDENT),
    Rule(CaseRejected.TYPE, "case", push=RESIDENT),
    Rule(CaseTransferred.TYPE, "case", push=RESIDENT),
    Rule(CaseTransferred.TYPE, "department", push=STAFF),
    Rule(CaseResponded.TYPE, "case", push=RESIDENT),
    Rule(CaseClosed.TYPE, "case", push=RESIDENT),
    Rule(CaseReopened.TYPE, "case", push=RESIDENT),
    # A duplicate merged into another case: its resident is told, and then hears the surviving
    # case's answer as one of its followers (with the residents who said "me too").
    Rule(CaseMerged.TYPE, "case", push=RESIDENT),
    Rule(CaseResponded.TYPE, "follower", push=RESIDENT),
    Rule(CaseMessageSent.TYPE, "case", when=(When("direction", equals="to_resident"),)),
    Rule(CaseMessageSent.TYPE, "station", when=(When("direction", equals="to_station"),)),
    # A missed SLA deadline: the station head, urgently (never held back by quiet hours).
    Rule(CaseEscalated.TYPE, "station_head", urgent=True, push=URGENT),
    # Supervision (督办) by the standing committee's liaison office: the station head and the
    # representative handling it; again, urgently, when its deadline passes unanswered.
    Rule(CaseSupervised.TYPE, "station_head", urgent=True, push=URGENT),
    Rule(CaseSupervised.TYPE, "representative", when=(HELD,), push=STAFF),
    Rule(CaseSupervisionEscalated.TYPE, "station_head", urgent=True, push=URGENT),
    Rule(CaseSupervisionEscalated.TYPE, "representative", when=(HELD,), urgent=True, push=STAFF),
    # A response sent back for redo: the station handles it again, with its head and holder.
    Rule(CaseReturned.TYPE, "station", push=STAFF),
    Rule(CaseReturned.TYPE, "station_head", push=STAFF),
    Rule(CaseReturned.TYPE, "representative", when=(HELD,), push=STAFF),
    # A formal suggestion (代表建议) took the case up, and later its department answered: each
    # linked case's resident hears both (docs/suggestions.md).
    Rule(CaseSuggestionLinked.TYPE, "case", push=RESIDENT),
    Rule(CaseSuggestionAnswered.TYPE, "case", push=RESIDENT),
    # A deliberation meeting (议事会) decided the matter: like an answer, the case's resident
    # and its followers (merged cases' residents, "me too" supporters) hear it (docs/meetings.md).
    Rule(CaseMeetingDecided.TYPE, "case", push=RESIDENT),
    Rule(CaseMeetingDecided.TYPE, "follower", push=RESIDENT),
)


@dataclass(frozen=True)
class Recipient:
    address: str
    audience: Audience
    template_key: str
    urgent: bool
    push: tuple[PushChannel, ...] = ()


def followed_event_types(rules: tuple[Rule, ...] = RULES) -> frozenset[str]:
    return frozenset(rule.event_type for rule in rules)


def follower_event_types(rules: tuple[Rule, ...] = RULES) -> frozenset[str]:
    """The events whose case's followers hear of them: the caller reads who they are."""
    return frozenset(rule.event_type for rule in rules if rule.audience == "follower")


def recipients(
    event: EventData, *, rules: tuple[Rule, ...] = RULES, followers: Sequence[str] = ()
) -> list[Recipient]:
    """Everyone the rules say hears about this event, in table order, each address once.

    `followers`: the ids under which notify knows the residents following the event's case
    (the residents of cases merged into it, its supporters); each is addressed as a case's
    resident, `case:<id>`, so their inbox and contact are found like any resident's."""
    data = event.model_dump(mode="json")
    found: list[Recipient] = []
    seen: set[str] = set()
    for rule in rules:
        if rule.event_type != event.TYPE or not all(w.holds(data) for w in rule.when):
            continue
        if rule.audience == "follower":
            values = list(followers)
        else:
            value = data.get(ADDRESS_FIELD[rule.audience])
            values = [value] if value else []
        for value in values:
            prefix = "case" if rule.audience == "follower" else rule.audience
            address = f"{prefix}:{value}"
            if address in seen:
                continue
            seen.add(address)
            found.append(
                Recipient(address, rule.audience, rule.template_key, rule.urgent, rule.push)
            )
    return found
