"""Preflight from the control plane (moto, plus botocore's Stubber where moto lacks an operation):
a well-built stack passes, and each way real stacks are misbuilt is found and named with its fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.stub import Stubber

from checks.configuration import configuration_problems
from fixtures.aws.calls import AwsCalls
from fixtures.aws.control_plane import ControlPlaneError, expiry_facts, stack_facts
from fixtures.aws.stack_file import load_stack_file
from tests.moto_world import PRIMARY, SECONDARY, SECRET_NAME, SECRET_VALUE, World, aws_client, build_world

PLAYBACK = "https://d111111abcdef8.cloudfront.net/live/index.m3u8"


def _problems(world: World) -> list[str]:
    return [str(p) for p in configuration_problems(stack_facts(AwsCalls(), load_stack_file(world.stack_file)))]


def test_a_well_built_stack_has_no_configuration_problem(fake_aws: None, tmp_path: Path) -> None:
    assert _problems(build_world(tmp_path, PLAYBACK)) == []


def test_the_same_custom_epoch_in_both_regions_is_fine(fake_aws: None, tmp_path: Path) -> None:
    epoch = {"custom_epoch": "2000-01-01T00:00:00"}
    assert _problems(build_world(tmp_path, PLAYBACK, **{PRIMARY: epoch, SECONDARY: epoch})) == []


def _stop_primary(world: World) -> None:
    medialive = aws_client("medialive", PRIMARY)
    medialive.stop_channel(ChannelId=world.channels[PRIMARY])
    medialive.describe_channel(ChannelId=world.channels[PRIMARY])


def _pause_secondary_pipeline_1(world: World) -> None:
    aws_client("medialive", SECONDARY).batch_update_schedule(
        ChannelId=world.channels[SECONDARY],
        Creates={"ScheduleActions": [{
            "ActionName": "left-over-pause", "ScheduleActionStartSettings": {"ImmediateModeScheduleActionStartSettings": {}},
            "ScheduleActionSettings": {"PauseStateSettings": {"Pipelines": [{"PipelineId": "PIPELINE_1"}]}},
        }]},
    )


def _rotate_secret_alone(world: World) -> None:
    aws_client("secretsmanager", PRIMARY).put_secret_value(
        SecretId=SECRET_NAME, SecretString=json.dumps({"value": "rotated-but-cloudfront-not-updated"})
    )


CASES: list[tuple[str, dict[str, Any], Callable[[World], None] | None, list[str]]] = [
    ("channel stopped", {}, _stop_primary, ["MediaLive channel", "State is IDLE", "start the channel"]),
    ("pipeline locking", {PRIMARY: {"locking": "PIPELINE_LOCKING"}}, None, ["OutputLockingMode is PIPELINE_LOCKING", "EPOCH_LOCKING"]),
    ("emit output", {SECONDARY: {"input_loss_action": "EMIT_OUTPUT"}}, None, ["InputLossAction is EMIT_OUTPUT", "PAUSE_OUTPUT"]),
    ("no redundant manifest", {PRIMARY: {"redundant_manifest": "DISABLED"}}, None, ["RedundantManifest is DISABLED", "set ENABLED"]),
    ("segment lengths differ", {SECONDARY: {"segment_length": 2}}, None, ["SegmentLength is 2 s but the stack file says 1 s", "differs between regions"]),
    ("left paused", {}, _pause_secondary_pipeline_1, ["keeps pipeline(s) 1 paused", "empty pipeline list"]),
    ("single pipeline", {SECONDARY: {"channel_class": "SINGLE_PIPELINE"}}, None,
     ["ChannelClass is SINGLE_PIPELINE but the stack file names 2 pipelines", "use a STANDARD channel"]),
    ("name modifiers differ", {SECONDARY: {"name_modifier": "_180p"}}, None,
     ["HlsOutputSettings.NameModifier differ between regions", "'_180p'"]),
    ("destination paths differ", {SECONDARY: {"destination_path": "west"}}, None,
     ["Destinations write to different paths per region", "west/p0/index"]),
    ("custom epoch on one region", {PRIMARY: {"custom_epoch": "2000-01-01T00:00:00"}}, None,
     ["EpochLockingSettings.CustomEpoch differs between regions", "2000-01-01T00:00:00", "unset (the Unix epoch)"]),
    ("distribution disabled", {"cdn": {"enabled": False}}, None, ["Enabled is false"]),
    ("no origin group", {"cdn": {"target": "origin-east"}}, None, ["cache behaviour live/* TargetOriginId is 'origin-east', a single origin"]),
    ("codes without 4xx", {"cdn": {"codes": [500, 502, 503, 504]}}, None, ["StatusCodes lack [403, 404]", "S3 answers 403 for a missing key"]),
    ("members reversed", {"cdn": {"members": ["origin-west", "origin-east"]}}, None, ["Members are ['origin-west', 'origin-east']", "primary region's origin first"]),
    ("slow timeouts", {"cdn": {"attempts": 3, "read_timeout": 30}}, None, ["up to 90 s (3 x max(ConnectionTimeout 1 s, OriginReadTimeout 30 s))"]),
    ("long error caching", {"cdn": {"error_ttl": 10}}, None, ["error caching for 404 is too long", "ErrorCachingMinTTL is 10 s"]),
    ("default error caching", {"cdn": {"error_codes": []}}, None, ["error caching for 503 is too long: with no CustomErrorResponse it is cached for 10 s"]),
    ("no expiry on s3", {"timing": {}}, None, ["manifest expiry is missing", "S3 lifecycle rules act in whole days"]),
    ("secret header not sent", {"cdn": {"headers": False}}, None, ["CustomHeaders do not send X-Origin-Verify"]),
    ("secret rotated alone", {}, _rotate_secret_alone, ["differs from the value in Secrets Manager (value not shown)"]),
]


@pytest.mark.parametrize("overrides,mutate,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_misbuilt_stack_is_named_with_its_fix(
    overrides: dict[str, Any], mutate: Callable[[World], None] | None, words: list[str], fake_aws: None, tmp_path: Path
) -> None:
    world = build_world(tmp_path, PLAYBACK, **overrides)
    if mutate is not None:
        mutate(world)
    problems = "\n".join(_problems(world))
    missing = [w for w in words if w not in problems]
    assert not missing, f"preflight did not say {missing}; it said:\n{problems}"
    assert SECRET_VALUE not in problems and "rotated-but" not in problems


def test_a_resource_that_does_not_exist_is_named(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK)
    document = yaml.safe_load(world.stack_file.read_text())
    document["cdn"]["distribution_id"] = "E000000000000"
    world.stack_file.write_text(yaml.safe_dump(document))
    with pytest.raises(ControlPlaneError, match=r"cdn.distribution_id E000000000000: cloudfront get_distribution in us-east-1 failed: NoSuchDistribution"):
        stack_facts(AwsCalls(), load_stack_file(world.stack_file))


def _legacy_origins(world: World, kind: str, extra: dict[str, Any]) -> Path:
    document = yaml.safe_load(world.stack_file.read_text())
    for role in ("primary", "secondary"):
        origin = document["regions"][role]["origin"]
        document["regions"][role]["origin"] = {
            "kind": kind, "cloudfront_origin_id": origin["cloudfront_origin_id"], "manifests": origin["manifests"], **extra,
        }
    document.pop("timing")
    world.stack_file.write_text(yaml.safe_dump(document))
    return world.stack_file


def test_mediastore_expiry_is_read_from_the_transient_lifecycle_rule(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK)
    stack = load_stack_file(_legacy_origins(world, "mediastore", {"container": "live_drill"}))
    mediastore = aws_client("mediastore", PRIMARY)
    mediastore.create_container(ContainerName="live_drill")
    assert expiry_facts(AwsCalls(), stack, stack.primary).expiry_s is None  # no lifecycle policy at all
    rule = {"definition": {"path": [{"wildcard": "live/*.m3u8"}], "seconds_since_create": [{"numeric": [">", 2]}]}, "action": "EXPIRE"}
    mediastore.put_lifecycle_policy(ContainerName="live_drill", LifecyclePolicy=json.dumps({"rules": [rule]}))
    facts = expiry_facts(AwsCalls(), stack, stack.primary)
    assert facts.expiry_s == 2 and facts.mechanism and "transient lifecycle rule" in facts.mechanism
    rule["definition"]["path"] = [{"wildcard": "other/*.m3u8"}]  # a rule for other paths does not count
    mediastore.put_lifecycle_policy(ContainerName="live_drill", LifecyclePolicy=json.dumps({"rules": [rule]}))
    assert expiry_facts(AwsCalls(), stack, stack.primary).expiry_s is None


def test_mediapackage_expiry_is_forced_endpoint_errors_on_the_primary_only(fake_aws: None, tmp_path: Path) -> None:
    """moto has no MediaPackage v2 origin endpoints: the Stubber answers GetOriginEndpoint and checks the request."""
    world = build_world(tmp_path, PLAYBACK)
    stack = load_stack_file(_legacy_origins(world, "mediapackage-v2", {
        "channel_group": "live", "channel": "final", "endpoint": "hls",
        "egress_url": "https://x.egress.y.mediapackagev2.us-east-1.amazonaws.com/out/v1/live/final/hls/",
    }))
    calls = AwsCalls()

    def endpoint(conditions: list[str]) -> dict[str, Any]:
        now = datetime.now(timezone.utc)
        return {"Arn": "arn:aws:mediapackagev2:us-east-1:123456789012:channelGroup/live/channel/final/originEndpoint/hls",
                "ChannelGroupName": "live", "ChannelName": "final", "OriginEndpointName": "hls", "ContainerType": "TS",
                "Segment": {}, "CreatedAt": now, "ModifiedAt": now,
                "ForceEndpointErrorConfiguration": {"EndpointErrorConditions": conditions}}

    request = {"ChannelGroupName": "live", "ChannelName": "final", "OriginEndpointName": "hls"}
    with Stubber(calls.client("mediapackagev2", PRIMARY)) as stub:
        stub.add_response("get_origin_endpoint", endpoint(["STALE_MANIFEST", "INCOMPLETE_MANIFEST"]), request)
        stub.add_response("get_origin_endpoint", endpoint([]), request)
        forced = expiry_facts(calls, stack, stack.primary)
        assert forced.mechanism == "ForceEndpointErrorConfiguration STALE_MANIFEST" and forced.required
        not_forced = expiry_facts(calls, stack, stack.primary)
        assert not_forced.expiry_s is None
        stub.assert_no_pending_responses()
    with Stubber(calls.client("mediapackagev2", SECONDARY)) as stub:
        stub.add_response("get_origin_endpoint", endpoint([]), request)
        assert not expiry_facts(calls, stack, stack.secondary).required  # AWS: enable it on the primary only
