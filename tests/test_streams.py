"""Many streams at once: streams from options and files, one verdict per stream, every rendition (EXT-X-MEDIA audio
and subtitles included), and a playlists-only watch that still catches a stale or shrinking playlist."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from checks import CheckSettings, run_checks
from checks.epoch_lock import expected_pts, pts_on_epoch
from checks.findings import Code
from checks.hls_parse import parse_multivariant
from checks.mpegts import SegmentUnreadable, first_pts
from checks.timeline import Observation, ResourceKind, SegmentBody, Timeline
from checks.webvtt import timestamp_map_pts
from fixtures.emulator import EmulatedStack, SegmentFault, StackConfig, media
from fixtures.streams import StreamsError, load_streams_file, streams_from_urls
from fixtures.viewer import Viewer
from fixtures.watch_streams import StreamWatch
from tests.drill_runner import run_drill
from tests.hls_server import M3U8, hls_server, static
from tests.scripted import media_playlist

# -- streams from options and files ---------------------------------------------------------------------------


def test_streams_from_repeated_urls_are_named_in_order_or_by_name() -> None:
    streams = streams_from_urls(["http://a/x/index.m3u8", "news=https://b/y/index.m3u8"], 2.0, "X-Origin")
    assert [(s.name, s.url, s.segment_length_s, s.attribution_header) for s in streams] == [
        ("stream-1", "http://a/x/index.m3u8", 2.0, "X-Origin"),
        ("news", "https://b/y/index.m3u8", 2.0, "X-Origin"),
    ]


def test_a_streams_file_of_lines_and_one_of_yaml_give_the_same_streams(tmp_path: Path) -> None:
    lines = tmp_path / "streams.txt"
    lines.write_text("# the final\nch-1 http://127.0.0.1:1/a/index.m3u8\n\nch-2 http://127.0.0.1:1/b/index.m3u8  # backup\n")
    listed = tmp_path / "streams.yaml"
    listed.write_text(
        "segment_length_s: 6\nstreams:\n  - name: ch-1\n    url: http://127.0.0.1:1/a/index.m3u8\n"
        "  - {name: ch-2, url: 'http://127.0.0.1:1/b/index.m3u8'}\n"
    )
    assert load_streams_file(lines, 6.0, None) == load_streams_file(listed, None, None)
    override = tmp_path / "override.yml"
    override.write_text("- {name: a, url: 'http://h/a.m3u8', segment_length_s: 2, attribution_header: X-O}\n")
    (stream,) = load_streams_file(override, 6.0, None)
    assert (stream.segment_length_s, stream.attribution_header) == (2.0, "X-O")


@pytest.mark.parametrize(
    "name,text,words",
    [
        ("s.txt", "", "s.txt: no streams in it"),
        ("s.txt", "ch-1 http://h/a.m3u8\nch-1 http://h/b.m3u8\n", "s.txt line 2: stream name 'ch-1' is used twice"),
        ("s.txt", "a b c\n", "s.txt line 1: expected 'URL' or 'NAME URL', got 3 words"),
        ("s.txt", "\n\nch ftp://h/a.m3u8\n", "s.txt line 3: url must be an http(s) URL, got 'ftp://h/a.m3u8'"),
        ("s.txt", "ch http://h/a.mpd\n", "s.txt line 1: url must name a multivariant playlist (.m3u8)"),
        ("s.txt", "bad/name http://h/a.m3u8\n", "s.txt line 1: name 'bad/name' must be 1-64 letters"),
        ("s.yaml", "streams: [\n", "s.yaml: not valid YAML at line 2"),
        ("s.yaml", "channels: []\n", "s.yaml: unknown key 'channels'"),
        ("s.yaml", "streams:\n  - name: a\n    url: http://h/a.m3u8\n  - name: b\n", "s.yaml line 4: streams[1]: url is required"),
        ("s.yaml", "streams:\n  - {name: a, url: 'http://h/a.m3u8', segment_length_s: 0}\n",
         "s.yaml line 2: streams[0].segment_length_s must be a positive number of seconds, got 0"),
        ("s.yaml", "streams:\n  - {name: a, url: 'http://h/a.m3u8', lenght: 2}\n", "s.yaml line 2: streams[0]: unknown field 'lenght'"),
        ("s.yaml", "streams:\n  - {name: a, url: 'http://h/a.m3u8'}\n",
         "s.yaml line 2: streams[0]: stream 'a' has no segment length: give segment_length_s"),
    ],
)
def test_a_bad_streams_file_is_refused_in_one_line_naming_where(tmp_path: Path, name: str, text: str, words: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    length = 1.0 if "no segment length" not in words else None
    with pytest.raises(StreamsError) as caught:
        load_streams_file(path, length, None)
    message = str(caught.value)
    assert words in message and "\n" not in message, message
    assert str(path) in message


def test_the_drill_refuses_a_bad_streams_file_before_watching(tmp_path: Path) -> None:
    bad = tmp_path / "event.yaml"
    bad.write_text("streams:\n  - {name: ch-1, url: 'http://127.0.0.1:9/a.m3u8', segment_length_s: -1}\n")
    run = run_drill(["--stack", "url", "--streams-file", str(bad), "-m", "watch"], tmp_path / "run", timeout_s=60)
    assert run.returncode != 0 and "Traceback" not in run.output, run.output[-2000:]
    assert f"{bad} line 2: streams[0].segment_length_s must be a positive number of seconds, got -1" in run.output


# -- one verdict per stream, all watched at once ------------------------------------------------------------


@pytest.fixture
def demuxed_stacks() -> Iterator[tuple[EmulatedStack, EmulatedStack]]:
    """Two emulated stacks publishing demuxed renditions: the second's audio segments answer 404 in both pipelines."""
    stacks = (EmulatedStack(StackConfig.local(0.5, demuxed=True)), EmulatedStack(StackConfig.local(0.5, demuxed=True)))
    try:
        for stack in stacks:
            stack.start()
        stacks[1].add_segment_fault(SegmentFault(status=404, renditions=frozenset({"p0/audio", "p1/audio"})))
        yield stacks
    finally:
        for stack in stacks:
            stack.stop()


@pytest.mark.takes(5)
def test_each_stream_has_its_own_case_and_one_broken_audio_rendition_fails_only_its_own(
    demuxed_stacks: tuple[EmulatedStack, EmulatedStack], tmp_path: Path
) -> None:
    healthy, broken = demuxed_stacks
    streams = tmp_path / "event.yaml"
    streams.write_text(
        f"segment_length_s: 0.5\nstreams:\n  - {{name: healthy, url: '{healthy.playback_url}'}}\n"
        f"  - {{name: broken-audio, url: '{broken.playback_url}'}}\n"
    )
    run = run_drill(
        ["--stack", "url", "--streams-file", str(streams), "--playback-url", f"again={healthy.playback_url}",
         "--segment-length", "0.5", "--watch-segments", "4", "-m", "watch"],
        tmp_path / "run", timeout_s=120,
    )
    assert set(run.cases) == {"test_watch[healthy]", "test_watch[broken-audio]", "test_watch[again]"}, run.output[-3000:]
    assert run.cases["test_watch[healthy]"].outcome == "passed", run.cases["test_watch[healthy]"].message[:2000]
    assert run.cases["test_watch[again]"].outcome == "passed", run.cases["test_watch[again]"].message[:2000]
    failed = run.cases["test_watch[broken-audio]"]
    assert failed.outcome == "failed"
    assert "outage" in failed.message and "audio.m3u8" in failed.message and "HTTP 404" in failed.message, failed.message[:2000]
    assert "180p" not in failed.message.split("finding(s)")[1], "only the audio rendition is broken"


def test_streams_are_watched_at_the_same_time_not_one_after_another() -> None:
    def live(count: int) -> tuple[int, str, bytes]:
        return 200, M3U8, media_playlist(100 + count, 4, with_pdt=False).encode()

    index = b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlive.m3u8\n"
    routes = {"/a/index.m3u8": static(200, M3U8, index), "/a/live.m3u8": live}
    with hls_server(routes) as one, hls_server(routes) as two:
        from fixtures.streams import Stream

        watch = StreamWatch([Stream("one", f"{one}/a/index.m3u8", 1.0), Stream("two", f"{two}/a/index.m3u8", 1.0)], 1.5,
                            fetch_segments=False)
        spans = {}
        for name in ("one", "two"):
            observations = watch.result(name).timeline.observations
            spans[name] = (observations[0].monotonic, observations[-1].monotonic)
    (a0, a1), (b0, b1) = spans["one"], spans["two"]
    assert max(a0, b0) < min(a1, b1), f"the watches did not overlap: {spans}"  # one after another would not


# -- every rendition, EXT-X-MEDIA included ------------------------------------------------------------------


def test_ext_x_media_audio_and_subtitles_renditions_are_listed_and_closed_captions_are_not() -> None:
    body = (
        '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",URI="a/en.m3u8"\n'
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="muxed"\n'
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="sub",NAME="en",URI="s/en.m3u8"\n'
        '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="en",INSTREAM-ID="CC1"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO="aud",SUBTITLES="sub",CLOSED-CAPTIONS="cc"\nv/1.m3u8\n'
    ).encode()
    parsed = parse_multivariant(body, "http://h/live/index.m3u8")
    assert [(m.type, m.uri) for m in parsed.media] == [("AUDIO", "a/en.m3u8"), ("SUBTITLES", "s/en.m3u8")]
    assert parsed.rendition_uris == ("v/1.m3u8", "a/en.m3u8", "s/en.m3u8")


def test_the_demuxed_emulator_publishes_epoch_locked_audio_and_subtitles_renditions() -> None:
    with EmulatedStack(StackConfig.local(0.5, demuxed=True)) as stack:
        viewer = Viewer(stack.playback_url, _no_attribution(), segment_length_s=0.5)
        viewer.start()
        try:
            _wait_for(lambda: {o.rendition for o in viewer.observations() if o.kind is ResourceKind.SEGMENT and o.ok}
                      >= {"p0/audio.m3u8", "p1/subs.m3u8", "p0/90p.m3u8"}, 10, "audio, subtitles and video segments")
        finally:
            viewer.stop()
    timeline = viewer.timeline()
    assert set(timeline.renditions()) == {f"{name}.m3u8" for name in stack.rendition_names()}
    for o in timeline.of_kind(ResourceKind.SEGMENT):
        assert o.ok and o.segment is not None and o.sequence is not None, o.describe_failure()
        if o.rendition and o.rendition.endswith("subs.m3u8"):
            assert o.segment.first_pts is None  # WebVTT: never read as MPEG-TS
        else:
            assert o.segment.first_pts is not None and abs(o.segment.first_pts - expected_pts(o.sequence, 0.5)) < 2000
    findings = run_checks(timeline, CheckSettings(segment_length_s=0.5))
    assert not [f for f in findings if f.code is not Code.PLAYLIST_TOO_SHORT], findings


def test_an_audio_only_segment_off_the_epoch_fails_the_pts_check() -> None:
    on_grid = media.audio_segment(1000, 1.0)
    assert first_pts(on_grid) == expected_pts(1000, 1.0)  # the audio PID, found through the PMT
    off_grid = media.audio_segment(1000, 1.0, pts_origin=30_000)  # a third of a second late
    findings = pts_on_epoch(Timeline((_segment_observation("a/en.m3u8", 1000, first_pts(off_grid)),)), segment_length_s=1.0)
    assert [f.code for f in findings] == [Code.PTS_OFF_EPOCH] and findings[0].rendition == "a/en.m3u8"


def test_a_webvtt_segment_without_its_timestamp_map_is_malformed_and_never_read_as_ts() -> None:
    assert timestamp_map_pts(media.webvtt_segment(1000, 1.0)) == expected_pts(1000, 1.0)
    with pytest.raises(SegmentUnreadable, match="without X-TIMESTAMP-MAP"):
        timestamp_map_pts(b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nhello\n")
    index = (
        '#EXTM3U\n#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="sub",NAME="en",URI="subs.m3u8"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=1,SUBTITLES="sub"\nvideo.m3u8\n'
    ).encode()
    video = media.segment("90p", 1000, 1.0, "t")
    routes = {
        "/live/index.m3u8": static(200, M3U8, index),
        "/live/video.m3u8": static(200, M3U8, media_playlist(1000, 4, with_pdt=False).encode()),
        "/live/subs.m3u8": static(200, M3U8, media_playlist(1000, 4, with_pdt=False, name=lambda n: f"cue_{n}.vtt").encode()),
        **{f"/live/seg_{n}.ts": static(200, "video/mp2t", video) for n in range(1000, 1004)},
        **{f"/live/cue_{n}.vtt": static(200, "text/vtt", b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nhi\n") for n in range(1000, 1004)},
    }
    with hls_server(routes) as base:
        viewer = Viewer(f"{base}/live/index.m3u8", _no_attribution(), segment_length_s=1.0)
        viewer.start()
        try:
            _wait_for(lambda: len([o for o in viewer.observations() if o.kind is ResourceKind.SEGMENT]) >= 6, 10, "segments")
        finally:
            viewer.stop()
    findings = run_checks(viewer.timeline())
    malformed = [f for f in findings if f.code is Code.SEGMENT_MALFORMED]
    assert [f.rendition for f in malformed] == ["subs.m3u8"], findings
    assert "X-TIMESTAMP-MAP" in malformed[0].message and "MPEG-TS" not in malformed[0].message


# -- playlists only -----------------------------------------------------------------------------------------


def test_playlists_only_fetches_no_segment_and_still_catches_a_shrinking_then_stale_playlist() -> None:
    def shrinking(count: int) -> tuple[int, str, bytes]:
        # The first poll sees five segments from 500; then the same media sequence lists three, and never changes again.
        return 200, M3U8, media_playlist(500, 5 if count < 1 else 3, with_pdt=False).encode()

    routes = {"/live/index.m3u8": static(200, M3U8, b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlive.m3u8\n"), "/live/live.m3u8": shrinking}
    with hls_server(routes) as base:
        from fixtures.streams import Stream

        result = StreamWatch([Stream("shrinks", f"{base}/live/index.m3u8", 1.0)], 3.5, fetch_segments=False).result("shrinks")
    assert not result.timeline.of_kind(ResourceKind.SEGMENT)
    codes = {f.code for f in result.findings}
    assert {Code.PLAYLIST_SHRANK, Code.PLAYLIST_STALE} <= codes, result.findings


def _segment_observation(rendition: str, sequence: int, pts: int | None) -> Observation:
    from datetime import datetime, timezone

    return Observation(
        datetime.now(timezone.utc), time.monotonic(), f"http://h/{rendition}", ResourceKind.SEGMENT, rendition, 200, None, 0.01,
        sequence=sequence, segment=SegmentBody(1, "x", pts),
    )


def _no_attribution():  # type: ignore[no-untyped-def]
    from fixtures.attribution import NoAttribution

    return NoAttribution()


def _wait_for(condition, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.05)
