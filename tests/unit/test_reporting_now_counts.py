"""Cases open and overdue now as counters moved with each case write (domain/now_counts.py)."""

from __future__ import annotations

from services.reporting.domain.case_state import CaseState
from services.reporting.domain.now_counts import CITY, Held, now_counted, now_shifts


def held(status: str, *, rep: str | None = "0412", overdue: bool = False) -> Held:
    return Held(
        station_id="xijie",
        values={
            "station": "xijie",
            "representative": rep,
            "category": "parking",
            "point": "baiyun",
        },
        open=status not in ("closed", "rejected", "merged"),
        overdue=overdue,
    )


def test_a_case_seen_first_and_open_counts_once_in_the_city_and_each_of_its_values() -> None:
    assert now_shifts([(None, held("assigned"))]) == {
        CITY: (1, 0),
        ("station", "xijie", "xijie"): (1, 0),
        ("representative", "xijie", "0412"): (1, 0),
        ("category", "xijie", "parking"): (1, 0),
        ("point", "xijie", "baiyun"): (1, 0),
    }


def test_a_case_that_closes_leaves_every_counter_it_was_in() -> None:
    shifts = now_shifts([(held("responded"), held("closed"))])
    assert shifts[CITY] == (-1, 0)
    assert set(shifts.values()) == {(-1, 0)}


def test_an_overdue_case_counts_as_open_and_overdue_and_a_late_acceptance_only_as_open() -> None:
    assert now_shifts([(None, held("assigned", overdue=True))])[CITY] == (1, 1)
    assert now_shifts([(held("assigned", overdue=True), held("accepted"))])[CITY] == (0, -1)


def test_a_change_of_holder_moves_the_case_between_representatives_only() -> None:
    assert now_shifts([(held("assigned", rep="0412"), held("assigned", rep="0413"))]) == {
        ("representative", "xijie", "0412"): (-1, 0),
        ("representative", "xijie", "0413"): (1, 0),
    }


def test_a_batch_adds_up_and_a_case_with_no_representative_has_no_counter_for_one() -> None:
    shifts = now_shifts([(None, held("submitted", rep=None)), (None, held("assigned"))])
    assert shifts[CITY] == (2, 0)
    assert shifts[("representative", "xijie", "0412")] == (1, 0)
    assert ("representative", "xijie", "None") not in shifts


def test_the_recount_is_the_shifts_of_every_open_case_from_nothing() -> None:
    cases = [held("assigned"), held("accepted", overdue=True), held("closed")]
    assert now_counted(cases)[CITY] == (2, 1)


def test_a_case_state_gives_its_station_values_and_flags() -> None:
    state = CaseState(case_id="c-1", status="assigned", station_id="xijie", category="parking")
    found = Held.of(state)
    assert (found.station_id, found.open, found.overdue) == ("xijie", True, False)
    assert found.values["category"] == "parking"
    assert found.values["representative"] is None
