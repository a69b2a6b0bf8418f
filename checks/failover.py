"""Failover and fail-back, measured from attribution and fault marks.

Time to failover: from the fault until the first response served by the secondary.
Time to fail-back: from the undo until responses come from the primary again and stay there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from checks.findings import Code, Finding, Severity, evidence
from checks.freshness import unchanged_stretches
from checks.timeline import FaultMark, Observation, Timeline


@dataclass(frozen=True)
class FailoverMeasure:
    fault: str
    failover_s: float | None  # None: the secondary never served after the fault
    failback_s: float | None  # None: not back on the primary (or never left it, or fault not undone)
    left_primary: bool
    back_on_primary: bool


def _answered(timeline: Timeline, start: float, sent_before: float | None = None) -> list[Observation]:
    """Attributed responses completed at or after ``start`` (for requests sent before ``sent_before``).

    Completion time, not send time: a request in flight when the fault landed, answered by the
    secondary, is the first sign of failover a viewer gets.
    """
    return [
        o
        for o in sorted(timeline.observations, key=lambda o: o.done)
        if o.origin is not None and o.done >= start and (sent_before is None or o.monotonic < sent_before)
    ]


def measure_failover(timeline: Timeline, fault: FaultMark, *, primary: str, secondary: str) -> FailoverMeasure:
    during = _answered(timeline, fault.applied_monotonic, fault.undone_monotonic)
    first_secondary = next((o for o in during if o.origin == secondary), None)
    failover_s = first_secondary.done - fault.applied_monotonic if first_secondary else None
    failback_s = None
    back = False
    if fault.undone_monotonic is not None:
        after = _answered(timeline, fault.undone_monotonic)
        last_elsewhere = max((i for i, o in enumerate(after) if o.origin != primary), default=None)
        settled = after if last_elsewhere is None else after[last_elsewhere + 1 :]
        first_primary = next((o for o in settled if o.origin == primary), None)
        if first_primary is not None:
            back = True
            failback_s = max(0.0, first_primary.done - fault.undone_monotonic)
    return FailoverMeasure(fault.name, failover_s, failback_s, first_secondary is not None, back)


def _why_no_failover(timeline: Timeline, fault: FaultMark, primary: str) -> str:
    during = [
        o
        for o in timeline.observations
        if o.monotonic >= fault.applied_monotonic and (fault.undone_monotonic is None or o.monotonic < fault.undone_monotonic)
    ]
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
    targets = [o.media_playlist.target_duration for o in during if o.media_playlist is not None]
    slowest = max(during, key=lambda o: o.latency_s)
    if targets and slowest.latency_s > max(targets):
        return (
            f"the edge held viewers up to {slowest.latency_s:.1f} s before answering from {slowest.origin or 'an unknown origin'} "
            f"(target duration {max(targets):g} s): are the origin's connection attempts x timeouts longer than a segment?"
        )
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
) -> list[Finding]:
    """Each fault moves traffic to the secondary within budget, and undoing it brings traffic home."""
    findings = []
    for fault in timeline.faults:
        measure = measure_failover(timeline, fault, primary=primary, secondary=secondary)
        at = fault.applied_wall
        if not measure.left_primary:
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
        assert measure.failover_s is not None
        if failover_budget_s is not None and measure.failover_s > failover_budget_s:
            findings.append(
                Finding(
                    Code.FAILOVER_SLOW,
                    Severity.ERROR,
                    at,
                    None,
                    f"failover after {fault.name!r} took {measure.failover_s:.1f} s, over the {failover_budget_s:.1f} s "
                    "budget: check the origin's connection attempts and timeouts, and the manifest expiry time",
                    evidence(fault=fault.name, failover_s=f"{measure.failover_s:.2f}", budget_s=failover_budget_s),
                )
            )
        if fault.undone_monotonic is None:
            continue
        if not measure.back_on_primary:
            findings.append(
                Finding(
                    Code.FAILBACK_MISSING,
                    Severity.ERROR,
                    fault.undone_wall,
                    None,
                    f"traffic never came back to {primary} after {fault.name!r} was undone: the secondary was "
                    "still serving at the end of the watch; is error caching holding a failed answer, or does "
                    "the edge no longer try the primary first?",
                    evidence(fault=fault.name, primary=primary, secondary=secondary),
                )
            )
        elif failback_budget_s is not None and measure.failback_s is not None and measure.failback_s > failback_budget_s:
            findings.append(
                Finding(
                    Code.FAILBACK_SLOW,
                    Severity.ERROR,
                    fault.undone_wall,
                    None,
                    f"fail-back after undoing {fault.name!r} took {measure.failback_s:.1f} s, over the "
                    f"{failback_budget_s:.1f} s budget: cached answers from the secondary (TTL, error caching "
                    "minimum TTL) kept viewers there",
                    evidence(fault=fault.name, failback_s=f"{measure.failback_s:.2f}", budget_s=failback_budget_s),
                )
            )
    return findings
