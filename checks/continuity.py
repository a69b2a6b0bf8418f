"""Continuity: the media sequence a player follows is one unbroken line, whichever origin answered."""

from __future__ import annotations

from checks.findings import Code, Finding, Severity, evidence
from checks.freshness import too_short_for_live
from checks.timeline import MediaPlaylist, Observation, SegmentEntry, Timeline

DURATION_TOLERANCE_S = 0.001


def _served(observation: Observation) -> str:
    return observation.origin or "unknown origin"


def media_sequence_present(timeline: Timeline) -> list[Finding]:
    """RFC 8216 6.2.2: a live playlist that removes segments MUST carry EXT-X-MEDIA-SEQUENCE."""
    findings = []
    for rendition in timeline.renditions():
        missing = [(o, p) for o, p in timeline.playlists(rendition) if not p.media_sequence_present]
        if missing:
            first, _ = missing[0]
            findings.append(
                Finding(
                    Code.MEDIA_SEQUENCE_MISSING,
                    Severity.ERROR,
                    first.wall_time,
                    rendition,
                    f"{len(missing)} playlist(s) have no EXT-X-MEDIA-SEQUENCE, so players number the window "
                    "from 0 on every reload and cannot follow a sliding live window (RFC 8216 6.2.2)",
                    evidence(url=first.url, origin=_served(first), playlists_without_tag=len(missing)),
                )
            )
    return findings


STEP_BACK_TOLERANCE_SEGMENTS = 1


def _stepped_back_at_switch(before_obs: Observation, before: MediaPlaylist, observation: Observation, playlist: MediaPlaylist) -> bool:
    """One segment back, because the origin answering changed: the other region has not written the newest one yet.

    Two epoch-locked regions write each segment a little apart (encoder and upload skew), so for a
    moment around each boundary one region's playlist ends one segment earlier than the other's. A
    viewer switched between them at that moment sees the window step back by one segment. hls.js
    treats such a reload as an ordinary update: it keeps what it buffered, fetches nothing again and
    waits for the next reload (level-details.ts reloaded(), stream-controller getNextFragment), so it
    costs at most one reload interval of buffer, not a replay.
    """
    if before_obs.origin is None or observation.origin is None or before_obs.origin == observation.origin:
        return False
    if before.last_sequence is None or playlist.last_sequence is None:
        return False
    return (
        0 <= before.media_sequence - playlist.media_sequence <= STEP_BACK_TOLERANCE_SEGMENTS
        and 0 <= before.last_sequence - playlist.last_sequence <= STEP_BACK_TOLERANCE_SEGMENTS
    )


def media_sequence_never_decreases(timeline: Timeline) -> list[Finding]:
    """RFC 8216 6.2.2: EXT-X-MEDIA-SEQUENCE MUST NOT decrease, across every reload and every origin.

    Exception, reported as a warning: a one-segment step back at an origin switch (write skew
    between regions, see ``_stepped_back_at_switch``). More than one segment, or a step back from
    the same origin, is an error. A window whose end goes back while its start does not (the peer
    monitor's "playlist size decreased at the same media sequence") is ``playlist-shrank``.
    """
    findings = []
    for rendition in timeline.renditions():
        previous: tuple[Observation, MediaPlaylist] | None = None
        for observation, playlist in timeline.playlists(rendition):
            if previous is not None:
                before_obs, before = previous
                went_back = playlist.media_sequence < before.media_sequence or (
                    before.last_sequence is not None
                    and playlist.last_sequence is not None
                    and playlist.last_sequence < before.last_sequence
                )
                if went_back and _stepped_back_at_switch(before_obs, before, observation, playlist):
                    findings.append(
                        Finding(
                            Code.MEDIA_SEQUENCE_STEPPED_BACK,
                            Severity.WARNING,
                            observation.wall_time,
                            rendition,
                            f"the window stepped back one segment, from ending at {before.last_sequence} "
                            f"({_served(before_obs)}) to {playlist.last_sequence} ({_served(observation)}), as the "
                            "edge switched origin: the regions write each segment a moment apart; players wait "
                            "for the next reload (hls.js fetches nothing again), but a skew near a whole "
                            "segment would make this a stall",
                            evidence(before=before.last_sequence, before_origin=_served(before_obs),
                                     after=playlist.last_sequence, after_origin=_served(observation), url=observation.url),
                        )
                    )
                elif went_back and playlist.media_sequence >= before.media_sequence:
                    findings.append(
                        Finding(
                            Code.PLAYLIST_SHRANK,
                            Severity.ERROR,
                            observation.wall_time,
                            rendition,
                            f"the playlist shrank: it still starts at {playlist.media_sequence} but now ends at "
                            f"{playlist.last_sequence} ({_served(observation)}), where it ended at {before.last_sequence} "
                            f"({_served(before_obs)}): segments a player has already seen listed vanished, so it waits "
                            "for them to come back or skips past them",
                            evidence(before=before.last_sequence, before_origin=_served(before_obs),
                                     after=playlist.last_sequence, after_origin=_served(observation),
                                     media_sequence=playlist.media_sequence, url=observation.url),
                        )
                    )
                elif playlist.media_sequence < before.media_sequence:
                    findings.append(
                        Finding(
                            Code.MEDIA_SEQUENCE_DECREASED,
                            Severity.ERROR,
                            observation.wall_time,
                            rendition,
                            f"media sequence went back from {before.media_sequence} ({_served(before_obs)}) "
                            f"to {playlist.media_sequence} ({_served(observation)}): a player replays or "
                            "halts; the two origins are not numbering from the same epoch",
                            evidence(
                                before=before.media_sequence,
                                before_origin=_served(before_obs),
                                after=playlist.media_sequence,
                                after_origin=_served(observation),
                                url=observation.url,
                            ),
                        )
                    )
            previous = (observation, playlist)
    return findings


def _skipped_into_restarted_window(before_obs: Observation, observation: Observation, playlist: MediaPlaylist, missed: int) -> bool:
    """One segment skipped as the edge switched to a region whose pipeline has just restarted its window.

    A pipeline that resumes writes nothing for the segments it was paused through, so its fresh
    window starts after a hole. With write skew, the edge can fail back to it a moment before the
    other region has published the last segment of that hole: a viewer then never sees that one
    segment listed and skips it. No setting of the edge prevents this; it is the price of failing
    back the moment the primary answers again, so it is worth a warning, not a failed drill.
    """
    restarted = too_short_for_live(playlist)
    switched = before_obs.origin is not None and observation.origin is not None and before_obs.origin != observation.origin
    return missed <= STEP_BACK_TOLERANCE_SEGMENTS and switched and restarted


def windows_have_no_gap(timeline: Timeline) -> list[Finding]:
    """RFC 8216 6.2.2, 6.3.4: each reload's window starts no later than one after the last segment seen."""
    findings = []
    for rendition in timeline.renditions():
        last_seen: tuple[Observation, int] | None = None
        for observation, playlist in timeline.playlists(rendition):
            if not playlist.segments:
                continue
            first = playlist.segments[0].sequence
            if last_seen is not None:
                before_obs, last = last_seen
                if first > last + 1:
                    missed = first - last - 1
                    if _skipped_into_restarted_window(before_obs, observation, playlist, missed):
                        findings.append(
                            Finding(
                                Code.SEGMENT_SKIPPED_AT_RESTART,
                                Severity.WARNING,
                                observation.wall_time,
                                rendition,
                                f"segment {last + 1} was never listed to this viewer: the edge switched from "
                                f"{_served(before_obs)} (ending at {last}) to {_served(observation)}, whose window "
                                f"restarted at {first} after a pause; a player skips {missed} segment(s) of content. "
                                "Expected now and then with write skew: the returning region never wrote that "
                                "segment and the other one listed it only briefly",
                                evidence(last_seen=last, next_first=first, missed=missed,
                                         window_segments=len(playlist.segments), url=observation.url),
                            )
                        )
                    else:
                        findings.append(
                            Finding(
                                Code.SEGMENT_GAP,
                                Severity.ERROR,
                                observation.wall_time,
                                rendition,
                                f"{missed} segment(s) {last + 1}..{first - 1} were never listed: the window "
                                f"jumped from ending at {last} ({_served(before_obs)}) to starting at {first} "
                                f"({_served(observation)}); a player following the stream skips content",
                                evidence(last_seen=last, next_first=first, missed=missed, url=observation.url),
                            )
                        )
            top = playlist.segments[-1].sequence
            if last_seen is None or top >= last_seen[1]:
                last_seen = (observation, top)
    return findings


def sequence_names_one_segment(timeline: Timeline) -> list[Finding]:
    """RFC 8216 6.3.4: one media sequence number always names the same URI and duration."""
    findings = []
    for rendition in timeline.renditions():
        first_listing: dict[int, tuple[Observation, SegmentEntry]] = {}
        reported: set[tuple[int, Code]] = set()
        for observation, playlist in timeline.playlists(rendition):
            for entry in playlist.segments:
                known = first_listing.setdefault(entry.sequence, (observation, entry))
                before_obs, before = known
                if entry.uri != before.uri and (entry.sequence, Code.SEGMENT_URI_CHANGED) not in reported:
                    reported.add((entry.sequence, Code.SEGMENT_URI_CHANGED))
                    findings.append(
                        Finding(
                            Code.SEGMENT_URI_CHANGED,
                            Severity.ERROR,
                            observation.wall_time,
                            rendition,
                            f"segment {entry.sequence} was {before.uri!r} ({_served(before_obs)}) and is now "
                            f"{entry.uri!r} ({_served(observation)}); players halt on this (RFC 8216 6.3.4): "
                            "the regions must write identical segment names",
                            evidence(sequence=entry.sequence, before=before.uri, after=entry.uri),
                        )
                    )
                if (
                    abs(entry.duration - before.duration) > DURATION_TOLERANCE_S
                    and (entry.sequence, Code.SEGMENT_DURATION_CHANGED) not in reported
                ):
                    reported.add((entry.sequence, Code.SEGMENT_DURATION_CHANGED))
                    findings.append(
                        Finding(
                            Code.SEGMENT_DURATION_CHANGED,
                            Severity.ERROR,
                            observation.wall_time,
                            rendition,
                            f"segment {entry.sequence} lasted {before.duration:.3f} s ({_served(before_obs)}) "
                            f"and now {entry.duration:.3f} s ({_served(observation)}): the timeline a player "
                            "built no longer matches the media",
                            evidence(sequence=entry.sequence, before=before.duration, after=entry.duration),
                        )
                    )
    return findings


def discontinuity_accounting(timeline: Timeline) -> list[Finding]:
    """RFC 8216 6.2.1, 6.2.2: the discontinuity sequence never decreases and each segment keeps its number."""
    findings = []
    for rendition in timeline.renditions():
        previous: tuple[Observation, MediaPlaylist] | None = None
        numbers: dict[int, tuple[Observation, int]] = {}
        reported: set[int] = set()
        for observation, playlist in timeline.playlists(rendition):
            if previous is not None and playlist.discontinuity_sequence < previous[1].discontinuity_sequence:
                findings.append(
                    Finding(
                        Code.DISCONTINUITY_SEQUENCE_DECREASED,
                        Severity.ERROR,
                        observation.wall_time,
                        rendition,
                        f"EXT-X-DISCONTINUITY-SEQUENCE went back from {previous[1].discontinuity_sequence} "
                        f"({_served(previous[0])}) to {playlist.discontinuity_sequence} ({_served(observation)}); "
                        "it MUST NOT decrease (RFC 8216 6.2.2)",
                        evidence(
                            before=previous[1].discontinuity_sequence,
                            after=playlist.discontinuity_sequence,
                            url=observation.url,
                        ),
                    )
                )
            for entry in playlist.segments:
                before_obs, number = numbers.setdefault(entry.sequence, (observation, entry.discontinuity_number))
                if number != entry.discontinuity_number and entry.sequence not in reported:
                    reported.add(entry.sequence)
                    findings.append(
                        Finding(
                            Code.DISCONTINUITY_NUMBER_CHANGED,
                            Severity.ERROR,
                            observation.wall_time,
                            rendition,
                            f"segment {entry.sequence} had discontinuity number {number} ({_served(before_obs)}) "
                            f"and now {entry.discontinuity_number} ({_served(observation)}): a DISCONTINUITY tag "
                            "was dropped without incrementing EXT-X-DISCONTINUITY-SEQUENCE (RFC 8216 4.3.3.3)",
                            evidence(sequence=entry.sequence, before=number, after=entry.discontinuity_number),
                        )
                    )
            previous = (observation, playlist)
    return findings


def target_duration_constant(timeline: Timeline) -> list[Finding]:
    """RFC 8216 6.2.1: EXT-X-TARGETDURATION MUST NOT change."""
    findings = []
    for rendition in timeline.renditions():
        playlists = timeline.playlists(rendition)
        if not playlists:
            continue
        first_obs, first = playlists[0]
        for observation, playlist in playlists[1:]:
            if playlist.target_duration != first.target_duration:
                findings.append(
                    Finding(
                        Code.TARGET_DURATION_CHANGED,
                        Severity.ERROR,
                        observation.wall_time,
                        rendition,
                        f"target duration changed from {first.target_duration:g} s ({_served(first_obs)}) to "
                        f"{playlist.target_duration:g} s ({_served(observation)}); it MUST NOT change "
                        "(RFC 8216 6.2.1): the regions' encoders are not configured alike",
                        evidence(before=first.target_duration, after=playlist.target_duration),
                    )
                )
                break
    return findings


def no_endlist_on_live(timeline: Timeline) -> list[Finding]:
    """RFC 8216 4.3.3.4: EXT-X-ENDLIST ends a live stream for every player that sees it."""
    findings = []
    for rendition in timeline.renditions():
        ended = [(o, p) for o, p in timeline.playlists(rendition) if p.endlist]
        if ended:
            observation, playlist = ended[0]
            findings.append(
                Finding(
                    Code.ENDLIST_ON_LIVE,
                    Severity.ERROR,
                    observation.wall_time,
                    rendition,
                    f"EXT-X-ENDLIST on the live stream ({_served(observation)}, last segment "
                    f"{playlist.last_sequence}): players stop here and a 200 never fails over; was the "
                    "channel stopped instead of paused?",
                    evidence(url=observation.url, origin=_served(observation), polls_with_endlist=len(ended)),
                )
            )
    return findings


CHECKS = (
    media_sequence_present,
    media_sequence_never_decreases,
    windows_have_no_gap,
    sequence_names_one_segment,
    discontinuity_accounting,
    target_duration_constant,
    no_endlist_on_live,
)


def continuity(timeline: Timeline) -> list[Finding]:
    return [finding for check in CHECKS for finding in check(timeline)]
