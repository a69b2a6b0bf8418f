"""The emulated edge functions and their KeyValueStore behave as AWS documents them (dynamic-origins-mqar.md
1-2): ETag-guarded writes, a propagation delay, viewer-request routing on every request (hits too),
origin-request mapping on misses only, and the documented answers when a function fails or a name does
not resolve. The edge's own probe is held against the store's record of when each write reached it."""

from __future__ import annotations

import time

import pytest

from fixtures.emulator import Misconfiguration
from fixtures.emulator.edge_routing import (
    KVS_KEY,
    KeyValueStore,
    KvsConflict,
    KvsRouter,
    KvsRouterConfig,
    OriginHelper,
    PrefixMapper,
    PrefixMapperConfig,
)
from fixtures.emulator.stack import PATH_PREFIX
from fixtures.routing import RoutingMode
from fixtures.stacks.local import LocalStack
from tests.conftest import MakeStack
from tests.emulator_client import edge_get, wait_for

MEDIA = "live/p0/180p.m3u8"


def test_a_write_needs_the_current_etag_and_reaches_the_edge_after_its_propagation() -> None:
    store = KeyValueStore((0.2, 0.2), initial={KVS_KEY: "east"})
    stale = store.describe()
    store.put_key(KVS_KEY, "west", stale)
    with pytest.raises(KvsConflict):
        store.put_key(KVS_KEY, "east", stale)  # the ETag versions the whole store: the old one is refused
    write = store.writes()[-1]
    assert store.get_key(KVS_KEY) == "west"  # the API sees it at once
    assert store.edge_value(KVS_KEY, write.visible - 0.01) == "east"  # the edge does not, yet
    assert store.edge_value(KVS_KEY, write.visible) == "west"
    store.delete_key(KVS_KEY, store.describe())
    assert store.get_key(KVS_KEY) is None and store.edge_value(KVS_KEY, time.monotonic() + 1) is None


@pytest.mark.parametrize(
    "value,helper,associated,route",
    [
        ("west", OriginHelper.ORIGIN_GROUP, True, ("o-west", "o-east")),  # the other region behind the selected one
        ("west", OriginHelper.UPDATE_ORIGIN, True, ("o-west", "o-west")),  # seed 002: only the group's primary replaced
        ("east", OriginHelper.UPDATE_ORIGIN, True, ("o-east", "o-west")),
        ("west", OriginHelper.ORIGIN_GROUP, False, ("o-east", "o-west")),  # not associated: the behaviour's own group
        ("north", OriginHelper.ORIGIN_GROUP, True, ("o-east", "o-west")),  # unknown value: caught, the default stays
        (None, OriginHelper.ORIGIN_GROUP, True, ("o-east", "o-west")),  # key deleted: caught, the default stays
    ],
)
def test_the_viewer_request_function_routes_as_seed_002_and_the_origin_helpers_do(
    value: str | None, helper: OriginHelper, associated: bool, route: tuple[str, ...]
) -> None:
    store = KeyValueStore((0.0, 0.0), initial={KVS_KEY: value} if value is not None else {})
    router = KvsRouter(KvsRouterConfig(KVS_KEY, {"east": "o-east", "west": "o-west"}, helper, associated), store)
    assert router.route(("o-east", "o-west"), time.monotonic()) == route


def test_the_origin_request_function_maps_strips_and_identifies() -> None:
    mapped = PrefixMapper(PrefixMapperConfig("secret")).map("/abc/live/index.m3u8", "mp.east")
    assert (mapped.host, mapped.uri, dict(mapped.headers)) == ("abc.mp.east", "/live/index.m3u8", {"X-MediaPackage-CDNIdentifier": "secret"})
    unstripped = PrefixMapper(PrefixMapperConfig("secret", strips_prefix=False, sends_identifier=False)).map("/abc/x.m3u8", "mp.east")
    assert (unstripped.uri, dict(unstripped.headers)) == ("/abc/x.m3u8", {})


def test_a_key_write_moves_the_edge_no_earlier_than_the_store_says_it_arrived(make_stack: MakeStack) -> None:
    """Two records of the emulator, kept apart: the store's (when each write became visible) and the
    edge probe's (which origin answered each of its 10 Hz requests). The probe must not see the switch
    before the write arrived, and must see it within the manifest's TTL plus one probe period after."""
    stack = make_stack(1.0, routing=RoutingMode.KVS, probe_hz=10.0)
    assert stack.probe is not None and stack.kvs is not None and stack.edge is not None
    applied = time.monotonic()
    stack.routing_key_write(stack.secondary)
    write = stack.kvs.writes()[-1]
    assert 0.25 <= write.visible - write.written <= 1.0  # the scaled profile's bounds at L = 1 s

    def switched() -> bool:
        truths = stack.probe.truth(primary=stack.primary, secondary=stack.secondary, applied=applied, undo_started=None)  # type: ignore[union-attr]
        return all(t.failover_s is not None for t in truths)

    wait_for(switched, 10, "every rendition to be served from the secondary")
    ttl = stack.config.manifest_max_age_s
    for truth in stack.probe.truth(primary=stack.primary, secondary=stack.secondary, applied=applied, undo_started=None):
        assert truth.failover_s is not None
        moved = applied + truth.failover_s
        assert write.visible <= moved <= write.visible + ttl + stack.probe.period + 0.15, (truth.path, moved - write.visible)


def test_the_viewer_request_function_runs_on_cache_hits_and_its_failure_is_a_503(make_stack: MakeStack) -> None:
    stack = make_stack(1.0, routing=RoutingMode.KVS)
    assert stack.edge is not None
    assert edge_get(stack, "live/index.m3u8").status_code == 200  # cached (max-age 60)
    assert edge_get(stack, "live/index.m3u8").headers["X-Cache"].startswith("Hit")
    stack.fail_edge_function(True)
    failed = edge_get(stack, "live/index.m3u8")
    assert failed.status_code == 503 and "function execution error" in failed.text
    stack.fail_edge_function(False)
    assert edge_get(stack, "live/index.m3u8").headers["X-Cache"].startswith("Hit")


def test_the_origin_request_function_runs_on_misses_only_and_an_unknown_prefix_is_a_502(make_stack: MakeStack) -> None:
    stack = make_stack(1.0, routing=RoutingMode.PATH_PREFIX)
    assert stack.prefix_mapper is not None and stack.edge is not None
    calls: list[str] = []
    original = stack.prefix_mapper.map

    def counted(uri: str, origin_host: str):  # type: ignore[no-untyped-def]
        calls.append(uri)
        return original(uri, origin_host)

    stack.prefix_mapper.map = counted  # type: ignore[method-assign]
    stack.edge.flush()  # the stack's readiness check already cached the index
    index = f"{PATH_PREFIX}/live/index.m3u8"
    assert edge_get(stack, index).status_code == 200
    assert edge_get(stack, index).headers["X-Cache"].startswith("Hit")
    assert calls == [f"/{index}"]  # once, for the miss
    unknown = edge_get(stack, "0123456789abcdef/live/index.m3u8")
    assert unknown.status_code == 502 and "does not resolve" in unknown.text
    assert edge_get(stack, "live/index.m3u8").status_code == 502  # no prefix: "live" is taken for one, and does not resolve


def _local(routing: RoutingMode, *wrong: Misconfiguration) -> LocalStack:
    return LocalStack(0.5, frozenset(wrong), routing)


def test_a_switch_is_undone_to_exactly_the_previous_value_or_to_no_key() -> None:
    stack = _local(RoutingMode.KVS)
    try:
        store = stack.emulator.kvs
        assert store is not None
        switch = stack.active_region_switched("local-west")
        switch.apply()
        assert store.get_key(KVS_KEY) == "local-west"
        switch.undo()
        assert store.get_key(KVS_KEY) == "local-east"
        deleted = stack.routing_key_deleted()
        deleted.apply()
        assert store.get_key(KVS_KEY) is None
        pointed = stack.routing_key_set("origin-nowhere")  # over an absent key: its undo deletes it again
        pointed.apply()
        pointed.undo()
        assert store.get_key(KVS_KEY) is None
        deleted.undo()
        assert store.get_key(KVS_KEY) == "local-east"
    finally:
        stack.close()


def test_an_undo_leaves_a_key_someone_else_changed_alone() -> None:
    stack = _local(RoutingMode.KVS)
    try:
        switch = stack.active_region_switched("local-west")
        switch.apply()
        stack.emulator.routing_key_write("local-east")  # an operator moved it meanwhile
        with pytest.raises(RuntimeError, match="someone else changed it; left alone"):
            switch.undo()
        assert stack.emulator.kvs is not None and stack.emulator.kvs.get_key(KVS_KEY) == "local-east"
    finally:
        stack.close()


def test_routing_verbs_are_refused_on_a_stack_without_a_key() -> None:
    from fixtures.stacks.base import FaultUnavailable

    stack = _local(RoutingMode.ORIGIN_GROUP)
    try:
        with pytest.raises(FaultUnavailable, match="no KeyValueStore key"):
            stack.active_region_switched("local-west")
        with pytest.raises(FaultUnavailable, match="runs no edge function"):
            stack.edge_function_failing()
    finally:
        stack.close()
