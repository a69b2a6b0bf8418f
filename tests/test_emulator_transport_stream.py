"""The emulator's MPEG-TS is what a player reading MediaLive's stream expects: PAT/PMT, H.264 and AAC,
continuity counters and PTS that run on across segments and regions; the drill reads the video PID."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from checks.epoch_lock import expected_pts
from checks.mpegts import PACKET, first_pts
from fixtures.emulator import BreakMode, EmulatedStack, StackConfig, media

N = 1_795_262_400


def _counters(data: bytes) -> dict[int, list[int]]:
    """Per PID, the continuity counter of every packet that carries payload."""
    found: dict[int, list[int]] = {}
    for offset in range(0, len(data), PACKET):
        packet = data[offset : offset + PACKET]
        pid = ((packet[1] & 0x1F) << 8) | packet[2]
        if (packet[3] >> 4) & 0x01:  # payload present
            found.setdefault(pid, []).append(packet[3] & 0x0F)
    return found


@pytest.mark.parametrize("length", [1.0, 2.0, 6.0, 0.5])
def test_continuity_counters_run_on_across_segments_whichever_region_wrote_them(length: float) -> None:
    stream = b"".join(media.segment("180p", n, length, ("local-east", "local-west")[n % 2]) for n in range(N, N + 12))
    counters = _counters(stream)
    assert set(counters) == {0x0000, media.PMT_PID, media.VIDEO_PID, media.AUDIO_PID}
    for pid, values in counters.items():
        breaks = [i for i in range(1, len(values)) if values[i] != (values[i - 1] + 1) & 0x0F]
        assert not breaks, f"PID 0x{pid:04x}: counter breaks at packets {breaks[:5]}"


def test_a_segment_starts_with_audio_and_its_video_is_on_the_epoch() -> None:
    body = media.segment("90p", N, 1.0, "local-east")
    first_pes_pid = next(
        ((body[o + 1] & 0x1F) << 8) | body[o + 2]
        for o in range(0, len(body), PACKET)
        if body[o + 1] & 0x40 and (((body[o + 1] & 0x1F) << 8) | body[o + 2]) in (media.VIDEO_PID, media.AUDIO_PID)
    )
    assert first_pes_pid == media.AUDIO_PID
    assert first_pts(body) == expected_pts(N, 1.0)


def test_first_pts_reads_the_video_pid_from_the_pmt_not_the_first_pes() -> None:
    """An audio PES half a second off the grid comes first; the video PID named in the PMT decides."""
    start = expected_pts(N, 1.0)
    audio, _ = media._packetize(media._audio_pes(media.audio_frames()[0], start - 45_000), start, 0, media.AUDIO_PID)
    video, _ = media._packetize(media._video_pes(media.frames("90p")[0], start), start, 0)
    with_pmt = media._psi(N) + audio + video
    assert first_pts(with_pmt) == start
    # Without PAT/PMT, the first PES with a video stream_id stands in.
    assert first_pts(audio + video) == start


def _record(url: str, seconds: float, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-i", url, "-t", str(seconds),
         "-c", "copy", "-f", "mpegts", "-y", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def _pts_steps(path: Path, stream: str) -> dict[int, int]:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", stream, "-show_entries", "packet=pts", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, timeout=60, check=True,
    )
    values = [int(line.strip(",")) for line in probe.stdout.split() if line.strip(",").isdigit()]
    steps: dict[int, int] = {}
    for a, b in zip(values, values[1:], strict=False):
        steps[b - a] = steps.get(b - a, 0) + 1
    return steps


@pytest.mark.takes(22)
@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed (apt-get install ffmpeg); .ci/run installs it")
def test_ffmpeg_records_20_s_across_a_failover_and_a_failback_with_no_warning_and_no_pts_jump(tmp_path: Path) -> None:
    """A real reader of the stream: ffmpeg follows one rendition through the edge while the primary origin
    answers 503 (the edge serves the secondary's playlists and segments) and after it heals (fail-back).
    At L = 1 s: at 0.5 s (a target duration of 1 s, rounded up) ffmpeg reloads once per two segments, drains its
    buffer and rides the live edge, where the secondary's write skew made a just-listed segment a real 403.

    The primary keeps every segment here. After a *paused* pipeline resumes, its region never wrote the
    segments of the pause, and a fail-back with write skew can skip one: ffmpeg then warns "skipping 1
    segments ahead" and its counters break. That is real, and the drill reports it
    (segment-skipped-at-restart); it is not what this test is about."""
    out = tmp_path / "recording.ts"
    stack = EmulatedStack(StackConfig.local(1.0))  # default write skew on
    stack.start()
    try:
        # 20 s of recording: 5 s on the primary, 8 s of the fault on the secondary, 7 s back on the primary.
        recorder = _record(f"{stack.playback_url.rsplit('/', 1)[0]}/p0/180p.m3u8", 20, out)
        try:
            time.sleep(5)
            stack.break_origin(stack.primary, BreakMode.STATUS, status=503)
            time.sleep(8)
            stack.heal_origin(stack.primary)
            _, warnings = recorder.communicate(timeout=90)
        finally:
            if recorder.poll() is None:
                recorder.kill()
                recorder.communicate()
        served = {e.served_by for e in list(stack.edge.events) if e.path == "/live/p0/180p.m3u8"} if stack.edge else set()
    finally:
        stack.stop()
    assert recorder.returncode == 0, warnings
    assert warnings.strip() == "", f"ffmpeg warned:\n{warnings}"
    assert served == {stack.primary, stack.secondary}, f"the edge never switched regions: {served}"
    recorded = out.read_bytes()
    # The region tag rides in an SEI message: the recording holds segments from both regions.
    assert b"local-east" in recorded and b"local-west" in recorded
    video, audio = _pts_steps(out, "v"), _pts_steps(out, "a")
    per_segment = media.frames_per_segment(1.0, "180p")  # 25 frames a second, one every 3600 ticks
    assert set(video) == {round(90_000 / per_segment)} and sum(video.values()) > 18 * per_segment, video  # all but 2 segments
    assert set(audio) == {media.AUDIO_FRAME_TICKS}, audio
