"""What a viewer saw: one immutable record per HTTP response, and the timeline of a run.

These records are the only thing checks read. The viewer converts every m3u8 object and every
response into them at once, so no check ever sees a library object or touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class ResourceKind(StrEnum):
    MULTIVARIANT = "multivariant"
    MEDIA_PLAYLIST = "media-playlist"
    SEGMENT = "segment"


@dataclass(frozen=True)
class SegmentEntry:
    """One segment as a media playlist listed it."""

    sequence: int
    uri: str
    duration: float
    program_date_time: datetime | None
    discontinuity: bool
    # RFC 8216 4.3.3.3: EXT-X-DISCONTINUITY-SEQUENCE plus the DISCONTINUITY tags before this segment.
    discontinuity_number: int


@dataclass(frozen=True)
class MediaPlaylist:
    """What a media playlist said, after parsing."""

    media_sequence: int
    media_sequence_present: bool  # m3u8 silently defaults a missing EXT-X-MEDIA-SEQUENCE to 0
    discontinuity_sequence: int
    target_duration: float
    playlist_type: str | None
    endlist: bool
    segments: tuple[SegmentEntry, ...]

    @property
    def last_sequence(self) -> int | None:
        return self.segments[-1].sequence if self.segments else None

    @property
    def duration_s(self) -> float:
        return sum(e.duration for e in self.segments)


@dataclass(frozen=True)
class Variant:
    """One EXT-X-STREAM-INF entry of a multivariant playlist."""

    uri: str
    bandwidth: int
    resolution: str | None
    codecs: str | None


@dataclass(frozen=True)
class MediaRendition:
    """One EXT-X-MEDIA entry with a URI (RFC 8216 4.3.4.1): an alternative audio or subtitles playlist."""

    type: str  # AUDIO, SUBTITLES (VIDEO too); CLOSED-CAPTIONS have no URI and are not listed
    group_id: str
    name: str
    uri: str


@dataclass(frozen=True)
class MultivariantPlaylist:
    variants: tuple[Variant, ...]
    media: tuple[MediaRendition, ...] = ()

    @property
    def rendition_uris(self) -> tuple[str, ...]:
        """Every media playlist a full viewer loads: each variant's, then each EXT-X-MEDIA rendition's, once each."""
        return tuple(dict.fromkeys([v.uri for v in self.variants] + [m.uri for m in self.media]))


@dataclass(frozen=True)
class SegmentBody:
    """What a segment's bytes said."""

    size: int
    sha256: str
    first_pts: int | None  # 90 kHz ticks, as carried in the first PES header


@dataclass(frozen=True)
class ResponseHeaders:
    """The response headers that matter to a failover drill."""

    cache_status: str | None = None  # X-Cache
    age: int | None = None
    max_age: int | None = None  # the lifetime it declares to a shared cache: s-maxage, else max-age
    etag: str | None = None
    last_modified: str | None = None
    attribution: str | None = None  # a header naming the origin, where the stack offers one


@dataclass(frozen=True)
class Observation:
    """One HTTP exchange as the viewer saw it.

    Exactly one of ``status`` and ``error`` is set. ``problem`` says why a 200 body could not be
    read as what was asked for (HTML error page, truncated playlist, not MPEG-TS...); a problem is a
    finding, never an exception.
    """

    wall_time: datetime  # aware UTC, when the request was sent
    monotonic: float  # time.monotonic() when the request was sent
    url: str
    kind: ResourceKind
    rendition: str | None
    status: int | None
    error: str | None
    latency_s: float
    headers: ResponseHeaders = field(default_factory=ResponseHeaders)
    origin: str | None = None  # which origin/region served it, or None when unknown
    sequence: int | None = None  # for a segment: its media sequence number
    media_playlist: MediaPlaylist | None = None
    multivariant: MultivariantPlaylist | None = None
    segment: SegmentBody | None = None
    problem: str | None = None

    def __post_init__(self) -> None:
        if self.wall_time.tzinfo is None or self.wall_time.utcoffset() is None:
            raise ValueError(f"Observation.wall_time must be timezone-aware UTC, got {self.wall_time!r}")
        if (self.status is None) == (self.error is None):
            raise ValueError("Observation needs exactly one of status and error")

    @property
    def ok(self) -> bool:
        """A usable answer: 2xx with a body that parsed as what was asked for."""
        return self.status is not None and 200 <= self.status < 300 and self.problem is None

    @property
    def failed(self) -> bool:
        """What a player would count as a failed request."""
        return not self.ok

    @property
    def done(self) -> float:
        """Monotonic time at which the response was complete."""
        return self.monotonic + self.latency_s

    def describe_failure(self) -> str:
        if self.error is not None:
            return self.error
        if self.status is not None and not 200 <= self.status < 300:
            return f"HTTP {self.status}"
        return self.problem or "ok"


@dataclass(frozen=True)
class FaultMark:
    """A fault applied to the stack during the run: when its apply and its undo calls started and returned.

    Both calls are stamped at start and at return, so neither is favoured: failover is measured from
    the start of the apply call and fail-back from the start of the undo call (an AWS undo may spend
    seconds in retries and in waiting for the encoder, and the stack may recover during that time).
    """

    name: str
    applied_wall: datetime  # the apply call started
    applied_monotonic: float
    apply_returned_monotonic: float | None = None
    undo_started_wall: datetime | None = None  # None: not undone (yet)
    undo_started_monotonic: float | None = None
    undo_returned_monotonic: float | None = None

    @property
    def undone(self) -> bool:
        return self.undo_started_monotonic is not None


class PlayerEventKind(StrEnum):
    """What a real player (hls.js in Chromium) reported, by the names the drill records them under."""

    LOAD = "load"
    MANIFEST_PARSED = "manifest_parsed"
    PLAYING = "playing"
    WAITING = "waiting"
    STALL_START = "stall_start"  # the video element waited after playback had begun
    STALL_END = "stall_end"  # ... and played again
    LEVEL_SWITCHED = "level_switched"
    LEVEL_LOADED = "level_loaded"
    FRAG_LOADED = "frag_loaded"
    BUFFER_EOS = "buffer_eos"
    ERROR = "error"
    ENDED = "ended"


@dataclass(frozen=True)
class PlayerEvent:
    """One event of a real player beside the viewer, on the same monotonic clock as the observations."""

    player: str  # e.g. "hls.js 1.7.4"
    kind: PlayerEventKind
    wall_time: datetime  # aware UTC
    monotonic: float
    level: int | None = None
    sequence: int | None = None  # a fragment's media sequence number
    url: str | None = None
    fatal: bool | None = None
    details: str | None = None  # an error's type and details, e.g. "networkError/levelLoadError"
    code: int | None = None  # an error's HTTP status (0: no response, e.g. refused by CORS)
    live: bool | None = None  # a loaded level: still live (False once EXT-X-ENDLIST was seen)


@dataclass(frozen=True)
class Timeline:
    """Every observation of one run, in the order the requests were sent, plus the fault marks and the
    events of a real player that watched beside the viewer (empty when none did)."""

    observations: tuple[Observation, ...]
    faults: tuple[FaultMark, ...] = ()
    player_events: tuple[PlayerEvent, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.observations, key=lambda o: o.monotonic))
        object.__setattr__(self, "observations", ordered)

    @property
    def start(self) -> float | None:
        return self.observations[0].monotonic if self.observations else None

    @property
    def end(self) -> float | None:
        return max(o.done for o in self.observations) if self.observations else None

    def renditions(self) -> tuple[str, ...]:
        seen = dict.fromkeys(o.rendition for o in self.observations if o.rendition is not None)
        return tuple(seen)

    def of_kind(self, kind: ResourceKind, rendition: str | None = None) -> tuple[Observation, ...]:
        return tuple(
            o
            for o in self.observations
            if o.kind is kind and (rendition is None or o.rendition == rendition)
        )

    def playlists(self, rendition: str) -> tuple[tuple[Observation, MediaPlaylist], ...]:
        """The media playlists of one rendition that parsed, in request order."""
        return tuple(
            (o, o.media_playlist)
            for o in self.of_kind(ResourceKind.MEDIA_PLAYLIST, rendition)
            if o.ok and o.media_playlist is not None
        )

    def wall_at(self, monotonic: float) -> datetime | None:
        """Wall-clock time of a monotonic instant, from the nearest observation's pair."""
        if not self.observations:
            return None
        nearest = min(self.observations, key=lambda o: abs(o.monotonic - monotonic))
        return nearest.wall_time + timedelta(seconds=monotonic - nearest.monotonic)
