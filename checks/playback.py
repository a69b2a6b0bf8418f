"""Viewer impact: replay the timeline through a simple live player and count its stalls.

The model follows RFC 8216 6.3.3 and hls.js's defaults: start three target durations behind the live
edge, play in real time, and when its own rendition errors, switch to the redundant rendition with
the same bandwidth (the other pipeline) and stay there. A segment that has not arrived when it is due
is a stall that lasts until it arrives. A playlist with EXT-X-ENDLIST ends playback for good once its
last segment has played: hls.js marks the level VOD, never reloads it, and fires ``ended``
(m3u8-parser ENDLIST sets live = false; stream-controller _streamEnded), so the rest of the watch is
one stall that never ends. A segment whose first PTS does not follow the previous one's (more than
hls.js's 0.25 s fragment look-up tolerance, with no EXT-X-DISCONTINUITY to announce it) costs one target
duration: the player must re-align its buffer. That is what two regions that are not epoch-locked do
at a failover; hls.js 1.7.4 stalled 0.4-1.9 s there at a 1 s target duration (benchmarks.player_agreement).
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.findings import Code, Finding, Severity, evidence
from checks.mpegts import PTS_WRAP, pts_distance
from checks.timeline import ResourceKind, Timeline

START_BEHIND_TARGET_DURATIONS = 3
# A wait shorter than this is a hiccup, not a stall: no viewer sees a 50 ms freeze (the real player's rule too,
# checks/player.py), and a viewer on a loaded machine fetches a segment that late by itself.
HICCUP_S = 0.1


@dataclass(frozen=True)
class Stall:
    rendition: str
    sequence: int
    start: float  # monotonic
    seconds: float
    ended: bool = False  # the player stopped at EXT-X-ENDLIST: this stall lasts to the end of the watch
    jumped_s: float = 0.0  # not 0: the segment's timestamps did not follow the last one's, by this much


@dataclass(frozen=True)
class Playback:
    started: bool
    startup_s: float | None
    played_s: float
    stalls: tuple[Stall, ...]
    renditions: tuple[str, ...]  # in the order the player used them
    hiccups: tuple[Stall, ...] = ()  # waits under HICCUP_S: counted here, never a stall

    @property
    def ended_at_endlist(self) -> bool:
        return any(s.ended for s in self.stalls)

    @property
    def stall_s(self) -> float:
        return sum(s.seconds for s in self.stalls)

    @property
    def rebuffer_ratio(self) -> float:
        watched = self.played_s + self.stall_s
        return self.stall_s / watched if watched > 0 else 0.0


def redundant_groups(timeline: Timeline) -> dict[str, tuple[str, ...]]:
    """Each rendition's alternates in playlist order: variants with the same bandwidth and resolution."""
    for observation in timeline.of_kind(ResourceKind.MULTIVARIANT):
        if observation.ok and observation.multivariant is not None:
            variants = observation.multivariant.variants
            return {
                v.uri: tuple(
                    w.uri for w in variants if (w.bandwidth, w.resolution) == (v.bandwidth, v.resolution)
                )
                for v in variants
            }
    return {r: (r,) for r in timeline.renditions()}


def _arrivals(timeline: Timeline) -> dict[str, dict[int, float]]:
    arrivals: dict[str, dict[int, float]] = {}
    for o in timeline.of_kind(ResourceKind.SEGMENT):
        if o.ok and o.rendition is not None and o.sequence is not None:
            per = arrivals.setdefault(o.rendition, {})
            per[o.sequence] = min(per.get(o.sequence, o.done), o.done)
    return arrivals


def _durations(timeline: Timeline) -> dict[str, dict[int, float]]:
    durations: dict[str, dict[int, float]] = {}
    for rendition in timeline.renditions():
        per = durations.setdefault(rendition, {})
        for _, playlist in timeline.playlists(rendition):
            for entry in playlist.segments:
                per.setdefault(entry.sequence, entry.duration)
    return durations


def _failures(timeline: Timeline) -> dict[str, list[float]]:
    failures: dict[str, list[float]] = {}
    for o in timeline.observations:
        if o.failed and o.rendition is not None:
            failures.setdefault(o.rendition, []).append(o.done)
    return failures


JUMP_TOLERANCE_TICKS = round(0.25 * 90_000)  # hls.js maxFragLookUpTolerance


def _stamps(timeline: Timeline) -> dict[str, dict[int, int]]:
    """Each rendition's segments' first PTS, from the answer the player would have used (the first that arrived)."""
    stamps: dict[str, dict[int, tuple[float, int]]] = {}
    for o in timeline.of_kind(ResourceKind.SEGMENT):
        if o.ok and o.rendition and o.sequence is not None and o.segment and o.segment.first_pts is not None:
            per = stamps.setdefault(o.rendition, {})
            if o.sequence not in per or o.done < per[o.sequence][0]:
                per[o.sequence] = (o.done, o.segment.first_pts)
    return {r: {n: pts for n, (_, pts) in per.items()} for r, per in stamps.items()}


def _announced(timeline: Timeline) -> dict[str, set[int]]:
    """Per rendition, the segments a playlist marked with EXT-X-DISCONTINUITY."""
    marked: dict[str, set[int]] = {}
    for rendition in timeline.renditions():
        for _, playlist in timeline.playlists(rendition):
            marked.setdefault(rendition, set()).update(e.sequence for e in playlist.segments if e.discontinuity)
    return marked


def _endlists(timeline: Timeline) -> dict[str, tuple[float, int]]:
    """Per rendition, when the player first learned of EXT-X-ENDLIST, and the last segment that playlist listed."""
    ends: dict[str, tuple[float, int]] = {}
    for rendition in timeline.renditions():
        for observation, playlist in timeline.playlists(rendition):
            if playlist.endlist and playlist.last_sequence is not None:
                ends[rendition] = (observation.done, playlist.last_sequence)
                break
    return ends


def simulate_playback(timeline: Timeline, rendition: str | None = None) -> Playback:
    """Play ``rendition`` (default: the first variant listed) from the timeline's observations."""
    groups = redundant_groups(timeline)
    watched = timeline.renditions()
    current = rendition or next((r for r in groups if r in watched), None)
    end = timeline.end
    if current is None or end is None or timeline.start is None:
        return Playback(False, None, 0.0, (), ())
    arrivals, durations, failures = _arrivals(timeline), _durations(timeline), _failures(timeline)
    endlists = _endlists(timeline)
    stamps, announced = _stamps(timeline), _announced(timeline)
    expected_pts: int | None = None  # where the next segment's timestamps should start

    first = next(iter(timeline.playlists(current)), None)
    if first is None or not first[1].segments:
        return Playback(False, None, 0.0, (), (current,))
    _, playlist = first
    behind = 0.0
    position = playlist.segments[-1].sequence
    for entry in reversed(playlist.segments):
        position = entry.sequence
        behind += entry.duration
        if behind >= START_BEHIND_TARGET_DURATIONS * playlist.target_duration:
            break
    start_at = arrivals.get(current, {}).get(position)
    if start_at is None:
        return Playback(False, None, 0.0, (), (current,))

    used = [current]
    stalls: list[Stall] = []
    hiccups: list[Stall] = []
    clock = start_at  # when the segment at `position` begins to play
    played = 0.0
    while clock < end:
        ended = endlists.get(current)
        if ended is not None and ended[0] <= clock and position > ended[1]:
            stalls.append(Stall(current, position, clock, end - clock, ended=True))
            break
        arrival = arrivals.get(current, {}).get(position)
        if arrival is None or arrival > clock:
            # The player learns of trouble only from its own failed requests, made while it buffered
            # the segments ahead of this one; each failure may switch it to a redundant rendition.
            deadline = arrival if arrival is not None else end
            lookback = START_BEHIND_TARGET_DURATIONS * playlist.target_duration
            failure = next((t for t in failures.get(current, []) if clock - lookback <= t <= deadline), None)
            if failure is not None:
                for alternate in groups.get(current, (current,)):
                    alt_arrival = arrivals.get(alternate, {}).get(position)
                    if alternate == current or alt_arrival is None:
                        continue
                    candidate = max(alt_arrival, failure)
                    if arrival is None or candidate < arrival:
                        current, arrival = alternate, candidate
                        used.append(alternate)
                        break
        if arrival is None:
            # Gone for good in this rendition: like hls.js, skip to the next segment that does arrive.
            later = [n for n in arrivals.get(current, {}) if n > position]
            if not later:
                if end > clock:
                    stalls.append(Stall(current, position, clock, end - clock))
                break
            position = min(later)
            arrival = arrivals[current][position]
            expected_pts = None  # skipping segments skips their time too: nothing to compare with
        if arrival > clock:
            wait = Stall(current, position, clock, arrival - clock)
            (hiccups if wait.seconds < HICCUP_S else stalls).append(wait)
            clock = arrival
        duration = durations.get(current, {}).get(position)
        if duration is None:
            break
        pts = stamps.get(current, {}).get(position)
        if pts is not None and expected_pts is not None and position not in announced.get(current, set()):
            off = pts_distance(pts, expected_pts)
            if off > JUMP_TOLERANCE_TICKS:
                stalls.append(Stall(current, position, clock, playlist.target_duration, jumped_s=off / 90_000))
                clock += playlist.target_duration
        expected_pts = None if pts is None else (pts + round(duration * 90_000)) % PTS_WRAP
        played += min(duration, max(0.0, end - clock))
        clock += duration
        position += 1
    return Playback(True, start_at - timeline.start, played, tuple(stalls), tuple(used), tuple(hiccups))


def viewer_never_stalls(
    timeline: Timeline, *, rendition: str | None = None, allowance_s: float = 0.0
) -> list[Finding]:
    """A viewer watching the stream live should never wait for a segment beyond the allowance."""
    playback = simulate_playback(timeline, rendition)
    if not playback.started:
        return [
            Finding(
                Code.VIEWER_NEVER_STARTED,
                Severity.ERROR,
                timeline.observations[0].wall_time if timeline.observations else None,
                rendition,
                "the model player never started: no playlist with segments, or its start segment never arrived",
                evidence(requests=len(timeline.observations)),
            )
        ]
    if playback.stall_s <= allowance_s:
        return []
    return [
        Finding(Code.VIEWER_STALLED, Severity.ERROR, timeline.wall_at(stall.start), stall.rendition,
                *_stall_words(stall, playback, allowance_s))
        for stall in playback.stalls
    ]


def _stall_words(stall: Stall, playback: Playback, allowance_s: float) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The message and evidence of one stall, in the words of its cause."""
    if stall.ended:
        return (
            f"playback ended at EXT-X-ENDLIST after segment {stall.sequence - 1} and stayed ended for the last "
            f"{stall.seconds:.1f} s of the watch: a player that sees ENDLIST stops for good (hls.js fires 'ended' "
            "and never reloads the playlist), even if the stream later goes on",
            evidence(sequence=stall.sequence, stall_s=f"{stall.seconds:.2f}", total_stall_s=f"{playback.stall_s:.2f}"),
        )
    if stall.jumped_s:
        return (
            f"viewer stalled about {stall.seconds:.1f} s at segment {stall.sequence}: its timestamps are {stall.jumped_s:.2f} s "
            "away from where the previous segment ended, with no EXT-X-DISCONTINUITY, so the player must re-align "
            "its buffer (regions not epoch-locked?)",
            evidence(sequence=stall.sequence, stall_s=f"{stall.seconds:.2f}", jumped_s=f"{stall.jumped_s:.3f}"),
        )
    return (
        f"viewer stalled {stall.seconds:.1f} s waiting for segment {stall.sequence} "
        f"({len(playback.stalls)} stall(s), {playback.stall_s:.1f} s in all, allowance {allowance_s:.1f} s, "
        f"rebuffer ratio {playback.rebuffer_ratio:.1%})",
        evidence(sequence=stall.sequence, stall_s=f"{stall.seconds:.2f}", total_stall_s=f"{playback.stall_s:.2f}"),
    )
