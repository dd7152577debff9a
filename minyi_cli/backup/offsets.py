"""A consumer group's committed offset, carried over to the restored partition. Pure.

A committed offset `c` means "every record below `c` is handled; read `c` next". The restored
partition holds the same records in the same order, but at other offsets: the originals may
have gaps (compaction, transaction markers) and a forced restore appends after what is there.
So `c` becomes the restored offset of the first record whose original offset is `c` or more;
when there is none, the offset after the last restored record (the group is at the end).
"""

from __future__ import annotations

from collections.abc import Iterable


class PartitionOffsetMap:
    """Fed each restored record's (original, restored) offsets in the partition's order, it
    answers for the committed offsets it was given, without holding the records."""

    def __init__(self, committed: Iterable[int], *, end_offset: int) -> None:
        # `end_offset`: the partition's end before anything is restored into it, the answer
        # when no record is restored at all.
        self._pending = sorted(set(committed))
        self._mapped: dict[int, int] = {}
        self._next = end_offset
        self._last_original = -1

    def restored(self, *, original: int, restored: int) -> None:
        if original <= self._last_original:
            raise ValueError(
                f"original offset {original} after {self._last_original}: records out of order"
            )
        self._last_original = original
        while self._pending and self._pending[0] <= original:
            self._mapped[self._pending.pop(0)] = restored
        self._next = restored + 1

    def mapped(self, committed: int) -> int:
        if committed in self._mapped:
            return self._mapped[committed]
        if committed not in self._pending:
            raise KeyError(f"offset {committed} was not asked for")
        return self._next
