"""Seed 004, case 3: the primary region's origin fails."""

from __future__ import annotations

import pytest

from fixtures.budgets import budgets
from fixtures.drill import Drill
from fixtures.stacks.base import Stack
from fixtures.verdict import chaos_expectations, judge


@pytest.mark.chaos
@pytest.mark.phases(steady=2, fault=4, recovery=4)
@pytest.mark.parametrize("mode", ["refuse", "error-status", "hang"])
def test_primary_origin_broken(drill: Drill, chaos_stack: Stack, mode: str) -> None:
    """Steady state: the edge answers from the primary origin.
    Fault: the primary origin refuses connections, answers 503, or accepts and never answers.
    Expect: failover within the edge's timeouts, continuity, no stall; automatic fail-back after heal.
    """
    assert chaos_stack.primary is not None
    plan = budgets(chaos_stack, manifest_goes_stale_first=False, waits_for_encoder=False)
    result = drill.run(
        f"primary origin broken ({mode})",
        fault=chaos_stack.origin_broken(chaos_stack.primary, mode),
        budgets=plan,
    )
    assert plan.failback_s is not None
    judge(result, *chaos_expectations(settle_s=plan.failback_s))
