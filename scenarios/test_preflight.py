"""Preflight (read-only): the stack is healthy before anything is broken."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import pytest
import requests

from checks.configuration import configuration_problems
from checks.epoch_lock import live_edge_on_epoch, origins_agree, program_date_time_on_epoch_grid
from checks.hls_parse import PlaylistUnreadable, parse_media_playlist, parse_multivariant
from checks.timeline import Observation, ResourceKind, Timeline
from fixtures.drill import Drill
from fixtures.stacks.base import Stack
from fixtures.verdict import (
    AVAILABILITY,
    CONTINUITY,
    EPOCH_LOCK,
    FRESHNESS,
    MEDIAPACKAGE_V2,
    assert_no_findings,
    assert_stalls_within_allowance,
    judge,
)

pytestmark = pytest.mark.preflight


def _fetched(url: str, headers: dict[str, str] | None = None) -> requests.Response:
    """GET a URL that must answer 200; anything else fails the test in one line naming the URL."""
    response = requests.get(url, headers=headers or {}, timeout=10)
    if response.status_code != 200:
        pytest.fail(f"{url} answered HTTP {response.status_code}, not a playlist; check the playback URL", pytrace=False)
    return response


@pytest.mark.phases(steady=4, fault=0, recovery=0)  # no fault: the steady state is all it watches
def test_viewer_sees_a_healthy_live_stream(drill: Drill) -> None:
    """Steady state: a viewer polling the playback URL for a few segments sees a live, continuous, epoch-locked stream.
    Fault: none (read-only).
    Expect: no continuity, epoch-lock, freshness or availability finding, and no stall (of the model player,
    nor of a real one where --player runs one).
    """
    result = drill.run("preflight: viewer")
    judge(
        result,
        lambda r: assert_no_findings(r, CONTINUITY | EPOCH_LOCK | FRESHNESS | AVAILABILITY, "the stream is not healthy"),
        assert_stalls_within_allowance,
    )


def test_both_regions_serve_the_same_epoch_locked_numbering(stack: Stack) -> None:
    """Steady state: every region's origin publishes every rendition.
    Fault: none (read-only; straight to each origin, bypassing the edge).
    Expect: each answers 200, numbering sits on the epoch grid, and the regions agree segment by segment.
    """
    if not stack.has_control_plane:
        pytest.skip(f"{stack.describe()} has no per-region view; only the edge can be checked")
    index = _fetched(stack.playback_url)
    renditions = [v.uri for v in parse_multivariant(index.content, stack.playback_url).variants]
    observations = []
    problems = []
    for region in stack.regions:
        for rendition in renditions:
            wall = datetime.now(timezone.utc)
            status, body, where = stack.region_manifest(region, rendition)
            if status != 200:
                problems.append(f"{region} {rendition}: {where} answered {status if status else 'nothing'}")
                continue
            try:
                playlist = parse_media_playlist(body, where)
            except PlaylistUnreadable as exc:
                problems.append(f"{region} {rendition}: {exc}")
                continue
            observations.append(
                Observation(wall, 0.0, where, ResourceKind.MEDIA_PLAYLIST, rendition, 200, None, 0.0,
                            origin=region, media_playlist=playlist)
            )
    assert not problems, "not every region serves every rendition:\n  " + "\n  ".join(problems)
    timeline = Timeline(tuple(observations))
    L = stack.segment_length_s
    findings = (
        program_date_time_on_epoch_grid(timeline, segment_length_s=L)
        + live_edge_on_epoch(timeline, segment_length_s=L)
        + origins_agree(timeline)
    )
    assert not findings, "regions are not epoch-locked alike:\n  " + "\n  ".join(str(f) for f in findings)


def test_control_plane_is_configured_for_failover(stack: Stack) -> None:
    """Steady state: the stack's own configuration (MediaLive, CloudFront, the origins), read-only.
    Fault: none.
    Expect: channels live, epoch-locked, PAUSE_OUTPUT, redundant manifests; an origin group of both regions
    whose codes, timeouts and error caching let failover and fail-back happen within a segment or so; a
    manifest-expiry mechanism. Each problem says what to fix.
    """
    facts = stack.configuration()
    if facts is None:
        pytest.skip(f"{stack.describe()} has no control plane to read")
    problems = configuration_problems(facts)
    assert not problems, f"{len(problems)} configuration problem(s) stop failover from working:\n  " + "\n  ".join(
        str(p) for p in problems
    )


def test_index_lists_both_pipelines_renditions(stack: Stack) -> None:
    """Steady state: the playback URL is a redundant index (seed 004, step 5).
    Fault: none (read-only).
    Expect: every rendition is listed at least twice with the same BANDWIDTH and RESOLUTION, one per pipeline.
    """
    if stack.origin_kind() == MEDIAPACKAGE_V2:
        pytest.skip("MediaPackage v2 merges both pipelines' inputs into one endpoint: its input switching replaces a redundant index")
    response = _fetched(stack.playback_url)
    variants = parse_multivariant(response.content, stack.playback_url).variants
    copies = Counter((v.bandwidth, v.resolution) for v in variants)
    single = [f"{bw} b/s {res}" for (bw, res), count in copies.items() if count < 2]
    assert not single, (
        f"the index lists these renditions only once, so a player has nowhere to switch when a pipeline is lost: "
        f"{', '.join(single)}; publish a static index listing both pipelines' renditions"
    )


def test_edge_answers_with_cors_headers(stack: Stack) -> None:
    """Steady state: browsers play the stream from another origin (seed 003).
    Fault: none (read-only).
    Expect: the multivariant and media playlists carry Access-Control-Allow-Origin.
    """
    index = _fetched(stack.playback_url, headers={"Origin": "https://player.example"})
    first = parse_multivariant(index.content, stack.playback_url).variants[0].uri
    media = requests.get(requests.compat.urljoin(stack.playback_url, first), headers={"Origin": "https://player.example"}, timeout=10)
    missing = [r.url for r in (index, media) if "Access-Control-Allow-Origin" not in r.headers]
    assert not missing, f"no Access-Control-Allow-Origin on {', '.join(missing)}: browser players (hls.js) will be refused"
