"""What a real player (hls.js in Chromium) went through, from its events: stalls, errors, the end.

A stall is the video element waiting after playback began, until it plays again. Two kinds of wait
are hiccups instead, counted and reported but not stalls: one shorter than HICCUP_S (no viewer sees a
50 ms freeze), and one that hls.js ends by seeking over a hole in its buffer (bufferSeekOverHole)
within SEEK_OVER_HOLE_S. The second is the player skipping a segment it never loaded (seen when the
edge fails back to a region that just resumed, reported as segment-skipped-at-restart); its freeze
lasts one or two ticks of hls.js's gap controller (0.05-0.11 s measured). A player that
reached EXT-X-ENDLIST ('ended'), or stopped on a fatal error, stays stopped: that is one stall to the
end of the watch. The model player (checks.playback) judges the same timeline from the viewer's
requests; where the two disagree on whether a viewer stalled, the drill says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.findings import Code, Finding, Severity, evidence
from checks.playback import HICCUP_S, simulate_playback
from checks.timeline import PlayerEvent, PlayerEventKind, Timeline

SEEK_OVER_HOLE_S = 0.5
SEEKED = "waiting, then seeked over a hole in the buffer"


@dataclass(frozen=True)
class PlayerStall:
    start: float  # monotonic
    seconds: float
    cause: str  # "waiting", SEEKED, "ended at EXT-X-ENDLIST", or the fatal error


@dataclass(frozen=True)
class PlayerRun:
    player: str
    started: bool
    startup_s: float | None
    stalls: tuple[PlayerStall, ...]
    hiccups: tuple[PlayerStall, ...]  # waits under HICCUP_S, and short ones ended by seeking over a hole
    errors: tuple[PlayerEvent, ...]
    ended: bool
    level_switches: int
    fragments: int

    @property
    def stall_s(self) -> float:
        return sum(s.seconds for s in self.stalls)

    @property
    def fatal_errors(self) -> tuple[PlayerEvent, ...]:
        return tuple(e for e in self.errors if e.fatal)


def _hiccup(stall: PlayerStall) -> bool:
    return stall.seconds < HICCUP_S or (stall.cause == SEEKED and stall.seconds < SEEK_OVER_HOLE_S)


def _end(timeline: Timeline) -> float:
    ends = [o.done for o in timeline.observations] + [e.monotonic for e in timeline.player_events]
    return max(ends)


def player_run(timeline: Timeline) -> PlayerRun | None:
    """The real player's run through this timeline; None when no real player watched."""
    events = sorted(timeline.player_events, key=lambda e: e.monotonic)
    if not events:
        return None
    end = _end(timeline)
    first_play = next((e for e in events if e.kind is PlayerEventKind.PLAYING), None)
    stalls: list[PlayerStall] = []
    waiting_since: float | None = None
    stopped: PlayerStall | None = None
    for event in events:
        if first_play is None or event.monotonic < first_play.monotonic:
            continue
        if event.kind is PlayerEventKind.STALL_START and waiting_since is None:
            waiting_since = event.monotonic
        elif event.kind is PlayerEventKind.STALL_END and waiting_since is not None:
            holes = [e for e in events if e.kind is PlayerEventKind.ERROR and e.details and "SeekOverHole" in e.details
                     and waiting_since <= e.monotonic <= event.monotonic]
            stalls.append(PlayerStall(waiting_since, event.monotonic - waiting_since, SEEKED if holes else "waiting"))
            waiting_since = None
        elif event.kind is PlayerEventKind.ENDED:
            stopped = PlayerStall(event.monotonic, end - event.monotonic, "ended at EXT-X-ENDLIST")
            break
        elif event.kind is PlayerEventKind.ERROR and event.fatal:
            stopped = PlayerStall(event.monotonic, end - event.monotonic, f"fatal {event.details} (HTTP {event.code})")
            break
    if stopped is not None:
        if waiting_since is not None:  # waiting, then stopped for good: one stall from the first wait
            stopped = PlayerStall(waiting_since, end - waiting_since, stopped.cause)
        stalls.append(stopped)
    elif waiting_since is not None:
        stalls.append(PlayerStall(waiting_since, end - waiting_since, "waiting until the end of the watch"))
    start = timeline.start if timeline.start is not None else events[0].monotonic
    return PlayerRun(
        player=events[0].player,
        started=first_play is not None,
        startup_s=None if first_play is None else first_play.monotonic - min(start, events[0].monotonic),
        stalls=tuple(s for s in stalls if not _hiccup(s)),
        hiccups=tuple(s for s in stalls if _hiccup(s)),
        errors=tuple(e for e in events if e.kind is PlayerEventKind.ERROR),
        ended=any(e.kind is PlayerEventKind.ENDED for e in events),
        level_switches=max(0, sum(1 for e in events if e.kind is PlayerEventKind.LEVEL_SWITCHED) - 1),
        fragments=sum(1 for e in events if e.kind is PlayerEventKind.FRAG_LOADED),
    )


def _cause_of_no_start(run: PlayerRun) -> str:
    fatal = run.fatal_errors
    if not fatal:
        return "it never began playing"
    error = fatal[0]
    if error.code == 0:
        return (f"{error.details} with no HTTP response for {error.url}: the browser refused the cross-origin "
                "request (no Access-Control-Allow-Origin from the edge?) or could not connect")
    return f"{error.details} (HTTP {error.code}) for {error.url}"


def real_player_never_stalls(timeline: Timeline, *, allowance_s: float = 0.0) -> list[Finding]:
    """A real player watching beside the viewer never waits beyond the allowance, and starts at all."""
    run = player_run(timeline)
    if run is None:
        return []
    if not run.started:
        return [
            Finding(
                Code.PLAYER_NEVER_STARTED,
                Severity.ERROR,
                timeline.wall_at(timeline.player_events[0].monotonic),
                None,
                f"{run.player} never started playing: {_cause_of_no_start(run)}",
                evidence(player=run.player, errors=len(run.errors), fatal=len(run.fatal_errors)),
            )
        ]
    if run.stall_s <= allowance_s:
        return []
    return [
        Finding(
            Code.PLAYER_STALLED,
            Severity.ERROR,
            timeline.wall_at(stall.start),
            None,
            f"{run.player} stalled {stall.seconds:.1f} s ({stall.cause}); {len(run.stalls)} stall(s), "
            f"{run.stall_s:.1f} s in all, allowance {allowance_s:.1f} s; {len(run.errors)} error(s), "
            f"{run.level_switches} level switch(es), {run.fragments} fragments loaded",
            evidence(player=run.player, stall_s=f"{stall.seconds:.2f}", total_stall_s=f"{run.stall_s:.2f}", cause=stall.cause),
        )
        for stall in run.stalls
    ]


def model_agrees_with_player(timeline: Timeline, *, allowance_s: float = 0.0) -> list[Finding]:
    """The model player and the real one reach the same verdict on whether a viewer stalled."""
    run = player_run(timeline)
    if run is None or not run.started:
        return []
    model = simulate_playback(timeline)
    model_stalled, player_stalled = model.stall_s > allowance_s, run.stall_s > allowance_s
    if model_stalled == player_stalled:
        return []
    return [
        Finding(
            Code.PLAYER_MODEL_DISAGREE,
            Severity.WARNING,
            timeline.wall_at(run.stalls[0].start) if run.stalls else None,
            None,
            f"the model player {'stalled' if model_stalled else 'did not stall'} ({model.stall_s:.1f} s) but "
            f"{run.player} {'stalled' if player_stalled else 'did not'} ({run.stall_s:.1f} s): trust the real "
            "player, and treat the model's verdict on this scenario with care",
            evidence(model_stall_s=f"{model.stall_s:.2f}", player_stall_s=f"{run.stall_s:.2f}", player=run.player),
        )
    ]
