"""Epoch lock: segment N covers [N x L, (N+1) x L) of Unix time in every region and pipeline.

That shared grid is what makes a cross-region failover seamless: the same number names the same
media, with the same program date time and the same PTS, wherever it was encoded.
"""

from __future__ import annotations

import math
import posixpath
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from checks.findings import Code, Finding, Severity, evidence
from checks.mpegts import PTS_WRAP, pts_distance
from checks.timeline import Observation, ResourceKind, SegmentEntry, Timeline

UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
CLOCK = 90_000  # MPEG-TS PTS ticks per second


def expected_program_date_time(sequence: int, segment_length_s: float, epoch: datetime = UNIX_EPOCH) -> datetime:
    return epoch + timedelta(seconds=sequence * segment_length_s)


def expected_pts(sequence: int, segment_length_s: float) -> int:
    return round(sequence * segment_length_s * CLOCK) % PTS_WRAP


def program_date_time_on_epoch_grid(
    timeline: Timeline, *, segment_length_s: float, tolerance_s: float = 0.1, epoch: datetime = UNIX_EPOCH
) -> list[Finding]:
    """RFC 8216 4.3.2.6 with epoch locking: segment N's program date time is epoch + N x L."""
    findings = []
    for rendition in timeline.renditions():
        checked: set[int] = set()
        without_pdt = 0
        first_without = None
        off_grid: list[tuple[Observation, SegmentEntry, datetime, float]] = []
        for observation, playlist in timeline.playlists(rendition):
            for entry in playlist.segments:
                if entry.sequence in checked:
                    continue
                checked.add(entry.sequence)
                if entry.program_date_time is None:
                    without_pdt += 1
                    first_without = first_without or observation
                    continue
                expected = expected_program_date_time(entry.sequence, segment_length_s, epoch)
                off = (entry.program_date_time - expected).total_seconds()
                if abs(off) > tolerance_s:
                    off_grid.append((observation, entry, expected, off))
        if off_grid:
            observation, entry, expected, off = off_grid[0]
            assert entry.program_date_time is not None
            worst = max(abs(item[3]) for item in off_grid)
            findings.append(
                Finding(
                    Code.PROGRAM_DATE_TIME_OFF_EPOCH,
                    Severity.ERROR,
                    observation.wall_time,
                    rendition,
                    f"segment {entry.sequence} says it starts at {entry.program_date_time.isoformat()} "
                    f"but the epoch grid puts it at {expected.isoformat()} ({off:+.3f} s off, "
                    f"L = {segment_length_s:g} s; {len(off_grid)} segment(s) off, worst {worst:.3f} s): "
                    "is OutputLockingMode EPOCH_LOCKING with UTC timecode?",
                    evidence(
                        sequence=entry.sequence,
                        program_date_time=entry.program_date_time.isoformat(),
                        expected=expected.isoformat(),
                        off_s=f"{off:.3f}",
                        segments_off=len(off_grid),
                        origin=observation.origin or "unknown",
                    ),
                )
            )
        if without_pdt and first_without is not None:
            findings.append(
                Finding(
                    Code.PROGRAM_DATE_TIME_MISSING,
                    Severity.WARNING,
                    first_without.wall_time,
                    rendition,
                    f"{without_pdt} segment(s) carry no EXT-X-PROGRAM-DATE-TIME, so their place on the "
                    "epoch grid cannot be verified",
                    evidence(segments=without_pdt, url=first_without.url),
                )
            )
    return findings


def _live_edge_finding(rendition: str, run: list[tuple[datetime, int, int, str]]) -> Finding:
    at, lag, last, origin = max(run, key=lambda item: abs(item[1]))
    ahead = lag < 0
    cause = (
        "the encoder clock or numbering is not locked to the Unix epoch"
        if ahead or abs(lag) > 1000
        else "the playlist is falling behind real time"
    )
    return Finding(
        Code.LIVE_EDGE_OFF_EPOCH,
        Severity.ERROR,
        run[0][0],
        rendition,
        f"live edge is segment {last} but the wall clock says segment {last + lag} is the newest complete one: "
        f"{abs(lag)} segment(s) {'ahead of' if ahead else 'behind'} the epoch ({origin}, {len(run)} poll(s)); {cause}",
        evidence(worst_lag_segments=lag, last_sequence=last, polls=len(run), origin=origin),
    )


def live_edge_on_epoch(
    timeline: Timeline, *, segment_length_s: float, tolerance_segments: int = 3
) -> list[Finding]:
    """The newest segment listed is within a tolerance of floor(now / L) - 1, the last complete one."""
    findings = []
    for rendition in timeline.renditions():
        run: list[tuple[datetime, int, int, str]] = []  # consecutive polls off the epoch
        for observation, playlist in timeline.playlists(rendition):
            last = playlist.last_sequence
            if last is None or playlist.endlist:
                continue
            newest_complete = math.floor(observation.wall_time.timestamp() / segment_length_s) - 1
            lag = newest_complete - last
            if lag > tolerance_segments or lag < -1:
                run.append((observation.wall_time, lag, last, observation.origin or "unknown origin"))
            elif run:
                findings.append(_live_edge_finding(rendition, run))
                run = []
        if run:
            findings.append(_live_edge_finding(rendition, run))
    return findings


def pts_on_epoch(timeline: Timeline, *, segment_length_s: float, tolerance_s: float = 0.1) -> list[Finding]:
    """With epoch locking, segment N's first PTS is N x L x 90000 mod 2^33."""
    off_grid: dict[str | None, list[tuple[Observation, int, int, int]]] = defaultdict(list)
    checked: set[tuple[str | None, int]] = set()
    for observation in timeline.of_kind(ResourceKind.SEGMENT):
        if not observation.ok or observation.segment is None or observation.sequence is None:
            continue
        pts = observation.segment.first_pts
        key = (observation.rendition, observation.sequence)
        if pts is None or key in checked:
            continue
        checked.add(key)
        expected = expected_pts(observation.sequence, segment_length_s)
        off = pts_distance(pts, expected)
        if off > tolerance_s * CLOCK:
            off_grid[observation.rendition].append((observation, pts, expected, off))
    findings = []
    for rendition, items in off_grid.items():
        observation, pts, expected, off = items[0]
        findings.append(
            Finding(
                Code.PTS_OFF_EPOCH,
                Severity.ERROR,
                observation.wall_time,
                rendition,
                f"segment {observation.sequence} starts at PTS {pts} but the epoch grid says {expected} "
                f"({off / CLOCK:.3f} s apart, {observation.origin or 'unknown origin'}; {len(items)} segment(s) "
                "off the grid): a player switching origins here would jump in time",
                evidence(
                    sequence=observation.sequence, pts=pts, expected=expected, segments_off=len(items), url=observation.url
                ),
            )
        )
    return findings


def origins_agree(timeline: Timeline, *, program_date_time_tolerance_s: float = 0.001) -> list[Finding]:
    """Two origins serving segment N agree on its name, duration, program date time and PTS."""
    # (rendition, sequence) -> origin -> field -> value as first seen from that origin
    seen: dict[tuple[str, int], dict[str, dict[str, object]]] = defaultdict(dict)
    first_at: dict[tuple[str, int], datetime] = {}
    for observation in timeline.observations:
        if not observation.ok or observation.origin is None or observation.rendition is None:
            continue
        fields: list[tuple[int, dict[str, object]]] = []
        if observation.media_playlist is not None:
            for entry in observation.media_playlist.segments:
                fields.append(
                    (
                        entry.sequence,
                        {
                            "name": posixpath.basename(entry.uri),
                            "duration": round(entry.duration, 3),
                            "program_date_time": entry.program_date_time,
                        },
                    )
                )
        elif observation.segment is not None and observation.sequence is not None:
            fields.append((observation.sequence, {"pts": observation.segment.first_pts}))
        for sequence, values in fields:
            key = (observation.rendition, sequence)
            per_origin = seen[key].setdefault(observation.origin, {})
            for name, value in values.items():
                per_origin.setdefault(name, value)
            first_at.setdefault(key, observation.wall_time)

    disagreements: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for (rendition, sequence), by_origin in sorted(seen.items()):
        if len(by_origin) < 2:
            continue
        origins = sorted(by_origin)
        differences: list[str] = []
        for name in ("name", "duration", "program_date_time", "pts"):
            values = {o: by_origin[o].get(name) for o in origins if by_origin[o].get(name) is not None}
            if len(values) < 2:
                continue
            if name == "program_date_time":
                times = [v for v in values.values() if isinstance(v, datetime)]
                if (max(times) - min(times)).total_seconds() <= program_date_time_tolerance_s:
                    continue
            elif len(set(values.values())) == 1:
                continue
            shown = ", ".join(f"{o}={v.isoformat() if isinstance(v, datetime) else v}" for o, v in values.items())
            differences.append(f"{name} ({shown})")
        if differences:
            disagreements[rendition].append((sequence, "; ".join(differences)))

    findings = []
    for rendition, items in disagreements.items():
        sequence, summary = items[0]
        findings.append(
            Finding(
                Code.ORIGINS_DISAGREE,
                Severity.ERROR,
                first_at[(rendition, sequence)],
                rendition,
                f"origins disagree on segment {sequence}: {summary} ({len(items)} segment(s) differ); "
                "a failover between them is not seamless",
                evidence(sequence=sequence, differences=summary, segments_differing=len(items)),
            )
        )
    return findings
