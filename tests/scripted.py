"""Scripted timelines built from hand-written playlists, for driving the checks without a network."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

from checks.epoch_lock import expected_pts
from checks.hls_parse import PlaylistUnreadable, parse_media_playlist, parse_multivariant
from checks.mpegts import SegmentUnreadable, first_pts
from checks.timeline import (
    FaultMark,
    MediaPlaylist,
    MultivariantPlaylist,
    Observation,
    PlayerEvent,
    PlayerEventKind,
    ResourceKind,
    ResponseHeaders,
    SegmentBody,
    Timeline,
)

# Epoch-aligned start, so the sequence numbers below sit where the wall clock says they should.
T0 = datetime(2026, 11, 21, 12, 0, 0, tzinfo=timezone.utc)
MONO0 = 1000.0
L = 1.0
BASE = "https://edge.test/live"


def newest_complete(t: float, length: float = L) -> int:
    """The newest complete segment at ``t`` seconds into the script, on the epoch grid."""
    return math.floor((T0.timestamp() + t) / length) - 1


def pdt(sequence: int, length: float = L) -> datetime:
    return datetime.fromtimestamp(sequence * length, tz=timezone.utc)


def media_playlist(
    first: int,
    count: int = 5,
    *,
    length: float = L,
    target: int | None = None,
    with_pdt: bool = True,
    pdt_only_first: bool = False,
    pdt_shift_s: float = 0.0,
    media_sequence_tag: bool = True,
    discontinuity_sequence: int | None = None,
    discontinuity_before: Iterable[int] = (),
    endlist: bool = False,
    name: Callable[[int], str] = lambda n: f"seg_{n}.ts",
    duration: Callable[[int], float] | None = None,
) -> str:
    """A live media playlist listing segments first..first+count-1."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target or math.ceil(length)}"]
    if media_sequence_tag:
        lines.append(f"#EXT-X-MEDIA-SEQUENCE:{first}")
    if discontinuity_sequence is not None:
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_sequence}")
    breaks = set(discontinuity_before)
    for n in range(first, first + count):
        if n in breaks:
            lines.append("#EXT-X-DISCONTINUITY")
        if with_pdt and (not pdt_only_first or n == first):
            stamp = pdt(n, length) + timedelta(seconds=pdt_shift_s)
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{stamp.isoformat(timespec='milliseconds').replace('+00:00', 'Z')}")
        lines.append(f"#EXTINF:{(duration(n) if duration else length):.3f},")
        lines.append(name(n))
    if endlist:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def ts_packet_with_pts(pts: int) -> bytes:
    """One 188-byte MPEG-TS packet starting a video PES that carries ``pts``."""
    pts_bytes = bytes(
        [
            0x21 | ((pts >> 29) & 0x0E),
            (pts >> 22) & 0xFF,
            0x01 | ((pts >> 14) & 0xFE),
            (pts >> 7) & 0xFF,
            0x01 | ((pts << 1) & 0xFE),
        ]
    )
    pes = b"\x00\x00\x01\xe0\x00\x00\x80\x80\x05" + pts_bytes
    packet = bytes([0x47, 0x41, 0x00, 0x10]) + pes
    return packet + b"\xff" * (188 - len(packet))


MULTIVARIANT = """#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=320x180
p0/low.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=320x180
p1/low.m3u8
"""


class Script:
    """Builds a timeline: each call records one observation ``t`` seconds into the script."""

    def __init__(self) -> None:
        self.observations: list[Observation] = []
        self.faults: list[FaultMark] = []
        self.player_events: list[PlayerEvent] = []

    def player(self, t: float, kind: str, **fields: object) -> None:
        """One event of a real player (hls.js) ``t`` seconds into the script."""
        self.player_events.append(
            PlayerEvent("hls.js test", PlayerEventKind(kind), T0 + timedelta(seconds=t), MONO0 + t, **fields)  # type: ignore[arg-type]
        )

    def _record(self, t: float, url: str, kind: ResourceKind, rendition: str | None, **fields: object) -> Observation:
        status = fields.pop("status", 200)
        error = fields.pop("error", None)
        observation = Observation(
            wall_time=T0 + timedelta(seconds=t),
            monotonic=MONO0 + t,
            url=url,
            kind=kind,
            rendition=rendition,
            status=None if error else status,  # type: ignore[arg-type]
            error=error,  # type: ignore[arg-type]
            latency_s=fields.pop("latency", 0.05),  # type: ignore[arg-type]
            headers=fields.pop("headers", None) or ResponseHeaders(attribution=fields.get("origin")),  # type: ignore[arg-type]
            **fields,  # type: ignore[arg-type]
        )
        self.observations.append(observation)
        return observation

    def multivariant(self, t: float, body: str | bytes = MULTIVARIANT, **fields: object) -> Observation:
        raw = body.encode() if isinstance(body, str) else body
        parsed: MultivariantPlaylist | None = None
        problem = None
        if fields.get("status", 200) == 200 and not fields.get("error"):
            try:
                parsed = parse_multivariant(raw, f"{BASE}/index.m3u8")
            except PlaylistUnreadable as exc:
                problem = str(exc)
        return self._record(
            t, f"{BASE}/index.m3u8", ResourceKind.MULTIVARIANT, None, multivariant=parsed, problem=problem, **fields
        )

    def playlist(
        self, t: float, rendition: str, body: str | bytes, *, origin: str | None = "primary", **fields: object
    ) -> Observation:
        raw = body.encode() if isinstance(body, str) else body
        parsed: MediaPlaylist | None = None
        problem = None
        if fields.get("status", 200) == 200 and not fields.get("error"):
            try:
                parsed = parse_media_playlist(raw, f"{BASE}/{rendition}")
            except PlaylistUnreadable as exc:
                problem = str(exc)
        return self._record(
            t,
            f"{BASE}/{rendition}",
            ResourceKind.MEDIA_PLAYLIST,
            rendition,
            origin=origin,
            media_playlist=parsed,
            problem=problem,
            **fields,
        )

    def segment(
        self,
        t: float,
        rendition: str,
        sequence: int,
        *,
        origin: str | None = "primary",
        body: bytes | None = None,
        length: float = L,
        **fields: object,
    ) -> Observation:
        raw = ts_packet_with_pts(expected_pts(sequence, length)) if body is None else body
        parsed: SegmentBody | None = None
        problem = None
        if fields.get("status", 200) == 200 and not fields.get("error"):
            try:
                parsed = SegmentBody(len(raw), hashlib.sha256(raw).hexdigest(), first_pts(raw))
            except SegmentUnreadable as exc:
                problem = str(exc)
        folder = rendition.rsplit("/", 1)[0]
        return self._record(
            t,
            f"{BASE}/{folder}/seg_{sequence}.ts",
            ResourceKind.SEGMENT,
            rendition,
            origin=origin,
            sequence=sequence,
            segment=parsed,
            problem=problem,
            **fields,
        )

    def fault(self, name: str, applied: float, undone: float | None = None) -> None:
        self.faults.append(
            FaultMark(
                name,
                T0 + timedelta(seconds=applied),
                MONO0 + applied,
                MONO0 + applied,
                None if undone is None else T0 + timedelta(seconds=undone),
                None if undone is None else MONO0 + undone,
                None if undone is None else MONO0 + undone,
            )
        )

    def watch(
        self,
        rendition: str,
        start: float,
        stop: float,
        *,
        origin: Callable[[float], str | None] | str | None = "primary",
        window: int = 5,
        poll: float = 0.5,
        fetch_segments: bool = True,
        **playlist_options: object,
    ) -> None:
        """A healthy viewer: poll every ``poll`` s, fetch each newly listed segment right away."""
        fetched: set[int] = set()
        t = start
        while t < stop - 1e-9:
            served_by = origin(t) if callable(origin) else origin
            last = newest_complete(t)
            self.playlist(t, rendition, media_playlist(last - window + 1, window, **playlist_options), origin=served_by)  # type: ignore[arg-type]
            if fetch_segments:
                for n in range(last - window + 1, last + 1):
                    if n not in fetched:
                        fetched.add(n)
                        self.segment(t + 0.06, rendition, n, origin=served_by)
            t = round(t + poll, 6)

    def timeline(self) -> Timeline:
        return Timeline(tuple(self.observations), tuple(self.faults), tuple(self.player_events))
