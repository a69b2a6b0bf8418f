"""The viewer records what a player would see, at a player's cadence, one rendition never blocking another."""

from __future__ import annotations

import time

import pytest

from checks.epoch_lock import expected_pts
from checks.timeline import ResourceKind
from fixtures.attribution import FingerprintAttribution, HeaderAttribution
from fixtures.emulator import SegmentFault
from fixtures.emulator.edge import ATTRIBUTION_HEADER
from fixtures.viewer import StartFailures, Viewer, ViewerError
from tests.conftest import MakeStack


def _watch(stack, seconds: float, **kwargs) -> Viewer:  # type: ignore[no-untyped-def]
    viewer = Viewer(stack.playback_url, HeaderAttribution(ATTRIBUTION_HEADER), segment_length_s=stack.config.segment_length_s, **kwargs)
    viewer.start()
    try:
        time.sleep(seconds)
    finally:
        viewer.stop()
    return viewer


def test_viewer_records_every_rendition_with_attribution_and_pts(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    timeline = _watch(stack, 2.5).timeline()
    assert set(timeline.renditions()) == {f"{name}.m3u8" for name in stack.rendition_names()}
    segments = [o for o in timeline.of_kind(ResourceKind.SEGMENT) if o.ok]
    assert segments and all(o.origin == stack.primary for o in timeline.observations if o.ok)
    for o in segments:
        assert o.segment is not None and o.sequence is not None
        assert o.segment.first_pts == expected_pts(o.sequence, 0.5)
    assert all(o.headers.cache_status and o.headers.attribution == stack.primary for o in segments)


@pytest.mark.takes(4)
def test_polls_follow_rfc_8216_reload_cadence(make_stack: MakeStack) -> None:
    stack = make_stack(1.0)
    polls = _watch(stack, 4.2, renditions=["p0/90p.m3u8"]).timeline().playlists("p0/90p.m3u8")
    previous_last = None
    for (before_obs, before), (after_obs, _) in zip(polls, polls[1:], strict=False):
        changed = before.last_sequence != previous_last
        previous_last = before.last_sequence
        expected = 1.0 if changed else 0.5  # the target duration after a change, half of it when unchanged
        gap = after_obs.monotonic - before_obs.monotonic
        assert expected - 0.05 <= gap <= expected + 0.25, (gap, changed)


def test_one_slow_rendition_never_delays_the_others(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    stack.add_segment_fault(SegmentFault(delay_s=3.0, renditions=frozenset({"p0/180p"})))
    timeline = _watch(stack, 3.0).timeline()
    for rendition in ("p0/180p.m3u8", "p1/90p.m3u8"):
        times = [o.monotonic for o, _ in timeline.playlists(rendition)]
        # L = 0.5 s gives a 1 s target duration: polls stay on that cadence despite 3 s segment fetches
        assert max(b - a for a, b in zip(times, times[1:], strict=False)) < 1.25, rendition
    slow = [o for o in timeline.of_kind(ResourceKind.SEGMENT, "p0/180p.m3u8")]
    assert slow and min(o.latency_s for o in slow) >= 3.0


def test_failed_requests_are_observations_not_retried_away(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    stack.add_segment_fault(SegmentFault(status=503, renditions=frozenset({"p1/90p"})))
    timeline = _watch(stack, 2.0).timeline()
    failed = [o for o in timeline.of_kind(ResourceKind.SEGMENT, "p1/90p.m3u8")]
    assert failed and all(o.status == 503 and not o.ok for o in failed)
    assert len({o.sequence for o in failed}) == len(failed)  # each segment asked once: no hidden retries


def test_viewer_names_the_url_when_the_stream_cannot_be_loaded() -> None:
    viewer = Viewer("http://127.0.0.1:9/live/index.m3u8", HeaderAttribution("X"), segment_length_s=1.0, startup_timeout_s=1.0)
    with pytest.raises(ViewerError, match=r"127\.0\.0\.1:9/live/index\.m3u8.*connection failed"):
        viewer.start()
    attempts = viewer.observations()
    assert attempts and all(o.error for o in attempts)


def test_a_url_no_viewer_could_start_gets_one_try_from_the_next() -> None:
    """Within a run (one StartFailures): the first viewer waits out its patience, the next of that URL tries once;
    another URL still gets the whole patience."""
    failures = StartFailures()
    dead, other = "http://127.0.0.1:9/live/index.m3u8", "http://127.0.0.1:9/other/index.m3u8"

    def start(url: str) -> tuple[Viewer, str]:
        viewer = Viewer(url, HeaderAttribution("X"), segment_length_s=1.0, startup_timeout_s=1.2, start_failures=failures)
        with pytest.raises(ViewerError) as raised:
            viewer.start()
        return viewer, str(raised.value)

    first, said = start(dead)
    assert len(first.observations()) >= 3 and "within 1.2 s" in said  # tries every 0.5 s for 1.2 s
    again, said = start(dead)
    assert len(again.observations()) == 1 and "in one more try (it did not load earlier in this run either)" in said, said
    elsewhere, said = start(other)
    assert len(elsewhere.observations()) >= 3 and "within 1.2 s" in said


def test_a_url_a_viewer_starts_on_is_forgotten_by_the_run(make_stack: MakeStack) -> None:
    """A URL that failed earlier (a blip) and then starts again gives its next viewer the whole patience back."""
    stack = make_stack(0.5)
    failures = StartFailures()
    failures.add(stack.playback_url)
    viewer = Viewer(stack.playback_url, HeaderAttribution("X-Drill-Origin"), segment_length_s=0.5, start_failures=failures)
    viewer.start()
    viewer.stop()
    assert stack.playback_url not in failures


def test_fingerprint_attribution_matches_the_etag_to_one_origin() -> None:
    etags = {("east", "u"): '"a"', ("west", "u"): '"b"'}
    attribution = FingerprintAttribution(lambda region, url: etags.get((region, url)), ("east", "west"))
    assert attribution.origin_of("u", {"ETag": '"b"'}, b"") == "west"
    assert attribution.origin_of("u", {"ETag": '"c"'}, b"") is None
    assert attribution.origin_of("u", {}, b"") is None


def test_progress_can_read_what_each_rendition_serves_while_pollers_write_it() -> None:
    """Drill._wait reads the latest origin per rendition while every poller thread inserts its own.

    The reader walks each snapshot in Python, yielding the GIL at every item as the progress line's
    formatting can, while writers change the dict's size all the time: walking the live dict this way raises
    "dictionary changed size during iteration" at once (seen with ``viewer._latest`` in place of the copy).
    """
    import threading
    import time

    from fixtures.attribution import HeaderAttribution
    from fixtures.viewer import Viewer

    viewer = Viewer("http://127.0.0.1:9/live/index.m3u8", HeaderAttribution("X-Drill-Origin"), segment_length_s=1.0)
    stop = threading.Event()

    def poller(offset: int) -> None:
        n = 0
        while not stop.is_set():
            with viewer._lock:  # as _poll does; a key dropped as often as added keeps the size changing, and small
                if viewer._latest.pop(f"r{offset}-{n % 50}", None) is None:
                    viewer._latest[f"r{offset}-{n % 50}"] = ("east", n)
            n += 1
            time.sleep(0)  # yield the GIL, as a poller waiting on its socket does

    writers = [threading.Thread(target=poller, args=(i,)) for i in range(3)]
    for w in writers:
        w.start()
    try:
        for _ in range(100):
            for _rendition, (_origin, _sequence) in viewer.latest_by_rendition().items():
                time.sleep(0)
    finally:
        stop.set()
        for w in writers:
            w.join()


def test_an_unchanged_playlist_is_recorded_as_before_without_parsing_it_again() -> None:
    from tests.hls_server import M3U8, hls_server, static
    from tests.scripted import media_playlist

    routes = {
        "/live/index.m3u8": static(200, M3U8, b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlive.m3u8\n"),
        "/live/live.m3u8": static(200, M3U8, media_playlist(7, 4, with_pdt=False).encode()),
    }
    with hls_server(routes) as base:
        viewer = Viewer(f"{base}/live/index.m3u8", HeaderAttribution("X"), segment_length_s=1.0, fetch_segments=False)
        viewer.start()
        deadline = time.monotonic() + 10
        while len(viewer.timeline().playlists("live.m3u8")) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        viewer.stop()
    polls = viewer.timeline().playlists("live.m3u8")
    assert len(polls) >= 3 and all(playlist is polls[0][1] for _, playlist in polls)  # one record, parsed once
    assert polls[0][1].media_sequence == 7 and polls[0][1].last_sequence == 10
    assert not viewer.timeline().of_kind(ResourceKind.SEGMENT)  # playlists only
