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


@pytest.fixture(scope="module")
def _module_platform(
    infra: Infra, shared_namespace: str, shared_settings: object
) -> Iterator[Platform]:
    running = Platform(infra=infra, namespace=shared_namespace)
    try:
        running.start_all()
        yield running
    finally:
        running.stop_all()


@pytest.fixture
def shared_platform(_module_platform: Platform) -> Platform:
    """The four services, started once for a module's tests (a start costs more than most
    tests). Each test finds all four running again and nothing in flight, so what it counts
    is what it caused; tests that count compare before and after instead of from zero."""
    _module_platform.restart_stopped()
    _module_platform.settle()
    return _module_platform
