"""On a real stack: which region served a response (ETag fingerprints), and when chaos is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.aws.calls import AwsCalls
from fixtures.aws.stack_file import load_stack_file
from fixtures.stacks.aws import AwsStack
from tests.moto_world import PRIMARY, RENDITIONS, SECONDARY, aws_client, build_world

PLAYBACK = "https://d111111abcdef8.cloudfront.net/live/index.m3u8"
URL = "https://d111111abcdef8.cloudfront.net/live/p0/180p.m3u8"


def _put(region: str, bucket: str, key: str, body: bytes) -> str:
    return str(aws_client("s3", region).put_object(Bucket=bucket, Key=key, Body=body)["ETag"])


def test_fingerprints_name_the_region_whose_object_the_edge_served(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK, attribution={"strategy": "fingerprint"})
    stack = AwsStack(load_stack_file(world.stack_file), AwsCalls())
    east = _put(PRIMARY, world.buckets[PRIMARY], "live/p0/180p.m3u8", b"#EXTM3U\n#east-1\n")
    west = _put(SECONDARY, world.buckets[SECONDARY], "live/p0/180p.m3u8", b"#EXTM3U\n#west-1\n")
    assert stack.attribution.origin_of(URL, {"ETag": east}, b"") == PRIMARY
    assert stack.attribution.origin_of(URL, {"ETag": west}, b"") == SECONDARY
    _put(PRIMARY, world.buckets[PRIMARY], "live/p0/180p.m3u8", b"#EXTM3U\n#east-2\n")  # the encoder moved on...
    assert stack.attribution.origin_of(URL, {"ETag": east}, b"") == PRIMARY  # ...the edge's cached copy still counts
    assert stack.attribution.origin_of(URL, {"ETag": '"0000"'}, b"") is None
    assert stack.attribution.origin_of(URL, {}, b"") is None


def test_identical_objects_in_both_regions_are_not_attributed(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK, attribution={"strategy": "fingerprint"})
    stack = AwsStack(load_stack_file(world.stack_file), AwsCalls())
    same = _put(PRIMARY, world.buckets[PRIMARY], "live/p0/180p.m3u8", b"#EXTM3U\n")
    _put(SECONDARY, world.buckets[SECONDARY], "live/p0/180p.m3u8", b"#EXTM3U\n")
    assert stack.attribution.origin_of(URL, {"ETag": same}, b"") is None


def _fill_buckets(world_buckets: dict[str, str], body: bytes) -> None:
    for region, bucket in world_buckets.items():
        for rendition in RENDITIONS:
            _put(region, bucket, f"live/{rendition}", body)


LIVE = b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:1.0,\nseg_7.ts\n"


def test_chaos_is_refused_while_preflight_fails(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK, cdn={"codes": [500, 502, 503, 504]})
    _fill_buckets(world.buckets, LIVE)
    refusal = AwsStack(load_stack_file(world.stack_file), AwsCalls(), allow_chaos=True).chaos_refusal()
    assert refusal is not None and refusal.startswith("preflight failed") and "StatusCodes lack [403, 404]" in refusal


@pytest.mark.parametrize(
    "body,words",
    [(None, "live/p0/180p.m3u8: NoSuchKey"), (b"<html>oops</html>", "live/p0/180p.m3u8"), (LIVE + b"#EXT-X-ENDLIST\n", "EXT-X-ENDLIST")],
    ids=["missing", "not-a-playlist", "ended"],
)
def test_chaos_is_refused_while_an_origin_does_not_serve_a_live_playlist(
    body: bytes | None, words: str, fake_aws: None, tmp_path: Path
) -> None:
    world = build_world(tmp_path, PLAYBACK)
    if body is not None:
        _fill_buckets(world.buckets, body)
    stack = AwsStack(load_stack_file(world.stack_file), AwsCalls(), allow_chaos=True)
    refusal = stack.chaos_refusal()
    assert refusal is not None and "preflight failed" in refusal and words in refusal, refusal


def test_a_healthy_stack_with_permission_may_take_chaos(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK)
    _fill_buckets(world.buckets, LIVE)
    assert AwsStack(load_stack_file(world.stack_file), AwsCalls(), allow_chaos=True).chaos_refusal() is None
    assert "--allow-chaos" in (AwsStack(load_stack_file(world.stack_file), AwsCalls()).chaos_refusal() or "")
