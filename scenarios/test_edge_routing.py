"""Routing by an edge function (seeds 000-002): a planned switch-over by a KeyValueStore write, a switch
to a dead region, and path-prefix mapping. Each skips, saying why, on a stack that routes otherwise."""

from __future__ import annotations

import math
import secrets
from urllib.parse import urljoin

import pytest
import requests

from checks.hls_parse import PlaylistUnreadable, parse_multivariant
from fixtures.budgets import switch_over_budgets
from fixtures.drill import Drill, Phases
from fixtures.scenario_needs import skip_unless_met
from fixtures.stacks.base import Stack, combined
from fixtures.verdict import (
    AVAILABILITY,
    assert_no_continuity_findings,
    assert_no_findings,
    assert_stalls_within_allowance,
    assert_steady_after_undo,
    chaos_expectations,
    judge,
    served_only_by,
)


@pytest.mark.chaos
@pytest.mark.needs(routing="kvs")
def test_planned_switch_over_to_the_secondary_region_and_back(drill: Drill, chaos_stack: Stack) -> None:
    """Steady state: the routing key selects the primary region; every rendition is served from it.
    Fault: the key is written with the secondary region's value (a planned switch-over, no deployment).
    Expect: every rendition moves within propagation + manifest TTL + a reload + one segment, with
    continuous numbering and no stall; when the previous value is put back, all of it comes home as fast.
    """
    assert chaos_stack.secondary is not None
    plan = switch_over_budgets(chaos_stack)
    assert plan.failover_s is not None and plan.failback_s is not None
    watch = math.ceil(plan.failover_s / chaos_stack.segment_length_s) + 2  # the whole budget, and two segments to show it held
    result = drill.run(
        "planned switch-over to the secondary region and back",
        fault=chaos_stack.active_region_switched(chaos_stack.secondary),
        phases=Phases(steady=2, fault=watch, recovery=watch),
        budgets=plan,
    )
    judge(result, *chaos_expectations(settle_s=plan.failback_s))


@pytest.mark.chaos
@pytest.mark.needs(routing="kvs")
def test_switch_to_a_dead_region_is_carried_to_the_live_one(drill: Drill, chaos_stack: Stack) -> None:
    """Steady state: the routing key selects the primary region.
    Fault: the secondary region's origin fails (error status), and the key is switched to it anyway.
    Expect: the function's origin group (the selected origin first, the other behind it) carries every
    request to the live primary: no outage, no stall, continuous numbering. A function that only swaps
    the origin (seed 002's updateRequestOrigin) leaves nothing behind the dead one: this is the outage
    the drill must then report.
    """
    assert chaos_stack.primary is not None and chaos_stack.secondary is not None
    settle = switch_over_budgets(chaos_stack).failback_s
    assert settle is not None
    result = drill.run(
        "switch to a dead region",
        fault=combined(
            f"switch to {chaos_stack.secondary} while its origin fails",
            chaos_stack.origin_broken(chaos_stack.secondary, "error-status"),
            chaos_stack.active_region_switched(chaos_stack.secondary),
        ),
        # Long enough for the switch to land on the dead region, and after the undo for the switch back to settle.
        phases=Phases(steady=2, fault=math.ceil(settle / chaos_stack.segment_length_s) + 3,
                      recovery=math.ceil(settle / chaos_stack.segment_length_s) + 2),
    )
    judge(
        result,
        lambda r: assert_no_findings(r, AVAILABILITY, "the switch to a dead region took viewers down"),
        assert_no_continuity_findings,
        assert_stalls_within_allowance,
        served_only_by(chaos_stack.primary, "the fault did not take, so this run proves nothing about a dead region"),
        lambda r: assert_steady_after_undo(r, settle),
    )


@pytest.mark.needs(routing="path-prefix")
def test_every_prefix_reaches_its_origin(stack: Stack, request: pytest.FixtureRequest) -> None:
    """Steady state: the origin-request function maps each named prefix to its endpoint.
    Fault: none (read-only): the function is invoked with a synthetic request per prefix where the stack
    allows it, then each prefix is played through the edge, and one prefix nobody named.
    Expect: the function sets the endpoint's domain and host, strips the prefix and sends the CDN
    identifier; each prefix's playlists answer 200 from its region; the unknown prefix gets the answer the
    stack documents (CloudFront's 502 when the name it builds does not resolve).
    """
    skip_unless_met(request.node, stack)  # read-only: no chaos_stack to do it
    routing = stack.routing()
    problems = list(stack.prefix_contract() or [])
    for route in routing.prefixes:
        problems += _plays_through(stack, route.playback_url, route.region, route.prefix)
    known = {route.prefix for route in routing.prefixes}
    unknown = next(p for p in iter(lambda: secrets.token_hex(8), None) if p not in known)
    if routing.prefixes and routing.unknown_prefix_status is not None:
        first = routing.prefixes[0]
        url = first.playback_url.replace(f"/{first.prefix}/", f"/{unknown}/", 1)
        status = requests.get(url, timeout=10).status_code
        if status != routing.unknown_prefix_status:
            problems.append(f"unknown prefix {unknown}: {url} answered {status}, not the documented {routing.unknown_prefix_status}")
    if problems:
        raise AssertionError(f"path-prefix routing on {stack.describe()}:\n" + "\n".join(f"  - {p}" for p in problems))


def _plays_through(stack: Stack, url: str, region: str, prefix: str) -> list[str]:
    index = requests.get(url, timeout=10)
    if index.status_code != 200:
        return [f"prefix {prefix}: {url} answered {index.status_code} ({index.text[:120].strip()!r})"]
    try:
        variants = parse_multivariant(index.content, url).variants
    except PlaylistUnreadable as exc:
        return [f"prefix {prefix}: {url} is not a multivariant playlist: {exc}"]
    problems = []
    for variant in variants:
        media = urljoin(url, variant.uri)
        answer = requests.get(media, timeout=10)
        origin = stack.attribution.origin_of(media, answer.headers, answer.content)
        if answer.status_code != 200:
            problems.append(f"prefix {prefix}: {media} answered {answer.status_code} from {origin or 'an unknown origin'}")
        elif origin is not None and origin != region:
            problems.append(f"prefix {prefix}: {media} came from {origin}, not {region}")
    return problems
