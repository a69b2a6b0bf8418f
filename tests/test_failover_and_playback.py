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
    last = newest_complete(12.2)  # a straggler from the secondary, still cached at the edge
    s.playlist(12.2, R, media_playlist(last - 4, 5), origin="secondary")
    timeline = s.timeline()
    measure = measure_failover(timeline, timeline.faults[0], primary="primary", secondary="secondary")
    assert measure.failback_s == pytest.approx(2.55)  # the primary's answer to the poll at 12.5 s
    assert measure.failback is not None and measure.failback.last_s == pytest.approx(2.25)


def test_failback_is_the_slowest_rendition_that_left_not_one_that_never_did() -> None:
    """Pins the 0.02 s report: pipeline 1 never left the primary, so it must not answer for pipeline 0.

    Hand-built after the pause scenario's chart: p0's playlists came back from the primary 0.8 s after
    the undo began; p1's were on the primary throughout and answered 0.02 s after it.
    """
    s = Script()
    s.multivariant(0.0)
    s.watch(R, 0.0, 15.0, origin=lambda t: "secondary" if 6.0 <= t < 10.75 else "primary")
    s.watch(ALT, 0.47, 15.0, origin="primary")  # p1's poll sent at 9.97 s is answered 0.02 s after the undo
    s.fault("pause p0", 5.0, 10.0)
    timeline = s.timeline()
    pooled_first_primary = min(o.done for o in timeline.observations if o.done >= 10.0 + 1000.0 and o.origin == "primary")
    assert pooled_first_primary - 1010.0 == pytest.approx(0.02)  # what the pooled measure used to report
    measure = measure_failover(timeline, timeline.faults[0], primary="primary", secondary="secondary")
    assert [m.rendition for m in measure.moved] == [R]
    # p0's poll at 10.5 s still came from the secondary; the one at 11.0 s, answered at 11.05 s, from the primary.
    assert measure.failback_s == pytest.approx(1.05)
    assert measure.failback is not None and measure.failback.last_s == pytest.approx(0.55)
    assert measure.failback.uncertainty_s == pytest.approx(0.5)
    assert measure.slowest_failback is not None and measure.slowest_failback.rendition == R
    assert measure.failover_s == pytest.approx(1.05)


def test_no_failover_means_no_failback_figure() -> None:
    """A stack without manifest expiry never leaves the primary: no fail-back time may be reported."""
    s = Script()
    s.multivariant(0.0)
    s.watch(R, 0.0, 15.0, origin="primary")
    s.fault("pause p0", 5.0, 10.0)
    timeline = s.timeline()
    measure = measure_failover(timeline, timeline.faults[0], primary="primary", secondary="secondary")
    assert not measure.left_primary
    assert measure.failover_s is None and measure.failback_s is None and not measure.back_on_primary


def test_one_rendition_still_away_means_failback_missing() -> None:
    s = Script()
    s.multivariant(0.0)
    s.watch(R, 0.0, 15.0, origin=lambda t: "secondary" if t >= 6.0 else "primary")
    s.watch(ALT, 0.0, 15.0, origin=lambda t: "secondary" if 6.0 <= t < 11.0 else "primary")
    s.fault("pause region", 5.0, 10.0)
    timeline = s.timeline()
    measure = measure_failover(timeline, timeline.faults[0], primary="primary", secondary="secondary")
    assert len(measure.moved) == 2 and not measure.back_on_primary and measure.failback_s is None


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


def test_the_player_stops_for_good_at_endlist_even_if_the_stream_goes_on() -> None:
    """hls.js marks a level VOD at EXT-X-ENDLIST, never reloads it and fires 'ended' (the channel-stop case)."""
    s = Script()
    s.multivariant(0.0)
    s.watch(R, 0.0, 5.0)
    last = newest_complete(5.0)
    for i in range(4):  # the stopped channel's ENDLIST manifest, polled for 2 s
        s.playlist(5.0 + 0.5 * i, R, media_playlist(last - 4, 5, endlist=True))
    s.watch(R, 7.0, 15.0, origin="secondary")  # the edge fails over; the stream goes on elsewhere
    timeline = s.timeline()
    playback = simulate_playback(timeline)
    assert playback.ended_at_endlist
    ended = playback.stalls[-1]
    assert ended.ended and ended.sequence == last + 1
    assert timeline.end is not None and ended.start + ended.seconds == pytest.approx(timeline.end)
    findings = viewer_never_stalls(timeline)
    assert any("EXT-X-ENDLIST" in f.message for f in findings)


def test_timestamps_that_jump_at_a_switch_of_origin_cost_the_player_a_realignment() -> None:
    """Regions not epoch-locked: segment N from the secondary is not the same moment as N from the primary."""
    from tests.scripted import ts_packet_with_pts

    def stamped(shift_s: float) -> Script:
        s = Script()
        s.multivariant(0.0)
        s.watch(R, 0.0, 12.0, fetch_segments=False)
        for n in range(newest_complete(0.0) - 4, newest_complete(12.0) + 1):
            served = "secondary" if n > newest_complete(6.0) else "primary"
            offset = shift_s if served == "secondary" else 0.0
            t = max(0.0, (n - newest_complete(0.0)) * 1.0) + 0.06
            s.segment(t, R, n, origin=served, body=ts_packet_with_pts(round((n * 1.0 + offset) * 90_000) % (1 << 33)))
        return s

    locked = simulate_playback(stamped(0.0).timeline())
    assert locked.stalls == ()
    unlocked = simulate_playback(stamped(3.37).timeline())
    assert len(unlocked.stalls) == 1 and unlocked.stalls[0].jumped_s == pytest.approx(3.37, abs=0.01)
    assert unlocked.stall_s == pytest.approx(1.0)  # one target duration to re-align
    findings = viewer_never_stalls(stamped(3.37).timeline())
    assert any("timestamps are 3.37 s away" in f.message for f in findings)


def test_a_slow_failover_names_the_edge_holding_viewers_when_it_did() -> None:
    """A hung primary whose connection attempts x timeouts outlast a segment: the edge answers from the secondary,
    but late. The slow-failover finding names that cause, as the missing-failover one does; a failover that is
    slow without any request held up keeps the general advice."""
    from checks.failover import failover_and_failback
    from checks.findings import Code

    held = Script()
    held.multivariant(0.0)
    held.watch(R, 0.0, 5.0, origin="primary")
    last = newest_complete(5.2)
    held.playlist(5.2, R, media_playlist(last - 4, 5), origin="secondary", latency=3.5)  # held 3.5 s, then the secondary
    held.watch(R, 9.0, 15.0, origin=lambda t: "secondary" if t < 10.0 else "primary")
    held.fault("hang origin", 5.0, 10.0)
    findings = failover_and_failback(held.timeline(), primary="primary", secondary="secondary", failover_budget_s=2.0)
    slow = [f for f in findings if f.code is Code.FAILOVER_SLOW]
    assert len(slow) == 1 and "held viewers up to 3.5 s" in slow[0].message and "longer than a segment" in slow[0].message, findings

    late = _failover_script(8.0, 11.0)  # slow, with every answer quick: the secondary simply answered late
    findings = failover_and_failback(late.timeline(), primary="primary", secondary="secondary", failover_budget_s=2.0)
    slow = [f for f in findings if f.code is Code.FAILOVER_SLOW]
    assert len(slow) == 1 and "held viewers" not in slow[0].message and "manifest expiry time" in slow[0].message, findings
