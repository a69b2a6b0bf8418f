"""How long the drill and its self-tests take: the local drill serial and in parallel, and ./drill selftest.

Each is run as a user runs it (the checkout's ``drill`` script, from a scratch directory outside the
checkout), timed as a whole process: wall time from start to exit, and the CPU of every process it
waited for (user + system, from the kernel's accounting of the finished children). The verdict line
pytest printed is shown beside each figure, so a fast run that failed cannot pass for a result.

    ./drill benchmark speed                    # serial drill, parallel drill (-n 6), self-tests
    ./drill benchmark speed --runs 3 --skip-selftest
    ./drill benchmark speed -- -k viewer_sees  # pytest arguments for both drill runs
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DRILL = ROOT / "drill"
VERDICT = re.compile(r"^=*\s*(\d+ (passed|failed|error|skipped).*?) in [\d.]+s", re.MULTILINE)


@dataclass(frozen=True)
class Timed:
    wall_s: float
    cpu_s: float
    returncode: int
    verdict: str


def timed(command: list[str], cwd: Path) -> Timed:
    """Run a command to its end; its wall time and the CPU of everything it waited for."""
    before = os.times()
    started = time.monotonic()
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    found = VERDICT.findall(completed.stdout + completed.stderr)
    verdict = found[-1][0] if found else f"no pytest verdict (exit {completed.returncode})"
    return Timed(wall, cpu, completed.returncode, verdict)


def report(label: str, runs: list[Timed]) -> str:
    walls = [r.wall_s for r in runs]
    cpus = [r.cpu_s for r in runs]
    failed = sum(1 for r in runs if r.returncode != 0)
    return (
        f"{label:<28} wall median {statistics.median(walls):7.1f} s (min {min(walls):.1f}, max {max(walls):.1f}); "
        f"CPU median {statistics.median(cpus):6.1f} s; {len(runs) - failed} of {len(runs)} run(s) exit 0; "
        f"last: {runs[-1].verdict}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./drill benchmark speed", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs of each command (default 1); the median is printed")
    parser.add_argument("--workers", type=int, default=6, help="-n for the parallel drill (default 6)")
    parser.add_argument("--skip-selftest", action="store_true", help="time the drill only, not ./drill selftest")
    parser.add_argument("pytest_args", nargs="*", help="after --: pytest arguments for both drill runs, e.g. -k viewer_sees")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    if args.workers < 2:
        parser.error(f"--workers must be at least 2, got {args.workers}")
    print(f"{os.cpu_count()} core(s); {args.runs} run(s) each; from a scratch directory outside the checkout", flush=True)
    failed = False
    with tempfile.TemporaryDirectory(prefix="drill-speed-") as scratch:
        where = Path(scratch)
        plans = [
            ("local drill, serial", [str(DRILL), "-q", "-p", "no:cacheprovider", *args.pytest_args]),
            (f"local drill, -n {args.workers}", [str(DRILL), "-n", str(args.workers), "-q", "-p", "no:cacheprovider", *args.pytest_args]),
        ]
        if not args.skip_selftest:
            plans.append(("self-tests (./drill selftest)", [str(DRILL), "selftest", "-q", "-p", "no:cacheprovider"]))
        for label, command in plans:
            runs = []
            for run in range(args.runs):
                reports = where / f"{len(runs)}-{run}-{label.split()[0]}"
                extra = [f"--reports-dir={reports}"] if "selftest" not in command else []
                runs.append(timed(command + extra, where))
            print(report(label, runs), flush=True)
            failed = failed or any(r.returncode != 0 for r in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
