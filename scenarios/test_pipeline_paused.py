"""Seed 004, case 1: source loss on the primary region's pipeline 0."""

from __future__ import annotations

import pytest

from fixtures.budgets import budgets
from fixtures.drill import Budgets, Drill
from fixtures.stacks.base import Stack
from fixtures.verdict import MEDIAPACKAGE_V2, absorbed_expectations, chaos_expectations, judge


@pytest.mark.chaos
@pytest.mark.phases(steady=2, fault=6, recovery=5)
def test_pipeline_0_paused_in_primary_region(drill: Drill, chaos_stack: Stack) -> None:
    """Steady state: both regions serve an epoch-locked stream; the edge answers from the primary.
    Fault: pipeline 0 in the primary region is paused; its manifests go stale, then expire.
    Expect: the edge fails over per request, continuity holds, no stall; after resume, traffic returns by itself.
    Behind MediaPackage v2 origins the channel's other input takes over and the edge has nothing to move.
    With --swarm N, each of N player-like viewers is held to the same no-stall rule (./drill --swarm 200 -k paused).
    """
    assert chaos_stack.primary is not None
    plan = budgets(chaos_stack, manifest_goes_stale_first=True, waits_for_encoder=True)
    absorbed = chaos_stack.origin_kind() == MEDIAPACKAGE_V2  # the channel's other input takes over inside the region
    result = drill.run(
        "pipeline 0 paused in the primary region",
        fault=chaos_stack.pipeline_paused(chaos_stack.primary, 0),
        budgets=Budgets() if absorbed else plan,
    )
    assert plan.failback_s is not None
    if absorbed:
        judge(result, *absorbed_expectations(chaos_stack.primary, plan.failback_s))
    else:
        judge(result, *chaos_expectations(settle_s=plan.failback_s))
