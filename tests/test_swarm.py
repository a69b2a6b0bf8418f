"""The viewer swarm (--swarm N): the crowd's arithmetic by hand, its Locust processes started and always
stopped, and the pause scenario with a crowd on a healthy and on a misconfigured local stack."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from checks.findings import Code
from checks.playback import simulate_playback
from fixtures.emulator.http_server import free_port
from fixtures.settings import _swarm
from fixtures.swarm.records import SwarmStall, SwarmSummary, ViewerRecord, swarm_findings, viewer_record
from fixtures.swarm.runner import Swarm, SwarmConfig, SwarmFailed
from tests.drill_runner import ROOT, run_drill
from tests.scripted import T0, Script, media_playlist

PAUSE = "test_pipeline_0_paused_in_primary_region"
# A small crowd: what is proven here does not need 200 (the README's benchmark measures that), and a load
# generator that needs little CPU is not starved when the suite shares two cores with other tests.
CROWD = 12
R = "p0/low.m3u8"


def _record(name: str, stalls: tuple[float, ...] = (), *, started: bool = True, watched_s: float = 20.0,
            errors: dict[str, int] | None = None) -> ViewerRecord:
    return ViewerRecord(
        viewer=name, rendition=R, started=started, startup_s=0.3 if started else None, watched_from=1000.0,
        watched_to=1000.0 + watched_s, requests=40, errors_by_status=errors or {},
        stalls=tuple(SwarmStall(1005.0 + i, s) for i, s in enumerate(stalls)),
    )


def test_the_crowds_distribution_is_nearest_rank_over_every_viewer() -> None:
    """Five viewers, worked by hand: stall seconds sorted are 0, 0, 1.5, 3.0 (1.0 + 2.0) and 10.0 (never started,
    so its whole 10 s watch); p50 is the 3rd of 5 (ceil 2.5), p95 the 5th (ceil 4.75); three of five stalled."""
    summary = SwarmSummary(wanted=5, workers=2, records=(
        _record("a"), _record("b", errors={"404": 3, "connection": 1}), _record("c", (1.5,)),
        _record("d", (1.0, 2.0), errors={"404": 1}), _record("e", started=False, watched_s=10.0),
    ))
    assert len(summary.stalled) == 3 and summary.stalled_share == pytest.approx(0.6)
    assert summary.never_started == 1 and summary.missing == 0
    assert summary.stall_percentile_s(0.50) == pytest.approx(1.5)
    assert summary.stall_percentile_s(0.95) == pytest.approx(10.0)
    assert summary.stall_percentile_s(1.0) == pytest.approx(10.0)
    assert summary.errors_text() == "404:4,connection:1"  # most frequent first
    assert SwarmSummary.from_json(json.loads(json.dumps(summary.to_json()))) == summary


def test_the_crowd_is_held_to_the_viewers_rule() -> None:
    """Beyond the allowance, or never started: a viewer-stalled finding naming the share; none for a calm crowd."""
    hurt = SwarmSummary(wanted=5, workers=0, records=(
        _record("a"), _record("b"), _record("c", (1.5,)), _record("d", (1.0, 2.0)), _record("e", started=False, watched_s=10.0),
    ))
    (finding,) = swarm_findings(hurt, allowance_s=2.0)  # c's 1.5 s is within it; d's 3.0 s and e are not
    assert finding.code is Code.VIEWER_STALLED
    assert finding.message.startswith("2 of 5 swarm viewers (40%) stalled beyond the allowance of 2.0 s"), finding.message
    assert "1 never started" in finding.message
    calm = SwarmSummary(wanted=3, workers=0, records=(_record("a"), _record("b"), _record("c")))
    assert swarm_findings(calm, allowance_s=0.0) == []
    short = SwarmSummary(wanted=4, workers=2, records=(_record("a"), _record("b")), notes=("a worker died",))
    (lost,) = swarm_findings(short, allowance_s=0.0)
    assert lost.code is Code.VIEWER_NEVER_STARTED and lost.message.startswith("2 of 4 swarm viewers never reported a watch: a worker died")


def test_a_swarm_viewer_is_judged_by_the_drills_stall_model() -> None:
    """By hand: the first playlist lists 10..14, so play starts at 12 (three target durations behind), which
    arrives at 0.25 s; 12, 13, 14 play until 3.25 s; 15 arrives at 5.0 s: one stall of 1.75 s at 3.25 s."""
    s = Script()
    s.multivariant(0.0)
    s.playlist(0.1, R, media_playlist(10, 5))
    for i, n in enumerate((12, 13, 14)):
        s.segment(0.2 + 0.1 * i, R, n)
    s.playlist(2.0, R, "", status=404)
    s.playlist(4.9, R, media_playlist(11, 5))
    s.segment(4.95, R, 15)
    record = viewer_record("v1", s.observations)
    assert record.started and record.startup_s == pytest.approx(0.25)
    assert [(stall.at, round(stall.seconds, 6)) for stall in record.stalls] == [(pytest.approx((T0 + timedelta(seconds=3.25)).timestamp()), 1.75)]
    assert record.stall_s == pytest.approx(simulate_playback(s.timeline()).stall_s)  # one model, not a copy
    assert record.errors_by_status == {"404": 1} and record.requests == 8  # 1 multivariant, 3 playlists, 4 segments
    assert record.watched_to - record.watched_from == pytest.approx(5.0)


class _Options:
    def __init__(self, numprocesses: int | None = None, **given: object) -> None:
        self.given = {"--swarm": None, "--swarm-workers": None, "--swarm-remote-workers": None, "--swarm-master": None,
                      "--allow-swarm": False, **given}
        self.option = SimpleNamespace(numprocesses=numprocesses)

    def getoption(self, name: str) -> object:
        return self.given[name]


@pytest.mark.parametrize(("given", "stack", "words"), [
    ({"--swarm": "0"}, "local", "--swarm must be at least 1, got '0'"),
    ({"--swarm": "abc"}, "local", "--swarm must be a whole number, got 'abc'"),
    ({"--swarm": "5", "--swarm-workers": "-1"}, "local", "--swarm-workers must be at least 0, got '-1'"),
    ({"--swarm-workers": "2"}, "local", "--swarm-workers needs --swarm N"),
    ({"--swarm": "5", "--swarm-master": "5557"}, "local", "--swarm-master must be HOST:PORT, got '5557'"),
    ({"--swarm": "5"}, "url", "--swarm against --stack url needs --allow-swarm"),
    ({"--swarm": "5"}, "aws", "--swarm against --stack aws needs --allow-swarm"),
    ({"--swarm": "5", "--swarm-remote-workers": "2"}, "local", "--swarm-remote-workers needs --swarm-master HOST:PORT"),
    ({"--swarm": "5", "--swarm-remote-workers": "2", "--swarm-master": "10.0.0.5:5557", "numprocesses": 4}, "local",
     "--swarm-master and --swarm-remote-workers name one master"),
])
def test_bad_swarm_settings_are_refused_by_name(given: dict[str, object], stack: str, words: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRILL_SWARM", raising=False)
    with pytest.raises(pytest.UsageError) as refused:
        _swarm(_Options(**given), stack)  # type: ignore[arg-type]
    assert str(refused.value).startswith(words), str(refused.value)


def test_good_swarm_settings_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRILL_SWARM", raising=False)
    config = _swarm(_Options(**{"--swarm": "200", "--swarm-workers": "2", "--swarm-master": "10.0.0.5:5557"}), "local")  # type: ignore[arg-type]
    assert config == SwarmConfig(200, workers=2, master_host="10.0.0.5", master_port=5557)
    allowed = _swarm(_Options(**{"--swarm": "5", "--allow-swarm": True}), "url")  # type: ignore[arg-type]
    assert allowed == SwarmConfig(5)
    remote = _swarm(_Options(**{"--swarm": "9", "--swarm-remote-workers": "3", "--swarm-master": "10.0.0.5:5557"}), "local")  # type: ignore[arg-type]
    assert remote is not None and remote.describe().endswith(
        "on each remote machine run: ./drill swarm --worker --master-host 10.0.0.5 --master-port 5557")


def test_a_bad_swarm_value_stops_the_drill_in_one_line(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q", "--swarm", "abc",
         f"--reports-dir={tmp_path}"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 4, completed.stdout + completed.stderr
    assert "ERROR: --swarm must be a whole number, got 'abc'" in completed.stderr, completed.stderr
    assert "Traceback" not in completed.stderr


def _running_in(directory: Path) -> list[int]:
    """Processes whose working directory is inside ``directory`` (every swarm process runs in its swarm directory)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(Path(os.readlink(entry / "cwd"))).startswith(str(directory)):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _wait_for(condition: Callable[[], bool], limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"not true within {limit_s:g} s"
        time.sleep(0.05)


@pytest.mark.takes(6)
def test_a_swarm_stopped_at_any_moment_leaves_nothing_running(tmp_path: Path) -> None:
    """An error or Ctrl-C before the swarm reported: close() stops and reaps the master and both workers."""
    dead = f"http://127.0.0.1:{free_port()}/live/index.m3u8"  # nothing listens: the viewers keep trying to start
    swarm = Swarm(SwarmConfig(4, workers=2), dead, 1.0, tmp_path / "swarm")
    swarm.start()
    try:
        assert len(swarm.processes) == 3 and _running_in(tmp_path)
        _wait_for(lambda: swarm.status().get("workers") == 2 and swarm.status().get("spawned") == 4)  # all mid-watch
    finally:
        swarm.close()
    assert swarm.processes == [] and _running_in(tmp_path) == []


def test_a_swarm_process_that_dies_is_named_with_its_last_words(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        swarm = Swarm(SwarmConfig(4, workers=1, master_port=port), "http://127.0.0.1:9/x.m3u8", 1.0, tmp_path / "swarm")
        swarm.start()
        try:
            with pytest.raises(SwarmFailed, match=r"the swarm's master process exited with code \d+: "):
                swarm.wait_until_watching(60, lambda line: None)
        finally:
            swarm.close()
    assert _running_in(tmp_path) == []


def _artifact(workdir: Path) -> dict[str, object]:
    return dict(json.loads(next((workdir / "timelines").glob("*paused*.json")).read_text()))


@pytest.mark.takes(18)
def test_a_crowd_on_a_healthy_stack_sees_no_stall(tmp_path: Path) -> None:
    """A crowd in one Locust process beside the pause scenario: none stalls, none errs; JUnit, artifact and
    HTML report carry the distribution; nothing is left running."""
    run = run_drill(["-k", "paused", "--swarm", str(CROWD)], tmp_path)
    case = run.cases[PAUSE]
    assert case.outcome == "passed", run.output[-3000:]
    p = case.properties
    assert (p["swarm_viewers"], p["swarm_workers"], p["swarm_stalled"], p["swarm_errors"]) == (str(CROWD), "0", "0", "0"), p
    assert p["swarm_stall_max_s"] == "0" and p["swarm_stalled_share"] == "0.0" and int(p["swarm_requests"]) > CROWD * 10
    swarm = _artifact(tmp_path)["figures"]["swarm"]  # type: ignore[index]
    assert swarm["viewers"] == CROWD and swarm["stalled"] == 0
    report = (tmp_path / "drill-report.html").read_text()
    assert "viewer swarm" in report and "no swarm viewer stalled" in report
    assert _running_in(tmp_path) == []


@pytest.mark.takes(18)
def test_a_crowd_on_a_misconfigured_stack_stalls_on_a_master_and_two_workers(tmp_path: Path) -> None:
    """No manifest expiry: the primary's stale playlist answers 200, the edge never fails over, and every viewer
    that started on pipeline 0 (all of them, as hls.js starts on a level's first URL) runs dry."""
    run = run_drill(["-k", "paused", "--swarm", str(CROWD), "--swarm-workers", "2", "--misconfigure", "no-manifest-expiry"], tmp_path)
    case = run.cases[PAUSE]
    assert case.outcome == "failed", run.output[-3000:]
    assert f"{CROWD} of {CROWD} swarm viewers (100%) stalled beyond the allowance" in case.message, case.message[-3000:]
    p = case.properties
    assert (p["swarm_viewers"], p["swarm_workers"], p["swarm_stalled"]) == (str(CROWD), "2", str(CROWD)), p
    assert float(p["swarm_stall_p50_s"]) > 1.0 and float(p["swarm_stall_max_s"]) >= float(p["swarm_stall_p95_s"]), p
    document = _artifact(tmp_path)
    assert document["figures"]["swarm"]["stalled_share"] == 1.0  # type: ignore[index]
    assert max(n for _, n in document["swarm"]["stalled_over_time"]) == CROWD  # type: ignore[index]
    report = (tmp_path / "drill-report.html").read_text()
    assert "viewers stalled" in report and f"{CROWD} (100.0%)" in report
    assert _running_in(tmp_path) == []
