"""The primary region's rendition manifests disappear (an expiry rule fired, or someone deleted them)."""

from __future__ import annotations

import pytest

from fixtures.budgets import budgets
from fixtures.drill import Drill
from fixtures.stacks.base import Stack
from fixtures.verdict import chaos_expectations, judge


@pytest.mark.chaos
@pytest.mark.phases(steady=2, fault=4, recovery=4)
def test_primary_region_manifests_expired(drill: Drill, chaos_stack: Stack) -> None:
    """Steady state: the edge answers from the primary.
    Fault: the primary region's rendition manifests are expired and kept expired.
    Expect: the edge fails over on the origin's 403/404, continuity holds; traffic returns once manifests are written again.
    """
    assert chaos_stack.primary is not None
    plan = budgets(chaos_stack, manifest_goes_stale_first=False, waits_for_encoder=True)
    result = drill.run(
        "primary region's manifests expired",
        fault=chaos_stack.manifests_expired(chaos_stack.primary),
        budgets=plan,
    )
    assert plan.failback_s is not None
    judge(result, *chaos_expectations(settle_s=plan.failback_s))
