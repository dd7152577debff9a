from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.platform import Platform
from tests.infra import Infra


@pytest.fixture
def platform(infra: Infra, namespace: str, settings: object) -> Iterator[Platform]:
    # `settings` creates the namespace's topics before any service starts.
    running = Platform(infra=infra, namespace=namespace)
    try:
        running.start_all()
        yield running
    finally:
        running.stop_all()
