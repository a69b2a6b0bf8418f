"""Wiring only: command-line options and the fixtures the drill and its self-tests stand on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures.emulator import EmulatedStack, StackConfig


@pytest.fixture(scope="session")
def emulated_stack() -> Iterator[EmulatedStack]:
    """The built-in two-region stack on free 127.0.0.1 ports, answering before the first test."""
    stack = EmulatedStack(StackConfig.local())
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
