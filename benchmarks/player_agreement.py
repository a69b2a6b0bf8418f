"""Benchmark (not a test): the model player's stall verdict beside hls.js's, per scenario and misconfiguration.

    ./drill benchmark player [--switch NAME ...] [--reports-dir DIR] [-- pytest args]

Runs the whole local drill with ``--player hlsjs`` on the correct stack and once per misconfiguration
switch (subprocesses, as ``./drill`` runs), then prints, for every scenario, whether the model player
stalled (beyond the scenario's allowance) and whether hls.js did, with the stall seconds of each.
A row where they differ is marked; the README explains each one or the model is fixed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SWITCHES = ("none", "no-origin-group", "failover-codes-without-404-403", "no-manifest-expiry", "epoch-locking-off",
            "long-error-caching", "slow-origin-timeouts", "no-cors-headers")


def _verdict(stalls: int, seconds: float, extra: str = "") -> str:
    return ("stall" if stalls else "no stall") + (f" {seconds:.1f} s" if stalls else "") + extra


def rows(document: dict[str, Any]) -> tuple[str, str, bool] | None:
    figures = document["figures"]
    player = figures.get("player")
    if player is None:
        return None
    codes = {f["code"] for f in document["findings"]}
    model_stalled = "viewer-stalled" in codes or "viewer-never-started" in codes
    player_stalled = "player-stalled" in codes or "player-never-started" in codes
    model = _verdict(int(model_stalled), figures["stall_s"], " (ended)" if figures["ended_at_endlist"] else "")
    if not player["started"]:
        real = "never started"
    else:
        real = _verdict(int(player_stalled), player["stall_s"], " (ended)" if player["ended"] else "")
    return model, real, model_stalled == player_stalled


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.player_agreement", description=__doc__.split("\n\n")[0])
    parser.add_argument("--switch", action="append", choices=SWITCHES, help="only these (repeatable; default: all)")
    parser.add_argument("--reports-dir", type=Path, default=None)
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments for every run, after --")
    args = parser.parse_args()
    base = (args.reports_dir or Path(tempfile.mkdtemp(prefix="player-agreement-"))).resolve()  # the runs start elsewhere
    print(f"{'switch':32} {'scenario':46} {'model player':22} {'hls.js':30} agree")
    disagreements = 0
    for switch in args.switch or SWITCHES:
        reports = base / switch
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--player", "hlsjs",
                   f"--reports-dir={reports}", f"--junitxml={reports / 'junit.xml'}"]
        if switch != "none":
            command += ["--misconfigure", switch]
        command += args.pytest_args
        subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        for path in sorted((reports / "timelines").glob("*.json")):
            document = json.loads(path.read_text())
            row = rows(document)
            if row is None:
                continue
            model, real, agree = row
            disagreements += not agree
            print(f"{switch:32} {document['test'].split('::')[-1][:46]:46} {model:22} {real:30} {'yes' if agree else 'NO'}",
                  flush=True)
    print(f"\n{disagreements} disagreement(s); reports in {base}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
