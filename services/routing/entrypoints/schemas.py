"""The request and response bodies of routing's staff API (the directory's entries are the
domain's own models, in pages here; response templates are adapters/template_repository.py's)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.routing.domain.directory import LiaisonPoint, Representative
from services.routing.domain.house_repair import Stage
from shared.openapi import ErrorBody


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class OidcSignIn(BaseModel):
    id_token: str = Field(min_length=10, max_length=8192)


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    role: str
    station: str | None
    representative_code: str | None
    department: str | None


class Revocation(BaseModel):
    username: str
    token_version: int = Field(
        description="The account's token version now: every service refuses the tokens issued "
        "before it within a couple of seconds; sign in again for a new one."
    )


class AuditEntry(BaseModel):
    at: datetime
    actor_role: str
    actor_id: str | None
    action: str
    from_status: str | None = Field(alias="from")
    to_status: str = Field(alias="to")
    note: str | None
    detail: dict[str, str | datetime] | None = Field(
        default=None,
        description="The entry's codes and times: `deadline` (escalate), `due_at` "
        "(escalate_supervision), `from_stage`/`to_stage` (change_stage), `rating` and "
        "`channel` (rate, follow_up). Entries written before 2026-12-03 have them in `note`.",
    )


class CaseSummary(BaseModel):
    case_id: str
    category: str
    status: str
    station_id: str
    representative_code: str | None
    transferred_to: str | None = None
    submitted_at: datetime
    updated_at: datetime
    accept_due: datetime | None = None
    respond_due: datetime | None = None
    overdue: list[str] = Field(
        default_factory=list, description="Deadlines passed now: accept, respond."
    )
    supervised: bool = Field(
        default=False, description="Supervised (督办) and not answered yet: the queue's badge."
    )
    supporters: int = Field(default=0, description='Residents who said "me too" (intake).')
    version: int


class CaseMessage(BaseModel):
    sender: Literal["station", "resident"] = Field(alias="from")
    by: str | None = None
    text: str
    at: datetime

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class NewMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=2, max_length=2000)


class SupervisionRecord(BaseModel):
    """One supervision (督办) of the case; `outcome`: `met` (answered by the deadline),
    `missed` (escalated, or answered late), `pending`."""

    id: str
    at: datetime
    by: str
    reason: str
    due_at: datetime
    escalated: bool
    escalated_at: datetime | None = None
    answered_at: datetime | None = Field(
        default=None, description="When a response answered it (none once escalated)."
    )
    outcome: Literal["met", "missed", "pending"]


class FollowUpRecord(BaseModel):
    """A rating recorded by staff from a follow-up call or visit (回访), not by the resident."""

    at: datetime
    by: str
    rating: str
    comment: str | None = None
    channel: Literal["phone", "in_person"]


class CaseDetail(CaseSummary):
    text: str
    channel: str
    liaison_point_id: str | None
    reason: str = Field(description="Why the case reached its holder.")
    round: int
    reopen_count: int
    rating: str | None
    audit: list[AuditEntry]
    allowed_actions: list[str]
    messages: list[CaseMessage] = Field(default_factory=list)
    meetings: list[str] = Field(
        default_factory=list, description="Meetings that raised or discussed the case."
    )
    supervisions: list[SupervisionRecord] = Field(default_factory=list)
    follow_ups: list[FollowUpRecord] = Field(default_factory=list)
    can_supervise: bool = Field(default=False, description="The caller may supervise it now.")
    can_follow_up: bool = Field(
        default=False, description="The caller may record a follow-up call now."
    )

    @field_validator("messages", mode="before")
    @classmethod
    def _in_order(cls, value: object) -> object:
        if isinstance(value, dict):
            return sorted(value.values(), key=lambda m: m["at"])
        return value


class Conflict(ErrorBody):
    """409 / 412 on a case action: the shared error body, with what the caller may do now."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": "the case changed meanwhile; reload and try again",
                    "status": "accepted",
                    "allowed_actions": ["begin_review"],
                }
            ]
        }
    )

    status: str = Field(description="The case's status now.")
    allowed_actions: list[str] = Field(description="What the caller may do in that status.")


class ChangeStage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Stage
    note: str | None = Field(default=None, max_length=2000)


class StageHistoryEntry(BaseModel):
    at: datetime
    actor_id: str | None
    from_stage: str | None = Field(alias="from")
    to_stage: str = Field(alias="to")
    note: str | None


class HouseRepairCase(BaseModel):
    case_id: str
    status: str
    station_id: str
    stage: Stage | None
    allowed_stages: list[Stage] = Field(description="Where the stage may move next.")
    history: list[StageHistoryEntry]
    version: int


class StageConflict(ErrorBody):
    """409 / 412 on a stage change: the shared error body, with the stage now and where next."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": "cannot move a case at stage design to design; allowed: repairing",
                    "stage": "design",
                    "allowed_stages": ["repairing", "expropriated"],
                }
            ]
        }
    )

    stage: str | None = Field(description="The case's stage now (None: it has none).")
    allowed_stages: list[str] = Field(description="Where the stage may move next.")


class StageCounts(BaseModel):
    station_id: str | None = Field(description="None: every station.")
    counts: dict[Stage, int] = Field(description="Every stage, zero included.")
    total: int


class RepresentativePage(BaseModel):
    """One page of the representatives a search found, by code."""

    total: int = Field(description="How many match, over every page.")
    limit: int
    offset: int
    items: list[Representative]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page."
    )


class LiaisonPointPage(BaseModel):
    """One page of the liaison points a search found, by id."""

    total: int = Field(description="How many match, over every page.")
    limit: int
    offset: int
    items: list[LiaisonPoint]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page."
    )
