"""The emulator's media: epoch-locked numbering, PTS and program date times, the same in both regions."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from checks.epoch_lock import expected_program_date_time, expected_pts
from checks.hls_parse import parse_media_playlist
from checks.mpegts import first_pts
from fixtures.emulator import Misconfiguration, media
from tests.conftest import MakeStack
from tests.emulator_client import origin_get, playlist

R = "live/p0/180p.m3u8"


def test_regions_number_segments_identically_on_the_epoch_grid(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    east, west = (playlist(origin_get(stack, region, R)) for region in stack.regions)
    common = {e.sequence for e in east.segments} & {w.sequence for w in west.segments}
    assert len(common) >= 4
    by_seq = {w.sequence: w for w in west.segments}
    for entry in east.segments:
        if entry.sequence in common:
            other = by_seq[entry.sequence]
            assert (entry.uri, entry.duration, entry.program_date_time) == (other.uri, other.duration, other.program_date_time)
            assert entry.program_date_time == expected_program_date_time(entry.sequence, 0.5)


def test_segment_pts_reads_back_epoch_locked_and_bytes_differ_per_region(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    entry = playlist(origin_get(stack, stack.primary, R)).segments[-1]
    bodies = [origin_get(stack, region, f"live/p0/{entry.uri}").content for region in stack.regions]
    assert [first_pts(b) for b in bodies] == [expected_pts(entry.sequence, 0.5)] * 2
    assert hashlib.sha256(bodies[0]).digest() != hashlib.sha256(bodies[1]).digest()


def test_pts_runs_on_from_one_segment_to_the_next() -> None:
    for length in (1.0, 0.4, 6.0):
        n = 1_795_262_399
        count = media.frames_per_segment(length, "90p")
        this, following = media.segment("90p", n, length, "x"), media.segment("90p", n + 1, length, "x")
        step = round(length * 90_000 / count)
        assert first_pts(following) - first_pts(this) == round(length * 90_000)
        assert abs(count * step - round(length * 90_000)) <= count  # frames fill the segment


def test_epoch_locking_off_makes_regions_disagree(make_stack: MakeStack) -> None:
    stack = make_stack(0.5, Misconfiguration.EPOCH_LOCKING_OFF)
    east, west = (playlist(origin_get(stack, region, R)) for region in stack.regions)
    assert east.segments[-1].sequence < 1000 and west.segments[-1].sequence < 1000
    assert east.segments[-1].sequence != west.segments[-1].sequence
    entry = east.segments[-1]
    assert entry.program_date_time != expected_program_date_time(entry.sequence, 0.5)


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed (apt-get install ffmpeg); .ci/run installs it")
def test_ffprobe_reads_a_segment_without_error(make_stack: MakeStack, tmp_path: Path) -> None:
    stack = make_stack(1.0)
    entry = playlist(origin_get(stack, stack.primary, R)).segments[-1]
    segment = tmp_path / entry.uri
    segment.write_bytes(origin_get(stack, stack.primary, f"live/p0/{entry.uri}").content)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height:packet=pts",
         "-of", "compact", str(segment)],
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert probe.returncode == 0 and probe.stderr == "", probe.stderr
    assert "codec_name=h264|width=320|height=180" in probe.stdout
    assert f"pts={expected_pts(entry.sequence, 1.0)}" in probe.stdout
    decode = subprocess.run(["ffmpeg", "-v", "error", "-i", str(segment), "-f", "null", "-"],
                            capture_output=True, text=True, timeout=30, check=False)
    assert decode.returncode == 0 and decode.stderr == "", decode.stderr


def test_static_index_is_identical_in_both_regions_and_lists_both_pipelines(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    bodies = [origin_get(stack, region, "live/index.m3u8").text for region in stack.regions]
    assert bodies[0] == bodies[1]
    for name in stack.rendition_names():
        assert f"{name}.m3u8" in bodies[0]


def test_a_stalled_encoder_catches_up_and_its_playlist_never_lists_a_hole(make_stack: MakeStack) -> None:
    """A loaded machine can hold an encoder past several boundaries (seen in CI). The missed segments are
    written late, so EXT-X-MEDIA-SEQUENCE + position still names each listed segment."""
    stack = make_stack(0.2)
    encoder = stack.encoders[(stack.primary, 0)]
    with encoder._lock:  # the stall: the encoder's thread cannot write for 3 segments
        time.sleep(0.6)
    time.sleep(0.5)
    for rendition in stack.config.renditions:
        stored = stack.origins[stack.primary].store.get(f"live/p0/{rendition.name}.m3u8")
        assert stored is not None
        playlist = parse_media_playlist(stored.body, "live/p0/")
        named = [int(s.uri.rsplit("_", 1)[1].removesuffix(".ts")) for s in playlist.segments]
        assert named == [s.sequence for s in playlist.segments], named


def test_an_encoder_thread_that_starts_late_leaves_no_hole(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a loaded machine (8 parallel drill workers starting stacks at once) a boundary can pass between
    priming the window and the writer thread's first run. Seen as one region listing segment N + 1 where
    the other lists N."""
    import threading

    from fixtures.emulator import encoder as encoder_module
    from fixtures.emulator.origin import ObjectStore, OriginKind, OriginState

    class LateThread(threading.Thread):
        def run(self) -> None:
            time.sleep(0.5)  # 2.5 segments of 0.2 s pass before the writer runs
            super().run()

    monkeypatch.setattr(encoder_module.threading, "Thread", LateThread)
    store = ObjectStore(OriginState(OriginKind.S3, "secret", None))
    pipeline = encoder_module.EncoderPipeline("local-east", 0, store, 0.2, media.RENDITIONS[:1])
    pipeline.start()
    try:
        time.sleep(1.0)
        stored = store.get(f"live/p0/{media.RENDITIONS[0].name}.m3u8")
        assert stored is not None
        playlist = parse_media_playlist(stored.body, "live/p0/")
        named = [int(s.uri.rsplit("_", 1)[1].removesuffix(".ts")) for s in playlist.segments]
        assert named == [s.sequence for s in playlist.segments], named
    finally:
        pipeline.stop()
