"""Staff, representative and department actions on a case (docs/lifecycle.md): the workflow's
decision, re-routing after a decline or a reassignment, response templates, merge targets."""

from __future__ import annotations

from datetime import UTC, datetime

from services.routing.adapters.case_documents import audit_entry, watch_for
from services.routing.adapters.case_repository import RoutedCaseRepository, VersionConflict
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.template_repository import TemplateRepository
from services.routing.domain.assignment import (
    RoutingDecision,
    RoutingRequest,
    load_candidates,
    route_case,
)
from services.routing.domain.directory import Directory
from services.routing.domain.loads import load_shift
from services.routing.domain.supervision import answered_by_response
from services.routing.domain.workflow import (
    ActionName,
    Actor,
    CaseState,
    Command,
    Merge,
    Reassign,
    Respond,
    Transfer,
    allowed_actions,
    authorize,
    decide,
)
from services.routing.handlers.command import Applied, run_command
from services.routing.handlers.common import (
    SOURCE,
    InvalidCommand,
    assigned_event,
    case_state,
)
from shared.errors import TransientError
from shared.events.envelope import Envelope
from shared.mongo import Document


class CaseChanged(VersionConflict):
    """The case changed since the version given, or under every attempt (409 with the status
    it has now and the actions the caller may take on it)."""

    def __init__(self, case_id: str, *, status: str, allowed: list[ActionName]) -> None:
        super().__init__(case_id)
        self.status = status
        self.allowed = allowed

    @classmethod
    def of(cls, case_id: str, current: Document | None, actor: Actor) -> CaseChanged:
        if current is None:
            return cls(case_id, status="unknown", allowed=[])
        state = case_state(current)
        return cls(case_id, status=state.status, allowed=allowed_actions(state, actor))


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

    def admit(state: CaseState) -> None:
        authorize(state, command.action, actor=actor)

    async def decision(document: Document, state: CaseState) -> Applied:
        return await _decide_action(
            document,
            state,
            command=command,
            actor=actor,
            cases=cases,
            directory=directory,
            templates=templates,
            correlation_id=correlation_id,
        )

    return await run_command(
        case_id,
        cases=cases,
        admit=admit,
        decide=decision,
        expected_version=expected_version,
        stale=lambda current: CaseChanged.of(case_id, current, actor),
    )


async def _decide_action(
    document: Document,
    state: CaseState,
    *,
    command: Command,
    actor: Actor,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    templates: TemplateRepository | None,
    correlation_id: str,
) -> Applied:
    case_id = state.case_id
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
    if decision.target == "responded":
        # The response answers the supervisions still pending (docs/lifecycle.md).
        pending = answered_by_response(document.get("supervisions") or [])
        changes |= {f"supervisions.{i}.answered_at": now for i in pending}
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
            assigned_event(
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
    return Applied(
        changes=changes,
        audit=audit,
        events=envelopes,
        push=push,
        at=now,
        watch=watch_for(document, status=changes["status"]),
        loads=load_shift(
            (document.get("representative_code"), state.status),
            (
                changes.get("representative_code", document.get("representative_code")),
                changes["status"],
            ),
        ),
        log_event="case.action_taken",
        log_fields={
            "action": decision.action,
            "source": decision.source,
            "target": changes["status"],
            "actor": actor.username,
        },
    )


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
        open_load=await cases.loads.of(load_candidates(request, directory=directory)),
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
