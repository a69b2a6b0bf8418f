"""Benchmark (not a test): how close the viewer's failover / fail-back times are to the edge's own.

    ./drill && .venv/bin/python -m benchmarks.drill_accuracy [reports/junit.xml]

Reads the JUnit file of a local drill run and prints, per chaos scenario, the time to failover and
fail-back the viewer measured next to the emulated edge's ground truth (when the edge itself first
answered from the secondary, and from the primary again), and the total pytest time.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "reports/junit.xml")
    if not path.exists():
        print(f"{path} not found: run ./drill first", file=sys.stderr)
        return 2
    root = ET.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    assert suite is not None
    print(f"{'scenario':48} {'failover':>9} {'truth':>7} {'fail-back':>10} {'truth':>7}")
    gaps: list[float] = []
    for case in suite.iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        if "edge_truth_failover_s" not in props:
            continue
        cells = [props.get(k) or "-" for k in ("time_to_failover_s", "edge_truth_failover_s", "time_to_failback_s", "edge_truth_failback_s")]
        print(f"{case.get('name', '')[:48]:48} {cells[0]:>9} {cells[1]:>7} {cells[2]:>10} {cells[3]:>7}")
        for measured, truth in ((cells[0], cells[1]), (cells[2], cells[3])):
            if measured != "-" and truth != "-":
                gaps.append(float(measured) - float(truth))
    if gaps:
        print(f"viewer minus edge truth over {len(gaps)} measurements: mean {sum(gaps) / len(gaps):+.3f} s, "
              f"worst {max(gaps, key=abs):+.3f} s")
    print(f"drill: {suite.get('tests')} tests, {suite.get('failures')} failures, {suite.get('errors')} errors, "
          f"{suite.get('skipped')} skipped in {float(suite.get('time', 0)):.1f} s of pytest time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
