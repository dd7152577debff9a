"""routing's use cases: one async function per command or event."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from services.routing.adapters.case_repository import (
    RoutedCaseRepository,
    VersionConflict,
    assignment_document,
    audit_entry,
    watch_for,
)
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.template_repository import TemplateRepository
from services.routing.domain.assignment import (
    RoutingDecision,
    RoutingRequest,
    nearest_point,
    route_case,
)
from services.routing.domain.directory import KEY_FIELD, Directory, EntryKind, with_entry
from services.routing.domain.loads import combined, load_shift
from services.routing.domain.sla import (
    DEADLINES,
    Deadlines,
    SlaPolicy,
    WorkingCalendar,
    breached,
    deadlines_for,
    policy_for,
)
from services.routing.domain.workflow import (
    Actor,
    CaseState,
    Command,
    Merge,
    NotPermitted,
    OutOfScope,
    Reassign,
    Respond,
    Transfer,
    authorize,
    can_see,
    decide,
)
from services.routing.import_handlers import record_imported_cases
from shared.consumer import ConsumedEvent, bound_event_context
from shared.errors import TransientError
from shared.events.case_events import (
    CLOSED_STATUSES,
    CaseAssigned,
    CaseEscalated,
    CaseMessageSent,
    CaseRated,
    CaseReopened,
    CaseSubmitted,
)
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.mongo import Document
from shared.optimistic import on_current_state

log = get_logger(__name__)

SOURCE = "minyi/routing"


class InvalidCommand(ValueError):
    """The command names something that does not exist or does not fit (422)."""


@dataclass(frozen=True)
class SlaRules:
    calendar: WorkingCalendar
    default: SlaPolicy

    def deadlines(self, start: datetime, *, directory: Directory, category: str) -> Deadlines:
        entry = next((c for c in directory.categories if c.code == category), None)
        policy = policy_for(entry.model_dump() if entry else None, default=self.default)
        return deadlines_for(start, policy=policy, calendar=self.calendar)


async def on_case_events(
    events: Sequence[ConsumedEvent],
    *,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    sla: SlaRules,
) -> None:
    """A polled batch in partition order: runs of new cases are routed together."""
    submitted: list[Envelope] = []
    for event in events:
        envelope = event.envelope
        if envelope.type == CaseSubmitted.TYPE:
            submitted.append(envelope)
            continue
        await assign_cases(submitted, cases=cases, directory=directory, sla=sla)
        submitted = []
        with bound_event_context(event):
            if envelope.type == CaseRated.TYPE:
                await _on_rated(envelope, cases=cases)
            elif envelope.type == CaseMessageSent.TYPE:
                await _on_resident_message(envelope, cases=cases)
            elif envelope.type == CaseReopened.TYPE:
                await _on_reopened(envelope, cases=cases, directory=directory, sla=sla)
    await assign_cases(submitted, cases=cases, directory=directory, sla=sla)


async def assign_cases(
    envelopes: Sequence[Envelope],
    *,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    sla: SlaRules,
) -> None:
    """Route new cases: one read of who is routed already, one of the candidates' loads, one
    insert of the assignments (each with its event) and one move of the loads."""
    if not envelopes:
        return
    snapshot = await directory.load()
    if snapshot is None:
        # Nothing to route to yet: wait for the directory rather than lose the cases.
        raise TransientError("the directory is empty; load it (seed-demo)")
    envelopes = await record_imported_cases(envelopes, cases=cases, directory=snapshot)
    new: dict[str, tuple[Envelope, CaseSubmitted]] = {}
    for envelope in envelopes:
        submitted = envelope.payload(CaseSubmitted)
        new.setdefault(submitted.case_id, (envelope, submitted))
    routed = await cases.routed(new)
    for case_id in routed:
        log.info(
            "case.already_routed", case_id=case_id, correlation_id=new[case_id][0].correlationid
        )
    pending = [item for case_id, item in new.items() if case_id not in routed]
    requests = [_routing_request(submitted) for _, submitted in pending]
    load = dict(
        await cases.loads.of(code for r in requests for code in _candidates(r, directory=snapshot))
    )
    now = datetime.now(UTC)
    documents: list[Document] = []
    decisions: dict[str, tuple[RoutingDecision, Envelope]] = {}
    for (envelope, submitted), request in zip(pending, requests, strict=True):
        decision = route_case(request, directory=snapshot, open_load=load)
        if decision.representative_code is not None:
            # The batch's own assignments count for the next case of the batch.
            load[decision.representative_code] = load.get(decision.representative_code, 0) + 1
        decisions[submitted.case_id] = (decision, envelope)
        documents.append(
            assignment_document(
                case_id=submitted.case_id,
                category=submitted.category,
                text=submitted.text,
                channel=submitted.channel,
                submitted_at=submitted.submitted_at,
                decision=decision,
                cause_event_id=envelope.id,
                assigned_at=now,
                meeting_id=submitted.meeting_id,
                attachment_count=submitted.attachment_count,
                # A past case nobody held enters the loop now: its clock starts at the import,
                # or every imported backlog case would be escalated on arrival.
                deadlines=sla.deadlines(
                    now if submitted.imported else submitted.submitted_at,
                    directory=snapshot,
                    category=submitted.category,
                ),
                event=_assigned_event(
                    decision,
                    case_id=submitted.case_id,
                    category=submitted.category,
                    round_=1,
                    at=now,
                    correlation_id=envelope.correlationid,
                ),
            )
        )
    added = await cases.add_assignments(documents)
    await cases.loads.shift(
        combined(
            load_shift(None, (decisions[case_id][0].representative_code, "assigned"))
            for case_id in added
        )
    )
    for case_id in sorted(added):
        decision, envelope = decisions[case_id]
        log.info(
            "case.assigned",
            case_id=case_id,
            station=decision.station_id,
            representative=decision.representative_code,
            reason=decision.reason,
            correlation_id=envelope.correlationid,
        )


def _routing_request(submitted: CaseSubmitted) -> RoutingRequest:
    return RoutingRequest(
        case_id=submitted.case_id,
        category=submitted.category,
        representative_code=submitted.representative_code,
        liaison_point_id=submitted.liaison_point_id,
        location=(submitted.location.lat, submitted.location.lon) if submitted.location else None,
        station_id=submitted.station_id,
    )


def _candidates(request: RoutingRequest, *, directory: Directory) -> list[str]:
    """Whose open load the decision may compare: the group of the point the case lands at."""
    point_id = request.liaison_point_id
    if point_id is None and request.location is not None:
        nearest = nearest_point(directory, request.location)
        point_id = nearest[0] if nearest else None
    return [r.code for r in directory.serving(point_id)] if point_id else []


def _assigned_event(
    decision: RoutingDecision,
    *,
    case_id: str,
    category: str,
    round_: int,
    at: datetime,
    correlation_id: str,
) -> Envelope:
    return Envelope.wrap(
        CaseAssigned(
            case_id=case_id,
            category=category,
            station_id=decision.station_id,
            station_name=decision.station_name,
            liaison_point_id=decision.liaison_point_id,
            representative_code=decision.representative_code,
            representative_name=decision.representative_name,
            reason=decision.reason,
            round=round_,
            assigned_at=at,
        ),
        source=SOURCE,
        subject=case_id,
        correlation_id=correlation_id,
    )


def case_state(document: Document) -> CaseState:
    return CaseState(
        case_id=document["_id"],
        station_id=document["station_id"],
        status=document["status"],
        representative_code=document.get("representative_code"),
        transferred_to=document.get("transferred_to"),
        version=document["version"],
    )


async def take_action(
    *,
    case_id: str,
    command: Command,
    actor: Actor,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    correlation_id: str,
    expected_version: int | None = None,
    templates: TemplateRepository | None = None,
) -> Document:
    """Apply one staff, representative or department action; returns the updated case.

    With `expected_version` (If-Match) a change meanwhile is a conflict; without, the action
    is decided again on the case as it is now."""

    async def attempt() -> Document:
        return await _take_action_once(
            case_id=case_id,
            command=command,
            actor=actor,
            cases=cases,
            directory=directory,
            correlation_id=correlation_id,
            expected_version=expected_version,
            templates=templates,
        )

    if expected_version is not None:
        return await attempt()
    return await on_current_state(attempt, lost_race=VersionConflict)


async def _take_action_once(
    *,
    case_id: str,
    command: Command,
    actor: Actor,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    correlation_id: str,
    expected_version: int | None,
    templates: TemplateRepository | None,
) -> Document:
    document = await cases.get(case_id)
    if document is None:
        raise OutOfScope(case_id)
    state = case_state(document)
    authorize(state, command.action, actor=actor)
    if expected_version is not None and expected_version != state.version:
        raise VersionConflict(case_id)
    snapshot = await directory.load()
    if snapshot is None:
        raise TransientError("the directory is not loaded")
    department_name = None
    if isinstance(command, Transfer):
        department = snapshot.department(command.department_id)
        if department is None:
            raise InvalidCommand(f"no active department {command.department_id!r}")
        department_name = department.name
    if isinstance(command, Merge):
        await _check_merge_target(command, state=state, cases=cases)
    if isinstance(command, Respond) and command.template_id is not None:
        command = await _with_template(command, document=document, templates=templates)
    now = datetime.now(UTC)
    try:
        decision = decide(state, command, actor=actor, now=now, department_name=department_name)
    except ValueError as exc:  # e.g. merging a case into itself
        raise InvalidCommand(str(exc)) from exc
    envelopes = [
        Envelope.wrap(e, source=SOURCE, subject=case_id, correlation_id=correlation_id)
        for e in decision.events
    ]
    changes: Document = {"status": decision.target, **decision.changes}
    audit = [
        audit_entry(
            at=now,
            actor_role=actor.role,
            actor_id=actor.username,
            action=decision.action,
            source=decision.source,
            target=decision.target,
            note=_note(command),
        )
    ]
    push: Document | None = None
    if decision.reroute:
        assignment = await _reassignment(
            command, document=document, actor=actor, directory=snapshot, cases=cases
        )
        round_ = int(document.get("round", 1)) + 1
        envelopes.append(
            _assigned_event(
                assignment,
                case_id=case_id,
                category=document["category"],
                round_=round_,
                at=now,
                correlation_id=correlation_id,
            )
        )
        changes |= {
            "status": "assigned",
            "representative_code": assignment.representative_code,
            "liaison_point_id": assignment.liaison_point_id,
            "reason": assignment.reason,
            "round": round_,
            "transferred_to": None,
        }
        audit.append(
            audit_entry(
                at=now,
                actor_role="system",
                actor_id="routing",
                action="assign",
                source=decision.source,
                target="assigned",
                note=assignment.reason,
            )
        )
        push = {"decisions": {**assignment.model_dump(), "at": now, "cause": decision.action}}
        if decision.action == "decline" and document.get("representative_code"):
            push["declined_by"] = document["representative_code"]
    await cases.apply(
        case_id=case_id,
        version=state.version,
        changes=changes,
        audit=audit,
        events=envelopes,
        push=push,
        at=now,
        watch=watch_for(document, status=changes["status"]),
    )
    await cases.loads.shift(
        load_shift(
            (document.get("representative_code"), state.status),
            (
                changes.get("representative_code", document.get("representative_code")),
                changes["status"],
            ),
        )
    )
    log.info(
        "case.action_taken",
        case_id=case_id,
        action=decision.action,
        source=decision.source,
        target=changes["status"],
        actor=actor.username,
    )
    updated = await cases.get(case_id)
    assert updated is not None
    return updated


async def _with_template(
    command: Respond, *, document: Document, templates: TemplateRepository | None
) -> Respond:
    template = await templates.get(command.template_id or "") if templates else None
    if (
        template is None
        or template.category != document["category"]
        or template.station_id not in (None, document["station_id"])
    ):
        raise InvalidCommand(f"no template {command.template_id} for this case's category")
    text = template.text + (f"\n{command.response}" if command.response else "")
    return command.model_copy(update={"response": text})


async def _check_merge_target(
    command: Merge, *, state: CaseState, cases: RoutedCaseRepository
) -> None:
    target = await cases.get(command.into_case_id)
    if target is None or target["station_id"] != state.station_id:
        raise InvalidCommand(f"no case {command.into_case_id} at this station to merge into")
    if target["status"] == "merged":
        raise InvalidCommand("cannot merge into a case that was itself merged")


async def _reassignment(
    command: Command,
    *,
    document: Document,
    actor: Actor,
    directory: Directory,
    cases: RoutedCaseRepository,
) -> RoutingDecision:
    station = directory.station(document["station_id"])
    station_name = station.name if station else document["station_id"]
    if isinstance(command, Reassign):
        if command.representative_code is None:
            return RoutingDecision(
                station_id=document["station_id"],
                station_name=station_name,
                liaison_point_id=document.get("liaison_point_id"),
                representative_code=None,
                representative_name=None,
                reason=f"reassigned by {actor.username} to the station queue: {command.reason}",
            )
        rep = directory.representative(command.representative_code)
        if rep is None or not rep.active or rep.station != document["station_id"]:
            raise InvalidCommand(
                f"representative {command.representative_code} is not active at this station"
            )
        return RoutingDecision(
            station_id=rep.station,
            station_name=station_name,
            liaison_point_id=document.get("liaison_point_id"),
            representative_code=rep.code,
            representative_name=rep.name,
            reason=f"reassigned by {actor.username}: {command.reason}",
        )
    # A decline: route again as if new, never back to anyone who declined.
    declined = {*document.get("declined_by", []), document.get("representative_code") or ""}
    request = RoutingRequest(
        case_id=document["_id"],
        category=document["category"],
        liaison_point_id=document.get("liaison_point_id"),
    )
    decision = route_case(
        request,
        directory=directory,
        exclude=frozenset(declined - {""}),
        open_load=await cases.loads.of(_candidates(request, directory=directory)),
    )
    if decision.station_id != document["station_id"] and decision.representative_code is None:
        # Nobody else at the point: the case stays with its own station's queue.
        return decision.model_copy(
            update={
                "station_id": document["station_id"],
                "station_name": station_name,
                "reason": "declined, re-routed: nobody else eligible; "
                f"station queue of {station_name}",
            }
        )
    return decision.model_copy(update={"reason": f"declined, re-routed: {decision.reason}"})


def _note(command: Command) -> str | None:
    for field in ("reason", "note", "response", "into_case_id", "department_id"):
        value = getattr(command, field, None)
        if isinstance(value, str):
            return value
    return None


async def escalate_breaches(
    *, cases: RoutedCaseRepository, now: datetime, correlation_id: str
) -> int:
    """Emit `case.escalated` once for every deadline passed; returns how many."""
    escalated = 0
    for document in await cases.breach_candidates(now=now):
        sla_fields = document.get("sla") or {}
        done = frozenset(d for d in DEADLINES if sla_fields.get(f"{d}_escalated"))
        due = breached(
            status=document["status"],
            accept_due=sla_fields.get("accept_due"),
            respond_due=sla_fields.get("respond_due"),
            escalated=done,
            now=now,
        )
        if not due:
            await cases.rewatch(document)
            continue
        events = [
            Envelope.wrap(
                CaseEscalated(
                    case_id=document["_id"],
                    station_id=document["station_id"],
                    actor_role="system",
                    actor_id="routing.sla",
                    at=now,
                    deadline=deadline,
                    due_at=sla_fields[f"{deadline}_due"],
                ),
                source=SOURCE,
                subject=document["_id"],
                correlation_id=correlation_id,
            )
            for deadline in due
        ]
        audit = [
            audit_entry(
                at=now,
                actor_role="system",
                actor_id="routing.sla",
                action="escalate",
                source=document["status"],
                target=document["status"],
                note=f"{deadline} deadline passed",
            )
            for deadline in due
        ]
        if await cases.mark_escalated(case=document, deadlines=due, audit=audit, events=events):
            escalated += len(due)
            log.warning(
                "case.escalated",
                case_id=document["_id"],
                deadlines=due,
                station=document["station_id"],
            )
    return escalated


async def send_message(
    *,
    case_id: str,
    text: str,
    actor: Actor,
    cases: RoutedCaseRepository,
    correlation_id: str,
) -> Document:
    """The station (or the holding representative) asks the resident something."""

    async def attempt() -> Document:
        return await _send_message_once(
            case_id=case_id, text=text, actor=actor, cases=cases, correlation_id=correlation_id
        )

    return await on_current_state(attempt, lost_race=VersionConflict)


async def _send_message_once(
    *,
    case_id: str,
    text: str,
    actor: Actor,
    cases: RoutedCaseRepository,
    correlation_id: str,
) -> Document:
    document = await cases.get(case_id)
    if document is None:
        raise OutOfScope(case_id)
    state = case_state(document)
    if not can_see(state, actor):
        raise OutOfScope(case_id)
    if actor.role not in ("staff", "station_head", "representative"):
        raise NotPermitted(f"a {actor.role} may not write to the resident")
    if state.status in CLOSED_STATUSES:
        raise InvalidCommand(f"the case is {state.status}; the conversation is over")
    now = datetime.now(UTC)
    message_id = "m" + uuid.uuid4().hex
    event = Envelope.wrap(
        CaseMessageSent(
            case_id=case_id,
            station_id=state.station_id,
            actor_role="representative" if actor.role == "representative" else "staff",
            actor_id=actor.username,
            at=now,
            message_id=message_id,
            direction="to_resident",
            text=text,
        ),
        source=SOURCE,
        subject=case_id,
        correlation_id=correlation_id,
    )
    await cases.apply(
        case_id=case_id,
        version=state.version,
        changes={
            f"messages.{message_id}": {
                "from": "station",
                "by": actor.username,
                "text": text,
                "at": now,
            }
        },
        audit=[
            audit_entry(
                at=now,
                actor_role=actor.role,
                actor_id=actor.username,
                action="ask_resident",
                source=state.status,
                target=state.status,
                note=text,
            )
        ],
        events=[event],
        at=now,
    )
    updated = await cases.get(case_id)
    assert updated is not None
    return updated


async def _on_resident_message(envelope: Envelope, *, cases: RoutedCaseRepository) -> None:
    message = envelope.payload(CaseMessageSent)
    if message.direction != "to_station":
        return  # routing's own question, already stored when it was asked
    await cases.apply_external(
        case_id=message.case_id,
        event_id=envelope.id,
        changes={
            f"messages.{message.message_id}": {
                "from": "resident",
                "by": None,
                "text": message.text,
                "at": message.at,
            }
        },
        audit=audit_entry(
            at=message.at,
            actor_role="resident",
            actor_id=None,
            action="answer",
            source=None,
            target="answered",
            note=message.text,
        ),
    )


async def _on_rated(envelope: Envelope, *, cases: RoutedCaseRepository) -> None:
    rated = envelope.payload(CaseRated)
    await cases.apply_external(
        case_id=rated.case_id,
        event_id=envelope.id,
        changes={"rating": rated.rating},
        audit=audit_entry(
            at=rated.at,
            actor_role="resident",
            actor_id=None,
            action="rate",
            source=None,
            target="rated",
            note=rated.rating,
        ),
    )


async def _on_reopened(
    envelope: Envelope,
    *,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    sla: SlaRules,
) -> None:
    reopened = envelope.payload(CaseReopened)
    # A reopened case gets a fresh response deadline (its category's), and may be escalated
    # for it again.
    case = await cases.get(reopened.case_id)
    category = case["category"] if case else ""
    snapshot = await directory.load()
    respond_due = (
        sla.deadlines(reopened.at, directory=snapshot, category=category).respond_due
        if snapshot
        else sla.calendar.add_working_days(reopened.at, sla.default.respond_days)
    )
    reopened_case = {
        **(case or {}),
        "sla": {
            **((case or {}).get("sla") or {}),
            "respond_due": respond_due,
            "respond_escalated": False,
        },
    }
    applied = await cases.apply_external(
        case_id=reopened.case_id,
        event_id=envelope.id,
        watch=watch_for(reopened_case, status="reopened"),
        changes={
            "status": "reopened",
            "sla.respond_due": respond_due,
            "sla.respond_escalated": False,
        },
        increments={"reopen_count": 1},
        audit=audit_entry(
            at=reopened.at,
            actor_role="resident",
            actor_id=None,
            action="reopen",
            source=None,
            target="reopened",
            note=reopened.reason,
        ),
    )
    if applied and case is not None:
        await cases.loads.shift(
            load_shift(
                (case.get("representative_code"), case["status"]),
                (case.get("representative_code"), "reopened"),
            )
        )
    log.info("case.reopened", case_id=reopened.case_id)


class DirectoryNotLoaded(Exception):
    """Nothing to edit yet: a directory must be imported first (409)."""


async def put_directory_entry(
    *, kind: EntryKind, entry: dict[str, Any], directory: DirectoryRepository
) -> BaseModel:
    """Create or replace one directory entry, validated with the whole directory.

    Raises pydantic's ValidationError for a bad entry or a broken reference.
    """
    current = await directory.load()
    if current is None:
        raise DirectoryNotLoaded
    updated = with_entry(current, kind, entry)
    key = str(entry[KEY_FIELD[kind]])
    await directory.save(updated, only=(kind, key))
    saved: BaseModel = next(e for e in getattr(updated, kind) if getattr(e, KEY_FIELD[kind]) == key)
    log.info("directory.entry_saved", kind=kind, key=key)
    return saved
