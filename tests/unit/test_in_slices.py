"""Long `$in` lists go to the store in slices (shared.mongo.in_slices)."""

from shared.mongo import IN_SLICE, in_slices


def test_a_long_list_is_cut_into_slices_of_at_most_the_slice_length() -> None:
    ids = [f"case-{i}" for i in range(2 * IN_SLICE + 7)]
    slices = in_slices(ids)
    assert [len(s) for s in slices] == [IN_SLICE, IN_SLICE, 7]
    assert [i for s in slices for i in s] == ids


def test_duplicates_are_asked_for_once_in_their_first_place() -> None:
    assert in_slices(["b", "a", "b", "c", "a"], size=2) == [["b", "a"], ["c"]]


def test_nothing_asked_is_no_query() -> None:
    assert in_slices([]) == []
    assert in_slices(iter(())) == []
