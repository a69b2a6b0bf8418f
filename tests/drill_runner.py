"""Run the drill (scenarios/) in a pytest subprocess, or in this process, and read its JUnit report back."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JUNIT_SCHEMA = ROOT / "tests" / "schemas" / "junit.xsd"


def assert_valid_junit(path: Path) -> None:
    """The JUnit file is what Jenkins, GitLab and the GitHub report actions read (tests/schemas/junit.xsd)."""
    import xmlschema

    errors = [f"{e.path}: {e.reason}" for e in xmlschema.XMLSchema(JUNIT_SCHEMA).iter_errors(str(path))]
    assert not errors, f"{path} is not valid JUnit: " + "; ".join(errors[:5])


@dataclass
class CaseResult:
    outcome: str  # passed, failed, error, skipped
    message: str = ""
    properties: dict[str, str] = field(default_factory=dict)


@dataclass
class DrillRun:
    returncode: int
    output: str
    cases: dict[str, CaseResult]


def run_drill(
    args: list[str], workdir: Path, timeout_s: float = 600, env: dict[str, str] | None = None, command: list[str] | None = None
) -> DrillRun:
    """``command``: a README command's words (tests/readme.py), run as printed from a directory outside the checkout
    with ``args`` after it; without one, pytest on scenarios/ from the checkout."""
    workdir.mkdir(parents=True, exist_ok=True)
    junit = workdir / "junit.xml"
    if command is None:
        start, cwd = [sys.executable, "-m", "pytest", "scenarios"], ROOT
    else:
        start, cwd = command, workdir / "elsewhere"
        cwd.mkdir(exist_ok=True)
    completed = subprocess.run(
        [*start, "-p", "no:cacheprovider", "-q", f"--junitxml={junit}", f"--reports-dir={workdir}", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False, env=env,
    )
    return DrillRun(completed.returncode, completed.stdout + completed.stderr, _cases(junit))


def run_drill_in_process(args: list[str], workdir: Path, pytester: pytest.Pytester) -> DrillRun:
    """pytest on scenarios/ from the checkout, as ``run_drill`` runs it, but in this process (pytester's in-process
    main): no interpreter to start nor the drill's imports to load again, 0.9 s of CPU a run. For the many short
    drills of the misconfiguration matrix; whole drills and README commands run as users start them. The inner run's
    pytest-timeout (signal method) takes over SIGALRM and clears it at its end: its own 300 s limit bounds the run."""
    workdir.mkdir(parents=True, exist_ok=True)
    junit = workdir / "junit.xml"
    result = pytester.runpytest_inprocess(
        "-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT), str(ROOT / "scenarios"), "-p", "no:cacheprovider", "-q",
        f"--junitxml={junit}", f"--reports-dir={workdir}", *args,
    )
    return DrillRun(int(result.ret), result.stdout.str() + "\n" + result.stderr.str(), _cases(junit))


def _cases(junit: Path) -> dict[str, CaseResult]:
    cases: dict[str, CaseResult] = {}
    if junit.exists():
        assert_valid_junit(junit)  # every drill the self-tests run: passed, failed, skipped and errored cases alike
        for case in ET.parse(junit).getroot().iter("testcase"):
            outcome, message = "passed", ""
            for kind in ("failure", "error", "skipped"):
                element = case.find(kind)
                if element is not None:
                    outcome = "failed" if kind == "failure" else kind
                    message = (element.get("message") or "") + "\n" + (element.text or "")
            properties = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
            cases[case.get("name", "")] = CaseResult(outcome, message, properties)
    return cases
