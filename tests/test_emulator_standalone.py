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
    """Connects land in the kernel's queue even while the accept loop is not accepting (it waits for the GIL
    on a loaded machine): a backlog of 5 dropped SYNs and tripped the edge's sub-second connect timeout, a
    failover no real origin causes. Here nothing accepts at all, so only the listen backlog holds the burst;
    with socketserver's default of 5, the seventh connect times out."""
    import socket

    from fixtures.emulator.http_server import QuietHandler, _Server

    server = _Server(("127.0.0.1", 0), QuietHandler)  # the emulator's server class, listening; nothing accepts
    held: list[socket.socket] = []
    failures: list[str] = []
    try:
        for _ in range(60):
            try:
                held.append(socket.create_connection(server.server_address, timeout=0.25))
            except OSError as exc:
                failures.append(str(exc))
    finally:
        for connection in held:
            connection.close()
        server.server_close()
    assert not failures, f"{len(failures)} of 60 connects timed out: {failures[:3]}"
