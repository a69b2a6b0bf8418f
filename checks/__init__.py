"""Pure judgement over timelines: every function here maps a Timeline to Findings.

Nothing in this package touches the network or imports from ``fixtures``; the viewer records,
the checks judge.
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.availability import no_outages
from checks.bodies import bodies_are_readable
from checks.continuity import continuity
from checks.epoch_lock import live_edge_on_epoch, origins_agree, program_date_time_on_epoch_grid, pts_on_epoch
from checks.failover import failover_and_failback
from checks.findings import Code, Finding, Severity
from checks.freshness import DEFAULT_STALE_FACTOR, extinf_within_target, live_playlists_long_enough, playlists_stay_fresh
from checks.playback import viewer_never_stalls
from checks.player import model_agrees_with_player, real_player_never_stalls
from checks.timeline import Timeline

__all__ = ["CheckSettings", "Code", "Finding", "Severity", "Timeline", "run_checks"]


@dataclass(frozen=True)
class CheckSettings:
    """What the checks need to know about the stack. None turns off the checks that need it."""

    segment_length_s: float | None = None  # epoch checks
    primary: str | None = None  # failover checks
    secondary: str | None = None
    failover_budget_s: float | None = None
    failback_budget_s: float | None = None
    stale_factor: float = DEFAULT_STALE_FACTOR
    pdt_tolerance_s: float = 0.1
    pts_tolerance_s: float = 0.1
    live_edge_tolerance_segments: int = 3
    stall_allowance_s: float = 0.0
    every_rendition_moves: bool = False  # the faults switch the whole stream (failover_and_failback)


def run_checks(timeline: Timeline, settings: CheckSettings = CheckSettings()) -> list[Finding]:
    """Every check that the settings allow, in a stable order."""
    findings = bodies_are_readable(timeline) + continuity(timeline)
    findings += playlists_stay_fresh(timeline, stale_factor=settings.stale_factor)
    findings += extinf_within_target(timeline)
    findings += live_playlists_long_enough(timeline)
    findings += no_outages(timeline)
    if settings.segment_length_s is not None:
        length = settings.segment_length_s
        findings += program_date_time_on_epoch_grid(timeline, segment_length_s=length, tolerance_s=settings.pdt_tolerance_s)
        findings += live_edge_on_epoch(
            timeline, segment_length_s=length, tolerance_segments=settings.live_edge_tolerance_segments
        )
        findings += pts_on_epoch(timeline, segment_length_s=length, tolerance_s=settings.pts_tolerance_s)
    findings += origins_agree(timeline)
    if settings.primary and settings.secondary and timeline.faults:
        findings += failover_and_failback(
            timeline,
            primary=settings.primary,
            secondary=settings.secondary,
            failover_budget_s=settings.failover_budget_s,
            failback_budget_s=settings.failback_budget_s,
            every_rendition_moves=settings.every_rendition_moves,
        )
    findings += viewer_never_stalls(timeline, allowance_s=settings.stall_allowance_s)
    findings += real_player_never_stalls(timeline, allowance_s=settings.stall_allowance_s)
    findings += model_agrees_with_player(timeline, allowance_s=settings.stall_allowance_s)
    return findings
