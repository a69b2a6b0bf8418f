"""The emulator runs on its own (for a person with ffplay, VLC or hls.js) and as the session fixture."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import requests

from fixtures.emulator import EmulatedStack

ROOT = Path(__file__).resolve().parent.parent


def test_standalone_command_prints_a_playback_url_that_plays_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "fixtures.emulator", "--segment-length", "0.5"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("playback URL: http://127.0.0.1:"), line
        url = line.split(": ", 1)[1].strip()
        response = requests.get(url, timeout=5)
        assert response.status_code == 200 and "#EXT-X-STREAM-INF" in response.text
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_standalone_command_rejects_a_bad_segment_length_by_name() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fixtures.emulator", "--segment-length", "0"],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 2 and "segment_length_s must be between" in result.stderr


def test_session_fixture_stack_answers(emulated_stack: EmulatedStack) -> None:
    assert requests.get(emulated_stack.playback_url, timeout=5).status_code == 200
    assert emulated_stack.playback_url.startswith("http://127.0.0.1:")


def test_a_burst_of_connects_never_waits_on_a_full_listen_backlog() -> None:
    """Connects land in the kernel's queue even while the accept loop waits for the GIL (a backlog of 5
    dropped SYNs and tripped the edge's sub-second connect timeout: a failover no real origin causes)."""
    import socket
    import threading

    from fixtures.emulator.http_server import LoopbackServer, QuietHandler

    server = LoopbackServer(QuietHandler, "burst")
    server.start()
    stop = threading.Event()

    def hold_the_gil() -> None:
        while not stop.is_set():
            sum(range(1000))

    burners = [threading.Thread(target=hold_the_gil) for _ in range(6)]
    for burner in burners:
        burner.start()
    failures: list[str] = []

    def connect() -> None:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=0.25).close()
        except OSError as exc:
            failures.append(str(exc))

    try:
        for _ in range(5):
            burst = [threading.Thread(target=connect) for _ in range(60)]
            for thread in burst:
                thread.start()
            for thread in burst:
                thread.join()
    finally:
        stop.set()
        for burner in burners:
            burner.join()
        server.stop()
    assert not failures, f"{len(failures)} of 300 connects timed out: {failures[:3]}"
