"""The drill end to end: all scenarios pass on the correct stack and carry their JUnit properties;
each misconfiguration makes the expected scenario fail for the expected reason; a bare URL is watched
read-only; bad settings are refused by name."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from fixtures.emulator import Misconfiguration
from fixtures.routing import RoutingMode
from tests.conftest import MakeStack
from tests.drill_runner import ROOT, run_drill, run_drill_in_process
from tests.readme import WHOLE_DRILL_COMMANDS, readme_command

pytest_plugins = ["pytester"]  # in-process pytest runs: the refused settings, the misconfiguration matrix

CHAOS_PROPERTIES = {"time_to_failover_s", "failover_uncertainty_s", "failover_rendition", "time_to_failback_s",
                    "failback_uncertainty_s", "failback_rendition", "edge_truth_failover_s", "edge_truth_failback_s",
                    "stall_count", "stall_s", "max_staleness_s", "requests", "errors"}
PAUSE = "test_pipeline_0_paused_in_primary_region"
CHAOS = [
    PAUSE,
    "test_primary_origin_broken[refuse]",
    "test_primary_origin_broken[error-status]",
    "test_primary_origin_broken[hang]",
    "test_primary_region_manifests_expired",
    "test_pipeline_0_lost_in_both_regions",
    "test_whole_primary_region_lost",
]

CONFIG = "test_control_plane_is_configured_for_failover"
SWITCH_OVER = "test_planned_switch_over_to_the_secondary_region_and_back"
DEAD_REGION = "test_switch_to_a_dead_region_is_carried_to_the_live_one"
PREFIXES = "test_every_prefix_reaches_its_origin"
ROUTING_SCENARIOS = {
    RoutingMode.ORIGIN_GROUP: [],
    RoutingMode.KVS: [SWITCH_OVER, DEAD_REGION],
    RoutingMode.PATH_PREFIX: [PREFIXES],
}

# switch -> [(scenario test name, words its failure must contain)]: what breaks, and the preflight that saw it coming
# The matrix runs at L = 0.5 s: the emulator's knobs scale with L, so each switch fails for the reason it must in
# half the time. Not everything scales: the target duration (so the staleness limit and the viewer's poll interval)
# stays 1 s. The whole drills hold healthy stacks to L = 1 s and 2 s.
MATRIX_L = 0.5
MATRIX: dict[Misconfiguration, list[tuple[str, list[str]]]] = {
    Misconfiguration.NO_ORIGIN_GROUP: [
        (PAUSE, ["edge never failed over", "403", "origin group"]),
        (CONFIG, ["TargetOriginId is 'origin-local-east', a single origin"]),
    ],
    Misconfiguration.FAILOVER_CODES_WITHOUT_4XX: [
        (PAUSE, ["edge never failed over", "HTTP 403", "failover criteria"]),
        (CONFIG, ["FailoverCriteria.StatusCodes lack [403, 404]"]),
    ],
    Misconfiguration.NO_MANIFEST_EXPIRY: [
        (PAUSE, ["edge never failed over", "stale for", "manifest-expiry rule"]),
        (CONFIG, ["manifest expiry is missing"]),
    ],
    Misconfiguration.EPOCH_LOCKING_OFF: [
        (PAUSE, ["continuity broke"]),
        ("test_both_regions_serve_the_same_epoch_locked_numbering", ["not epoch-locked", "program-date-time-off-epoch"]),
        (CONFIG, ["OutputLockingMode is PIPELINE_LOCKING"]),
    ],
    Misconfiguration.LONG_ERROR_CACHING: [
        # Fail-back takes about as long as the recovery watch, so it is reported as slow or as missing: both blame error caching.
        ("test_pipeline_0_lost_in_both_regions", ["fail-back", "error caching"]),
        (CONFIG, ["error caching for 404 is too long"]),
    ],
    Misconfiguration.NO_CORS_HEADERS: [
        ("test_edge_answers_with_cors_headers", ["no Access-Control-Allow-Origin", "hls.js"]),
    ],
    Misconfiguration.SLOW_ORIGIN_TIMEOUTS: [
        ("test_primary_origin_broken[hang]", ["failover", "longer than a segment"]),
        (CONFIG, [f"let a dead primary hold a request for up to {3 * 2 * MATRIX_L:g} s"]),  # 3 attempts x 2 L
    ],
}
# Switches of a routing by an edge function: the same, on a stack with that routing.
ROUTING_MATRIX: dict[tuple[Misconfiguration, RoutingMode], list[tuple[str, list[str]]]] = {
    (Misconfiguration.EDGE_FUNCTION_NOT_ASSOCIATED, RoutingMode.KVS): [
        (SWITCH_OVER, ["edge never failed over", "KVS active_region"]),
        (CONFIG, ["FunctionAssociations do not run playback-router at viewer-request"]),
    ],
    (Misconfiguration.KVS_UNKNOWN_ORIGIN, RoutingMode.KVS): [
        (SWITCH_OVER, ["edge never failed over", "'local-west-2'"]),
        (CONFIG, ["named 'local-west-2' in the stack, which is no origin the function can route to"]),
    ],
    (Misconfiguration.KVS_NO_FUNCTION_ORIGIN_GROUP, RoutingMode.KVS): [
        (DEAD_REGION, ["took viewers down", "outage", "HTTP 503"]),
    ],
    (Misconfiguration.EDGE_FUNCTION_NOT_ASSOCIATED, RoutingMode.PATH_PREFIX): [
        (PREFIXES, ["answered 403", "not the documented 502"]),
        (CONFIG, ["LambdaFunctionAssociations do not run", "at origin-request"]),
    ],
    (Misconfiguration.PREFIX_NOT_STRIPPED, RoutingMode.PATH_PREFIX): [
        (PREFIXES, ["the prefix is not stripped", "answered 403"]),
    ],
    (Misconfiguration.CDN_IDENTIFIER_MISSING, RoutingMode.PATH_PREFIX): [
        (PREFIXES, ["no X-MediaPackage-CDNIdentifier header", "answered 403"]),
    ],
    (Misconfiguration.CDN_IDENTIFIER_WRONG, RoutingMode.PATH_PREFIX): [
        (PREFIXES, ["X-MediaPackage-CDNIdentifier differs from the endpoint's secret (value not shown)", "answered 403"]),
    ],
}
QUALITY = "test_primary_input_quality_drop_moves_viewers_by_score"
DENIED = "test_primary_endpoint_denied_by_policy"
REGION_LOST = "test_whole_primary_region_lost"
MEDIAPACKAGE = ["--origin-kind", "mediapackage-v2", "--selection-criteria", "media-quality-based"]
# Switches of MediaPackage v2 origins with media-quality-based selection: run with MEDIAPACKAGE.
MEDIAPACKAGE_MATRIX: dict[Misconfiguration, list[tuple[str, list[str]]]] = {
    Misconfiguration.MQAR_WITH_LAMBDA_EDGE: [
        (QUALITY, ["kept viewers on the primary while its input quality was low", "edge never failed over"]),
        (CONFIG, ["include origin-request", "which turns media-quality-based selection off"]),
    ],
    Misconfiguration.QUALITY_SCORE_NOT_PUBLISHED: [
        (QUALITY, ["kept viewers on the primary while its input quality was low", "edge never failed over"]),
        (CONFIG, ["do not publish a score (PublishMQCS false)"]),
    ],
    Misconfiguration.ENDPOINT_ERRORS_ON_BOTH_REGIONS: [
        (CONFIG, ["ForceEndpointErrorConfiguration is set (['STALE_MANIFEST']) on the backup region too"]),
    ],
    Misconfiguration.FAILOVER_CODES_WITHOUT_4XX: [
        (REGION_LOST, ["edge never failed over", "HTTP 404", "failover criteria"]),
        (CONFIG, ["lack 404, which MQAR requires"]),
    ],
    Misconfiguration.NO_MANIFEST_EXPIRY: [
        (REGION_LOST, ["edge never failed over", "stale for"]),
        (CONFIG, ["enable ForceEndpointErrorConfiguration STALE_MANIFEST on the primary region's endpoint"]),
    ],
}
# (switch, routing, whether on MediaPackage v2 with MQAR) -> what must fail, and why
CASES: list[tuple[tuple[Misconfiguration, RoutingMode, bool], list[tuple[str, list[str]]]]] = (
    [((switch, RoutingMode.ORIGIN_GROUP, False), words) for switch, words in MATRIX.items()]
    + [((switch, routing, False), words) for (switch, routing), words in ROUTING_MATRIX.items()]
    + [((switch, RoutingMode.ORIGIN_GROUP, True), words) for switch, words in MEDIAPACKAGE_MATRIX.items()]
)


# Whole drills run in parallel, as `./drill -n N` runs them: the parallel plumbing (one JUnit file, every
# timeline, one table and report made in the controller) is proven on every whole drill, not on a toy run.
# Each worker starts its longest scenarios first (fixtures/parallel_order.py). Few workers: the self-tests are short
# of CPU, not of time, and a worker costs about a second of CPU; at L = 1 a whole drill takes 39 s and 12.6 s of
# CPU at -n 3, 32 s and 14.5 s at -n 4, 26 s and 14.4 to 16 s at -n 5. After the README's command, so it wins over
# the -n a command prints (pytest takes the last).
# Two whole drills at a time, not five: five at once (25 drill workers, each with its stack and viewer) starved
# the machine for a second and healthy drills recorded stalls. Each block runs one drill after another, and the
# blocks take about as long: the three at L = 1 and the one at L = 2 on 4 workers, MediaPackage v2 on 3.
WHOLE_DRILLS_A, WHOLE_DRILLS_B = "whole drills at L = 1", "whole drills at L = 2, MediaPackage v2"
WHOLE_DRILL_WORKERS = {WHOLE_DRILLS_A: ["-n", "4"], WHOLE_DRILLS_B: ["-n", "3"], "L=2": ["-n", "4"]}


def _per_rendition(reports: Path, scenario: str) -> str:
    """Each rendition's figures beside the edge's own, from the scenario's timeline: what a mismatch needs explained."""
    import json

    from fixtures.reporting.artifact import artifact_name

    found = sorted((reports / "timelines").glob(f"*.{artifact_name(scenario)}"))
    if not found:
        return f"no timeline for {scenario}"
    renditions = json.loads(found[0].read_text())["figures"]["renditions"]
    return "per rendition (viewer failover/fail-back s, edge truth failover/fail-back s): " + ", ".join(
        f"{r['rendition']} {(r['failover'] or {}).get('s')}/{(r['failback'] or {}).get('s')} "
        f"{r['edge_truth_failover_s']}/{r['edge_truth_failback_s']}"
        for r in renditions
    )


@pytest.mark.parametrize(
    "length,routing,variant",
    [pytest.param(length, routing, variant, id=variant, marks=[pytest.mark.takes(takes), pytest.mark.together(block)])
     for length, routing, variant, takes, block in (
        (1.0, RoutingMode.ORIGIN_GROUP, "L=1 scaled knobs", 36, WHOLE_DRILLS_A), (2.0, RoutingMode.ORIGIN_GROUP, "L=2 AWS whole-second knobs", 65, WHOLE_DRILLS_B),
        (1.0, RoutingMode.KVS, "L=1 routing kvs", 40, WHOLE_DRILLS_A), (1.0, RoutingMode.PATH_PREFIX, "L=1 routing path-prefix", 36, WHOLE_DRILLS_A),
    )],
)
def test_the_whole_drill_passes_on_the_correct_stack_and_agrees_with_the_edge(
    length: float, routing: RoutingMode, variant: str, tmp_path: Path
) -> None:
    """Every scenario passes with write skew on (those of other routings skip); each chaos scenario's
    fail-back figure is within max(0.1 L, one poll interval) of the edge's own record (its 10 Hz probe,
    not the viewer's requests), plus the probe's period, the resolution that record has. The planned
    switch-over's failover figure is held to the same standard. Run in parallel: one JUnit file, a timeline
    per scenario, and one summary table and HTML report naming every scenario. Each runs the README's own command
    for it (tests/readme.py) from outside the checkout, its printed words first, then -n and the segment length."""
    command = readme_command(WHOLE_DRILL_COMMANDS[variant])
    assert ("--routing" in command) == (routing is not RoutingMode.ORIGIN_GROUP)
    workers = WHOLE_DRILL_WORKERS["L=2" if length == 2.0 else WHOLE_DRILLS_A]
    run = run_drill([*workers, "--segment-length", f"{length:g}"], tmp_path, timeout_s=900, command=command)
    others = {name for mode, names in ROUTING_SCENARIOS.items() if mode is not routing for name in names} | {QUALITY, DENIED}
    failed = {name: case.message[:600] for name, case in run.cases.items() if case.outcome != "passed" and name not in others}
    assert run.returncode == 0 and not failed, f"{failed}\n{run.output[-3000:]}"
    assert all(run.cases[name].outcome == "skipped" for name in others), {n: run.cases[n].outcome for n in others}
    target = max(0.1 * length, math.ceil(length)) + 0.1
    switch = [SWITCH_OVER] if routing is RoutingMode.KVS else []
    for name in switch:
        properties = run.cases[name].properties
        measured, truth = properties["time_to_failover_s"], properties["edge_truth_failover_s"]
        assert measured and truth, f"{name}: failover {measured!r}, edge truth {truth!r}"
        assert abs(float(measured) - float(truth)) <= target, f"{name}: failover {measured} s, edge truth {truth} s"
    for name in CHAOS + switch:
        properties = run.cases[name].properties
        missing = CHAOS_PROPERTIES - set(properties)
        assert not missing, f"{name} lacks JUnit properties {missing}"
        measured, truth = properties["time_to_failback_s"], properties["edge_truth_failback_s"]
        assert measured and truth, f"{name}: fail-back {measured!r}, edge truth {truth!r}; {_per_rendition(tmp_path, name)}"
        assert abs(float(measured) - float(truth)) <= target, f"{name}: fail-back {measured} s, edge truth {truth} s; {_per_rendition(tmp_path, name)}"
        assert properties["failback_rendition"].startswith("p0/") or name != PAUSE, properties["failback_rendition"]
    timelines = sorted(p.name for p in (tmp_path / "timelines").glob("*.json"))
    extra = len(ROUTING_SCENARIOS[routing]) - (routing is RoutingMode.PATH_PREFIX)  # the prefix check writes no timeline
    assert len(timelines) == len(CHAOS) + 3 + extra, timelines  # + viewer, watch, stop
    report = (tmp_path / "drill-report.html").read_text()
    missing = [name for name in CHAOS + switch if name not in report]
    assert not missing, f"the HTML report lacks {missing}"
    summary = run.output[run.output.index("failover drill summary"):]
    assert summary.count("PASSED") == len(timelines), summary


@pytest.mark.takes(40)
@pytest.mark.together(WHOLE_DRILLS_B)
def test_the_whole_drill_passes_on_mediapackage_v2_with_media_quality_selection_and_agrees_with_the_edge(tmp_path: Path) -> None:
    """Behind MediaPackage v2 endpoints with MQAR: the quality drop moves viewers by score and back, the denied
    endpoint and the lost region fail over and back, pipeline losses are absorbed by input switching; what
    MediaPackage v2 cannot do skips, saying why. Figures agree with the edge's probe as above."""
    command = readme_command(WHOLE_DRILL_COMMANDS["mediapackage-v2 mqar"])
    assert command[1:] == MEDIAPACKAGE
    run = run_drill([*WHOLE_DRILL_WORKERS[WHOLE_DRILLS_B], "--segment-length", "1"], tmp_path, timeout_s=900, command=command)
    skipped = {"test_channel_stopped_is_reported_as_endlist", "test_primary_region_manifests_expired",
               "test_index_lists_both_pipelines_renditions", *(n for names in ROUTING_SCENARIOS.values() for n in names)}
    wrong = {name: (case.outcome, case.message[:600]) for name, case in run.cases.items()
             if case.outcome != ("skipped" if name in skipped else "passed")}
    assert run.returncode == 0 and not wrong, f"{wrong}\n{run.output[-3000:]}"
    for name in (QUALITY, DENIED, REGION_LOST):
        properties = run.cases[name].properties
        for way in ("failover", "failback"):
            measured, truth = properties[f"time_to_{way}_s"], properties[f"edge_truth_{way}_s"]
            assert measured and truth, f"{name}: {way} {measured!r}, edge truth {truth!r}"
            assert abs(float(measured) - float(truth)) <= 1.1, f"{name}: {way} {measured} s, edge truth {truth} s"


def _matrix_takes(expected: list[tuple[str, list[str]]]) -> float:
    """About how long a case runs: a chaos scenario 8 s at L = 0.5 (a dead primary's slow timeouts twice that), the
    read-only checks alone a moment."""
    if all(name in (CONFIG, PREFIXES, "test_edge_answers_with_cors_headers") for name, _ in expected):
        return 1
    return 16 if any("longer than a segment" in words for _, words_list in expected for words in words_list) else 8


@pytest.mark.parametrize(
    "case", [pytest.param(case, marks=pytest.mark.takes(_matrix_takes(expected))) for case, expected in CASES],
    ids=lambda c: f"{c[0].value} ({'mediapackage-v2 mqar' if c[2] else c[1].value})",
)
def test_misconfiguration_fails_the_expected_scenario_for_the_expected_reason(
    case: tuple[Misconfiguration, RoutingMode, bool], tmp_path: Path, pytester: pytest.Pytester
) -> None:
    switch, routing, mediapackage = case
    expected = dict(CASES)[case]
    selection = " or ".join(name.split("[")[0] for name, _ in expected)
    origins = MEDIAPACKAGE if mediapackage else []
    run = run_drill_in_process(
        ["--misconfigure", switch.value, "--routing", routing.value, *origins, "-k", selection, "--segment-length", f"{MATRIX_L:g}"],
        tmp_path, pytester,
    )
    assert run.returncode == 1, run.output[-3000:]
    for name, words in expected:
        case = run.cases.get(name)
        assert case is not None, f"{name} did not run: {sorted(run.cases)}"
        assert case.outcome == "failed", f"{name} should fail with {switch.value}, but {case.outcome}"
        missing = [w for w in words if w not in case.message]
        assert not missing, f"{name} failed without saying {missing}:\n{case.message[:1500]}"


@pytest.mark.takes(6)
def test_a_bare_playback_url_is_watched_read_only(make_stack: MakeStack, tmp_path: Path) -> None:
    stack = make_stack(0.5)
    run = run_drill(
        ["--stack", "url", "--playback-url", stack.playback_url, "--segment-length", "0.5",
         "--attribution-header", "X-Drill-Origin", "--watch-segments", "4"],
        tmp_path,
    )
    assert run.returncode == 0, run.output[-3000:]
    assert run.cases["test_watch"].outcome == "passed"
    assert run.cases["test_viewer_sees_a_healthy_live_stream"].outcome == "passed"
    assert run.cases["test_both_regions_serve_the_same_epoch_locked_numbering"].outcome == "skipped"
    assert "read-only" in run.cases[PAUSE].message and run.cases[PAUSE].outcome == "skipped"


@pytest.mark.takes(5)
def test_a_broken_stream_fails_the_watch(make_stack: MakeStack, tmp_path: Path) -> None:
    stack = make_stack(0.5, Misconfiguration.NO_MANIFEST_EXPIRY)
    stack.pause_pipeline(stack.primary, 0)
    stack.pause_pipeline(stack.secondary, 0)
    run = run_drill(
        ["--stack", "url", "--playback-url", stack.playback_url, "--segment-length", "0.5", "-m", "watch",
         "--watch-segments", "6"],
        tmp_path,
    )
    assert run.returncode == 1
    assert "playlist-stale" in run.cases["test_watch"].message


@pytest.mark.parametrize(
    "args,words",
    [
        (["--stack", "url"], "--stack url needs --playback-url"),
        (["--stack", "aws-ish"], "--stack must be one of"),
        (["--segment-length", "abc"], "--segment-length must be a number"),
        (["--misconfigure", "nonsense"], "--misconfigure 'nonsense' is not a known switch"),
        (["--stack", "url", "--playback-url", "ftp://x/y.m3u8", "--segment-length", "1"], "must be an http(s) URL"),
        (["--stack", "aws"], "--stack aws needs --stack-file"),
        (["--stack", "aws", "--stack-file", "no/such/stack.yaml"], "no/such/stack.yaml: cannot read it"),
        (["--stack", "aws", "--stack-file", "README.md"], "README.md: not valid YAML at line"),
        (["--stack", "aws", "--stack-file", "docs/iam-policy.json"], "docs/iam-policy.json: name is required"),
        (["--allow-chaos"], "--allow-chaos and --dry-run apply to --stack aws only"),
        (["--routing", "dns"], "--routing must be one of origin-group, kvs, path-prefix, got 'dns'"),
        (["--misconfigure", "kvs-unknown-origin"], "--misconfigure kvs-unknown-origin applies to --routing kvs, not origin-group"),
        (["--stack", "url", "--playback-url", "http://127.0.0.1:9/x.m3u8", "--segment-length", "1", "--routing", "kvs"],
         "--routing applies to the local stack only"),
        (["--stack", "url", "--playback-url", "http://127.0.0.1:9/x.m3u8", "--segment-length", "1", "-n", "2"],
         "-n (parallel scenarios) applies to the local stack only"),
        (["--origin-kind", "gcs"], "--origin-kind must be one of s3, mediastore, mediapackage-v2, got 'gcs'"),
        (["--selection-criteria", "media-quality-based"], "needs --origin-kind mediapackage-v2"),
        (["--misconfigure", "quality-score-not-published"], "applies to --origin-kind mediapackage-v2, not s3"),
        (["--origin-kind", "mediapackage-v2", "--misconfigure", "mqar-with-lambda-edge"],
         "applies to --selection-criteria media-quality-based"),
        (["--stack", "url", "--playback-url", "a=http://127.0.0.1:9/a.m3u8", "--playback-url", "b=http://127.0.0.1:9/b.m3u8",
          "--segment-length", "1", "--player", "hlsjs"], "--player plays one stream beside the viewer"),
        (["--stack", "url", "--playback-url", "a=http://127.0.0.1:9/a.m3u8", "--playback-url", "b=http://127.0.0.1:9/b.m3u8",
          "--segment-length", "1", "--swarm", "5", "--allow-swarm"], "--swarm loads one stream beside the viewer"),
    ],
)
def test_bad_settings_are_refused_by_name(
    args: list[str], words: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest's own main, in this process (a fresh interpreter per case cost 0.8 s of CPU, 20 times), from the
    checkout as run_drill runs it; the README commands prove the same refusals' path from a shell elsewhere."""
    monkeypatch.chdir(ROOT)  # relative paths (README.md, no/such/stack.yaml) are the user's, here the checkout's
    result = pytester.runpytest_inprocess(
        "-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT), str(ROOT / "scenarios"), "-p", "no:cacheprovider",
        *args, "-m", "preflight",
    )
    output = result.stdout.str() + "\n" + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR and words in output, output[-2000:]
    assert "Traceback" not in output


@pytest.mark.takes(12)  # the viewer's 10 s start-up limit, once: the watch's viewer tries once more after it
def test_an_unreachable_playback_url_fails_each_test_in_one_line(tmp_path: Path) -> None:
    from fixtures.emulator.http_server import free_port

    url = f"http://127.0.0.1:{free_port()}/live/index.m3u8"
    run = run_drill(["--stack", "url", "--playback-url", url, "--segment-length", "1", "-m", "preflight or watch"],
                    tmp_path, timeout_s=120)
    assert run.returncode == 1 and "Traceback" not in run.output, run.output[-3000:]
    failed = {name: case.message.strip() for name, case in run.cases.items() if case.outcome in ("failed", "error")}
    assert set(failed) >= {"test_viewer_sees_a_healthy_live_stream", "test_index_lists_both_pipelines_renditions",
                           "test_edge_answers_with_cors_headers", "test_watch"}, failed
    for name, message in failed.items():
        # The JUnit element's message attribute ("Failed: ...") and its body carry the same single line.
        lines = {line.strip().removeprefix("Failed: ") for line in message.splitlines() if line.strip()}
        assert len(lines) == 1, f"{name}: {message[:1500]}"
        assert url in message and ("connection was refused" in message or "Connection refused" in message), message
    assert "within 10 s" in failed["test_viewer_sees_a_healthy_live_stream"]  # the run's first viewer waits...
    assert "in one more try" in failed["test_watch"]  # ...and the next of that URL does not wait again


@pytest.mark.takes(12)  # the viewer's 10 s start-up limit, once
def test_a_wrong_playback_url_fails_each_test_in_one_line(make_stack: MakeStack, tmp_path: Path) -> None:
    """The edge answers, but not with a playlist (S3's 403 XML for a key that does not exist)."""
    stack = make_stack(0.5)
    url = stack.playback_url.replace("index.m3u8", "no-such-index.m3u8")
    run = run_drill(["--stack", "url", "--playback-url", url, "--segment-length", "0.5", "-m", "preflight or watch"],
                    tmp_path, timeout_s=120)
    assert run.returncode == 1 and "Traceback" not in run.output, run.output[-3000:]
    failed = {name: case.message.strip() for name, case in run.cases.items() if case.outcome in ("failed", "error")}
    assert "test_index_lists_both_pipelines_renditions" in failed and "test_viewer_sees_a_healthy_live_stream" in failed
    for name, message in failed.items():
        lines = {line.strip().removeprefix("Failed: ") for line in message.splitlines() if line.strip()}
        assert len(lines) == 1, f"{name}: {message[:1500]}"
