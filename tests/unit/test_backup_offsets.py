"""A consumer group's committed offset lands on the same record after a restore, however the
original offsets were spread out."""

from __future__ import annotations

import pytest

from minyi_cli.backup.offsets import PartitionOffsetMap


def restore(originals: list[int], committed: list[int], *, base: int = 0) -> PartitionOffsetMap:
    """Records restored densely from `base`, as an empty (or forced) partition takes them."""
    offsets = PartitionOffsetMap(committed, end_offset=base)
    for restored, original in enumerate(originals, start=base):
        offsets.restored(original=original, restored=restored)
    return offsets


def test_dense_offsets_map_to_themselves() -> None:
    offsets = restore([0, 1, 2, 3], [0, 2, 4])

    assert [offsets.mapped(c) for c in (0, 2, 4)] == [0, 2, 4]


def test_gaps_left_by_compaction_or_markers_are_closed_up() -> None:
    # Records at 3, 7, 8 and 20 survive; a group that had handled up to 7 (committed 8) next
    # reads the record originally at 8, now the third one.
    offsets = restore([3, 7, 8, 20], [0, 5, 8, 9, 21, 25])

    assert offsets.mapped(0) == 0
    assert offsets.mapped(5) == 1
    assert offsets.mapped(8) == 2
    assert offsets.mapped(9) == 3
    assert offsets.mapped(21) == 4
    assert offsets.mapped(25) == 4


def test_a_forced_restore_counts_from_where_the_partition_ended() -> None:
    offsets = restore([0, 1, 2], [1, 3], base=10)

    assert (offsets.mapped(1), offsets.mapped(3)) == (11, 13)


def test_a_partition_with_no_record_keeps_the_group_at_its_end() -> None:
    offsets = PartitionOffsetMap([4], end_offset=7)

    assert offsets.mapped(4) == 7


def test_records_out_of_order_are_refused() -> None:
    offsets = PartitionOffsetMap([1], end_offset=0)
    offsets.restored(original=5, restored=0)

    with pytest.raises(ValueError, match="out of order"):
        offsets.restored(original=5, restored=1)


def test_an_offset_not_asked_for_is_an_error_not_a_guess() -> None:
    with pytest.raises(KeyError):
        restore([0], [0]).mapped(1)
