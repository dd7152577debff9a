"""When a consumer group has consumed a topic as far as it reached: the rule a replica uses to
know its service's copy of the staff accounts is complete (shared.group_progress)."""

from __future__ import annotations

import pytest

from shared.group_progress import consumed_to


@pytest.mark.parametrize(
    ("committed", "targets", "consumed"),
    [
        ({}, {0: 0}, True),  # nothing was ever published: nothing to wait for
        ({}, {}, True),
        ({}, {0: 3}, False),  # the group never committed
        ({0: -1}, {0: 3}, False),
        ({0: 2}, {0: 3}, False),  # one record still to go
        ({0: 3}, {0: 3}, True),
        ({0: 7}, {0: 3}, True),  # published since: not waited for
        ({0: 3}, {0: 3, 1: 1}, False),  # every partition counts
        ({0: 3, 1: 1}, {0: 3, 1: 1}, True),
        ({0: 3}, {0: 3, 1: 0}, True),  # an empty partition needs no commit
    ],
)
def test_a_group_has_consumed_a_topic_once_every_partition_reached_its_end_of_then(
    committed: dict[int, int], targets: dict[int, int], consumed: bool
) -> None:
    assert consumed_to(committed=committed, targets=targets) is consumed
