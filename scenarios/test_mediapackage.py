"""MediaPackage v2 origins: media-quality-based failover (MQAR) and an endpoint denied by its policy.
A pipeline or region lost behind MediaPackage v2 is the pipeline and region scenarios' job (there the
channel's other input takes over, or the primary endpoint's STALE_MANIFEST error moves the edge)."""

from __future__ import annotations

import math

import pytest

from checks.findings import Code
from fixtures.budgets import budgets, quality_switch_budgets
from fixtures.drill import Drill, Phases, ScenarioResult
from fixtures.stacks.base import Stack
from fixtures.verdict import chaos_expectations, judge

MQAR = "media-quality-based"


def _no_http_error(result: ScenarioResult) -> None:
    """Quality failover moves viewers with no HTTP error anywhere: any error means something else happened."""
    __tracebackhide__ = True
    errors = [o for o in result.timeline.observations if o.status is None or o.status >= 400]
    if errors:
        raise AssertionError(
            f"{len(errors)} request(s) failed ({errors[0].describe_failure()} at {errors[0].wall_time:%H:%M:%S}): a drop in "
            "input quality must move viewers by score alone, with no error anywhere"
        )


def _moved(result: ScenarioResult) -> None:
    __tracebackhide__ = True
    missing = result.with_codes({Code.FAILOVER_MISSING})
    if missing:
        raise AssertionError(
            "the edge kept viewers on the primary while its input quality was low: is the origin group's SelectionCriteria "
            "media-quality-based, does each channel publish MQCS (PublishMQCS), and is there no Lambda@Edge origin trigger "
            f"on the behaviour (which turns MQAR off)?\n  - {missing[0]}"
        )


@pytest.mark.chaos
@pytest.mark.needs(origin_kind="mediapackage-v2")
def test_primary_input_quality_drop_moves_viewers_by_score(drill: Drill, chaos_stack: Stack) -> None:
    """Steady state: both regions' endpoints publish a media quality confidence score of 100; ties go to the primary.
    Fault: both of the primary region's inputs carry black frames, so its score falls; no HTTP error anywhere.
    Expect: the edge moves every rendition to the secondary by score within a segment for the score, the
    manifest TTL, a reload and a segment of margin; continuity, no stall, no error; back when quality returns.
    """
    if chaos_stack.timing() is None or not _selects_by_quality(chaos_stack):
        pytest.skip(f"{chaos_stack.describe()} does not select origins by media quality (SelectionCriteria {MQAR})")
    assert chaos_stack.primary is not None
    plan = quality_switch_budgets(chaos_stack)
    assert plan.failover_s is not None and plan.failback_s is not None
    watch = math.ceil(plan.failover_s / chaos_stack.segment_length_s) + 2
    result = drill.run(
        "primary input quality drop",
        fault=chaos_stack.input_quality_dropped(chaos_stack.primary),
        phases=Phases(steady=2, fault=watch, recovery=watch),
        budgets=plan,
    )
    judge(result, _moved, _no_http_error, *chaos_expectations(settle_s=plan.failback_s))


def _selects_by_quality(stack: Stack) -> bool:
    facts = stack.configuration()
    if facts is None:
        return False
    group = facts.edge.groups.get(facts.edge.target_id)
    return group is not None and group.selection_criteria == MQAR


@pytest.mark.chaos
@pytest.mark.needs(origin_kind="mediapackage-v2")
@pytest.mark.phases(steady=2, fault=4, recovery=4)
def test_primary_endpoint_denied_by_policy(drill: Drill, chaos_stack: Stack) -> None:
    """Steady state: the edge answers from the primary region's endpoint.
    Fault: the primary endpoint's policy denies reads (an explicit Deny overrides every Allow): it answers 403.
    Expect: failover on 403 within the edge's timeouts, continuity, no stall; fail-back once the policy is restored.
    """
    assert chaos_stack.primary is not None
    plan = budgets(chaos_stack, manifest_goes_stale_first=False, waits_for_encoder=False, errors_were_cached=True)
    result = drill.run(
        "primary endpoint denied by policy",
        fault=chaos_stack.endpoint_denied(chaos_stack.primary),
        budgets=plan,
    )
    assert plan.failback_s is not None
    judge(result, *chaos_expectations(settle_s=plan.failback_s))
