"""Benchmark (not a test): the drill's failover and fail-back figures against the emulated edge's own record.

    ./drill benchmark accuracy [--segment-length L] [--reports-dir DIR] [-- pytest args]

Runs every scenario of the drill on the local stack (a subprocess, exactly as ``./drill`` does), then
reads each scenario's timeline artifact and prints, per scenario, the viewer's figure (the slowest
rendition that left the primary, with its bracket) next to the truth: what the edge's internal probe
saw, asking the edge for every media playlist at 10 Hz, independent of the viewer's requests.

Target: |figure - truth| within max(0.1 L, one poll interval), where a poll interval is the target
duration (the longest a player waits between reloads of a changed playlist, RFC 8216 6.3.4), plus
the probe's period (0.1 s), the resolution the truth itself is known to. The bracket check is stricter: the truth must fall inside [last answer from the old origin, first from
the new] widened by one probe period, or the viewer timed or attributed something wrongly.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROBE_PERIOD_S = 0.1
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Comparison:
    scenario: str
    what: str  # failover / fail-back
    rendition: str
    figure_s: float
    last_before_s: float
    truth_s: float | None

    @property
    def error_s(self) -> float | None:
        return None if self.truth_s is None else self.figure_s - self.truth_s

    def inside_bracket(self) -> bool:
        return self.truth_s is not None and (
            self.last_before_s - PROBE_PERIOD_S <= self.truth_s <= self.figure_s + PROBE_PERIOD_S
        )


def comparisons(document: dict[str, Any]) -> list[Comparison]:
    found = []
    for move in document["figures"]["renditions"]:
        for what, key in (("failover", "failover"), ("fail-back", "failback")):
            bracket = move[key]
            if bracket is not None:
                found.append(Comparison(document["scenario"], what, move["rendition"], bracket["s"],
                                        bracket["last_before_s"], move[f"edge_truth_{key}_s"]))
    return found


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.drill_accuracy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--segment-length", type=float, default=1.0)
    parser.add_argument("--reports-dir", type=Path, default=None, help="keep the run's reports here (default: a temp dir)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments, after --")
    args = parser.parse_args()
    reports = (args.reports_dir or Path(tempfile.mkdtemp(prefix="drill-accuracy-"))).resolve()  # the run starts elsewhere
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--segment-length={args.segment_length}",
               f"--reports-dir={reports}", *args.pytest_args]
    print(f"running: {' '.join(command)}", flush=True)
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    tail = run.stdout.strip().splitlines()[-1:] if run.stdout.strip() else ["(no output)"]
    documents = [json.loads(p.read_text()) for p in sorted((reports / "timelines").glob("*.json"))]
    if not documents:
        print(f"no timeline artifacts in {reports}: the drill did not run\n{run.stdout[-2000:]}{run.stderr[-2000:]}", file=sys.stderr)
        return 2
    length = args.segment_length
    target = max(0.1 * length, math.ceil(length)) + PROBE_PERIOD_S
    print(f"\nL = {length:g} s; target |figure - truth| <= {target:.2f} s (max of 0.1 L and one poll interval, "
          "plus the probe period)\n")
    header = f"{'scenario':46} {'failover':>8} {'truth':>6} {'error':>6} {'fail-back':>9} {'truth':>6} {'error':>6}  slowest rendition"
    print(header)
    print("-" * len(header))
    everything: list[Comparison] = []
    for document in documents:
        found = comparisons(document)
        everything += found
        row = [document["test"].split("::")[-1][:46].ljust(46)]
        renditions = []
        for what in ("failover", "fail-back"):
            mine = [c for c in found if c.what == what]
            slowest = max(mine, key=lambda c: c.figure_s, default=None)
            truths = [c.truth_s for c in mine if c.truth_s is not None]
            truth = max(truths) if truths and len(truths) == len(mine) else None
            error = None if slowest is None or truth is None else slowest.figure_s - truth
            row.append(f"{_cell(slowest.figure_s if slowest else None):>{8 if what == 'failover' else 9}} {_cell(truth):>6} "
                       f"{'-' if error is None else f'{error:+.2f}':>6}")
            renditions.append(slowest.rendition if slowest else "-")
        print(" ".join(row) + "  " + " / ".join(renditions))
    measured = [c for c in everything if c.error_s is not None]
    within = [c for c in measured if abs(c.error_s or 0.0) <= target]
    inside = [c for c in measured if c.inside_bracket()]
    print(f"\nper rendition: {len(measured)} figures with a truth; {len(within)} within target; "
          f"{len(inside)} with the truth inside the viewer's bracket")
    if measured:
        worst = max(measured, key=lambda c: abs(c.error_s or 0.0))
        print(f"worst: {worst.scenario} {worst.what} {worst.rendition} figure {worst.figure_s:.2f} s, truth "
              f"{_cell(worst.truth_s)} s, error {worst.error_s:+.2f} s")
    for c in measured:
        if c not in inside:
            print(f"OUTSIDE BRACKET: {c.scenario} {c.what} {c.rendition}: truth {_cell(c.truth_s)} s not in "
                  f"[{c.last_before_s:.2f}, {c.figure_s:.2f}]")
    missing = [c for c in everything if c.truth_s is None]
    for c in missing:
        print(f"NO TRUTH: {c.scenario} {c.what} {c.rendition}: the viewer saw a move the edge's probe did not")
    print(f"drill: {tail[0]}")
    return 0 if len(within) == len(measured) and len(inside) == len(measured) and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
