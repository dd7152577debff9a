"""Erasure and retention, the pure parts: who a request is about, what of a case is left in
intake and routing, when a contact expires (services/*/domain/erasure.py, intake's timeline)."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.intake.__main__ import parser
from services.intake.domain.cases import CaseSnapshot
from services.intake.domain.erasure import (
    ERASED,
    EraseResident,
    contact_fields,
    covers,
    erase_case,
    erase_supporter_contact,
    normalize_phone,
    retention_cutoff,
    subject_hash,
)
from services.intake.domain.supporters import supporter_record
from services.intake.domain.timeline import RETENTION_SINCE, change_for
from services.intake.settings import IntakeSettings
from services.routing.domain.erasure import erased_fields
from shared.events.case_events import (
    CaseClosed,
    CaseErased,
    CaseMerged,
    CaseRejected,
    CaseReopened,
    CaseResponded,
)

AT = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
WHO: dict[str, Any] = {"case_id": "c1", "station_id": "xijie", "actor_role": "staff", "at": AT}


@pytest.mark.parametrize(
    "written",
    ["+86 138 0000 1234", "0086-138-0000-1234", "13800001234", "86 13800001234", "(138) 0000-1234"],
)
def test_one_chinese_mobile_number_is_one_key_however_it_is_written(written: str) -> None:
    assert normalize_phone(written) == "13800001234"


def test_other_numbers_keep_their_digits_and_emails_their_case_insensitive_form() -> None:
    assert normalize_phone("+44 20 7946 0958") == "442079460958"
    assert normalize_phone("0578-1234567") == "05781234567"
    assert contact_fields({"phone": "+86 138 0000 1234", "email": " Wang@Example.CN "}) == {
        "contact_phone_key": "phone:13800001234",
        "contact_email_key": "email:wang@example.cn",
    }
    assert contact_fields({"email": "a@b.cn", "phone": None}) == {
        "contact_email_key": "email:a@b.cn"
    }
    assert contact_fields(None) == {}


def test_a_request_names_exactly_one_subject_and_says_which_field_is_wrong() -> None:
    by_phone = EraseResident(phone="0086 138 0000 1234")
    assert (by_phone.kind, by_phone.normalized, by_phone.contact_key) == (
        "phone",
        "13800001234",
        "phone:13800001234",
    )
    by_code = EraseResident(tracking_code="my-0123456789abcdefghjkmnpqrs")
    assert by_code.tracking_code == "MY-0123456789ABCDEFGHJKMNPQRS"
    assert by_code.contact_key is None
    for body in ({}, {"phone": "13800001234", "email": "a@b.cn"}):
        with pytest.raises(ValidationError, match="exactly one of tracking_code, phone or email"):
            EraseResident.model_validate(body)
    for field, value in (("phone", "call me"), ("email", "not-an-address"), ("tracking_code", "x")):
        with pytest.raises(ValidationError) as refused:
            EraseResident.model_validate({field: value})
        assert refused.value.errors()[0]["loc"] == (field,)
    with pytest.raises(ValidationError):
        EraseResident.model_validate({"phone": "13800001234", "dry_run": "yes"})


def test_the_log_keeps_a_keyed_hash_of_the_subject_never_the_subject() -> None:
    one = subject_hash("phone", "13800001234", key=b"k1")
    assert one.startswith("hmac-sha256:") and "13800001234" not in one
    assert one == subject_hash("phone", "13800001234", key=b"k1")
    assert one != subject_hash("phone", "13800001234", key=b"k2")
    assert one != subject_hash("email", "13800001234", key=b"k1")


def stored_case() -> dict[str, Any]:
    return {
        "_id": "c1",
        "version": 7,
        "status": "responded",
        "category": "parking",
        "text": "东门停车场晚上停满了",
        "location": {"lat": 28.07, "lon": 119.13},
        "contact": {"phone": "13800001234", "email": "wang@example.cn"},
        "contact_phone_key": "phone:13800001234",
        "attachments": [{"n": 1, "filename": "gate.png"}],
        "messages": {
            "m1": {"from": "station", "text": "哪个门？", "at": AT},
            "m2": {"from": "resident", "text": "东门", "at": AT},
        },
        "timeline": [
            {"status": "submitted", "at": AT, "note": None},
            {"status": "reopened", "at": AT, "note": "申请重新办理：还是停不下"},
        ],
        "response": "已增设车位",
        "rejection_reason": None,
        "published_at": AT,
        RETENTION_SINCE: AT,
    }


def test_erasing_all_leaves_what_counts_and_replaces_every_free_text() -> None:
    erasure = erase_case(stored_case(), scope="all", at=AT, by="admin:dpo", subject="hmac:x")
    fields = erasure.set
    assert fields["text"] == ERASED and fields["response"] == ERASED
    assert "rejection_reason" not in fields  # there was none: it stays None
    assert fields["contact"] is None and fields["location"] is None
    assert fields["attachments"] == [] and fields["may_publish"] is False
    assert [m["text"] for m in fields["messages"].values()] == [ERASED, ERASED]
    assert [m["from"] for m in fields["messages"].values()] == ["station", "resident"]
    assert [s["note"] for s in fields["timeline"]] == [None, ERASED]
    assert [s["status"] for s in fields["timeline"]] == ["submitted", "reopened"]
    # The retention mark stays: the job still expires the case's supporters' contacts.
    assert set(erasure.unset) == {"contact_phone_key", "contact_email_key", "published_at"}
    for kept in ("status", "category", "_id", "version"):
        assert kept not in fields
    assert fields["erasure"] == {
        "scope": "all",
        "at": AT,
        "by": "admin:dpo",
        "subject": "hmac:x",
        "contact": True,
    }


def test_erasing_the_contact_keeps_the_text_and_a_later_full_erasure_widens_it() -> None:
    contact_only = erase_case(stored_case(), scope="contact", at=AT, by="retention", subject=None)
    assert set(contact_only.set) == {"contact", "erasure"}
    assert contact_only.set["erasure"]["scope"] == "contact"
    assert RETENTION_SINCE in contact_only.unset  # the job is done with the case
    after = {**stored_case(), **contact_only.set}
    widened = erase_case(after, scope="all", at=AT, by="admin:dpo", subject="h")
    assert widened.scope == "all" and widened.set["text"] == ERASED
    assert widened.had_contact  # its contact is gone, but its tombstone is still due
    assert covers("all", "contact") and covers("all", "all") and covers("contact", "contact")
    assert not covers("contact", "all") and not covers(None, "contact")


def test_routing_keeps_who_did_what_and_its_own_reasons_but_no_person_s_words() -> None:
    document = {
        "_id": "c1",
        "text": "东门停车场晚上停满了",
        "messages": {"m1": {"from": "resident", "by": None, "text": "东门", "at": AT}},
        "audit": [
            {"actor_role": "system", "action": "assign", "note": "qr: representative 0412"},
            {"actor_role": "resident", "action": "reopen", "note": "还是停不下"},
            {"actor_role": "staff", "action": "respond", "note": "已增设车位"},
            {"actor_role": "representative", "action": "accept", "note": None},
        ],
        "house_repair": {"stage": "design", "history": [{"to": "design", "note": "住户王某"}]},
    }
    fields = erased_fields(document, at=AT)
    assert fields["text"] == ERASED
    assert fields["messages"]["m1"]["text"] == ERASED
    assert [a["note"] for a in fields["audit"]] == ["qr: representative 0412", ERASED, ERASED, None]
    assert [a["action"] for a in fields["audit"]] == ["assign", "reopen", "respond", "accept"]
    assert fields["house_repair.history"] == [{"to": "design", "note": ERASED}]
    assert fields["erased"] == {"at": AT, "scope": "all"}


def test_a_case_that_ends_starts_its_contact_retention_and_the_erasure_event_is_no_step() -> None:
    current = CaseSnapshot(case_id="c1", version=3, status="responded")
    for event in (
        CaseClosed(**WHO),
        CaseRejected(**WHO, reason="不在受理范围"),
        CaseMerged(**WHO, into_case_id="c0"),
    ):
        assert change_for(event, current=current).fields[RETENTION_SINCE] == AT
    reopened = CaseReopened(**{**WHO, "actor_role": "resident"}, reason="还是停不下")
    assert RETENTION_SINCE not in change_for(reopened, current=current).fields
    assert (
        RETENTION_SINCE
        not in change_for(CaseResponded(**WHO, response="好"), current=current).fields
    )
    erased = CaseErased(case_id="c1", scope="all", erased_at=AT)
    assert set(erased.model_dump()) == {"case_id", "scope", "erased_at"}


def test_retention_counts_whole_days_back_from_now() -> None:
    assert retention_cutoff(AT, days=180) == AT - timedelta(days=180)
    assert retention_cutoff(AT, days=0) == AT


def test_the_erasure_key_is_its_own_setting_or_derived_from_the_jwt_secret() -> None:
    derived = IntakeSettings().erasure_key()
    assert derived != IntakeSettings().jwt_secret.get_secret_value().encode()
    assert derived == IntakeSettings().erasure_key()
    assert IntakeSettings(erasure_salt="s" * 32).erasure_key() == b"s" * 32
    assert IntakeSettings().contact_retention_days == 180
    with pytest.raises(ValidationError):
        IntakeSettings(contact_retention_days=-1)


def test_the_command_line_takes_one_subject_and_a_dry_run() -> None:
    args = parser().parse_args(["erase", "--phone", "+86 138 0000 1234", "--dry-run"])
    assert (args.command, args.phone, args.dry_run, args.email) == (
        "erase",
        "+86 138 0000 1234",
        True,
        None,
    )
    with pytest.raises(SystemExit):
        parser().parse_args(["erase"])
    with pytest.raises(SystemExit):
        parser().parse_args(["erase", "--phone", "1", "--email", "a@b.cn"])


def test_the_erase_commands_in_the_operations_guide_parse_as_documented() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide.split("## Erasure and retention", 1)[1]
    commands = [
        shlex.split(line.split("#", 1)[0])
        for line in section.splitlines()
        if line.startswith("python -m services.intake erase")
    ]
    assert len(commands) == 4
    for command in commands:
        args = parser().parse_args(command[3:])
        request = EraseResident(
            tracking_code=args.tracking_code,
            phone=args.phone,
            email=args.email,
            dry_run=args.dry_run,
        )
        assert request.kind in ("tracking_code", "phone", "email")


def test_a_supporters_record_is_found_by_its_contact_and_erased_down_to_its_place() -> None:
    record = supporter_record(
        case_id="c1",
        supporter="s1",
        contact={"phone": "+86 136 0000 1234", "email": "Me@Example.cn", "language": "zh"},
        at=AT,
    )
    assert record["_id"] == "c1/s1"  # its key on resident-contacts
    assert (record["contact_phone_key"], record["contact_email_key"]) == (
        "phone:13600001234",
        "email:me@example.cn",
    )
    erasure = erase_supporter_contact(at=AT, by="admin:dpo", subject="h")
    assert erasure.set["contact"] is None and erasure.scope == "contact"
    assert set(erasure.unset) == {"contact_phone_key", "contact_email_key"}
    assert erasure.set["erasure"] == {
        "scope": "contact",
        "at": AT,
        "by": "admin:dpo",
        "subject": "h",
        "contact": True,
    }
