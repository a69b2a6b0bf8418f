"""Every fault is undone on pass, failure, error, time-out, Ctrl-C and SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.emulator_client import wait_for

ROOT = Path(__file__).resolve().parent.parent
CASES = "tests/fault_safety_cases.py"


def _as_at_a_terminal() -> None:
    """The child gets SIGINT's default disposition, as a command typed at a terminal does. A process
    started in the background without job control (a CI job, `( ... & )`) inherits SIGINT ignored, and
    Python then never turns Ctrl-C into KeyboardInterrupt: the run would sleep on (seen in CI)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _pytest(case: str, markers: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", f"{CASES}::{case}", "-p", "no:cacheprovider", "-q",
         f"--junitxml={markers / 'junit.xml'}"],
        cwd=ROOT, env={**os.environ, "DRILL_FAULT_MARKERS": str(markers)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=_as_at_a_terminal,
    )


@pytest.mark.parametrize(
    "case,exit_code",
    [("test_passes", 0), ("test_fails", 1), ("test_errors", 1), ("test_apply_fails_halfway", 1), ("test_times_out", 1)],
)
def test_fault_is_undone_however_the_test_ends(case: str, exit_code: int, tmp_path: Path) -> None:
    process = _pytest(case, tmp_path)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == exit_code, output
    assert (tmp_path / "applied").exists()
    assert (tmp_path / "undone").exists(), f"{case}: fault left applied\n{output}"
    if case == "test_times_out":
        assert "Timeout" in output and (tmp_path / "junit.xml").exists()  # teardown and JUnit survived


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_fault_is_undone_when_the_run_is_interrupted(signum: int, tmp_path: Path) -> None:
    process = _pytest("test_hangs", tmp_path)
    try:
        wait_for(lambda: (tmp_path / "applied").exists(), 30, "the fault to be applied")
        time.sleep(0.2)
        process.send_signal(signum)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            # pytest enables faulthandler: SIGABRT makes the stuck run print every thread's stack, so a
            # hang here explains itself instead of ending in a bare time-out.
            process.send_signal(signal.SIGABRT)
            output, _ = process.communicate(timeout=30)
            pytest.fail(f"the run was still going 30 s after {signal.Signals(signum).name}; where it was:\n{output[-6000:]}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (tmp_path / "undone").exists(), f"fault left applied after {signal.Signals(signum).name}\n{output}"
    assert process.returncode != 0
