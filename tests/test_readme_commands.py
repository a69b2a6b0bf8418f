"""Every command the README prints runs as printed from a directory outside the checkout.

Each command is taken from the README's ``sh`` blocks, its leading ``./drill`` replaced by the
absolute path of the checkout's ``drill``, and run with the working directory set to a temporary
directory elsewhere, so relative paths (``event.yaml``) are the user's. Offline stand-ins replace
what needs the outside world: moto on loopback for AWS (the stack file is written where the command
expects it), the emulator's URL for a public playback URL. The commands that run the whole local drill
are run whole from elsewhere, their printed words first, by tests/test_drill_runs.py (tests/readme.py names them);
the other commands that start a drill are narrowed with ``-k`` to one scenario: what is proven here is
that they start, parse and run from elsewhere.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.emulator import EmulatedStack, StackConfig
from fixtures.player.hlsjs import missing_piece
from tests.moto_world import FAKE_ENV, PRIMARY, Mirror, build_world, moto_server, reset_schedules
from tests.readme import WHOLE_DRILL_COMMANDS, readme_commands

ROOT = Path(__file__).resolve().parent.parent
NARROW = ["-k", "viewer_sees"]


COMMANDS = readme_commands()
RUN_HERE = [c for c in COMMANDS if c not in WHOLE_DRILL_COMMANDS.values()]


def test_the_readme_commands_are_the_ones_this_file_knows() -> None:
    """A new README command needs a way to run here; this fails until it has one."""
    unknown = [c for c in COMMANDS if _plan(c) is None]
    assert not unknown, f"README commands this test does not know how to run offline: {unknown}"


def _plan(command: str) -> tuple[list[str], str] | None:
    """(extra arguments that narrow or stand in, what kind of stand-in it needs), or None when unknown."""
    words = shlex.split(command)
    if words[0] != "./drill":
        return None
    if command in WHOLE_DRILL_COMMANDS.values():
        return [], "whole"  # run whole from elsewhere, its printed words first, by tests/test_drill_runs.py
    rest = words[1:]
    if rest == ["selftest"]:
        return [], "self"  # this very suite
    if rest[:1] == ["emulator"]:
        return [], "foreground"
    if rest[:2] == ["benchmark", "emulator"]:
        return ["--seconds", "1"], "plain"  # the last --seconds wins: one second of the edge at full load, not five
    if rest[:2] == ["benchmark", "accuracy"]:
        return ["--", *NARROW], "plain"
    if rest[:2] == ["benchmark", "speed"]:
        # The self-tests inside the self-tests would never end; two workers for the one narrowed scenario.
        return ["--skip-selftest", "--workers", "2", "--", *NARROW, "--segment-length", "0.5"], "plain"
    if rest[:2] == ["benchmark", "fuzz"]:
        return ["--examples", "30"], "plain"
    if rest[:2] == ["benchmark", "streams"]:
        # One stream, playlists only, a few seconds; no peer (an absent --peer-dir is part of what is shown).
        return ["--streams", "1", "--seconds", "2", "--warmup", "1", "--modes", "playlists", "--peer-dir", "/nonexistent"], "plain"
    if rest[:2] == ["benchmark", "swarm"]:
        return ["--sizes", "5", "--keyword", "viewer_sees"], "plain"  # small and short: the README shows the measured sizes
    if rest[:2] == ["benchmark", "player"]:
        return ["--switch", "none", "--", *NARROW], "player"
    if "--stack-file" in rest:
        if "--allow-chaos" in rest:
            return ["-k", "origin_broken and error"], "aws"
        if "--dry-run" in rest:
            return ["-m", "chaos"], "aws"  # the faults' printed plans; the read-only scenarios are the preflight's
        return [], "aws"
    if "--streams-file" in rest:
        return [], "streams"
    if "--playback-url" in rest:
        return [], "url"
    if "--swarm" in rest:
        return ["--swarm", "10", *NARROW], "plain"  # the last --swarm and -k win: a small crowd, a short scenario
    if "--player" in rest:
        return NARROW, "player"
    return None


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatedStack]:
    """At L = 1 s, as the stack file of the AWS stand-in says its channels are."""
    with EmulatedStack(StackConfig.local(1.0)) as stack:
        yield stack


@pytest.fixture(scope="module")
def public_stream() -> Iterator[EmulatedStack]:
    """The stand-in for a public playback URL, at L = 0.5 s: a watch of a few segments takes half the time."""
    with EmulatedStack(StackConfig.local(0.5)) as stack:
        yield stack


def _run(words: list[str], cwd: Path, env: dict[str, str], timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(words, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)


def _takes(command: str) -> float:
    """About how many seconds the command runs here on a quiet machine: the longest start first (tests/conftest.py)."""
    plan = _plan(command)
    kind = plan[1] if plan else "plain"
    words = shlex.split(command)
    if kind == "aws":
        return 18 if "--allow-chaos" in words else 15 if "-m" in words else 11 if "--dry-run" in words else 4
    if kind in ("player", "url"):
        return {"player": 12, "url": 7}[kind]
    if words[1:2] == ["benchmark"]:
        return {"emulator": 3, "streams": 5, "fuzz": 8, "accuracy": 7, "swarm": 10, "speed": 10}.get(words[2], 10)
    return {"selftest": 0, "emulator": 1}.get(words[1], 11 if "--swarm" in words else 4)


@pytest.mark.parametrize("command", [pytest.param(c, marks=pytest.mark.takes(_takes(c))) for c in RUN_HERE])
def test_readme_command_runs_as_printed_from_outside_the_checkout(
    command: str, emulator: EmulatedStack, public_stream: EmulatedStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _plan(command)
    assert plan is not None
    extra, kind = plan
    if kind == "self":
        pytest.skip("./drill selftest is this very suite")
    if kind == "player" and missing_piece() is not None:
        pytest.skip(f"real player unavailable here: {missing_piece()}")
    words = shlex.split(command)
    words[0] = str(ROOT / "drill")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {**os.environ}
    if kind == "url":
        for url_at in [i + 1 for i, word in enumerate(words) if word == "--playback-url"]:
            name = words[url_at].split("=", 1)[0] if "=" in words[url_at].split("://", 1)[0] else None
            words[url_at] = f"{name}={public_stream.playback_url}" if name else public_stream.playback_url  # stand-in for the public URL
        words[words.index("--segment-length") + 1] = "0.5"
        words += ["--watch-segments", "4"]
    if kind == "streams":
        streams_at = words.index("--streams-file") + 1
        stand_in = tmp_path / Path(words[streams_at]).name  # stand-in for the event's file, with the emulator's URL
        stand_in.write_text(f"segment_length_s: 0.5\nstreams:\n  - {{name: ch-1, url: '{public_stream.playback_url}'}}\n"
                            f"  - {{name: ch-2, url: '{public_stream.playback_url}'}}\n")
        words[streams_at] = str(stand_in)
        words += ["--watch-segments", "4"]
    if kind == "foreground":
        _run_in_foreground(words, outside, env)
        return
    if kind == "aws":
        with moto_server() as endpoint:
            env |= {**FAKE_ENV, "AWS_ENDPOINT_URL": endpoint}
            env.pop("AWS_PROFILE", None)
            for name, value in env.items():
                monkeypatch.setenv(name, value)
            reset_schedules()
            (tmp_path / "world").mkdir()
            world = build_world(tmp_path / "world", emulator.playback_url)
            policy_before = world.bucket_policy(PRIMARY)
            (outside / "event.yaml").write_text(world.stack_file.read_text())  # where the command expects it
            if "--allow-chaos" in words:
                _allow_chaos(outside / "event.yaml")
            with Mirror(emulator):
                result = _run(words + extra, outside, env)
            if "--allow-chaos" in words:
                # Offline, the fault lands in moto while the stream comes from the emulator, so the edge never
                # fails over: what counts here is that the chaos ran from elsewhere and was undone exactly.
                output = result.stdout + result.stderr
                assert result.returncode == 1 and "deny s3:GetObject on bucket" in output, output[-3000:]
                assert "edge never failed over" in output and "Traceback" not in output, output[-3000:]
                assert world.bucket_policy(PRIMARY) == policy_before, "the bucket policy was not restored"
                return
    else:
        result = _run(words + extra, outside, env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{command!r} from {outside} exited {result.returncode}:\n{_failures(output)}{output[-3000:]}"
    assert "Traceback" not in output, output[-3000:]


def _failures(output: str) -> str:
    """The start of pytest's failures section, which the output's tail (the summary) does not show."""
    at = output.find("= FAILURES =")
    return output[at : at + 3000] + "\n...\n" if at >= 0 else ""


def _allow_chaos(path: Path) -> None:
    import yaml

    document = yaml.safe_load(path.read_text())
    document["chaos"] = {"allowed": True}
    path.write_text(yaml.safe_dump(document))


def _run_in_foreground(words: list[str], cwd: Path, env: dict[str, str]) -> None:
    """A server command: it must print its playback URL, then stop cleanly on SIGTERM."""
    process = subprocess.Popen(words, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("playback URL:"):
                break
        assert any(line.startswith("playback URL: http://127.0.0.1:") for line in lines), "".join(lines)
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
        assert process.returncode == 0 and "Traceback" not in rest, rest
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.takes(6)
@pytest.mark.parametrize("form", ["--opt value, absolute", "--opt=value, relative"])
def test_option_values_work_in_both_forms_and_both_kinds_of_path(form: str, emulator: EmulatedStack, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    reports = outside / "my-reports"
    if form.startswith("--opt value"):
        args = ["--stack", "url", "--playback-url", emulator.playback_url, "--segment-length", "1", "--reports-dir", str(reports)]
    else:
        args = ["--stack=url", f"--playback-url={emulator.playback_url}", "--segment-length=1", "--reports-dir=my-reports"]
    result = _run([str(ROOT / "drill"), *args, "-m", "watch", "--watch-segments", "3"], outside, {**os.environ})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert (reports / "junit.xml").exists() and (reports / "timelines").is_dir(), sorted(outside.rglob("*"))
