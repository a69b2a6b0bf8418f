"""Failover and fail-back, measured from attribution and fault marks.

Per rendition, on media playlists: time to failover runs from the start of the fault's apply call to
the first playlist answered by the secondary; time to fail-back from the start of the undo call until
the playlists come from the primary again and stay there. The scenario's figure is its slowest
rendition among those that left the primary; no failover means no fail-back figure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from checks.findings import Code, Finding, Severity, evidence
from checks.freshness import unchanged_stretches
from checks.timeline import FaultMark, Observation, ResourceKind, Timeline


@dataclass(frozen=True)
class Bracket:
    """When a rendition's playlists moved, as the viewer can know it, in seconds from a fault mark.

    ``last_s``: the last answer from the origin being left; ``first_s``: the first answer from the
    origin arrived at, which is the reported figure. The move happened somewhere in between, so the
    width is the measure's uncertainty.
    """

    last_s: float
    first_s: float

    @property
    def uncertainty_s(self) -> float:
        return self.first_s - self.last_s


@dataclass(frozen=True)
class RenditionMove:
    """One rendition's media playlists through one fault."""

    rendition: str
    failover: Bracket | None  # None: its playlists never came from the secondary during the fault
    failback: Bracket | None  # None: never left, never back, or the fault was not undone

    @property
    def left_primary(self) -> bool:
        return self.failover is not None

    @property
    def back_on_primary(self) -> bool:
        return self.failback is not None


@dataclass(frozen=True)
class FailoverMeasure:
    """Failover and fail-back of one fault: per rendition, and the scenario's figure (its slowest rendition).

    Only media playlists count, and only for the renditions that left the primary: a rendition that
    never left answers "from the primary" right after the undo and says nothing about fail-back.
    """

    fault: str
    renditions: tuple[RenditionMove, ...]
    undone: bool

    @property
    def moved(self) -> tuple[RenditionMove, ...]:
        return tuple(r for r in self.renditions if r.left_primary)

    @property
    def left_primary(self) -> bool:
        return bool(self.moved)

    @property
    def back_on_primary(self) -> bool:
        return self.left_primary and self.undone and all(r.back_on_primary for r in self.moved)

    @property
    def slowest_failover(self) -> RenditionMove | None:
        return max(self.moved, key=lambda r: r.failover.first_s if r.failover else 0.0, default=None)

    @property
    def slowest_failback(self) -> RenditionMove | None:
        """The rendition that took longest to come back; None unless every rendition that left came back."""
        if not self.back_on_primary:
            return None
        return max(self.moved, key=lambda r: r.failback.first_s if r.failback else 0.0)

    @property
    def failover(self) -> Bracket | None:
        slowest = self.slowest_failover
        return slowest.failover if slowest else None

    @property
    def failback(self) -> Bracket | None:
        slowest = self.slowest_failback
        return slowest.failback if slowest else None

    @property
    def failover_s(self) -> float | None:
        return self.failover.first_s if self.failover else None

    @property
    def failback_s(self) -> float | None:
        return self.failback.first_s if self.failback else None


def _answers(timeline: Timeline, rendition: str) -> list[Observation]:
    """A rendition's media playlist answers that name their origin, in the order they were complete.

    Completion time, not send time: a request in flight when the fault landed, answered by the
    secondary, is the first sign of failover a viewer gets.
    """
    return sorted(
        (o for o in timeline.of_kind(ResourceKind.MEDIA_PLAYLIST, rendition) if o.origin is not None),
        key=lambda o: o.done,
    )


def _failover(answers: list[Observation], fault: FaultMark, secondary: str) -> Bracket | None:
    start = fault.applied_monotonic
    during = [o for o in answers if o.done >= start and (fault.undo_started_monotonic is None or o.monotonic < fault.undo_started_monotonic)]
    first = next((i for i, o in enumerate(during) if o.origin == secondary), None)
    if first is None:
        return None
    before = [o.done for o in during[:first] if o.origin != secondary]
    return Bracket(max(before, default=start) - start, during[first].done - start)


def _failback(answers: list[Observation], fault: FaultMark, primary: str) -> Bracket | None:
    assert fault.undo_started_monotonic is not None
    start = fault.undo_started_monotonic
    # Requests sent once the undo began: an answer to one sent earlier (say, held by a hung primary and
    # then served by the secondary) tells what the fault did, not where the edge now sends a request.
    after = [o for o in answers if o.monotonic >= start]
    last_elsewhere = max((i for i, o in enumerate(after) if o.origin != primary), default=None)
    settled = after if last_elsewhere is None else after[last_elsewhere + 1 :]
    if not settled:
        return None
    left_at = after[last_elsewhere].done if last_elsewhere is not None else start
    return Bracket(left_at - start, settled[0].done - start)


def measure_failover(timeline: Timeline, fault: FaultMark, *, primary: str, secondary: str) -> FailoverMeasure:
    moves = []
    for rendition in timeline.renditions():
        answers = _answers(timeline, rendition)
        if not answers:
            continue
        failover = _failover(answers, fault, secondary)
        failback = _failback(answers, fault, primary) if failover is not None and fault.undone else None
        moves.append(RenditionMove(rendition, failover, failback))
    return FailoverMeasure(fault.name, tuple(moves), fault.undone)


def _during(timeline: Timeline, fault: FaultMark) -> list[Observation]:
    """Requests sent while the fault was on."""
    return [
        o
        for o in timeline.observations
        if o.monotonic >= fault.applied_monotonic and (fault.undo_started_monotonic is None or o.monotonic < fault.undo_started_monotonic)
    ]


def _held_up(during: list[Observation]) -> str | None:
    """The edge held a viewer longer than a target duration before answering: the dead primary's connection
    attempts x timeouts, whether the answer then came from the secondary late (slow) or after the fault (missing)."""
    targets = [o.media_playlist.target_duration for o in during if o.media_playlist is not None]
    slowest = max(during, key=lambda o: o.latency_s, default=None)
    if not targets or slowest is None or slowest.latency_s <= max(targets):
        return None
    return (
        f"the edge held viewers up to {slowest.latency_s:.1f} s before answering from {slowest.origin or 'an unknown origin'} "
        f"(target duration {max(targets):g} s): are the origin's connection attempts x timeouts longer than a segment?"
    )


def _why_no_failover(timeline: Timeline, fault: FaultMark, primary: str) -> str:
    during = _during(timeline, fault)
    if not during:
        return "the viewer made no request while the fault was on"
    errors = Counter(o.describe_failure() for o in during if o.failed)
    if errors:
        summary = ", ".join(f"{cause} x{count}" for cause, count in errors.most_common(3))
        if all(o.status is None for o in during if o.failed):
            return (
                f"viewers got {summary} from the edge: it spent longer on the dead primary than a player waits; "
                "are the origin's connection attempts and timeouts longer than a segment?"
            )
        return (
            f"the primary answered {summary} and the edge passed it on instead of trying the secondary; "
            "is the origin group configured, with these status codes in its failover criteria?"
        )
    held = _held_up(during)
    if held is not None:
        return held
    stale = [
        s
        for s in unchanged_stretches(timeline)
        if s.last.origin == primary and s.last.monotonic >= fault.applied_monotonic and s.seconds > s.target_duration
    ]
    if stale:
        longest = max(stale, key=lambda s: s.seconds)
        return (
            f"the primary kept answering 200 with a manifest stale for {longest.seconds:.1f} s; "
            "is a manifest-expiry rule configured?"
        )
    if not any(o.origin for o in during):
        return "no response during the fault named its origin; is attribution working for this stack?"
    return "the primary kept answering 200 with a live manifest; did the fault take effect?"


def failover_and_failback(
    timeline: Timeline,
    *,
    primary: str,
    secondary: str,
    failover_budget_s: float | None = None,
    failback_budget_s: float | None = None,
    every_rendition_moves: bool = False,
) -> list[Finding]:
    """Each fault moves traffic to the secondary within budget, and undoing it brings every moved rendition home.

    ``every_rendition_moves``: the fault switches the whole stream (a routing-key write), so a rendition that never
    left the primary is a failover missing for it, even when another did move (a one-off answer from the secondary
    after a slow primary is not a switch-over). Otherwise a fault may move only some renditions (a paused pipeline)."""
    findings = []
    for fault in timeline.faults:
        measure = measure_failover(timeline, fault, primary=primary, secondary=secondary)
        at = fault.applied_wall
        slowest = measure.slowest_failover
        if slowest is None or slowest.failover is None:
            findings.append(
                Finding(
                    Code.FAILOVER_MISSING,
                    Severity.ERROR,
                    at,
                    None,
                    f"edge never failed over after {fault.name!r}: {_why_no_failover(timeline, fault, primary)}",
                    evidence(fault=fault.name, primary=primary, secondary=secondary),
                )
            )
            continue
        stayed = [r.rendition for r in measure.renditions if not r.left_primary] if every_rendition_moves else []
        if stayed:
            moved = [r.rendition for r in measure.moved]
            findings.append(
                Finding(
                    Code.FAILOVER_MISSING,
                    Severity.ERROR,
                    at,
                    stayed[0],
                    f"edge never failed over after {fault.name!r} for {len(stayed)} of {len(measure.renditions)} renditions "
                    f"({', '.join(stayed)}), though {', '.join(moved)} did: a switch of the whole stream moves every "
                    f"rendition; {_why_no_failover(timeline, fault, primary)}",
                    evidence(fault=fault.name, primary=primary, secondary=secondary, stayed=", ".join(stayed)),
                )
            )
        took = slowest.failover
        if failover_budget_s is not None and took.first_s > failover_budget_s:
            findings.append(
                Finding(
                    Code.FAILOVER_SLOW,
                    Severity.ERROR,
                    at,
                    slowest.rendition,
                    f"failover after {fault.name!r} took {took.first_s:.1f} s for {slowest.rendition} (its last "
                    f"answer from {primary} at {took.last_s:.1f} s), over the {failover_budget_s:.1f} s budget: "
                    + (_held_up(_during(timeline, fault))
                       or "check the origin's connection attempts and timeouts, and the manifest expiry time"),
                    evidence(fault=fault.name, failover_s=f"{took.first_s:.2f}", last_primary_s=f"{took.last_s:.2f}",
                             budget_s=failover_budget_s),
                )
            )
        if not fault.undone:
            continue
        stuck = [r.rendition for r in measure.moved if not r.back_on_primary]
        if stuck:
            findings.append(
                Finding(
                    Code.FAILBACK_MISSING,
                    Severity.ERROR,
                    fault.undo_started_wall,
                    stuck[0],
                    f"traffic never came back to {primary} after {fault.name!r} was undone: {', '.join(stuck)} "
                    "still came from elsewhere at the end of the watch; is error caching holding a failed answer, "
                    "or does the edge no longer try the primary first?",
                    evidence(fault=fault.name, primary=primary, secondary=secondary, renditions=",".join(stuck)),
                )
            )
            continue
        back = measure.slowest_failback
        if failback_budget_s is not None and back is not None and back.failback is not None and back.failback.first_s > failback_budget_s:
            findings.append(
                Finding(
                    Code.FAILBACK_SLOW,
                    Severity.ERROR,
                    fault.undo_started_wall,
                    back.rendition,
                    f"fail-back after undoing {fault.name!r} took {back.failback.first_s:.1f} s for {back.rendition}, "
                    f"over the {failback_budget_s:.1f} s budget: cached answers from the secondary (TTL, error "
                    "caching minimum TTL) kept viewers there",
                    evidence(fault=fault.name, failback_s=f"{back.failback.first_s:.2f}",
                             last_elsewhere_s=f"{back.failback.last_s:.2f}", budget_s=failback_budget_s),
                )
            )
    return findings
