"""Benchmark (not a test): the drill's many-stream watcher beside Eyevinn hls-monitor, on the same emulated streams.

    ./drill benchmark streams [--streams 5] [--segment-length 1] [--seconds 60] [--peer-dir /tmp/hls-monitor]
                              [--modes playlists,segments] [--muxed] [--viewer-root DIR]

Three processes, so each one's CPU is its own: the emulated streams (``--streams`` two-region stacks, demuxed
by default: 4 video variants plus 2 EXT-X-MEDIA audio and 2 subtitles renditions each), the drill's watcher
(every stream in one process, as ``--stack url`` watches them; ``--viewer-root`` runs another checkout's
viewer instead, e.g. an older one) and hls-monitor's HTTP service (a monitor per stream, reloading every
target duration: the drill's reload cadence after a change). For each
watch mode the watcher runs alone on the streams while hls-monitor keeps running, and both are measured over
the same window: CPU (user + sys from /proc/<pid>/stat), requests (counted by the emulated edges per
User-Agent) and resident memory. It prints CPU per rendition per minute for both and their ratio, CPU per
request, the watcher's peak RSS, and the renditions one core can watch at this L (60 s over the CPU seconds
one rendition costs per minute).

hls-monitor is not part of this repository. Get it once (Node 18+ and npm):

    git clone https://github.com/Eyevinn/hls-monitor /tmp/hls-monitor   # or the drill's fetch tool
    cd /tmp/hls-monitor && npm install && npm run build

Without ``--peer-dir`` (or with a directory that has no build) the drill's own figures are still printed.
Figures, not assertions: nothing here fails on a number.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from fixtures.emulator.http_server import free_port

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
DRILL_AGENTS = ("failover-drill-viewer", "python-requests")  # this viewer's User-Agent; an older one's (requests)
PEER_AGENT = "node-fetch"
GET_PEER = (
    "git clone https://github.com/Eyevinn/hls-monitor /tmp/hls-monitor && "
    "cd /tmp/hls-monitor && npm install && npm run build"
)


# -- the processes ------------------------------------------------------------------------------------------


def serve(streams: int, segment_length_s: float, demuxed: bool) -> int:
    """Run ``streams`` emulated stacks; print their playback URLs as one JSON line; on each stdin line print the
    edges' request counts per User-Agent; stop on EOF."""
    from fixtures.emulator import EmulatedStack, StackConfig
    from fixtures.emulator import edge as edge_module

    counts: Counter[str] = Counter()
    lock = threading.Lock()
    handler = edge_module._EdgeHandler
    original = handler.do_GET

    def counted(self: edge_module._EdgeHandler) -> None:
        agent = (self.headers.get("User-Agent") or "-").split("/")[0]
        kind = "playlist" if self.path.split("?", 1)[0].endswith(".m3u8") else "segment"
        with lock:
            counts[f"{agent}|{kind}"] += 1
        original(self)

    handler.do_GET = counted  # type: ignore[method-assign]
    stacks = [EmulatedStack(StackConfig.local(segment_length_s, demuxed=demuxed)) for _ in range(streams)]
    try:
        for stack in stacks:
            stack.start()
        print(json.dumps([stack.playback_url for stack in stacks]), flush=True)
        for _ in sys.stdin:
            with lock:
                print(json.dumps(dict(counts)), flush=True)
    finally:
        for stack in stacks:
            stack.stop()
    return 0


# The drill's watcher: every stream's viewer in one process, until stdin closes. Run with -c, so that --viewer-root
# can run another checkout's viewer the same way (an older one, to compare; it may lack playlists-only mode).
WATCH = r"""
import inspect, sys
from fixtures.attribution import NoAttribution
from fixtures.viewer import Viewer
length, mode, urls = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
options = {"fetch_segments": mode == "segments"} if "fetch_segments" in inspect.signature(Viewer).parameters else {}
if not options and mode != "segments":
    print("unsupported", flush=True)
    sys.exit(0)
viewers = [Viewer(url, NoAttribution(), segment_length_s=length, **options) for url in urls]
for viewer in viewers:
    viewer.start()
print("watching", flush=True)
try:
    sys.stdin.read()
finally:
    for viewer in viewers:
        viewer.stop()
"""


# -- measuring ----------------------------------------------------------------------------------------------


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Window:
    cpu_s: float
    requests: int
    playlists: int  # of the requests, those for playlists: the reload cadence
    seconds: float
    rss_mb: float
    peak_rss_mb: float


class Counts:
    def __init__(self, server: subprocess.Popen[str]) -> None:
        self.server = server

    def now(self) -> Counter[str]:
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.write("report\n")
        self.server.stdin.flush()
        return Counter(json.loads(self.server.stdout.readline()))


def measure(pids: dict[str, int], counts: Counts, agents: dict[str, tuple[str, ...]], seconds: float) -> dict[str, Window]:
    before_cpu = {name: cpu_s(pid) for name, pid in pids.items()}
    before_requests = counts.now()
    started = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - started
    after_requests = counts.now()
    def asked(names: tuple[str, ...], kind: str) -> int:
        return sum(after_requests[f"{agent}|{kind}"] - before_requests[f"{agent}|{kind}"] for agent in names)

    return {
        name: Window(
            cpu_s(pid) - before_cpu[name], asked(agents[name], "playlist") + asked(agents[name], "segment"),
            asked(agents[name], "playlist"), elapsed, rss_mb(pid), rss_mb(pid, "VmHWM"),
        )
        for name, pid in pids.items()
    }


# -- the peer -----------------------------------------------------------------------------------------------


def peer_problem(peer_dir: Path | None) -> str | None:
    if peer_dir is None:
        return "no --peer-dir given"
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not (peer_dir / "dist" / "index.js").exists() or not (peer_dir / "example.js").exists():
        return f"{peer_dir} has no built hls-monitor (dist/index.js, example.js)"
    return None


def start_peer(peer_dir: Path, port: int, urls: list[str], interval_ms: int) -> subprocess.Popen[bytes]:
    peer = subprocess.Popen(
        ["node", "example.js"], cwd=peer_dir, env={**os.environ, "PORT": str(port)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    # One monitor per stream: a monitor loads its streams one after another, so one monitor for all of them would
    # reload each rendition less often than every interval, and be cheaper for it.
    deadline = time.monotonic() + 30
    for url in urls:
        body = json.dumps({"streams": [url], "monitor_interval": interval_ms, "stale_limit": 6 * interval_ms}).encode()
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/monitor", data=body, headers={"Content-Type": "application/json"}, method="POST"
                )
                with urllib.request.urlopen(request, timeout=5) as response:  # loopback only
                    if response.status == 201:
                        break
            except OSError:
                if time.monotonic() > deadline or peer.poll() is not None:
                    peer.kill()
                    raise RuntimeError(f"hls-monitor in {peer_dir} did not accept a monitor on port {port}") from None
                time.sleep(0.2)
    return peer


def rendition_count(url: str) -> int:
    from checks.hls_parse import parse_multivariant

    with urllib.request.urlopen(url, timeout=5) as response:  # loopback only
        return len(parse_multivariant(response.read(), url).rendition_uris)


# -- the report ---------------------------------------------------------------------------------------------


def per_rendition_minute(window: Window, renditions: int) -> float:
    return window.cpu_s / renditions / (window.seconds / 60)


def report(mode: str, windows: dict[str, Window], renditions: int, streams: int, length: float) -> list[str]:
    drill = windows["drill"]
    drill_playlists = drill.playlists
    drill_cost = per_rendition_minute(drill, renditions)
    minutes = drill.seconds / 60
    lines = [
        f"mode {mode}: {streams} stream(s), {renditions} renditions, L = {length:g} s, {drill.seconds:.0f} s window",
        f"  drill viewer   CPU {drill.cpu_s:6.2f} s = {1000 * drill_cost:7.1f} ms per rendition per minute; "
        f"{drill.requests} requests ({1000 * drill.cpu_s / max(1, drill.requests):.2f} ms CPU each), "
        f"{drill_playlists / renditions / minutes:.0f} playlist reloads per rendition per minute; "
        f"RSS {drill.rss_mb:.0f} MB (peak {drill.peak_rss_mb:.0f} MB) for {streams} stream(s) in one process",
        f"  renditions per core at L = {length:g} s: {60 / drill_cost:.0f}" if drill_cost > 0 else "  renditions per core: n/a",
    ]
    peer = windows.get("peer")
    if peer is not None:
        peer_cost = per_rendition_minute(peer, renditions)
        peer_reloads = peer.playlists / (renditions + streams) / minutes  # it reloads each multivariant every round too
        lines.append(
            f"  hls-monitor    CPU {peer.cpu_s:6.2f} s = {1000 * peer_cost:7.1f} ms per rendition per minute; "
            f"{peer.requests} requests ({1000 * peer.cpu_s / max(1, peer.requests):.2f} ms CPU each), "
            f"{peer_reloads:.0f} reloads per rendition per minute; RSS {peer.rss_mb:.0f} MB"
        )
        ratio = drill_cost / peer_cost if peer_cost > 0 else math.inf
        # At the same reload cadence: the peer's cost scaled to the drill's playlist reloads per rendition.
        drill_reloads = drill_playlists / renditions / minutes
        same = drill_cost / (peer_cost * drill_reloads / peer_reloads) if peer_cost > 0 and peer_reloads > 0 else math.inf
        lines.append(
            f"  ratio drill / hls-monitor: {ratio:.2f}x CPU per rendition per minute as run; "
            f"{same:.2f}x at the same reload cadence (the peer's cost scaled to the drill's reloads)"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        return serve(int(argv[1]), float(argv[2]), argv[3] == "demuxed")
    parser = argparse.ArgumentParser(prog="./drill benchmark streams", description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=5, help="emulated streams (default 5)")
    parser.add_argument("--segment-length", type=float, default=1.0, help="L in seconds (default 1)")
    parser.add_argument("--seconds", type=float, default=60.0, help="measuring window per mode (default 60)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before each window (default 5)")
    parser.add_argument("--modes", default="playlists,segments", help="watch modes to measure (default playlists,segments)")
    parser.add_argument("--muxed", action="store_true", help="muxed streams (4 variants each) instead of demuxed (8 renditions)")
    parser.add_argument("--peer-dir", type=Path, help="a built Eyevinn hls-monitor checkout (see above)")
    parser.add_argument("--viewer-root", type=Path, default=ROOT, help="the checkout whose viewer to measure (default this one)")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= {"playlists", "segments"}:
        parser.error(f"--modes takes playlists and/or segments, got {args.modes!r}")
    python = sys.executable
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [python, "-m", "benchmarks.streams_bench", "serve", str(args.streams), str(args.segment_length),
         "muxed" if args.muxed else "demuxed"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )
    peer: subprocess.Popen[bytes] | None = None
    try:
        assert server.stdout is not None
        urls = json.loads(server.stdout.readline())
        renditions = rendition_count(urls[0]) * len(urls)
        counts = Counts(server)
        problem = peer_problem(args.peer_dir)
        if problem is None:
            assert args.peer_dir is not None
            interval_ms = 1000 * math.ceil(args.segment_length)  # the target duration: the drill's cadence after a change
            peer = start_peer(args.peer_dir, free_port(), urls, interval_ms)
        else:
            print(f"hls-monitor not measured: {problem}. To get it: {GET_PEER}; then pass --peer-dir /tmp/hls-monitor")
        print(f"load while measuring: {os.getloadavg()[0]:.1f} (1-min load average, {os.cpu_count()} cores)")
        for mode in modes:
            watcher = subprocess.Popen(
                [python, "-c", WATCH, str(args.segment_length), mode, *urls],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=args.viewer_root,
                env={**os.environ, "PYTHONPATH": str(args.viewer_root.resolve())},
            )
            try:
                assert watcher.stdout is not None
                if watcher.stdout.readline().strip() != "watching":
                    print(f"mode {mode}: the viewer in {args.viewer_root} cannot watch playlists only; skipped")
                    continue
                time.sleep(args.warmup)
                pids = {"drill": watcher.pid} | ({"peer": peer.pid} if peer is not None else {})
                agents = {"drill": DRILL_AGENTS, "peer": (PEER_AGENT,)}
                windows = measure(pids, counts, agents, args.seconds)
            finally:
                watcher.communicate(timeout=60)
            for line in report(mode, windows, renditions, len(urls), args.segment_length):
                print(line, flush=True)
        print(f"load after: {os.getloadavg()[0]:.1f}")
    finally:
        if peer is not None:
            peer.terminate()
            peer.wait(timeout=10)
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
