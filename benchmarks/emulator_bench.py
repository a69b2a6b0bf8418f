"""Benchmark (not a test): edge throughput for cached segments, and encoder jitter.

    .venv/bin/python -m benchmarks.emulator_bench [--seconds 5] [--clients 4]

Edge throughput: a separate load process sends GETs for segments already in the edge cache, from
``--clients`` threads over fresh loopback connections (the emulator speaks HTTP/1.0), for a bounded
time, and reports requests per second and latency percentiles. Encoder jitter: how late each segment
was written after its epoch boundary, over all four pipelines while the load ran.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from fixtures.emulator import EmulatedStack, StackConfig, WriteSkew
from fixtures.emulator.encoder import segment_name

LOAD = r"""
import http.client, json, sys, threading, time
host, port, seconds, clients = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
paths = json.loads(sys.stdin.read())
latencies, errors, lock = [], [0], threading.Lock()
def worker(offset):
    mine, deadline, i = [], time.monotonic() + seconds, offset
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            c = http.client.HTTPConnection(host, port, timeout=5)
            c.request("GET", paths[i % len(paths)]); r = c.getresponse(); r.read(); c.close()
            ok = r.status == 200
        except OSError:
            ok = False
        mine.append(time.perf_counter() - started)
        if not ok:
            with lock: errors[0] += 1
        i += 1
    with lock: latencies.extend(mine)
threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
began = time.monotonic()
[t.start() for t in threads]; [t.join() for t in threads]
print(json.dumps({"latencies": latencies, "errors": errors[0], "elapsed": time.monotonic() - began}))
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    # No designed write skew: this measures how precisely the emulator keeps its own schedule under load.
    with EmulatedStack(StackConfig.local(1.0, write_skew=WriteSkew.none())) as stack:
        assert stack.edge is not None
        encoder = stack.encoders[(stack.primary, 0)]
        sequences = list(encoder.window["180p"])
        paths = [f"/live/p{p}/{segment_name(r, n)}" for p in (0, 1) for r in ("180p", "90p") for n in sequences]
        for path in paths:  # warm the edge cache
            stack.edge.respond(path, "GET")
        first_writes = {k: len(e.writes) for k, e in stack.encoders.items()}
        load = subprocess.run(
            [sys.executable, "-c", LOAD, "127.0.0.1", str(stack.edge.server.port), str(args.seconds), str(args.clients)],
            input=json.dumps(paths), capture_output=True, text=True, timeout=args.seconds + 60, check=True,
        )
        result = json.loads(load.stdout)
        late = [w.late_s for k, e in stack.encoders.items() for w in list(e.writes)[first_writes[k]:]]
    latencies = result["latencies"]
    print(f"edge, cached segment GETs: {len(latencies) / result['elapsed']:.0f} req/s over {result['elapsed']:.1f} s, "
          f"{args.clients} clients, {result['errors']} errors; latency p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
          f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms")
    if late:
        print(f"encoder jitter under that load ({len(late)} segment writes): median {statistics.median(late) * 1000:.1f} ms, "
              f"p99 {percentile(late, 0.99) * 1000:.1f} ms, max {max(late) * 1000:.1f} ms after the epoch boundary")
    return 0


if __name__ == "__main__":
    sys.exit(main())
