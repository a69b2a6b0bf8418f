"""Measured failover/fail-back times and the player model's arithmetic."""

from __future__ import annotations

import pytest

from checks.failover import measure_failover
from checks.playback import simulate_playback, viewer_never_stalls
from tests.scripted import Script, media_playlist, newest_complete

R, ALT = "p0/low.m3u8", "p1/low.m3u8"


def _failover_script(secondary_from: float, primary_back_from: float) -> Script:
    s = Script()
    s.multivariant(0.0)
    s.watch(
        R, 0.0, 15.0, origin=lambda t: "secondary" if secondary_from <= t < primary_back_from else "primary"
    )
    s.fault("pause-pipeline-0", 5.0, 10.0)
    return s


def test_failover_and_failback_times_are_measured_from_the_marks() -> None:
    s = _failover_script(6.5, 12.0)
    timeline = s.timeline()
    measure = measure_failover(timeline, timeline.faults[0], primary="primary", secondary="secondary")
    # first secondary answer is a playlist sent at 6.5 s and answered 0.05 s later
    assert measure.failover_s == pytest.approx(1.55)
    assert measure.failback_s == pytest.approx(2.05)
    assert measure.left_primary and measure.back_on_primary


def test_failback_waits_until_traffic_stays_on_the_primary() -> None:
    s = _failover_script(6.0, 11.0)
    s.segment(12.5, R, newest_complete(12.5), origin="secondary")  # a straggler from the secondary's cache
    timeline = s.timeline()
    measure = measure_failover(timeline, timeline.faults[0], primary="primary", secondary="secondary")
    assert measure.failback_s == pytest.approx(3.05)


def test_healthy_playback_starts_three_target_durations_behind_and_never_stalls() -> None:
    s = Script()
    s.multivariant(0.0)
    s.watch(R, 0.0, 20.0)
    timeline = s.timeline()
    playback = simulate_playback(timeline)
    assert playback.started and playback.stalls == ()
    # first segment request at 0.06 s, answered 0.05 s later
    assert playback.startup_s == pytest.approx(0.11)
    assert timeline.end is not None and timeline.start is not None
    assert playback.played_s == pytest.approx(timeline.end - timeline.start - 0.11)
    assert playback.rebuffer_ratio == 0.0


def test_freeze_longer_than_the_buffer_stalls_for_the_uncovered_time() -> None:
    s = Script()
    s.multivariant(0.0)
    s.watch(R, 0.0, 5.0)
    frozen = media_playlist(newest_complete(5.0) - 4, 5)
    for i in range(12):
        s.playlist(5.0 + i * 0.5, R, frozen)
    s.watch(R, 11.0, 20.0)
    playback = simulate_playback(s.timeline())
    assert len(playback.stalls) == 1
    # Segments stop arriving after 4.11 s and resume at 11.11 s; the ~3 s buffer covers the start
    # of that 7 s hole, and the player skips the segments that slid out of the window meanwhile.
    assert playback.stall_s == pytest.approx(4.0)
    assert 0 < playback.rebuffer_ratio < 0.3
    assert viewer_never_stalls(s.timeline(), allowance_s=playback.stall_s + 0.1) == []


def test_player_switches_to_redundant_rendition_when_its_own_errors() -> None:
    s = Script()
    s.multivariant(0.0)
    s.watch(R, 0.0, 5.0)
    for i in range(20):
        s.playlist(5.0 + i * 0.5, R, b"", status=404)
    s.watch(ALT, 0.02, 15.0)
    playback = simulate_playback(s.timeline())
    assert playback.renditions == (R, ALT)
    assert playback.stalls == ()


def test_without_a_redundant_rendition_the_same_errors_stall() -> None:
    s = Script()
    s.multivariant(0.0)
    s.watch(R, 0.0, 5.0)
    for i in range(20):
        s.playlist(5.0 + i * 0.5, R, b"", status=404)
    playback = simulate_playback(s.timeline())
    assert playback.renditions == (R,)
    assert playback.stall_s > 5.0
