"""The reports people look at: timeline artifacts, the HTML report (rendered in headless Chromium), the summary."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.drill_runner import run_drill

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags that keep a headless Chromium off the network (it otherwise calls home at start).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def pause_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real chaos scenario and one preflight scenario, with their reports. At L = 1 s: at 0.5 s the viewer
    reloads every two segments and can miss the two before a resumed pipeline's fresh window (a real segment-gap)."""
    workdir = tmp_path_factory.mktemp("reports")
    run = run_drill(["-k", "pipeline_0_paused or viewer_sees"], workdir)
    assert run.returncode == 0, run.output[-3000:]
    assert "failover drill summary" in run.output
    row = next(line for line in run.output.splitlines() if line.startswith("test_pipeline_0_paused_in_primary_region"))
    # verdict; failover and fail-back with their uncertainty, both for a pipeline 0 rendition (the ones
    # that left the primary), never pipeline 1's; no stall
    assert re.search(r"PASSED\s+\d+\.\d\d s ±\d+\.\d\d \(p0/\w+\)\s+\d+\.\d\d s ±\d+\.\d\d \(p0/\w+\)\s+0\s", row), row
    return workdir


@pytest.mark.together
@pytest.mark.takes(20)
def test_each_scenario_leaves_a_timeline_artifact(pause_run: Path) -> None:
    artifacts = {p.name: json.loads(p.read_text()) for p in (pause_run / "timelines").glob("*.json")}
    assert set(artifacts) == {"test_pipeline_paused.test_pipeline_0_paused_in_primary_region.json",
                              "test_preflight.test_viewer_sees_a_healthy_live_stream.json"}
    pause = artifacts["test_pipeline_paused.test_pipeline_0_paused_in_primary_region.json"]
    assert pause["outcome"] == "passed" and pause["primary"] == "local-east" and pause["segment_length_s"] == 1.0
    assert [f["name"] for f in pause["faults"]] == ["pause local-east/pipeline 0"]
    fault = pause["faults"][0]
    assert fault["applied_s"] <= fault["apply_returned_s"] < fault["undo_started_s"] <= fault["undo_returned_s"]
    origins = {o["origin"] for o in pause["observations"]}
    assert {"local-east", "local-west"} <= origins  # the failover is in the data, not only in a verdict
    assert all(o["t_s"] >= 0 for o in pause["observations"])
    figures = pause["figures"]
    assert isinstance(figures["failover"]["s"], float) and isinstance(figures["failback"]["uncertainty_s"], float)
    moved = {m["rendition"] for m in figures["renditions"] if m["failover"]}
    assert moved and all(r.startswith("p0/") for r in moved), moved  # pipeline 1 never left the primary
    assert all(isinstance(m["edge_truth_failback_s"], float) for m in figures["renditions"] if m["failover"])


@pytest.mark.together
@pytest.mark.takes(1)
def test_the_html_report_is_one_self_contained_file(pause_run: Path) -> None:
    page = (pause_run / "drill-report.html").read_text()
    assert page.count("<svg") == 2 and "pause local-east/pipeline 0" in page and "failover " in page
    assert "<script" not in page and "src=" not in page and "url(" not in page
    assert not re.search(r'href="(?!#)', page), "the report links to something outside itself"


@pytest.mark.together
@pytest.mark.takes(5)
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs Debian's chromium)")
def test_the_html_report_renders_in_headless_chromium(pause_run: Path) -> None:
    report = pause_run / "drill-report.html"
    shot = ROOT / "reports" / "selftest-report-screenshot.png"
    shot.parent.mkdir(exist_ok=True)
    shot.unlink(missing_ok=True)
    profile = pause_run / "chromium-profile"
    common = [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1200,1400"]
    subprocess.run([*common, f"--screenshot={shot}", report.as_uri()], capture_output=True, timeout=120, check=True)
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 30_000, "the screenshot is missing or blank"
    dom = subprocess.run([*common, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
    assert dom.count("<svg") == 2 and "pipeline 0 paused in the primary region" in dom


def test_the_junit_schema_refuses_what_dashboards_cannot_read(tmp_path: Path) -> None:
    from tests.drill_runner import assert_valid_junit

    good = ('<testsuites><testsuite name="failover-drill" tests="1" failures="0" errors="0">'
            '<testcase classname="scenarios.x" name="t" time="1.5"><properties><property name="stall_count" value="0"/>'
            '</properties></testcase></testsuite></testsuites>')
    (tmp_path / "good.xml").write_text(good)
    assert_valid_junit(tmp_path / "good.xml")
    for broken in (good.replace(' value="0"', ""), good.replace('time="1.5"', 'time="soon"'), good.replace('tests="1" ', "")):
        (tmp_path / "bad.xml").write_text(broken)
        with pytest.raises(AssertionError, match="is not valid JUnit"):
            assert_valid_junit(tmp_path / "bad.xml")
