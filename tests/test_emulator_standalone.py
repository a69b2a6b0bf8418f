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
