"""Benchmark (not a test): how large a viewer swarm the emulated edge holds in the pause scenario.

    ./drill benchmark swarm [--sizes 50,100,200,300,400] [--workers 0] [--keyword paused]

For each size, ascending, the pause scenario runs on a healthy local stack with ``--swarm N`` (a drill of
its own, in a pytest subprocess), and the benchmark reads the crowd's figures from its JUnit file.
The edge holds N when no swarm viewer stalled and none saw an error. It stops at the first size the
edge does not hold and prints the largest it held, with the request rate the edge served and the CPU
it cost: the drill's process (the emulated stack and the drill's viewer) and the swarm's Locust
processes, user + system. The machine's load average is printed too: wall-time effects (stalls)
depend on what else runs on the machine, CPU seconds much less.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Round:
    viewers: int
    outcome: str
    properties: dict[str, str]
    wall_s: float
    cpu_s: float  # the drill's pytest process and everything it ran (the swarm included)

    @property
    def held(self) -> bool:
        return self.properties.get("swarm_stalled") == "0" and self.properties.get("swarm_errors") == "0" \
            and self.properties.get("swarm_missing") == "0"

    @property
    def swarm_cpu_s(self) -> float:
        return float(self.properties.get("swarm_cpu_s") or 0.0)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_round(viewers: int, workers: int, keyword: str, directory: Path) -> Round:
    junit = directory / "junit.xml"
    before, started = _children_cpu(), time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "pytest", "scenarios", "-p", "no:cacheprovider", "-q", "-k", keyword,
         f"--junitxml={junit}", f"--reports-dir={directory}", "--swarm", str(viewers), "--swarm-workers", str(workers)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    wall, cpu = time.monotonic() - started, _children_cpu() - before
    cases = list(ET.parse(junit).getroot().iter("testcase")) if junit.exists() else []
    # The scenario the keyword selects: the one whose properties carry the swarm's figures.
    case = next((c for c in cases if any(p.get("name") == "swarm_viewers" for p in c.iter("property"))), None)
    if case is None:
        return Round(viewers, "error", {}, wall, cpu)
    outcome = "failed" if case.find("failure") is not None else "error" if case.find("error") is not None else "passed"
    properties = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
    return Round(viewers, outcome, properties, wall, cpu)


def _line(result: Round) -> str:
    p = result.properties
    if not p:
        return f"{result.viewers:5d} viewers: the drill did not run the scenario ({result.outcome})"
    rate = float(p.get("swarm_requests_per_s") or 0.0)
    drill_cpu = result.cpu_s - result.swarm_cpu_s
    return (f"{result.viewers:5d} viewers: {'held' if result.held else 'NOT held'}: {p['swarm_stalled']} stalled "
            f"(p95 {p['swarm_stall_p95_s']} s, max {p['swarm_stall_max_s']} s), errors {p['swarm_errors_by_status'] or 'none'}, "
            f"{rate:.0f} req/s from the swarm (its loop held up {p.get('swarm_client_lag_s') or 0} s at most); CPU: drill and emulated stack {drill_cpu:.1f} s, swarm {result.swarm_cpu_s:.1f} s, "
            f"over {result.wall_s:.0f} s (scenario {result.outcome})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,100,200,300,400", help="swarm sizes to try, ascending (default 50,100,200,300,400)")
    parser.add_argument("--workers", type=int, default=0, help="Locust worker processes (default 0: one process)")
    parser.add_argument("--keyword", default="paused", help="the scenario, as pytest -k selects it (default: paused)")
    args = parser.parse_args()
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error(f"--sizes must be whole numbers separated by commas, got {args.sizes!r}")
    if not sizes or sizes[0] < 1:
        parser.error(f"--sizes must be at least 1, got {args.sizes!r}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    held: Round | None = None
    with tempfile.TemporaryDirectory(prefix="swarm-bench-") as scratch:
        for viewers in sizes:
            result = run_round(viewers, args.workers, args.keyword, Path(scratch) / str(viewers))
            print(_line(result), flush=True)
            if not result.held:
                break
            held = result
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if held is None:
        print(f"the emulated edge held none of the sizes tried ({args.sizes})")
        return 1
    print(f"the emulated edge holds {held.viewers} viewers in the scenario -k {args.keyword!r} (no stall, no error): "
          f"{float(held.properties.get('swarm_requests_per_s') or 0):.0f} req/s from the swarm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
