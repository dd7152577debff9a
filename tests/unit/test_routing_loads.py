"""How case changes move representatives' open loads."""

from __future__ import annotations

import pytest

from services.routing.domain.loads import combined, load_shift
from services.routing.domain.workflow import OPEN


def test_a_new_case_adds_one_to_its_holder() -> None:
    assert load_shift(None, ("0412", "assigned")) == {"0412": 1}


def test_a_case_in_a_station_queue_loads_nobody() -> None:
    assert load_shift(None, (None, "assigned")) == {}


@pytest.mark.parametrize("status", ["responded", "closed", "rejected", "merged"])
def test_a_case_leaving_the_open_states_frees_its_holder(status: str) -> None:
    assert load_shift(("0412", "handling"), ("0412", status)) == {"0412": -1}


@pytest.mark.parametrize("status", sorted(OPEN))
def test_moving_between_open_states_changes_nothing(status: str) -> None:
    assert load_shift(("0412", "assigned"), ("0412", status)) == {}


def test_a_reroute_moves_the_case_from_one_holder_to_the_other() -> None:
    assert load_shift(("0412", "assigned"), ("0413", "assigned")) == {"0412": -1, "0413": 1}


def test_a_reopened_case_loads_its_holder_again() -> None:
    assert load_shift(("0412", "closed"), ("0412", "reopened")) == {"0412": 1}


def test_shifts_of_a_batch_add_up_and_cancel_out() -> None:
    assert combined([{"a": 1}, {"a": 1, "b": 1}, {"b": -1}]) == {"a": 2}
