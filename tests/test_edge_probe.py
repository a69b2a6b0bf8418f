"""The emulated edge's truth probe runs only while a fault's truth is wanted, and keeps what it recorded."""

from __future__ import annotations

import threading

from fixtures.stacks.local import LocalStack
from tests.emulator_client import wait_for


def _probe_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "edge-probe"]


def test_the_local_stack_asks_the_edge_only_around_a_fault_and_keeps_every_answer() -> None:
    stack = LocalStack(0.5)
    try:
        probe = stack.emulator.probe
        assert probe is not None
        assert not probe.running and not probe.answers and not _probe_threads()  # between faults it costs nothing
        for window in (1, 2):
            with stack.recording_truth():
                assert probe.running and _probe_threads()
                wanted = 2 * window * len(probe.paths)
                wait_for(lambda: len(probe.answers) >= wanted, 3, f"{wanted} probe answers")  # noqa: B023 (used at once)
            assert not probe.running and not _probe_threads()
        assert {a.path for a in probe.answers} == set(probe.paths)  # the first window's answers are still there
        assert all(a.region == stack.primary and a.status == 200 for a in probe.answers)
    finally:
        stack.close()
