"""Origins behave like the kind they stand for: stale-but-200, expiry, 403/404, secret header, caching."""

from __future__ import annotations

import time

from fixtures.emulator import Misconfiguration, OriginKind
from tests.conftest import MakeStack
from tests.emulator_client import edge_get, origin_get, playlist, wait_for

R = "live/p0/180p.m3u8"


def test_missing_object_answers_403_on_s3_and_404_on_mediastore(make_stack: MakeStack) -> None:
    s3 = make_stack(0.5)
    assert origin_get(s3, s3.primary, "live/p0/nope.m3u8").status_code == 403
    assert "AccessDenied" in origin_get(s3, s3.primary, "live/p0/nope.m3u8").text
    mediastore = make_stack(0.5, origin_kind=OriginKind.MEDIASTORE)
    assert origin_get(mediastore, mediastore.primary, "live/p0/nope.m3u8").status_code == 404


def test_request_without_the_cdn_secret_header_is_refused(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    assert origin_get(stack, stack.primary, R, secret=False).status_code == 403
    assert origin_get(stack, stack.primary, R).status_code == 200


def test_cache_headers_short_for_manifests_long_for_segments(make_stack: MakeStack) -> None:
    stack = make_stack(1.0)
    manifest = origin_get(stack, stack.primary, R)
    segment = origin_get(stack, stack.primary, "live/p0/" + playlist(manifest).segments[-1].uri)
    assert manifest.headers["Cache-Control"] == "max-age=0"
    assert segment.headers["Cache-Control"] == "max-age=86400"
    assert manifest.headers["ETag"] and manifest.headers["Last-Modified"]


def test_paused_pipeline_leaves_a_stale_manifest_answering_200_without_expiry(make_stack: MakeStack) -> None:
    stack = make_stack(0.5, Misconfiguration.NO_MANIFEST_EXPIRY)
    stack.pause_pipeline(stack.primary, 0)
    frozen = playlist(origin_get(stack, stack.primary, R)).last_sequence
    time.sleep(2.0)  # four segment lengths: long past when an expiry rule would have acted
    still = origin_get(stack, stack.primary, R)
    assert still.status_code == 200 and playlist(still).last_sequence == frozen
    other = playlist(origin_get(stack, stack.primary, "live/p1/180p.m3u8")).last_sequence
    assert other is not None and frozen is not None and other > frozen  # pipeline 1 kept going


def test_expiry_rule_removes_a_manifest_not_rewritten_within_1_8_segments(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    stack.pause_pipeline(stack.primary, 0)
    paused_at = time.monotonic()
    gone = wait_for(lambda: origin_get(stack, stack.primary, R).status_code == 403, 5, "the expiry rule")
    elapsed = time.monotonic() - paused_at
    # The last write was at most one segment before the pause; expiry is 1.8 x 0.5 = 0.9 s after it.
    assert gone and 0.9 - 0.5 <= elapsed <= 0.9 + 0.5, elapsed
    stack.resume_pipeline(stack.primary, 0)
    fresh = wait_for(lambda: origin_get(stack, stack.primary, R).status_code == 200, 3, "the manifest after resume")
    assert fresh


def test_resume_restores_a_live_manifest_with_consistent_numbering(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    stack.pause_pipeline(stack.primary, 0)
    time.sleep(1.5)
    stack.resume_pipeline(stack.primary, 0)
    wait_for(lambda: origin_get(stack, stack.primary, R).status_code == 200, 3, "the manifest after resume")
    east = playlist(origin_get(stack, stack.primary, R))
    west = {e.sequence: e.uri for e in playlist(origin_get(stack, stack.secondary, R)).segments}
    for entry in east.segments:
        assert west.get(entry.sequence, entry.uri) == entry.uri


def test_stop_channel_writes_endlist_and_start_removes_it(make_stack: MakeStack) -> None:
    stack = make_stack(0.5, Misconfiguration.NO_MANIFEST_EXPIRY)
    stack.stop_channel(stack.primary)
    ended = playlist(origin_get(stack, stack.primary, R))
    assert ended.endlist
    stack.start_channel(stack.primary)
    live = wait_for(lambda: not playlist(origin_get(stack, stack.primary, R)).endlist, 3, "a live manifest again")
    assert live


def test_expire_manifests_removes_them_until_restored(make_stack: MakeStack) -> None:
    stack = make_stack(0.5)
    stack.expire_manifests(stack.primary)
    for key in ("live/p0/180p.m3u8", "live/p1/90p.m3u8"):
        assert origin_get(stack, stack.primary, key).status_code == 403
    time.sleep(1.0)  # encoders kept writing; the fault keeps the manifests gone
    assert origin_get(stack, stack.primary, R).status_code == 403
    assert origin_get(stack, stack.primary, "live/index.m3u8").status_code == 200  # static index untouched
    stack.restore_manifests(stack.primary)
    assert wait_for(lambda: origin_get(stack, stack.primary, R).status_code == 200, 3, "manifests after restore")


def test_a_hung_origin_frees_each_request_once_the_caller_gives_up(make_stack: MakeStack) -> None:
    """A hang never answers, but holds no thread after the edge has timed out and closed its connection."""
    import threading

    from fixtures.emulator import BreakMode

    stack = make_stack(0.5)
    stack.break_origin(stack.primary, BreakMode.HANG)
    try:
        for _ in range(8):  # each one waits out the read timeout, then the edge asks the secondary
            assert edge_get(stack, "live/p0/180p.m3u8").status_code == 200
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            held = [t for t in threading.enumerate() if "process_request" in t.name and t.is_alive()]
            if len(held) <= 2:
                break
            time.sleep(0.05)
        assert len(held) <= 2, f"{len(held)} origin threads still held by requests their callers abandoned"
    finally:
        stack.heal_origin(stack.primary)
