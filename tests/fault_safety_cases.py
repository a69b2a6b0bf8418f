"""Cases run in a pytest subprocess by test_fault_safety.py (not collected on their own).

Each applies a fault whose apply and undo leave marker files, then ends in a different way.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from fixtures.faults import FaultInjector
from fixtures.stacks.base import Fault

MARKERS = Path(os.environ.get("DRILL_FAULT_MARKERS", "."))


def marker_fault(fail_apply: bool = False) -> Fault:
    def apply() -> None:
        (MARKERS / "applied").write_text("applied")
        if fail_apply:
            raise RuntimeError("apply failed halfway")

    return Fault("marker", apply, lambda: (MARKERS / "undone").write_text("undone"))


def test_passes(faults: FaultInjector) -> None:
    faults.apply(marker_fault())


def test_fails(faults: FaultInjector) -> None:
    faults.apply(marker_fault())
    raise AssertionError("the scenario failed")


def test_errors(faults: FaultInjector) -> None:
    faults.apply(marker_fault())
    raise RuntimeError("something unexpected")


def test_apply_fails_halfway(faults: FaultInjector) -> None:
    faults.apply(marker_fault(fail_apply=True))


def test_hangs(faults: FaultInjector) -> None:
    faults.apply(marker_fault())
    time.sleep(120)


@pytest.mark.timeout(1)
def test_times_out(faults: FaultInjector) -> None:
    faults.apply(marker_fault())
    time.sleep(120)
