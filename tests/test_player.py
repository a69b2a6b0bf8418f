"""The real player beside the viewer (--player hlsjs): hls.js in Debian's Chromium, on the local stack.

These run only where Chromium, playwright and the pinned hls.js are installed (.ci/run installs them);
elsewhere they skip saying what is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.player import hlsjs
from tests.drill_runner import run_drill

MISSING = hlsjs.missing_piece()
needs_player = pytest.mark.skipif(MISSING is not None, reason=f"real player unavailable here: {MISSING}")


@pytest.mark.takes(26)
@needs_player
def test_a_healthy_stack_passes_with_the_player_and_its_figures_reach_junit(tmp_path: Path) -> None:
    # At L = 1 s, not 0.5: there the viewer reloads once per target duration (1 s, two segments), and a resumed
    # pipeline's fresh window can start past what it last saw from the secondary: a real segment-gap, by poll phase.
    run = run_drill(["--player", "hlsjs", "-k", "pipeline_0_paused or viewer_sees"], tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    case = run.cases["test_pipeline_0_paused_in_primary_region"]
    props = case.properties
    assert props["player"].startswith("hls.js 1.7.4") and props["player_started"] == "1"
    assert props["player_stall_count"] == "0" and props["player_ended"] == "0" and props["player_fatal_errors"] == "0"
    assert "real player" in run.output and "0 stalls" in run.output
    page = (tmp_path / "drill-report.html").read_text()
    assert "hls.js 1.7.4" in page and "player fragment" in page  # the player's lane and its legend


@pytest.mark.takes(30)
@needs_player
def test_a_real_players_stall_fails_a_scenario_and_says_what_it_saw(tmp_path: Path) -> None:
    """No manifest expiry: the paused pipeline's playlist stays 200 and stale, and hls.js runs dry."""
    run = run_drill(["--player", "hlsjs", "--misconfigure", "no-manifest-expiry", "-k", "pipeline_0_paused"], tmp_path)
    case = run.cases["test_pipeline_0_paused_in_primary_region"]
    assert case.outcome == "failed"
    assert "player-stalled" in case.message and "hls.js 1.7.4 stalled" in case.message, case.message[:3000]
    assert int(case.properties["player_stall_count"]) >= 1 and float(case.properties["player_stall_s"]) > 1.0


@pytest.mark.takes(30)
@needs_player
def test_an_edge_without_cors_headers_refuses_the_player_with_a_clear_message(tmp_path: Path) -> None:
    run = run_drill(["--player", "hlsjs", "--misconfigure", "no-cors-headers", "-k", "viewer_sees"], tmp_path)
    case = run.cases["test_viewer_sees_a_healthy_live_stream"]
    assert case.outcome == "failed"
    assert "never started playing" in case.message and "refused the cross-origin request" in case.message, case.message
    assert "Access-Control-Allow-Origin" in case.message


def test_an_unknown_player_is_refused_by_name(tmp_path: Path) -> None:
    run = run_drill(["--player", "vlc", "-m", "preflight"], tmp_path, timeout_s=60)
    assert run.returncode != 0 and "--player must be one of none, hlsjs, got 'vlc'" in run.output
    assert "Traceback" not in run.output


def test_a_missing_piece_is_named_in_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(hlsjs, "chromium_path", lambda: None)
    assert hlsjs.missing_piece() == "--player hlsjs needs Chromium: apt-get install chromium"
    monkeypatch.undo()
    monkeypatch.setattr(hlsjs, "HLS_JS", tmp_path / "absent" / "hls.min.js")
    if hlsjs.chromium_path() is not None:
        problem = hlsjs.missing_piece()
        assert problem is not None and "npm ci --prefix fixtures/player" in problem and "\n" not in problem
