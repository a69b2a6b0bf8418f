"""Self-test fixtures: emulated stacks built to order, always stopped and joined."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from fixtures.emulator import EmulatedStack, Misconfiguration, OriginKind, StackConfig

MakeStack = Callable[..., EmulatedStack]


@pytest.fixture
def make_stack() -> Iterator[MakeStack]:
    """Start an emulated stack with the given segment length, misconfigurations and origin kind."""
    started: list[EmulatedStack] = []

    def make(
        segment_length_s: float = 0.5,
        *misconfigurations: Misconfiguration,
        origin_kind: OriginKind = OriginKind.S3,
    ) -> EmulatedStack:
        stack = EmulatedStack(StackConfig.local(segment_length_s, set(misconfigurations), origin_kind))
        started.append(stack)
        stack.start()
        return stack

    yield make
    for stack in started:
        stack.stop()
