"""Seed 004, case 2: source loss on pipeline 0 in both regions; the player must switch pipelines."""

from __future__ import annotations

import pytest

from checks.findings import Code
from fixtures.budgets import failback_budget_s
from fixtures.drill import Budgets, Drill
from fixtures.stacks.base import Stack, combined
from fixtures.verdict import (
    MEDIAPACKAGE_V2,
    absorbed_expectations,
    assert_failed_back_within_budget,
    assert_no_continuity_findings,
    assert_stalls_within_allowance,
    assert_steady_after_undo,
    judge,
)


@pytest.mark.chaos
@pytest.mark.phases(steady=2, fault=6, recovery=5)
def test_pipeline_0_lost_in_both_regions(drill: Drill, chaos_stack: Stack) -> None:
    """Steady state: the player plays pipeline 0's renditions through the redundant index.
    Fault: pipeline 0 is paused in both regions, so its renditions error at the edge whichever origin is asked.
    Expect: the player switches to pipeline 1's renditions, numbering stays continuous; pipeline 0 returns after resume.
    Behind MediaPackage v2 origins each channel switches to its other input: no error, no stall, nothing moves.
    """
    fault = combined(
        "pipeline 0 lost in both regions", *(chaos_stack.pipeline_paused(region, 0) for region in chaos_stack.regions)
    )
    if chaos_stack.origin_kind() == MEDIAPACKAGE_V2:  # each region's channel switches to its other input
        assert chaos_stack.primary is not None
        settle = failback_budget_s(chaos_stack, waits_for_encoder=True)
        result = drill.run("pipeline 0 lost in both regions", fault=fault)
        judge(result, *absorbed_expectations(chaos_stack.primary, settle))
        return
    plan = Budgets(
        failover_s=None,  # the edge cannot fail over here: the player's redundant switch is what is judged
        failback_s=failback_budget_s(chaos_stack, waits_for_encoder=True, errors_were_cached=True),
        stall_allowance_s=chaos_stack.segment_length_s,  # the seed allows a rendition switch, not a seamless one
    )
    result = drill.run("pipeline 0 lost in both regions", fault=fault, budgets=plan)
    # Pipeline 0's segments from the fault never existed anywhere, so its own renditions show that hole;
    # what must stay continuous is everything else, and the player's path through pipeline 1.
    lost = frozenset(f.rendition for f in result.with_codes({Code.OUTAGE}) if f.rendition)
    assert plan.failback_s is not None
    settle_s = plan.failback_s
    judge(
        result,
        lambda r: _assert(lost, "pipeline 0's renditions never errored at the edge: did the fault take effect?"),
        lambda r: _assert(
            len(r.playback.renditions) > 1,
            f"the player never switched to the redundant rendition: it played only {r.playback.renditions}; does the "
            "index list pipeline 1's renditions with the same BANDWIDTH (a redundant manifest)?",
        ),
        lambda r: assert_no_continuity_findings(r, lost_renditions=lost),
        assert_stalls_within_allowance,
        assert_failed_back_within_budget,
        lambda r: assert_steady_after_undo(r, settle_s),
    )


def _assert(condition: object, message: str) -> None:
    if not condition:
        raise AssertionError(message)
