"""Every finding code fires on a timeline built to provoke it, and stays quiet on its near miss."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from checks import CheckSettings, run_checks
from checks.findings import Code, Finding
from checks.timeline import Timeline
from tests.scripted import MULTIVARIANT, Script, media_playlist, newest_complete, ts_packet_with_pts

R = "p0/low.m3u8"
ALT = "p1/low.m3u8"
SETTINGS = CheckSettings(segment_length_s=1.0, primary="primary", secondary="secondary")
Case = Callable[[], tuple[Timeline, CheckSettings]]


def _two_polls(first_body: str, second_body: str, second_origin: str = "secondary") -> tuple[Timeline, CheckSettings]:
    s = Script()
    s.playlist(0.0, R, first_body)
    s.playlist(1.0, R, second_body, origin=second_origin)
    return s.timeline(), SETTINGS


def _edge(t: float = 0.0) -> int:
    return newest_complete(t)


def _window(first_offset: int = -4, **options: object) -> str:
    return media_playlist(_edge() + first_offset, 5, **options)  # type: ignore[arg-type]


def _failover(secondary_from: float | None, primary_back_from: float | None, **budgets: float) -> Case:
    """Healthy primary; fault at 5 s, undone at 10 s; the secondary serves from/until the given times."""

    def build() -> tuple[Timeline, CheckSettings]:
        s = Script()

        def origin(t: float) -> str:
            if secondary_from is not None and t >= secondary_from:
                if primary_back_from is None or t < primary_back_from:
                    return "secondary"
            return "primary"

        s.multivariant(0.0)
        s.watch(R, 0.0, 15.0, origin=origin)
        s.fault("pause-pipeline-0", 5.0, 10.0)
        return s.timeline(), CheckSettings(
            segment_length_s=1.0, primary="primary", secondary="secondary", **budgets
        )

    return build


def _stale_primary_after_fault() -> tuple[Timeline, CheckSettings]:
    s = Script()
    s.watch(R, 0.0, 5.0)
    frozen = media_playlist(_edge(5.0) - 4, 5)
    for i in range(20):
        s.playlist(5.0 + i * 0.5, R, frozen)
    s.fault("pause-pipeline-0", 5.0, None)
    return s.timeline(), SETTINGS


def _healthy(rendition: str = R, stop: float = 10.0) -> Case:
    def build() -> tuple[Timeline, CheckSettings]:
        s = Script()
        s.multivariant(0.0)
        s.watch(rendition, 0.0, stop)
        return s.timeline(), SETTINGS

    return build


def _frozen_then_resumed() -> tuple[Timeline, CheckSettings]:
    s = Script()
    s.multivariant(0.0)
    s.watch(R, 0.0, 5.0)
    frozen = media_playlist(_edge(5.0) - 4, 5)
    for i in range(10):
        s.playlist(5.0 + i * 0.5, R, frozen)
    s.watch(R, 10.0, 15.0)
    return s.timeline(), SETTINGS


def _all_errors() -> tuple[Timeline, CheckSettings]:
    s = Script()
    s.multivariant(0.0)
    for i in range(10):
        s.playlist(i * 0.5, R, "", status=404)
    return s.timeline(), SETTINGS


def _stale_for(seconds: float) -> Case:
    def build() -> tuple[Timeline, CheckSettings]:
        s = Script()
        body = _window()
        t = 0.0
        while t <= seconds + 1e-9:
            s.playlist(t, R, body)
            t += 0.5
        s.playlist(t, R, _window(-3))
        return s.timeline(), CheckSettings()

    return build


def _segment(body: bytes) -> Case:
    def build() -> tuple[Timeline, CheckSettings]:
        s = Script()
        s.segment(0.0, R, _edge(), body=body)
        return s.timeline(), SETTINGS

    return build


def _one(body: str | bytes, settings: CheckSettings = SETTINGS) -> Case:
    def build() -> tuple[Timeline, CheckSettings]:
        s = Script()
        s.playlist(0.0, R, body)
        return s.timeline(), settings

    return build


def _segments_across_origins(secondary_pts_shift: int) -> Case:
    def build() -> tuple[Timeline, CheckSettings]:
        s = Script()
        n = _edge()
        s.segment(0.0, R, n, origin="primary")
        s.segment(0.1, R, n, origin="secondary", body=ts_packet_with_pts((n * 90_000 + secondary_pts_shift) % (1 << 33)))
        return s.timeline(), CheckSettings()

    return build


def _played(*, stall: tuple[float, float] | None = None, started: bool = True, fatal_code: int | None = None,
            model_frozen: bool = False) -> Case:
    """A healthy watch with hls.js beside it; optionally the player stalls, never starts, or the model freezes."""

    def build() -> tuple[Timeline, CheckSettings]:
        s = Script()
        s.multivariant(0.0)
        if model_frozen:
            s.watch(R, 0.0, 5.0)
            frozen = media_playlist(_edge(5.0) - 4, 5)
            for i in range(10):
                s.playlist(5.0 + 0.5 * i, R, frozen)
            s.watch(R, 10.0, 14.0)
        else:
            s.watch(R, 0.0, 14.0)
        s.player(0.2, "load")
        if fatal_code is not None:
            s.player(0.4, "error", fatal=True, details="networkError/manifestLoadError", code=fatal_code, url="https://edge.test/live/index.m3u8")
        if started:
            s.player(1.0, "playing")
            if stall is not None:
                s.player(stall[0], "stall_start")
                s.player(stall[1], "stall_end")
        for t in range(2, 14):
            s.player(float(t), "frag_loaded", level=0, sequence=_edge(float(t)))
        return s.timeline(), SETTINGS

    return build


def _outage() -> tuple[Timeline, CheckSettings]:
    s = Script()
    s.playlist(0.0, R, _window())
    s.playlist(0.5, R, b"Not Found", status=404)
    s.playlist(1.0, R, "", error="connect: connection refused")
    s.playlist(1.5, R, _window(-3))
    return s.timeline(), SETTINGS


FIRES: dict[Code, Case] = {
    Code.PLAYLIST_MALFORMED: _one(b"<html><head><title>502 Bad Gateway</title></head></html>"),
    Code.SEGMENT_MALFORMED: _segment(b"<html>Access Denied</html>"),
    Code.MEDIA_SEQUENCE_MISSING: _one(_window(media_sequence_tag=False)),
    Code.MEDIA_SEQUENCE_DECREASED: lambda: _two_polls(_window(), _window(-6)),
    Code.MEDIA_SEQUENCE_STEPPED_BACK: lambda: _two_polls(_window(), _window(-5), second_origin="secondary"),
    Code.PLAYLIST_SHRANK: lambda: _two_polls(_window(), media_playlist(_edge() - 4, 3), second_origin="primary"),
    Code.SEGMENT_GAP: lambda: _two_polls(_window(), _window(3)),
    Code.SEGMENT_SKIPPED_AT_RESTART: lambda: _two_polls(_window(), media_playlist(_edge() + 2, 1)),
    Code.SEGMENT_URI_CHANGED: lambda: _two_polls(_window(), _window(name=lambda n: f"other_{n}.ts")),
    Code.SEGMENT_DURATION_CHANGED: lambda: _two_polls(_window(), _window(duration=lambda n: 0.96)),
    Code.DISCONTINUITY_SEQUENCE_DECREASED: lambda: _two_polls(
        _window(discontinuity_sequence=3), _window(-3, discontinuity_sequence=2)
    ),
    Code.DISCONTINUITY_NUMBER_CHANGED: lambda: _two_polls(
        _window(discontinuity_sequence=0, discontinuity_before=[_edge() - 3]),
        _window(-2, discontinuity_sequence=0),
    ),
    Code.TARGET_DURATION_CHANGED: lambda: _two_polls(_window(), _window(-3, target=2)),
    Code.ENDLIST_ON_LIVE: _one(_window(endlist=True)),
    # Only the first segment tagged: m3u8 extrapolates the rest, which must not count as tagged.
    Code.PROGRAM_DATE_TIME_MISSING: _one(_window(pdt_only_first=True)),
    Code.PROGRAM_DATE_TIME_OFF_EPOCH: _one(_window(pdt_shift_s=0.5)),
    Code.LIVE_EDGE_OFF_EPOCH: _one(_window(-14)),
    Code.PTS_OFF_EPOCH: _segment(ts_packet_with_pts(((_edge()) * 90_000 + 45_000) % (1 << 33))),
    Code.ORIGINS_DISAGREE: _segments_across_origins(90_000),
    Code.PLAYLIST_STALE: _stale_for(2.0),
    Code.PLAYLIST_TOO_SHORT: _one(media_playlist(_edge() - 1, 2)),
    Code.EXTINF_ABOVE_TARGET: _one(_window(duration=lambda n: 1.6)),
    Code.OUTAGE: _outage,
    Code.FAILOVER_MISSING: _stale_primary_after_fault,
    Code.FAILOVER_SLOW: _failover(8.0, 11.0, failover_budget_s=1.0),
    Code.FAILBACK_MISSING: _failover(6.0, None),
    Code.FAILBACK_SLOW: _failover(6.0, 13.0, failback_budget_s=1.0),
    Code.VIEWER_STALLED: _frozen_then_resumed,
    Code.VIEWER_NEVER_STARTED: _all_errors,
    Code.PLAYER_STALLED: _played(stall=(6.0, 7.5)),
    Code.PLAYER_NEVER_STARTED: _played(started=False, fatal_code=0),
    Code.PLAYER_MODEL_DISAGREE: _played(model_frozen=True),  # the model stalls; hls.js played on
}


QUIET: dict[Code, Case] = {
    Code.PLAYLIST_MALFORMED: _one(_window()),
    Code.SEGMENT_MALFORMED: _segment(ts_packet_with_pts(_edge() * 90_000 % (1 << 33))),
    Code.MEDIA_SEQUENCE_MISSING: _one(_window()),
    Code.MEDIA_SEQUENCE_DECREASED: lambda: _two_polls(_window(), _window(-3)),
    # The same one-segment step back without an origin switch is no skew: it is a decrease (an error).
    Code.MEDIA_SEQUENCE_STEPPED_BACK: lambda: _two_polls(_window(), _window(-5), second_origin="primary"),
    # The same window again, or one segment back at an origin switch (write skew), is no shrink.
    Code.PLAYLIST_SHRANK: lambda: _two_polls(_window(), _window(-5), second_origin="secondary"),
    Code.SEGMENT_GAP: lambda: _two_polls(_window(), _window(1)),
    # The same skip from the same origin is no restart seen through a switch: it stays a segment gap (an error).
    Code.SEGMENT_SKIPPED_AT_RESTART: lambda: _two_polls(_window(), media_playlist(_edge() + 2, 1), second_origin="primary"),
    Code.SEGMENT_URI_CHANGED: lambda: _two_polls(_window(), _window(-3)),
    Code.SEGMENT_DURATION_CHANGED: lambda: _two_polls(_window(), _window(-3, duration=lambda n: 1.0004)),
    Code.DISCONTINUITY_SEQUENCE_DECREASED: lambda: _two_polls(
        _window(discontinuity_sequence=3), _window(-3, discontinuity_sequence=3)
    ),
    Code.DISCONTINUITY_NUMBER_CHANGED: lambda: _two_polls(
        _window(discontinuity_sequence=0, discontinuity_before=[_edge() - 3]),
        _window(-2, discontinuity_sequence=1),
    ),
    Code.TARGET_DURATION_CHANGED: lambda: _two_polls(_window(), _window(-3)),
    Code.ENDLIST_ON_LIVE: _one(_window()),
    Code.PROGRAM_DATE_TIME_MISSING: _one(_window()),
    Code.PROGRAM_DATE_TIME_OFF_EPOCH: _one(_window(pdt_shift_s=0.05)),
    Code.LIVE_EDGE_OFF_EPOCH: _one(_window(-6)),
    Code.PTS_OFF_EPOCH: _segment(ts_packet_with_pts(_edge() * 90_000 % (1 << 33))),
    Code.ORIGINS_DISAGREE: _segments_across_origins(0),
    Code.PLAYLIST_STALE: _stale_for(1.5),
    Code.PLAYLIST_TOO_SHORT: _one(media_playlist(_edge() - 2, 3)),
    Code.EXTINF_ABOVE_TARGET: _one(_window(duration=lambda n: 1.4, target=1)),
    Code.OUTAGE: _healthy(),
    Code.FAILOVER_MISSING: _failover(6.0, 11.0),
    Code.FAILOVER_SLOW: _failover(6.0, 11.0, failover_budget_s=2.0),
    Code.FAILBACK_MISSING: _failover(6.0, 11.0),
    Code.FAILBACK_SLOW: _failover(6.0, 11.0, failback_budget_s=2.0),
    Code.VIEWER_STALLED: _healthy(),
    Code.VIEWER_NEVER_STARTED: _healthy(),
    Code.PLAYER_STALLED: _played(),
    Code.PLAYER_NEVER_STARTED: _played(),
    Code.PLAYER_MODEL_DISAGREE: _played(stall=(6.0, 12.0), model_frozen=True),  # both stalled: they agree
}


def _codes(findings: list[Finding]) -> list[Code]:
    return [f.code for f in findings]


def test_every_code_has_a_firing_and_a_quiet_case() -> None:
    assert set(FIRES) == set(Code), f"codes without a firing case: {set(Code) - set(FIRES)}"
    assert set(QUIET) == set(Code), f"codes without a quiet case: {set(Code) - set(QUIET)}"


@pytest.mark.parametrize("code", list(Code), ids=lambda c: c.value)
def test_code_fires(code: Code) -> None:
    timeline, settings = FIRES[code]()
    findings = run_checks(timeline, settings)
    fired = [f for f in findings if f.code is code]
    assert fired, f"{code.value} did not fire; findings were: {[str(f) for f in findings]}"
    for finding in fired:
        assert finding.message and finding.evidence and finding.severity


@pytest.mark.parametrize("code", list(Code), ids=lambda c: c.value)
def test_code_stays_quiet_on_near_miss(code: Code) -> None:
    timeline, settings = QUIET[code]()
    findings = run_checks(timeline, settings)
    assert code not in _codes(findings), [str(f) for f in findings if f.code is code]


def test_a_wait_under_a_tenth_of_a_second_is_a_hiccup_not_a_stall() -> None:
    from checks.player import player_run

    timeline, settings = _played(stall=(6.0, 6.05))()
    run = player_run(timeline)
    assert run is not None and run.stalls == () and len(run.hiccups) == 1
    assert Code.PLAYER_STALLED not in _codes(run_checks(timeline, settings))


def test_a_short_wait_ended_by_seeking_over_a_hole_is_a_hiccup_but_a_long_one_is_a_stall() -> None:
    from checks.player import player_run

    def waited(until: float) -> Timeline:
        s = Script()
        s.multivariant(0.0)
        s.watch(R, 0.0, 12.0)
        s.player(1.0, "playing")
        s.player(6.0, "stall_start")
        s.player(6.0 + (until - 6.0) * 0.9, "error", fatal=False, details="mediaError/bufferSeekOverHole")
        s.player(until, "stall_end")
        return s.timeline()

    short, long = player_run(waited(6.2)), player_run(waited(7.5))
    assert short is not None and short.stalls == () and "seeked over a hole" in short.hiccups[0].cause
    assert long is not None and len(long.stalls) == 1 and long.stall_s == pytest.approx(1.5)


def test_a_player_refused_by_cors_says_so() -> None:
    timeline, settings = _played(started=False, fatal_code=0)()
    found = [f for f in run_checks(timeline, settings) if f.code is Code.PLAYER_NEVER_STARTED]
    assert "refused the cross-origin request" in found[0].message and "Access-Control-Allow-Origin" in found[0].message


def test_a_player_that_reached_endlist_stays_stalled_to_the_end() -> None:
    from checks.player import player_run

    s = Script()
    s.multivariant(0.0)
    s.watch(R, 0.0, 10.0)
    s.player(1.0, "playing")
    s.player(6.0, "ended")
    run = player_run(s.timeline())
    assert run is not None and run.ended and run.stalls[-1].cause == "ended at EXT-X-ENDLIST"
    assert run.stalls[-1].seconds == pytest.approx(10.0 - 0.5 + 0.05 - 6.0, abs=0.01)  # to the last answer


def test_media_sequence_tag_is_a_line_not_a_substring() -> None:
    body = _window(media_sequence_tag=False).replace("seg_", "seg_x?tag=#EXT-X-MEDIA-SEQUENCE:7&n=", 1)
    timeline, settings = _one(body)()
    assert Code.MEDIA_SEQUENCE_MISSING in _codes(run_checks(timeline, settings))


def test_healthy_two_rendition_watch_has_no_findings_at_all() -> None:
    s = Script()
    s.multivariant(0.0, MULTIVARIANT)
    s.watch(R, 0.0, 10.0)
    s.watch(ALT, 0.02, 10.0)
    assert [str(f) for f in run_checks(s.timeline(), SETTINGS)] == []


@pytest.mark.parametrize("third_poll_cached,stale", [(True, False), (False, True)], ids=["cache hit", "from the origin"])
def test_a_manifest_the_edge_cached_is_not_counted_stale_for_its_cache_time(third_poll_cached: bool, stale: bool) -> None:
    """A healthy stack's timeline that once failed the whole drill (L = 2 s, manifests cached for 1 s): the window
    first seen at 0 s, fetched fresh again at 2.0 s just before the next segment landed, then a cache hit (Age 0,
    max-age 1) at 3.001 s, and the next window at 4.0 s. The hit proves only that its copy was fetched within the
    second before; the origin had the window for at least 2.0 s, inside 1.5 x 2 s. The same three polls answered
    by the origin itself prove 3.001 s, past the limit."""
    from checks.timeline import ResponseHeaders

    first = newest_complete(0.0, 2.0) - 4
    body, after = media_playlist(first, length=2.0), media_playlist(first + 1, length=2.0)
    hit = ResponseHeaders(cache_status="Hit from cloudfront", age=0, max_age=1, attribution="primary")
    s = Script()
    s.playlist(0.0, R, body)
    s.playlist(2.0, R, body)
    s.playlist(3.001, R, body, **({"headers": hit} if third_poll_cached else {}))
    s.playlist(4.0, R, after)
    findings = [f for f in run_checks(s.timeline(), SETTINGS) if f.code is Code.PLAYLIST_STALE]
    assert bool(findings) is stale, findings


@pytest.mark.parametrize("max_age", [1, None], ids=["past its max-age", "no max-age declared"])
def test_a_cdn_serving_one_copy_on_and_on_is_stale(max_age: int | None) -> None:
    """The origin answered once; then the CDN kept serving that copy, its Age growing past the lifetime the
    response declared (or with none declared: CloudFront's default TTL is a day). That is the CDN's own
    staleness, and the viewer's: it must count."""
    from checks.timeline import ResponseHeaders

    first = newest_complete(0.0, 2.0) - 4
    body = media_playlist(first, length=2.0)
    s = Script()
    s.playlist(0.0, R, body)
    for age in range(1, 8):
        s.playlist(float(age), R, body, headers=ResponseHeaders(cache_status="Hit from cloudfront", age=age, max_age=max_age))
    findings = [f for f in run_checks(s.timeline(), SETTINGS) if f.code is Code.PLAYLIST_STALE]
    assert findings, "a copy served 7 s past its fetch was not found stale"


@pytest.mark.parametrize("alt_moves,whole_stream,missing", [
    (False, True, True),  # a routing-key switch that moved one rendition: the other never failed over
    (False, False, False),  # a fault that may move some renditions only (a paused pipeline): no finding
    (True, True, False),  # the switch moved every rendition
])
def test_a_switch_of_the_whole_stream_fails_over_every_rendition(alt_moves: bool, whole_stream: bool, missing: bool) -> None:
    """A one-off answer from the secondary for one rendition (a slow primary, under load) is not a switch-over."""
    s = Script()
    s.multivariant(0.0)
    s.watch(R, 0.0, 15.0, origin=lambda t: "secondary" if 6.0 <= t < 11.0 else "primary")
    s.watch(ALT, 0.0, 15.0, origin=lambda t: "secondary" if alt_moves and 6.5 <= t < 11.0 else "primary")
    s.fault("switch the active region to secondary", 5.0, 10.0)
    settings = CheckSettings(segment_length_s=1.0, primary="primary", secondary="secondary", every_rendition_moves=whole_stream)
    found = [f for f in run_checks(s.timeline(), settings) if f.code is Code.FAILOVER_MISSING]
    assert bool(found) == missing, found
    if missing:
        assert found[0].rendition == ALT and f"1 of 2 renditions ({ALT}), though {R} did" in found[0].message, found[0].message


def _one_segment_late(late_s: float) -> Timeline:
    """A healthy watch but for one segment that arrives ``late_s`` after it was listed (the viewer fetched it late)."""
    s = Script()
    s.multivariant(0.0)
    fetched: set[int] = set()
    t = 0.0
    while t < 12.0 - 1e-9:
        last = newest_complete(t)
        s.playlist(t, R, media_playlist(last - 4, 5))
        for n in range(last - 4, last + 1):
            if n not in fetched:
                fetched.add(n)
                s.segment(t + 0.06 + (late_s if n == newest_complete(6.0) else 0.0), R, n)
        t = round(t + 0.5, 6)
    return s.timeline()


@pytest.mark.parametrize("late_s,stalled", [(2.05, False), (2.08, False), (2.12, True), (2.5, True)])
def test_the_model_player_counts_a_wait_under_a_tenth_of_a_second_as_a_hiccup(late_s: float, stalled: bool) -> None:
    """The same rule as the real player's: a 2.05 s late segment, 0.05 s past its play time, is a hiccup no viewer
    sees (a loaded machine's viewer fetches that late by itself: one failed a healthy whole drill in CI); 0.12 s
    is a stall."""
    from checks.playback import simulate_playback

    timeline = _one_segment_late(late_s)
    playback = simulate_playback(timeline, R)
    assert bool(playback.stalls) == stalled and bool(playback.hiccups) != stalled, (playback.stalls, playback.hiccups)
    assert (Code.VIEWER_STALLED in _codes(run_checks(timeline, SETTINGS))) == stalled
