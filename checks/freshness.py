"""Freshness: a live playlist gains a segment every target duration or it is stale.

A stale playlist still answers 200, so no CDN fails over on it; this is the failure an origin group
alone cannot see, and the reason manifest expiry exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from checks.findings import Code, Finding, Severity, evidence
from checks.timeline import MediaPlaylist, Observation, Timeline

DEFAULT_STALE_FACTOR = 1.5  # RFC 8216 6.2.1: a new version no later than 1.5 x target duration


@dataclass(frozen=True)
class UnchangedStretch:
    """A run of polls that all returned the same window (same last segment)."""

    rendition: str
    first: Observation
    last: Observation
    last_sequence: int | None
    target_duration: float
    origin_had_it_until: float  # monotonic: the latest moment a poll proves the origin still had this version

    @property
    def seconds(self) -> float:
        """At least this long unchanged at the origin: from the first poll that showed it to the latest moment a
        poll proves the origin still had it (polling can only under-count).

        A cached answer within the lifetime its response declares proves less than a fresh one: its copy was
        fetched up to Age + 1 s before (Age counts whole seconds), and a CDN that caches a manifest for its
        max-age rightly serves it that much longer. Counted from the poll instead, a healthy stack failed: L = 2 s,
        manifests cached 1 s, a poll just before a segment landed and a cache hit a second later made 3.001 s
        against the 3.0 s limit. What a cache serves past the declared lifetime, or with no lifetime declared,
        is the CDN's own staleness, and counts.
        """
        return max(0.0, self.origin_had_it_until - self.first.monotonic)


def _origin_had_it_at(observation: Observation) -> float:
    age, lifetime = observation.headers.age, observation.headers.max_age
    if age is None or lifetime is None:
        return observation.monotonic
    return observation.monotonic - (min(age, lifetime) + 1)


def unchanged_stretches(timeline: Timeline) -> list[UnchangedStretch]:
    stretches = []
    for rendition in timeline.renditions():
        current: UnchangedStretch | None = None
        for observation, playlist in timeline.playlists(rendition):
            if current is not None and current.last_sequence == playlist.last_sequence:
                current = UnchangedStretch(
                    rendition, current.first, observation, playlist.last_sequence, current.target_duration,
                    max(current.origin_had_it_until, _origin_had_it_at(observation)),
                )
                continue
            if current is not None:
                stretches.append(current)
            current = UnchangedStretch(
                rendition, observation, observation, playlist.last_sequence, playlist.target_duration,
                _origin_had_it_at(observation),
            )
        if current is not None:
            stretches.append(current)
    return stretches


def longest_unchanged_s(timeline: Timeline) -> float:
    """The longest a live playlist was seen without a new segment, over every rendition."""
    return max((s.seconds for s in unchanged_stretches(timeline) if not _ended(s)), default=0.0)


def _ended(stretch: UnchangedStretch) -> bool:
    playlist = stretch.last.media_playlist
    return playlist is not None and playlist.endlist


def playlists_stay_fresh(timeline: Timeline, *, stale_factor: float = DEFAULT_STALE_FACTOR) -> list[Finding]:
    """RFC 8216 6.2.1: a live playlist without ENDLIST changes within stale_factor x target duration."""
    findings = []
    for stretch in unchanged_stretches(timeline):
        limit = stale_factor * stretch.target_duration
        if _ended(stretch) or stretch.seconds <= limit:
            continue
        origins = sorted({o.origin or "unknown origin" for o in (stretch.first, stretch.last)})
        findings.append(
            Finding(
                Code.PLAYLIST_STALE,
                Severity.ERROR,
                stretch.first.wall_time,
                stretch.rendition,
                f"playlist stale for {stretch.seconds:.1f} s (limit {limit:.1f} s = {stale_factor:g} x target "
                f"duration): it kept ending at segment {stretch.last_sequence} while answering "
                f"{stretch.last.status} from {', '.join(origins)}; players sit on the last segments until "
                "something turns staleness into an error",
                evidence(
                    stale_s=f"{stretch.seconds:.1f}",
                    limit_s=f"{limit:.1f}",
                    last_sequence=stretch.last_sequence,
                    origin=", ".join(origins),
                    url=stretch.first.url,
                ),
            )
        )
    return findings


def extinf_within_target(timeline: Timeline) -> list[Finding]:
    """RFC 8216 4.3.3.1: every EXTINF, rounded to the nearest integer, is at most the target duration."""
    findings = []
    for rendition in timeline.renditions():
        reported: set[int] = set()
        for observation, playlist in timeline.playlists(rendition):
            for entry in playlist.segments:
                rounded = math.floor(entry.duration + 0.5)
                if rounded > playlist.target_duration and entry.sequence not in reported:
                    reported.add(entry.sequence)
                    findings.append(
                        Finding(
                            Code.EXTINF_ABOVE_TARGET,
                            Severity.WARNING,
                            observation.wall_time,
                            rendition,
                            f"segment {entry.sequence} lasts {entry.duration:.3f} s, which rounds to {rounded} s, "
                            f"above the target duration {playlist.target_duration:g} s (RFC 8216 4.3.3.1): "
                            "players reload too early and may stall",
                            evidence(sequence=entry.sequence, extinf=entry.duration, target=playlist.target_duration),
                        )
                    )
    return findings


SHORTEST_LIVE_TARGET_DURATIONS = 3  # RFC 8216 6.2.2


def too_short_for_live(playlist: MediaPlaylist) -> bool:
    """RFC 8216 6.2.2: shorter than three target durations (a window a pipeline has just restarted)."""
    return playlist.duration_s < SHORTEST_LIVE_TARGET_DURATIONS * playlist.target_duration


def live_playlists_long_enough(timeline: Timeline) -> list[Finding]:
    """RFC 8216 6.2.2: a live playlist (no ENDLIST) MUST NOT be shorter than three target durations."""
    findings = []
    for rendition in timeline.renditions():
        short = [(o, p) for o, p in timeline.playlists(rendition) if not p.endlist and too_short_for_live(p)]
        if not short:
            continue
        observation, playlist = short[0]
        length = playlist.duration_s
        origins = sorted({o.origin or "unknown origin" for o, _ in short})
        findings.append(
            Finding(
                Code.PLAYLIST_TOO_SHORT,
                Severity.WARNING,
                observation.wall_time,
                rendition,
                f"live playlist lists {len(playlist.segments)} segment(s), {length:.1f} s, under three target "
                f"durations ({SHORTEST_LIVE_TARGET_DURATIONS * playlist.target_duration:g} s, RFC 8216 6.2.2), in "
                f"{len(short)} poll(s) from {', '.join(origins)}: a player joining now starts at the live edge with "
                "no buffer (hls.js clamps its start to the playlist's first segment) and stalls on the next late "
                "segment; typical after a pipeline restarts its window",
                evidence(segments=len(playlist.segments), seconds=f"{length:.1f}", polls=len(short),
                         origin=", ".join(origins), url=observation.url),
            )
        )
    return findings
