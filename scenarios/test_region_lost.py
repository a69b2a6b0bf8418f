"""The whole primary region stops publishing: both of its pipelines are paused."""

from __future__ import annotations

import pytest

from fixtures.budgets import budgets
from fixtures.drill import Drill
from fixtures.stacks.base import Stack
from fixtures.verdict import chaos_expectations, judge


@pytest.mark.chaos
@pytest.mark.phases(steady=2, fault=6, recovery=5)
def test_whole_primary_region_lost(drill: Drill, chaos_stack: Stack) -> None:
    """Steady state: every rendition is served from the primary region.
    Fault: both pipelines in the primary region are paused.
    Expect: every rendition fails over to the secondary region without a break, and all of it comes back after resume.
    """
    assert chaos_stack.primary is not None
    plan = budgets(chaos_stack, manifest_goes_stale_first=True, waits_for_encoder=True)
    result = drill.run(
        "whole primary region lost",
        fault=chaos_stack.region_lost(chaos_stack.primary),
        budgets=plan,
    )
    assert plan.failback_s is not None
    judge(result, *chaos_expectations(settle_s=plan.failback_s))
