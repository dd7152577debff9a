"""Formal suggestions (代表建议): who submits, answers and evaluates what, from which status;
the deadline, the numbering, the overdue flag, the scopes and the per-case events."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from services.intake.domain.cases import CaseSnapshot
from services.intake.domain.timeline import change_for
from services.routing.adapters.directory_repository import DEMO_DIRECTORY, read_directory_file
from services.routing.domain.suggestions import (
    EXPORT_COLUMNS,
    AnswerSuggestion,
    EvaluateSuggestion,
    InvalidSuggestion,
    LinkedCase,
    SubmitSuggestion,
    Suggestion,
    SuggestionNotAllowed,
    SuggestionOutOfScope,
    allowed_actions,
    answer_deadline,
    answer_suggestion,
    answered_events,
    can_see,
    evaluate_suggestion,
    evaluated_events,
    export_row,
    is_overdue,
    linked_events,
    submit_suggestion,
    suggestion_number,
    suggestion_scope,
)
from services.routing.domain.workflow import Actor, NotPermitted
from shared.events.case_events import CASE_EVENT_TYPES
from shared.exports import to_csv, to_xlsx

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
TODAY = date(2027, 3, 1)
DIRECTORY = read_directory_file(DEMO_DIRECTORY)
LEAD = Actor(role="representative", username="rep-0412", representative_code="0412")
COSIGNER = Actor(role="representative", username="rep-0413", representative_code="0413")
STRANGER_REP = Actor(role="representative", username="rep-0414", representative_code="0414")
STAFF = Actor(role="staff", username="xijie-staff", station_id="xijie")
OTHER_STAFF = Actor(role="staff", username="jianchi-staff", station_id="jianchi")
HOUSING = Actor(role="department", username="housing-handler", department_id="housing")
TRANSPORT = Actor(role="department", username="transport-handler", department_id="transport")
SUPERVISOR = Actor(role="supervisor", username="city-supervisor")

CASES = {
    "c-1": LinkedCase(case_id="c-1", station_id="xijie", representative_code="0413"),
    "c-2": LinkedCase(case_id="c-2", station_id="xijie", representative_code=None),
    # Another station's case, but held by the lead representative.
    "c-3": LinkedCase(case_id="c-3", station_id="jianchi", representative_code="0412"),
    "c-4": LinkedCase(case_id="c-4", station_id="jianchi", representative_code="0500"),
}
BODY: dict[str, Any] = {
    "title": "关于老城区增设公共停车位的建议",
    "body": "老城区停车位缺口大，建议利用闲置地块建设立体停车场。",
    "case_ids": ["c-1", "c-2", "c-1"],
    "cosigners": ["0413", "0412"],
    "department_id": "housing",
}


def submitted(actor: Actor = LEAD, **changes: Any) -> Suggestion:
    return submit_suggestion(
        SubmitSuggestion.model_validate({**BODY, **changes}),
        suggestion_id="s-1",
        actor=actor,
        directory=DIRECTORY,
        cases=CASES,
        number="2027-001",
        year=2027,
        answer_due=date(2027, 5, 30),
        now=NOW,
    )


def answered(
    actor: Actor = HOUSING, text: str = "已列入年度计划，年内建成车位300个。"
) -> Suggestion:
    return answer_suggestion(submitted(), AnswerSuggestion(answer=text), actor=actor, now=NOW)


def test_a_representative_submits_a_suggestion_linking_cases_with_cosigners() -> None:
    suggestion = submitted()
    assert suggestion.status == "submitted"
    assert suggestion.case_ids == ["c-1", "c-2"]  # each once, in the order given
    assert suggestion.cosigners == ["0413"]  # the lead is not their own co-signer
    assert suggestion.station_id == "xijie"
    assert suggestion.department_name == "市住房和城乡建设局"
    assert suggestion.lead_name == "张献平"


def test_a_case_the_lead_holds_at_another_station_may_be_linked() -> None:
    assert submitted(case_ids=["c-3"]).case_ids == ["c-3"]


def test_unknown_or_foreign_cases_cosigners_and_departments_are_all_named() -> None:
    with pytest.raises(InvalidSuggestion) as refused:
        submitted(case_ids=["c-1", "c-4", "nope"], cosigners=["9999"], department_id="moon")
    problems = " | ".join(refused.value.problems)
    assert "c-4" in problems and "nope" in problems and "c-1" not in problems
    assert "9999" in problems
    assert "moon" in problems


@pytest.mark.parametrize("actor", [STAFF, HOUSING, SUPERVISOR])
def test_only_representatives_submit(actor: Actor) -> None:
    with pytest.raises(NotPermitted):
        submitted(actor=actor)


def test_the_deadline_is_the_configured_days_or_an_explicit_future_day() -> None:
    assert answer_deadline(submitted_on=TODAY, days=90, explicit=None) == date(2027, 5, 30)
    explicit = date(2027, 4, 1)
    assert answer_deadline(submitted_on=TODAY, days=90, explicit=explicit) == explicit
    with pytest.raises(InvalidSuggestion):
        answer_deadline(submitted_on=TODAY, days=90, explicit=TODAY)


def test_numbers_run_per_session_year() -> None:
    assert suggestion_number(year=2027, sequence=1) == "2027-001"
    assert suggestion_number(year=2027, sequence=42) == "2027-042"
    assert suggestion_number(year=2028, sequence=1234) == "2028-1234"


def test_overdue_means_unanswered_after_the_deadline_day() -> None:
    due = date(2027, 5, 30)
    assert not is_overdue(status="submitted", answer_due=due, today=due)
    assert is_overdue(status="submitted", answer_due=due, today=date(2027, 5, 31))
    assert is_overdue(status="reanswer", answer_due=due, today=date(2027, 6, 1))
    assert not is_overdue(status="answered", answer_due=due, today=date(2027, 6, 1))


def test_the_department_answers_then_the_lead_evaluates() -> None:
    suggestion = answered()
    assert suggestion.status == "answered"
    assert suggestion.answer is not None and suggestion.answer.by == "housing-handler"
    assert allowed_actions(suggestion, LEAD) == ["evaluate"]
    rated = evaluate_suggestion(
        suggestion, EvaluateSuggestion(rating="satisfied"), actor=LEAD, now=NOW
    )
    assert rated.status == "evaluated"
    assert allowed_actions(rated, LEAD) == []


def test_station_staff_answer_on_the_departments_behalf() -> None:
    assert answered(actor=STAFF).answer is not None


def test_dissatisfied_with_a_first_answer_the_department_answers_once_more() -> None:
    unhappy = EvaluateSuggestion(rating="dissatisfied", comment="未回应资金来源")
    first = evaluate_suggestion(answered(), unhappy, actor=LEAD, now=NOW)
    assert first.status == "reanswer"
    assert allowed_actions(first, HOUSING) == ["answer"]
    again = answer_suggestion(
        first, AnswerSuggestion(answer="资金已落实。"), actor=HOUSING, now=NOW
    )
    second = evaluate_suggestion(again, unhappy, actor=LEAD, now=NOW)
    assert second.status == "evaluated"
    assert [e.round for e in answered_events(again, stations=_stations(), actor=HOUSING)] == [2, 2]


@pytest.mark.parametrize(
    ("actor", "action", "error"),
    [
        (TRANSPORT, "answer", SuggestionOutOfScope),  # another department: not even seen
        (OTHER_STAFF, "answer", SuggestionOutOfScope),
        (LEAD, "answer", NotPermitted),
        (COSIGNER, "evaluate", NotPermitted),  # co-signers read it, only the lead evaluates
        (HOUSING, "evaluate", NotPermitted),
    ],
)
def test_who_may_not_step_a_suggestion(actor: Actor, action: str, error: type[Exception]) -> None:
    suggestion = answered() if action == "evaluate" else submitted()
    with pytest.raises(error):
        if action == "answer":
            answer_suggestion(suggestion, AnswerSuggestion(answer="答复"), actor=actor, now=NOW)
        else:
            rating = EvaluateSuggestion(rating="satisfied")
            evaluate_suggestion(suggestion, rating, actor=actor, now=NOW)


def test_steps_out_of_order_are_refused_with_the_status() -> None:
    with pytest.raises(SuggestionNotAllowed, match="submitted"):
        evaluate_suggestion(
            submitted(), EvaluateSuggestion(rating="satisfied"), actor=LEAD, now=NOW
        )
    with pytest.raises(SuggestionNotAllowed, match="answered"):
        answer_suggestion(answered(), AnswerSuggestion(answer="再答"), actor=HOUSING, now=NOW)


@pytest.mark.parametrize(
    ("actor", "sees"),
    [
        (LEAD, True),
        (COSIGNER, True),
        (STRANGER_REP, False),
        (STAFF, True),
        (OTHER_STAFF, False),
        (HOUSING, True),
        (TRANSPORT, False),
        (SUPERVISOR, True),
    ],
)
def test_who_sees_a_suggestion(actor: Actor, sees: bool) -> None:
    assert can_see(submitted(), actor) is sees


def test_scopes_of_the_list() -> None:
    assert suggestion_scope(STAFF).station_id == "xijie"
    assert suggestion_scope(HOUSING).department_id == "housing"
    assert suggestion_scope(LEAD).representative_code == "0412"
    assert suggestion_scope(SUPERVISOR) == type(suggestion_scope(SUPERVISOR))()


def _stations() -> dict[str, str]:
    return {"c-1": "xijie", "c-2": "xijie"}


def test_each_step_is_one_event_per_linked_case_keyed_by_that_case() -> None:
    suggestion = answered()
    linked = linked_events(submitted(), stations=_stations(), actor=LEAD)
    assert [e.case_id for e in linked] == ["c-1", "c-2"]
    assert {e.linked_cases for e in linked} == {2}
    assert linked[0].cosigners == ["0413"] and linked[0].title == BODY["title"]
    answers = answered_events(suggestion, stations=_stations(), actor=HOUSING)
    assert [(e.case_id, e.actor_role, e.answer) for e in answers] == [
        ("c-1", "department", suggestion.answer.text if suggestion.answer else ""),
        ("c-2", "department", suggestion.answer.text if suggestion.answer else ""),
    ]
    rated = evaluate_suggestion(
        suggestion, EvaluateSuggestion(rating="dissatisfied"), actor=LEAD, now=NOW
    )
    evaluations = evaluated_events(rated, stations=_stations(), actor=LEAD)
    assert [e.reanswer for e in evaluations] == [True, True]
    for event in (*linked, *answers, *evaluations):
        assert CASE_EVENT_TYPES[event.TYPE] is type(event)


def test_the_export_row_follows_the_columns() -> None:
    row = export_row(answered(), today=TODAY)
    assert len(row) == len(EXPORT_COLUMNS)
    as_dict = dict(zip(EXPORT_COLUMNS, row, strict=True))
    assert as_dict["number"] == "2027-001"
    assert as_dict["status"] == "answered"
    assert as_dict["overdue"] == "no"
    assert as_dict["answer"].startswith("已列入年度计划")
    assert export_row(submitted(), today=date(2027, 6, 1))[EXPORT_COLUMNS.index("overdue")] == "yes"


def test_exported_text_that_a_spreadsheet_would_run_is_quoted_in_csv_and_xlsx() -> None:
    rows = [["title", "answer"], ['=HYPERLINK("http://x")', "正常的答复"]]
    text = to_csv(rows).decode("utf-8-sig")
    assert text.splitlines()[1].startswith("\"'=HYPERLINK")
    assert "正常的答复" in text
    sheet = load_workbook(io.BytesIO(to_xlsx(rows, title="suggestions"))).active
    assert sheet is not None
    assert [c.value for c in sheet[2]] == ['\'=HYPERLINK("http://x")', "正常的答复"]


def test_the_resident_reads_the_suggestion_and_its_answer_on_the_tracking_page() -> None:
    current = CaseSnapshot.model_validate({"case_id": "c-1", "version": 3, "status": "handling"})
    linked = linked_events(submitted(), stations=_stations(), actor=LEAD)[0]
    step = change_for(linked, current=current)
    assert step.status is None and step.step is not None
    assert step.step.note == f"已形成代表建议：{BODY['title']}"
    answer = answered_events(answered(), stations=_stations(), actor=HOUSING)[0]
    answered_step = change_for(answer, current=current).step
    assert answered_step is not None
    assert answered_step.note == (
        f"代表建议《{BODY['title']}》已获市住房和城乡建设局答复：已列入年度计划，年内建成车位300个。"
    )
    rated = evaluate_suggestion(
        answered(), EvaluateSuggestion(rating="dissatisfied"), actor=LEAD, now=NOW
    )
    evaluation = evaluated_events(rated, stations=_stations(), actor=LEAD)[0]
    assert change_for(evaluation, current=current).step is None
