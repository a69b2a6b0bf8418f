"""Self-test fixtures: emulated stacks built to order, always stopped and joined."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from fixtures.emulator import EmulatedStack, Misconfiguration, OriginKind, StackConfig
from fixtures.parallel_order import deal_longest_first
from fixtures.routing import RoutingMode

MakeStack = Callable[..., EmulatedStack]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "takes(seconds): about how long the test runs on a quiet 2-core machine (a scheduling hint, not a limit)"
    )
    config.addinivalue_line(
        "markers",
        "together(name=None): the module's tests so marked (with the same name) are dealt as one block, so they run one "
        "after another on one worker unless work stealing splits it: tests that share a module-scoped run too costly to "
        "repeat, or that load the machine too much to run beside each other (a scheduling hint: alone, each still passes)",
    )


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected: the hands are sized for what runs
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest tests first on every worker, dealt round-robin (fixtures/parallel_order.py): under -n, a long test
    started last would hold the whole run up. Tests marked ``together`` (with the same name) in one module are dealt
    as one block: their module-scoped run usually happens once, not once per worker they landed on, and heavy tests
    run one after another (work stealing can still split a block).
    """
    blocks: dict[str, list[pytest.Item]] = {}
    for item in items:
        together = item.get_closest_marker("together")
        key = item.nodeid if together is None else "::".join([item.nodeid.split("::")[0], *together.args, *together.kwargs.values()])
        blocks.setdefault(key, []).append(item)
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    items[:] = deal_longest_first(list(blocks.values()), workers, lambda block: sum(_takes(item) for item in block))


def _takes(item: pytest.Item) -> float:
    marker = item.get_closest_marker("takes")
    return float(marker.args[0]) if marker is not None else 0.0


@pytest.fixture
def make_stack() -> Iterator[MakeStack]:
    """Start an emulated stack with the given segment length, misconfigurations, origin kind and routing."""
    started: list[EmulatedStack] = []

    def make(
        segment_length_s: float = 0.5,
        *misconfigurations: Misconfiguration,
        origin_kind: OriginKind = OriginKind.S3,
        routing: RoutingMode = RoutingMode.ORIGIN_GROUP,
        probe_hz: float | None = None,
        selection_criteria: str = "default",
    ) -> EmulatedStack:
        config = StackConfig.local(
            segment_length_s, set(misconfigurations), origin_kind, routing=routing, selection_criteria=selection_criteria
        )
        stack = EmulatedStack(config, probe_hz=probe_hz)
        started.append(stack)
        stack.start()
        return stack

    yield make
    for stack in started:
        stack.stop()


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An in-process moto AWS with fake credentials: nothing can reach a real account or the network."""
    from moto import mock_aws

    from tests.moto_world import FAKE_ENV, reset_schedules

    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    reset_schedules()
    with mock_aws():
        yield
