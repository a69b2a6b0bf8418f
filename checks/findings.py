"""Findings: what a check concluded, in words a streaming engineer reads without opening the code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the viewer was or could be hurt
    WARNING = "warning"  # a rule was bent; worth a look before the event


class Code(StrEnum):
    """Stable finding codes. Dashboards key on these: never rename one, only add."""

    # bodies
    PLAYLIST_MALFORMED = "playlist-malformed"
    SEGMENT_MALFORMED = "segment-malformed"
    # continuity (RFC 8216 6.2.1, 6.2.2, 6.3.4)
    MEDIA_SEQUENCE_MISSING = "media-sequence-missing"
    MEDIA_SEQUENCE_DECREASED = "media-sequence-decreased"
    MEDIA_SEQUENCE_STEPPED_BACK = "media-sequence-stepped-back"  # one segment, at an origin switch: write skew
    PLAYLIST_SHRANK = "playlist-shrank"  # same media sequence, fewer segments: listed segments vanished
    SEGMENT_GAP = "segment-gap"
    SEGMENT_SKIPPED_AT_RESTART = "segment-skipped-at-restart"  # one segment, into a restarted window, at a switch
    SEGMENT_URI_CHANGED = "segment-uri-changed"
    SEGMENT_DURATION_CHANGED = "segment-duration-changed"
    DISCONTINUITY_SEQUENCE_DECREASED = "discontinuity-sequence-decreased"
    DISCONTINUITY_NUMBER_CHANGED = "discontinuity-number-changed"
    TARGET_DURATION_CHANGED = "target-duration-changed"
    ENDLIST_ON_LIVE = "endlist-on-live"
    # epoch lock
    PROGRAM_DATE_TIME_MISSING = "program-date-time-missing"
    PROGRAM_DATE_TIME_OFF_EPOCH = "program-date-time-off-epoch"
    LIVE_EDGE_OFF_EPOCH = "live-edge-off-epoch"
    PTS_OFF_EPOCH = "pts-off-epoch"
    ORIGINS_DISAGREE = "origins-disagree"
    # freshness
    PLAYLIST_STALE = "playlist-stale"
    PLAYLIST_TOO_SHORT = "playlist-too-short"
    EXTINF_ABOVE_TARGET = "extinf-above-target"
    # availability
    OUTAGE = "outage"
    # failover
    FAILOVER_MISSING = "failover-missing"
    FAILOVER_SLOW = "failover-slow"
    FAILBACK_MISSING = "failback-missing"
    FAILBACK_SLOW = "failback-slow"
    # viewer impact
    VIEWER_STALLED = "viewer-stalled"
    VIEWER_NEVER_STARTED = "viewer-never-started"
    # a real player beside the viewer (--player hlsjs)
    PLAYER_STALLED = "player-stalled"
    PLAYER_NEVER_STARTED = "player-never-started"
    PLAYER_MODEL_DISAGREE = "player-model-disagree"


@dataclass(frozen=True)
class Finding:
    code: Code
    severity: Severity
    at: datetime | None  # aware UTC; None when the finding is about the whole run
    rendition: str | None
    message: str
    evidence: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        where = f" [{self.rendition}]" if self.rendition else ""
        when = f" at {self.at.strftime('%H:%M:%S.%f')[:-3]}Z" if self.at else ""
        return f"{self.severity.value.upper()} {self.code.value}{where}{when}: {self.message}"


def evidence(**items: object) -> tuple[tuple[str, str], ...]:
    """Evidence as ordered text pairs, so a finding stays hashable and prints the same everywhere."""
    return tuple((key, str(value)) for key, value in items.items())
