"""The CloudFront-like edge: origin-group failover triggers, primary-first fail-back, caching,
error caching, CORS, segment chaos, and the misconfiguration switches that break each of them."""

from __future__ import annotations

import time

import pytest

from fixtures.emulator import BreakMode, Misconfiguration, SegmentFault
from tests.conftest import MakeStack
from tests.emulator_client import edge_get, playlist, wait_for

R = "live/p0/180p.m3u8"
ATTRIBUTION = "X-Drill-Origin"


def _served_by(stack, key: str = R) -> tuple[int, str | None]:  # type: ignore[no-untyped-def]
    response = edge_get(stack, key)
    return response.status_code, response.headers.get(ATTRIBUTION)


def test_healthy_edge_serves_from_the_primary_with_cloudfront_headers(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    response = edge_get(stack, R)
    assert response.status_code == 200 and response.headers[ATTRIBUTION] == stack.primary
    assert response.headers["X-Cache"] == "Miss from cloudfront"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    segment = "live/p0/" + playlist(response).segments[-1].uri
    edge_get(stack, segment)
    again = edge_get(stack, segment)
    assert again.headers["X-Cache"] == "Hit from cloudfront" and "Age" in again.headers


def test_cors_preflight_is_answered(make_stack: MakeStack) -> None:
    import requests

    stack = make_stack(0.5)
    assert stack.edge is not None
    response = requests.options(f"{stack.edge.url}/{R}", headers={"Origin": "https://player.example"}, timeout=5)
    assert response.status_code == 204
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(
    "mode,status",
    [(BreakMode.STATUS, 503), (BreakMode.STATUS, 404), (BreakMode.REFUSE, 0), (BreakMode.HANG, 0), (BreakMode.SLOW, 0)],
    ids=["status-503", "status-404", "refuse", "hang", "slow-beyond-read-timeout"],
)
def test_each_failover_trigger_moves_a_miss_to_the_secondary_and_back(
    make_stack: MakeStack, mode: BreakMode, status: int
) -> None:
    stack = make_stack(0.5)
    stack.break_origin(stack.primary, mode, status=status or 503)
    assert _served_by(stack) == (200, stack.secondary)
    stack.heal_origin(stack.primary)
    assert wait_for(lambda: _served_by(stack) == (200, stack.primary), 3, "automatic fail-back")


def test_stale_then_expired_manifest_fails_over_on_403(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    stack.pause_pipeline(stack.primary, 0)
    assert wait_for(lambda: _served_by(stack) == (200, stack.secondary), 3, "failover after expiry")
    truth = [e for e in stack.edge.events if e.path.endswith("180p.m3u8") and e.served_by == stack.secondary]  # type: ignore[union-attr]
    assert truth and truth[0].tried[0] == f"{stack.primary}:403"


def test_status_outside_the_failover_criteria_is_passed_to_the_viewer(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    stack.break_origin(stack.primary, BreakMode.STATUS, status=429)  # CloudFront cannot fail over on 429
    assert _served_by(stack) == (429, stack.primary)


def test_error_caching_keeps_serving_an_error_until_its_ttl(make_stack: MakeStack) -> None:
    stack = make_stack(0.5, Misconfiguration.LONG_ERROR_CACHING)
    key = "live/p1/90p.m3u8"
    for region in stack.regions:
        stack.break_origin(region, BreakMode.STATUS, status=503)
    assert edge_get(stack, key).status_code == 503
    for region in stack.regions:
        stack.heal_origin(region)
    time.sleep(1.5)  # past the healthy stack's 0.5 s error TTL, well inside the 10 s one
    sticky = edge_get(stack, key)
    assert sticky.status_code == 503 and sticky.headers["X-Cache"] == "Hit from cloudfront"


def test_short_error_caching_recovers_within_its_ttl(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    key = "live/p1/90p.m3u8"
    for region in stack.regions:
        stack.break_origin(region, BreakMode.STATUS, status=503)
    assert edge_get(stack, key).status_code == 503
    assert edge_get(stack, key).headers["X-Cache"] == "Hit from cloudfront"  # cached, as CloudFront does
    for region in stack.regions:
        stack.heal_origin(region)
    assert wait_for(lambda: edge_get(stack, key).status_code == 200, 2, "recovery after the error TTL")


def test_no_origin_group_passes_the_primarys_failure_to_viewers(make_stack: MakeStack) -> None:
    stack = make_stack(0.5, Misconfiguration.NO_ORIGIN_GROUP)
    stack.break_origin(stack.primary, BreakMode.REFUSE)
    response = edge_get(stack, R)
    assert response.status_code == 502 and response.headers["X-Cache"] == "Error from cloudfront"


def test_failover_codes_without_4xx_never_fail_over_on_an_expired_manifest(make_stack: MakeStack) -> None:
    stack = make_stack(0.5, Misconfiguration.FAILOVER_CODES_WITHOUT_4XX)
    stack.expire_manifests(stack.primary)
    assert _served_by(stack) == (403, stack.primary)
    stack.break_origin(stack.primary, BreakMode.STATUS, status=503)
    # 5xx still fails over, once the cached 403 has aged out (error caching TTL 0.5 s here)
    assert wait_for(lambda: _served_by(stack) == (200, stack.secondary), 3, "failover on 503")


def test_slow_origin_timeouts_make_failover_take_longer_than_a_segment(make_stack: MakeStack) -> None:
    healthy, slow = make_stack(0.5), make_stack(0.5, Misconfiguration.SLOW_ORIGIN_TIMEOUTS)
    durations = {}
    for name, stack in (("healthy", healthy), ("slow", slow)):
        stack.break_origin(stack.primary, BreakMode.HANG)
        started = time.monotonic()
        assert _served_by(stack) == (200, stack.secondary)
        durations[name] = time.monotonic() - started
    assert durations["healthy"] < 0.5 < durations["slow"], durations
    assert slow.config.edge.worst_case_failover_s() > 0.5 >= healthy.config.edge.worst_case_failover_s()


def test_segment_faults_hit_only_the_chosen_sequences_and_renditions(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    entries = playlist(edge_get(stack, R)).segments
    target, other = entries[-1], entries[-2]
    fault = SegmentFault(status=500, sequences=frozenset({target.sequence}), renditions=frozenset({"p0/180p"}))
    stack.add_segment_fault(fault)
    assert edge_get(stack, f"live/p0/{target.uri}").status_code == 500
    assert edge_get(stack, f"live/p0/{other.uri}").status_code == 200
    assert edge_get(stack, f"live/p1/{target.uri}").status_code == 200
    stack.remove_segment_fault(fault)
    assert edge_get(stack, f"live/p0/{target.uri}").status_code == 200


def test_segment_delay_and_timeout_faults(make_stack: MakeStack) -> None:
    import requests

    stack = make_stack(0.5)
    uri = "live/p0/" + playlist(edge_get(stack, R)).segments[-1].uri
    delay = SegmentFault(delay_s=0.6)
    stack.add_segment_fault(delay)
    started = time.monotonic()
    assert edge_get(stack, uri).status_code == 200 and time.monotonic() - started >= 0.6
    stack.remove_segment_fault(delay)
    hang = SegmentFault(timeout=True)
    stack.add_segment_fault(hang)
    with pytest.raises(requests.exceptions.ReadTimeout):
        edge_get(stack, uri, timeout=0.5)
    stack.remove_segment_fault(hang)


def test_stack_stops_and_joins_everything(make_stack: MakeStack) -> None:
    import threading

    before = set(threading.enumerate())
    stack = make_stack(0.5)
    stack.break_origin(stack.primary, BreakMode.HANG)
    _served_by(stack)  # leaves a hung handler thread on the primary
    assert len(set(threading.enumerate()) - before) >= 6
    stack.stop()
    assert not any(o.server.answers() for o in stack.origins.values())
    assert not stack.edge.server.answers()  # type: ignore[union-attr]
    leftovers = [t.name for t in set(threading.enumerate()) - before]
    assert leftovers == []


def test_the_edge_keeps_origin_connections_alive_and_a_dead_origin_is_still_refused(
    make_stack: MakeStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Misses reuse the edge's connection to the origin, as CloudFront's do (origin keep-alive); a connection
    the origin closed when it stopped listening is dropped unused, so the next miss finds the origin refusing
    (the failure a viewer's request meets without keep-alive), not a read error on a dead connection."""
    from fixtures.emulator import http_server

    accepted: list[int] = []
    real = http_server._Server.process_request

    def counting(server: http_server._Server, request, client_address) -> None:  # type: ignore[no-untyped-def]
        accepted.append(server.server_address[1])
        real(server, request, client_address)

    monkeypatch.setattr(http_server._Server, "process_request", counting)
    stack = make_stack(0.5)
    assert stack.edge is not None
    primary_port = stack.origins[stack.primary].server.port
    for _ in range(10):  # one after another, each a miss: the manifest is not cached at L = 0.5 s
        response = edge_get(stack, R)
        assert response.status_code == 200 and response.headers["X-Cache"] == "Miss from cloudfront"
    assert 1 <= accepted.count(primary_port) <= 3, f"{accepted.count(primary_port)} connections for 10 misses"

    stack.break_origin(stack.primary, BreakMode.REFUSE)
    assert _served_by(stack) == (200, stack.secondary)
    miss = [e for e in stack.edge.events if e.path == f"/{R}"][-1]
    assert miss.tried[0] == f"{stack.primary}:connect refused", miss.tried
    stack.heal_origin(stack.primary)
    assert wait_for(lambda: _served_by(stack) == (200, stack.primary), 3, "automatic fail-back")


def test_an_origin_connection_idle_past_the_keepalive_timeout_is_closed_not_reused(
    make_stack: MakeStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import http.client

    from fixtures.emulator import origin_connections
    from fixtures.emulator.origin_connections import KEEPALIVE_TIMEOUT_S, OriginConnections

    stack = make_stack(0.5)
    origin = stack.origins[stack.primary].server
    address = ("127.0.0.1", origin.port)
    pool = OriginConnections()
    connection = http.client.HTTPConnection(*address, timeout=5)
    connection.connect()
    pool.give_back(address, connection)
    assert pool.take(address) is connection  # idle for less than the timeout: reused
    pool.give_back(address, connection)
    now = time.monotonic()
    monkeypatch.setattr(origin_connections.time, "monotonic", lambda: now + KEEPALIVE_TIMEOUT_S + 0.1)
    assert pool.take(address) is None
    assert connection.sock is None  # closed, not left open for the origin to hold a thread for


def test_a_busy_pool_still_closes_its_older_connections_once_idle_past_the_timeout(
    make_stack: MakeStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy pool reuses only its newest connection; the older ones, idle past the keep-alive timeout, are closed
    rather than left holding an origin thread each for the life of the stack."""
    import http.client

    from fixtures.emulator import origin_connections
    from fixtures.emulator.origin_connections import KEEPALIVE_TIMEOUT_S, OriginConnections

    stack = make_stack(0.5)
    address = ("127.0.0.1", stack.origins[stack.primary].server.port)
    pool = OriginConnections()
    older, newer = (http.client.HTTPConnection(*address, timeout=5) for _ in range(2))
    started = time.monotonic()
    for connection in (older, newer):
        connection.connect()
    monkeypatch.setattr(origin_connections.time, "monotonic", lambda: started)
    pool.give_back(address, older)
    monkeypatch.setattr(origin_connections.time, "monotonic", lambda: started + KEEPALIVE_TIMEOUT_S - 0.5)
    pool.give_back(address, newer)
    monkeypatch.setattr(origin_connections.time, "monotonic", lambda: started + KEEPALIVE_TIMEOUT_S + 0.1)
    assert pool.take(address) is newer  # still within its timeout
    assert older.sock is None  # closed on the way, though never reached from the newest end


def test_every_connection_the_emulator_holds_sends_without_waiting_for_an_ack(make_stack: MakeStack) -> None:
    """TCP_NODELAY on the edge's connections from viewers and the origins' from the edge: without it a kept-alive
    response's body waited for the client's delayed ACK of its headers, 40 ms a request, and every drill measured
    failovers through that stall."""
    import http.client
    import socket
    from urllib.parse import urlsplit

    stack = make_stack(0.5)
    assert stack.edge is not None
    address = urlsplit(stack.playback_url)
    viewer = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=5)
    try:
        for _ in range(3):  # each a miss (manifests are not cached at L = 0.5 s), on one kept-alive connection
            viewer.request("GET", f"/live/{R}")
            assert viewer.getresponse().read()
        servers = {"edge": stack.edge.server, **{f"origin {region}": origin.server for region, origin in stack.origins.items()}}
        held = {name: list(server._server._open) for name, server in servers.items() if server._server is not None}
        assert held["edge"] and held[f"origin {stack.primary}"], held  # the viewer's connection, and the edge's kept alive
        delayed = [name for name, connections in held.items() for c in connections
                   if not c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)]
        assert not delayed, f"connections held without TCP_NODELAY by {delayed}"
    finally:
        viewer.close()
