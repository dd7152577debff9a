"""Formal suggestions on the real store: numbers under concurrent submissions, the list's scopes,
filters and cursor pages, and a step that lost a race."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.routing.adapters.suggestion_repository import (
    SuggestionChanged,
    SuggestionRepository,
)
from services.routing.domain.suggestions import (
    Answer,
    Suggestion,
    SuggestionScope,
    SuggestionStatus,
)
from shared.mongo import Document

AT = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
TODAY = date(2027, 6, 15)


def suggestion(
    n: int,
    *,
    station: str = "xijie",
    department: str = "housing",
    lead: str = "0412",
    cosigners: tuple[str, ...] = (),
    status: SuggestionStatus = "submitted",
    due: date = date(2027, 5, 30),
) -> Suggestion:
    return Suggestion(
        suggestion_id=f"s-{n:02d}",
        number=f"2027-{n:03d}",
        year=2027,
        title=f"建议{n}",
        body="正文",
        station_id=station,
        lead_representative=lead,
        lead_name="代表",
        author=f"rep-{lead}",
        cosigners=list(cosigners),
        case_ids=["c-1"],
        department_id=department,
        department_name="部门",
        answer_due=due,
        status=status,
        submitted_at=AT + timedelta(minutes=n),
    )


@pytest.fixture
async def repository(
    mongo: AsyncMongoClient[Document], namespace: str
) -> AsyncIterator[SuggestionRepository]:
    name = f"{namespace}_routing"
    found = SuggestionRepository(mongo[name])
    await found.ensure_indexes()
    yield found
    await mongo.drop_database(name)


async def ids(
    repository: SuggestionRepository, *, scope: SuggestionScope | None = None, **query: Any
) -> list[str]:
    found = await repository.list_suggestions(scope=scope or SuggestionScope(), **query)
    return [s.suggestion_id for s in found]


async def test_concurrent_submissions_get_distinct_numbers_per_year(
    repository: SuggestionRepository,
) -> None:
    numbers = await asyncio.gather(*(repository.next_number(2027) for _ in range(12)))
    assert sorted(numbers) == list(range(1, 13))
    assert await repository.next_number(2028) == 1


async def test_the_list_keeps_to_the_scope_and_the_filters(
    repository: SuggestionRepository,
) -> None:
    for made in (
        suggestion(1),
        suggestion(2, cosigners=("0413",), status="answered"),
        suggestion(3, station="jianchi", department="transport", lead="0501"),
        suggestion(4, lead="0413", due=date(2027, 7, 1)),
        suggestion(5, status="reanswer"),
    ):
        await repository.add(made, events=[])
    assert await ids(repository) == ["s-05", "s-04", "s-03", "s-02", "s-01"]
    assert await ids(repository, scope=SuggestionScope(station_id="jianchi")) == ["s-03"]
    assert await ids(repository, scope=SuggestionScope(department_id="transport")) == ["s-03"]
    # Led or co-signed by 0413.
    assert await ids(repository, scope=SuggestionScope(representative_code="0413")) == [
        "s-04",
        "s-02",
    ]
    # A filter another scope excludes finds nothing, rather than widening the scope.
    housing = SuggestionScope(department_id="housing")
    assert await ids(repository, scope=housing, department_id="transport") == []
    assert await ids(repository, status="answered") == ["s-02"]
    assert await ids(repository, representative="0412", status="submitted") == ["s-01"]
    assert await ids(repository, overdue_on=TODAY) == ["s-05", "s-03", "s-01"]
    assert await ids(repository, overdue_on=TODAY, status="answered") == []
    assert await ids(repository, year=2026) == []

    first = await repository.list_suggestions(scope=SuggestionScope(), limit=2)
    after = (first[-1].submitted_at, first[-1].suggestion_id)
    assert await ids(repository, limit=2, after=after) == ["s-03", "s-02"]


async def test_a_step_on_a_suggestion_that_changed_meanwhile_is_refused(
    repository: SuggestionRepository,
) -> None:
    original = suggestion(1)
    await repository.add(original, events=[])
    answer = Answer(text="答复", by="housing-handler", by_role="department", at=AT)
    answered = original.model_copy(update={"status": "answered", "answers": [answer], "version": 2})
    await repository.replace(answered, was="submitted", events=[])
    with pytest.raises(SuggestionChanged):
        await repository.replace(answered, was="submitted", events=[])
    stored = await repository.get("s-01")
    assert stored is not None and stored.status == "answered" and stored.answer == answer
