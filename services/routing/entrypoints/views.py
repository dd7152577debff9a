"""routing's stored cases as the API answers them (and the workbench pages show them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.routing.adapters.user_repository import StaffAccount
from services.routing.domain.sla import breached
from services.routing.domain.supervision import outcome
from services.routing.domain.workflow import OPEN, SUPERVISING_ROLES, Actor, allowed_actions
from services.routing.entrypoints.schemas import Token
from services.routing.handlers.common import case_state
from services.routing.handlers.follow_up import can_follow_up
from services.routing.handlers.house_repair import current_stage
from services.routing.settings import RoutingSettings
from shared.auth import issue_token
from shared.mongo import Document


def case_summary(document: Document) -> dict[str, Any]:
    sla = document.get("sla") or {}
    overdue = breached(
        status=document["status"],
        accept_due=sla.get("accept_due"),
        respond_due=sla.get("respond_due"),
        escalated=frozenset(),
        now=datetime.now(UTC),
    )
    return {
        "case_id": document["_id"],
        **document,
        "accept_due": sla.get("accept_due"),
        "respond_due": sla.get("respond_due"),
        "overdue": overdue,
        "supervised": bool(document.get("supervisions")) and document["status"] in OPEN,
    }


def case_detail(document: Document, actor: Actor) -> dict[str, Any]:
    return {
        **case_summary(document),
        "allowed_actions": allowed_actions(case_state(document), actor),
        "supervisions": supervision_records(document),
        "follow_ups": document.get("follow_ups") or [],
        "can_supervise": actor.role in SUPERVISING_ROLES and document["status"] in OPEN,
        "can_follow_up": can_follow_up(document, actor),
    }


def supervision_records(document: Document) -> list[dict[str, Any]]:
    """The case's supervisions, oldest first, each with its outcome."""
    return [{**r, "outcome": outcome(r)} for r in document.get("supervisions") or ()]


def house_repair_case(document: Document) -> dict[str, Any]:
    stage, allowed = current_stage(document)
    return {
        "case_id": document["_id"],
        "status": document["status"],
        "station_id": document["station_id"],
        "stage": stage,
        "allowed_stages": allowed,
        "history": (document.get("house_repair") or {}).get("history", []),
        "version": document["version"],
    }


def token_for(user: StaffAccount, *, settings: RoutingSettings) -> Token:
    """What a successful sign-in gives, by password or OIDC, API or pages: a token at the
    account's current token version."""
    token, expires = issue_token(
        signing_key=settings.jwt_private_key.get_secret_value(),
        username=user.username,
        role=user.role,
        station=user.station,
        representative_code=user.representative_code,
        department=user.department,
        version=user.token_version,
        ttl=timedelta(minutes=settings.jwt_ttl_minutes),
    )
    return Token(
        access_token=token,
        expires_at=expires,
        role=user.role,
        station=user.station,
        representative_code=user.representative_code,
        department=user.department,
    )


def narrowed(query: Document, field: str, wanted: str | list[str]) -> Document | None:
    """A case listing's query narrowed to one value of a field (or any of several), within the
    reader's scope: None when the scope already fixes the field to another value, for there is
    then nothing to list; a narrower filter never widens what a reader may see."""
    scoped = query.get(field)
    values = [wanted] if isinstance(wanted, str) else wanted
    if not values:
        return None
    if scoped is not None:
        return query if isinstance(scoped, str) and scoped in values else None
    return {**query, field: values[0] if len(values) == 1 else {"$in": values}}
