"""MediaPackage v2 origins on AWS: preflight reads of the channels, endpoints and endpoint policies (and the rules
judging them, MQAR's included), and the two endpoint fault verbs with their exact inverses.

moto has MediaPackage v2 channel groups and channels but no origin endpoints or policies, and its channels ignore
InputType and the MQCS settings, so botocore's Stubber answers every mediapackagev2 call and checks each request's
exact shape. moto stands in for CloudFront (it keeps an origin group's SelectionCriteria), Secrets Manager and STS.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.stub import Stubber

from checks.configuration import (
    ConfigProblem,
    StackFacts,
    configuration_problems,
    expiry_problems,
    mediapackage_problems,
    mqar_problems,
)
from fixtures.aws.calls import AwsCalls
from fixtures.aws.control_plane import stack_facts
from fixtures.aws.mediapackage import EndpointErrorConditionsSet, EndpointPolicyDenied, requires_cdn_header
from fixtures.aws.recover import recover
from fixtures.aws.stack_file import StackFile, load_stack_file
from fixtures.aws.verbs import VerbError, VerbState, verb_from_ledger
from fixtures.ledger import Ledger
from fixtures.stacks.aws import AwsStack
from fixtures.stacks.base import FaultUnavailable
from tests.moto_world import ORIGIN_IDS, PRIMARY, SECONDARY, World, aws_client, build_world

PLAYBACK = "https://d111111abcdef8.cloudfront.net/live/index.m3u8"
ACCOUNT = "123456789012"  # moto's
GROUP, CHANNEL, ENDPOINT = "live", "final", "hls"
NAMES = {"ChannelGroupName": GROUP, "ChannelName": CHANNEL, "OriginEndpointName": ENDPOINT}
HEADER = "X-MediaPackageV2-CDNIdentifier"
IDENTIFIERS = {PRIMARY: "0f6a1c2e-east-identifier-never-shown", SECONDARY: "7b3d9e41-west-identifier-never-shown"}
SECRET_NAME = "drill/mediapackagev2-cdn-identifier"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/MediaPackageReadsCdnSecret"
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
LAMBDA_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:live-headers:3"
DENY_SID = "FailoverDrillDenyAll"


def endpoint_arn(region: str) -> str:
    return f"arn:aws:mediapackagev2:{region}:{ACCOUNT}:channelGroup/{GROUP}/channel/{CHANNEL}/originEndpoint/{ENDPOINT}"


# What MediaPackage v2 answers.
def channel_answer(region: str, **overrides: Any) -> dict[str, Any]:
    answer = {"Arn": f"arn:aws:mediapackagev2:{region}:{ACCOUNT}:channelGroup/{GROUP}/channel/{CHANNEL}", "ChannelName": CHANNEL,
              "ChannelGroupName": GROUP, "CreatedAt": T0, "ModifiedAt": T0, "InputType": "CMAF", "OutputLockingMode": "EPOCH_LOCKED",
              "InputSwitchConfiguration": {"MQCSInputSwitching": True, "PreferredInput": 1},
              "OutputHeaderConfiguration": {"PublishMQCS": True}, "ETag": "C1"}
    answer.update(overrides)
    return {k: v for k, v in answer.items() if v is not None}


def endpoint_answer(region: str, conditions: list[str], etag: str = "E1", description: str = "live endpoint") -> dict[str, Any]:
    return {
        "Arn": endpoint_arn(region), **NAMES, "ContainerType": "CMAF", "CreatedAt": T0, "ModifiedAt": T0,
        "Segment": {"SegmentDurationSeconds": 2, "SegmentName": "segment", "IncludeIframeOnlyStreams": False,
                    "Scte": {"ScteFilter": ["SPLICE_INSERT"]}},
        "Description": description, "StartoverWindowSeconds": 300,
        "HlsManifests": [{"ManifestName": "index", "ChildManifestName": "index_1", "ManifestWindowSeconds": 60,
                          "ProgramDateTimeIntervalSeconds": 1, "FilterConfiguration": {"Start": T0},
                          "Url": f"https://x.egress.y.mediapackagev2.{region}.amazonaws.com/out/v1/{GROUP}/{CHANNEL}/{ENDPOINT}/index.m3u8"}],
        "LowLatencyHlsManifests": [], "DashManifests": [], "MssManifests": [],
        "ForceEndpointErrorConfiguration": {"EndpointErrorConditions": conditions},
        "ETag": etag, "Tags": {"team": "live"},
    }


def update_request(conditions: list[str], etag: str, description: str = "live endpoint") -> dict[str, Any]:
    """Every field UpdateOriginEndpoint takes, as read: manifest Urls, Arn, times and Tags left out; the ETag named."""
    return {
        **NAMES, "ContainerType": "CMAF",
        "Segment": {"SegmentDurationSeconds": 2, "SegmentName": "segment", "IncludeIframeOnlyStreams": False,
                    "Scte": {"ScteFilter": ["SPLICE_INSERT"]}},
        "Description": description, "StartoverWindowSeconds": 300,
        "HlsManifests": [{"ManifestName": "index", "ChildManifestName": "index_1", "ManifestWindowSeconds": 60,
                          "ProgramDateTimeIntervalSeconds": 1, "FilterConfiguration": {"Start": T0.isoformat()}}],
        "LowLatencyHlsManifests": [], "DashManifests": [], "MssManifests": [],
        "ForceEndpointErrorConfiguration": {"EndpointErrorConditions": conditions}, "ETag": etag,
    }


def allow_cloudfront(region: str, conditioned: bool = True) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": "AllowCloudFrontWithTheIdentifier", "Effect": "Allow", "Principal": "*",
                                 "Action": ["mediapackagev2:GetObject", "mediapackagev2:GetHeadObject"], "Resource": endpoint_arn(region)}
    if conditioned:
        statement["Condition"] = {"Bool": {"mediapackagev2:RequestHasMatchingCdnAuthHeader": "true"}}
    return statement


def policy_text(region: str, conditioned: bool = True) -> str:
    """Written by hand, spacing and all: undo must put back exactly this text, not a re-serialisation of it."""
    return '{\n    "Version": "2012-10-17",\n    "Statement": [ ' + json.dumps(allow_cloudfront(region, conditioned), indent=1) + " ]\n}"


def cdn_auth(arn: str) -> dict[str, Any]:
    return {"CdnIdentifierSecretArns": [arn], "SecretsRoleArn": ROLE}


def policy_answer(text: str, auth: dict[str, Any] | None) -> dict[str, Any]:
    return {**NAMES, "Policy": text, **({"CdnAuthConfiguration": auth} if auth is not None else {})}


def no_policy(stub: Stubber) -> None:
    stub.add_client_error("get_origin_endpoint_policy", "ResourceNotFoundException", "no policy", 404, expected_params=NAMES)


def mp_stub(calls: AwsCalls, region: str) -> Stubber:
    return Stubber(calls.client("mediapackagev2", region))


# Preflight: a moto world whose origins are MediaPackage v2 endpoints, read through the Stubber.
def mp_world(tmp_path: Path, *, selection: str | None = "media-quality-based", codes: list[int] | None = None,
             lambdas: bool = False, headers: dict[str, str | None] | None = None) -> tuple[World, dict[str, str]]:
    """The moto world with MediaPackage v2 origins: SelectionCriteria, the identifier headers and one secret per region."""
    associations = [{"LambdaFunctionARN": LAMBDA_ARN, "EventType": "origin-request", "IncludeBody": False}] if lambdas else []
    world = build_world(tmp_path, PLAYBACK, cdn={"codes": codes or [403, 404, 500, 502, 503, 504], "lambdas": associations})
    cloudfront = aws_client("cloudfront", PRIMARY)
    answer = cloudfront.get_distribution_config(Id=world.distribution_id)
    config = answer["DistributionConfig"]
    if selection is not None:
        config["OriginGroups"]["Items"][0]["SelectionCriteria"] = selection
    sent = IDENTIFIERS if headers is None else headers
    for origin in config["Origins"]["Items"]:
        region = PRIMARY if origin["Id"] == ORIGIN_IDS[PRIMARY] else SECONDARY
        if sent.get(region) is not None:
            items = origin["CustomHeaders"].get("Items", []) + [{"HeaderName": HEADER, "HeaderValue": sent[region]}]
            origin["CustomHeaders"] = {"Quantity": len(items), "Items": items}
    cloudfront.update_distribution(Id=world.distribution_id, IfMatch=answer["ETag"], DistributionConfig=config)  # moto: Deployed on the next read
    secrets = {region: aws_client("secretsmanager", region).create_secret(
        Name=SECRET_NAME, SecretString=json.dumps({"MediaPackageV2CDNIdentifier": IDENTIFIERS[region]}))["ARN"]
        for region in (PRIMARY, SECONDARY)}
    document = yaml.safe_load(world.stack_file.read_text())
    for role, region in (("primary", PRIMARY), ("secondary", SECONDARY)):
        origin = document["regions"][role]["origin"]
        document["regions"][role]["origin"] = {
            "kind": "mediapackage-v2", "cloudfront_origin_id": origin["cloudfront_origin_id"], "manifests": ["index_1.m3u8"],
            "channel_group": GROUP, "channel": CHANNEL, "endpoint": ENDPOINT,
            "egress_url": f"https://x.egress.y.mediapackagev2.{region}.amazonaws.com/out/v1/{GROUP}/{CHANNEL}/{ENDPOINT}/",
        }
    document.pop("timing")
    world.stack_file.write_text(yaml.safe_dump(document))
    return world, secrets


POLICIES = ("cdn-auth", "no-cdn-auth", "public", "none")


def read_facts(world: World, secrets: dict[str, str], channels: dict[str, dict[str, Any]] | None = None,
               conditions: dict[str, list[str]] | None = None, policies: dict[str, str] | None = None) -> StackFacts:
    """stack_facts with each region's mediapackagev2 client stubbed, in the order preflight reads: the endpoint for
    manifest expiry, then GetChannel, GetOriginEndpoint and GetOriginEndpointPolicy."""
    conditions = {PRIMARY: ["STALE_MANIFEST", "INCOMPLETE_MANIFEST"], SECONDARY: [], **(conditions or {})}
    calls = AwsCalls()
    stubs = {region: mp_stub(calls, region) for region in (PRIMARY, SECONDARY)}
    for region, stub in stubs.items():
        stub.add_response("get_origin_endpoint", endpoint_answer(region, conditions[region]), NAMES)
        stub.add_response("get_channel", channel_answer(region, **(channels or {}).get(region, {})),
                          {"ChannelGroupName": GROUP, "ChannelName": CHANNEL})
        stub.add_response("get_origin_endpoint", endpoint_answer(region, conditions[region]), NAMES)
        kind = (policies or {}).get(region, "cdn-auth")
        if kind == "none":
            no_policy(stub)
        else:
            auth = None if kind == "no-cdn-auth" else cdn_auth(secrets[region])
            stub.add_response("get_origin_endpoint_policy", policy_answer(policy_text(region, conditioned=kind != "public"), auth), NAMES)
        stub.activate()
    try:
        facts = stack_facts(calls, load_stack_file(world.stack_file))
        for stub in stubs.values():
            stub.assert_no_pending_responses()
    finally:
        for stub in stubs.values():
            stub.deactivate()
    return facts


def said(problems: list[Any]) -> str:
    text = "\n".join(str(p) for p in problems)
    assert not any(value in text for value in IDENTIFIERS.values()), "an identifier was shown"
    return text


def test_a_well_built_mqar_stack_passes_preflight_and_every_fact_is_read(fake_aws: None, tmp_path: Path) -> None:
    world, secrets = mp_world(tmp_path)
    facts = read_facts(world, secrets)
    assert said(configuration_problems(facts)) == ""
    group = facts.edge.groups["live-group"]
    assert group.selection_criteria == "media-quality-based"
    primary, secondary = facts.mediapackage
    assert (primary.region, primary.endpoint, primary.input_type, primary.epoch_locked, primary.publish_mqcs,
            primary.mqcs_input_switching, primary.preferred_input, primary.cdn_auth, primary.identifier_matches) == (
        PRIMARY, f"{GROUP}/{CHANNEL}/{ENDPOINT}", "CMAF", True, True, True, 1, True, True)
    assert primary.endpoint_error_conditions == ("STALE_MANIFEST", "INCOMPLETE_MANIFEST") and secondary.endpoint_error_conditions == ()
    assert facts.routing is not None and facts.routing.mode == "origin-group"
    assert not any(v in repr(facts) for v in IDENTIFIERS.values())


def test_selection_criteria_defaults_to_default_and_mqar_rules_then_stay_quiet(fake_aws: None, tmp_path: Path) -> None:
    """Without SelectionCriteria an origin-request trigger and PublishMQCS false are no MQAR problem."""
    world, secrets = mp_world(tmp_path, selection=None, lambdas=True)
    facts = read_facts(world, secrets, channels={r: {"OutputHeaderConfiguration": {"PublishMQCS": False}} for r in (PRIMARY, SECONDARY)})
    assert facts.edge.groups["live-group"].selection_criteria == "default"
    assert [a.event_type for a in facts.routing.associations] == ["origin-request"]  # type: ignore[union-attr]
    assert mqar_problems(facts) == [] and mediapackage_problems(facts) == []


NOT_CMAF = {"InputType": "HLS", "OutputLockingMode": None, "InputSwitchConfiguration": None, "OutputHeaderConfiguration": None}
# (id, world, reads, the rule that must say it, words)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, list[str]]] = [
    ("hls input", {}, {"channels": {SECONDARY: NOT_CMAF}}, "mediapackage",
     [f"MediaPackage v2 endpoint {GROUP}/{CHANNEL}/{ENDPOINT} ({SECONDARY}): channel InputType is HLS", "use CMAF ingest"]),
    ("not epoch locked", {}, {"channels": {PRIMARY: {"OutputLockingMode": "NON_EPOCH_LOCKED"}}}, "mediapackage",
     [f"({PRIMARY}): OutputLockingMode is not EPOCH_LOCKED"]),
    ("policy without cdn auth", {}, {"policies": {PRIMARY: "no-cdn-auth"}}, "mediapackage",
     [f"({PRIMARY}): endpoint policy CdnAuthConfiguration", "RequestHasMatchingCdnAuthHeader"]),
    ("public allow", {}, {"policies": {SECONDARY: "public"}}, "mediapackage", [f"({SECONDARY}): endpoint policy CdnAuthConfiguration"]),
    ("no policy", {}, {"policies": {PRIMARY: "none"}}, "mediapackage", [f"({PRIMARY}): endpoint policy CdnAuthConfiguration"]),
    ("identifier differs", {"headers": {PRIMARY: "an-old-identifier-value", SECONDARY: IDENTIFIERS[SECONDARY]}}, {}, "mediapackage",
     [f"({PRIMARY}): CloudFront origin custom header {HEADER} differs from the secret", "value not shown"]),
    ("identifier not sent", {"headers": {PRIMARY: IDENTIFIERS[PRIMARY], SECONDARY: None}}, {}, "mediapackage",
     [f"({SECONDARY}): CloudFront origin custom header {HEADER}"]),
    ("mqcs settings differ", {}, {"channels": {SECONDARY: {"InputSwitchConfiguration": {"MQCSInputSwitching": False, "PreferredInput": 2}}}},
     "mediapackage", [f"channels in {PRIMARY} and {SECONDARY}: mqcs_input_switching differs: True against False",
                      "preferred_input differs: 1 against 2"]),
    ("primary not forcing errors", {}, {"conditions": {PRIMARY: ["INCOMPLETE_MANIFEST"]}}, "expiry",
     [f"mediapackage-v2 origin in {PRIMARY}: manifest expiry is missing", "enable ForceEndpointErrorConfiguration STALE_MANIFEST"]),
    ("backup forcing errors", {}, {"conditions": {SECONDARY: ["STALE_MANIFEST"]}}, "mediapackage",
     [f"({SECONDARY}): ForceEndpointErrorConfiguration is set (['STALE_MANIFEST']) on the backup region too"]),
    ("mqar without 404", {"codes": [403, 500, 502, 503, 504]}, {}, "mqar", ["StatusCodes lack 404, which MQAR requires"]),
    ("mqar with an origin trigger", {"lambdas": True}, {}, "mqar",
     [f"cache behaviour live/*: LambdaFunctionAssociations include origin-request {LAMBDA_ARN}, which turns media-quality-based selection off"]),
    ("mqar without a score", {}, {"channels": {r: {"OutputHeaderConfiguration": {"PublishMQCS": False}} for r in (PRIMARY, SECONDARY)}}, "mqar",
     ["do not publish a score (PublishMQCS false)", f"{PRIMARY}, {SECONDARY}"]),
]


RULES: dict[str, Callable[[StackFacts], list[ConfigProblem]]] = {
    "mediapackage": mediapackage_problems, "mqar": mqar_problems, "expiry": expiry_problems}


@pytest.mark.parametrize("world_args,reads,rule,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_misbuilt_mediapackage_stack_is_named_by_its_rule(
    world_args: dict[str, Any], reads: dict[str, Any], rule: str, words: list[str], fake_aws: None, tmp_path: Path
) -> None:
    world, secrets = mp_world(tmp_path, **world_args)
    facts = read_facts(world, secrets, **reads)
    judged = said(RULES[rule](facts))
    missing = [w for w in words if w not in judged]
    assert not missing, f"{rule}_problems did not say {missing}; it said:\n{judged}"
    assert "is None" not in judged  # nothing judged that was never read
    everything = said(configuration_problems(facts))
    assert judged in everything


def test_mqar_on_origins_that_are_not_mediapackage_is_named(fake_aws: None, tmp_path: Path) -> None:
    """An S3 world with media-quality-based selection: no MediaPackage facts at all, and MQAR says why it cannot work."""
    world = build_world(tmp_path, PLAYBACK)
    cloudfront = aws_client("cloudfront", PRIMARY)
    answer = cloudfront.get_distribution_config(Id=world.distribution_id)
    answer["DistributionConfig"]["OriginGroups"]["Items"][0]["SelectionCriteria"] = "media-quality-based"
    cloudfront.update_distribution(Id=world.distribution_id, IfMatch=answer["ETag"], DistributionConfig=answer["DistributionConfig"])
    cloudfront.get_distribution(Id=world.distribution_id)
    facts = stack_facts(AwsCalls(), load_stack_file(world.stack_file))
    assert facts.mediapackage == () and mediapackage_problems(facts) == []
    assert "SelectionCriteria is media-quality-based, but members are ['s3']" in said(mqar_problems(facts))


def test_an_unreadable_identifier_secret_is_named(fake_aws: None, tmp_path: Path) -> None:
    from fixtures.aws.control_plane import ControlPlaneError

    world, secrets = mp_world(tmp_path)
    aws_client("secretsmanager", PRIMARY).put_secret_value(SecretId=SECRET_NAME, SecretString=json.dumps({"other": "x"}))
    with pytest.raises(ControlPlaneError, match=r"^regions.primary.origin endpoint policy CdnAuthConfiguration.CdnIdentifierSecretArns"
                                                r".json_key 'MediaPackageV2CDNIdentifier': the secret is not a JSON object with that key$"):
        read_facts(world, secrets)


@pytest.mark.parametrize("statements,required", [
    ([allow_cloudfront(PRIMARY)], True),
    ([allow_cloudfront(PRIMARY, conditioned=False)], False),
    ([allow_cloudfront(PRIMARY), allow_cloudfront(PRIMARY, conditioned=False)], False),  # a public Allow beside it voids it
    ([{**allow_cloudfront(PRIMARY, conditioned=False), "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}, allow_cloudfront(PRIMARY)], True),
    ([], False),
], ids=["conditioned", "public", "public-beside", "account-beside", "empty"])
def test_the_cdn_header_is_required_only_when_no_public_allow_skips_it(statements: list[dict[str, Any]], required: bool) -> None:
    assert requires_cdn_header(json.dumps({"Version": "2012-10-17", "Statement": statements})) is required


# The endpoint policy verb.
class JsonEqual:
    """Matches a JSON text by what it says, not how it is spaced."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def __eq__(self, text: object) -> bool:
        return isinstance(text, str) and json.loads(text) == self.document

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"JsonEqual({self.document!r})"


def deny(region: str = PRIMARY) -> dict[str, Any]:
    return {"Sid": DENY_SID, "Effect": "Deny", "Principal": "*", "Action": ["mediapackagev2:GetObject", "mediapackagev2:GetHeadObject"],
            "Resource": endpoint_arn(region)}


def denied_document(region: str = PRIMARY) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [allow_cloudfront(region), deny(region)]}


@pytest.fixture
def mp_stack(fake_aws: None, tmp_path: Path) -> Iterator[tuple[AwsStack, Stubber]]:
    """A stack whose two origins are MediaPackage v2 endpoints, its primary's mediapackagev2 client stubbed (STS is moto's)."""
    stack = AwsStack(mp_stack_file(tmp_path), AwsCalls())
    with mp_stub(stack.calls, PRIMARY) as stub:
        yield stack, stub
        stub.assert_no_pending_responses()


def mp_stack_file(tmp_path: Path) -> StackFile:
    document = yaml.safe_load((Path(__file__).resolve().parent.parent / "docs" / "stack-file.example.yaml").read_text())
    for role in ("primary", "secondary"):
        region = document["regions"][role]["region"]
        document["regions"][role]["origin"] = {
            "kind": "mediapackage-v2", "cloudfront_origin_id": f"origin-{role}", "manifests": ["index_1.m3u8"],
            "channel_group": GROUP, "channel": CHANNEL, "endpoint": ENDPOINT,
            "egress_url": f"https://x.egress.y.mediapackagev2.{region}.amazonaws.com/out/v1/{GROUP}/{CHANNEL}/{ENDPOINT}/"}
    document["chaos"] = {"allowed": True}
    document["ledger"] = str(tmp_path / "ledger.jsonl")
    document["attribution"] = {"strategy": "none"}
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump(document))
    return load_stack_file(path)


AUTH = cdn_auth(f"arn:aws:secretsmanager:{PRIMARY}:{ACCOUNT}:secret:{SECRET_NAME}-AbCdEf")


def policy_holds(stub: Stubber, text: str | None, auth: dict[str, Any] | None = AUTH) -> None:
    if text is None:
        no_policy(stub)
    else:
        stub.add_response("get_origin_endpoint_policy", policy_answer(text, auth), NAMES)


def put_policy(stub: Stubber, policy: Any, auth: dict[str, Any] | None = AUTH) -> None:
    stub.add_response("put_origin_endpoint_policy", {}, {**NAMES, "Policy": policy, **({"CdnAuthConfiguration": auth} if auth else {})})


def test_denying_an_endpoint_adds_one_statement_keeping_cdn_auth_and_undo_puts_back_the_exact_text(mp_stack: tuple[AwsStack, Stubber]) -> None:
    stack, stub = mp_stack
    original = policy_text(PRIMARY)
    denied = json.dumps(denied_document())
    policy_holds(stub, original)  # the snapshot, before the ledger entry
    policy_holds(stub, original), put_policy(stub, JsonEqual(denied_document())), policy_holds(stub, denied)
    fault = stack.origin_broken(PRIMARY, "error-status")  # error-status on a MediaPackage v2 origin is this verb
    assert fault.name == (f"deny mediapackagev2:GetObject and mediapackagev2:GetHeadObject in the policy of "
                          f"MediaPackage v2 endpoint {GROUP}/{CHANNEL}/{ENDPOINT} ({PRIMARY})")
    fault.apply()
    [entry] = stack.ledger.outstanding()
    assert entry.verb == "endpoint_policy_denied"
    assert entry.args == {"region": PRIMARY, "group": GROUP, "channel": CHANNEL, "endpoint": ENDPOINT, "account": ACCOUNT,
                          "existed": True, "policy": original, "cdn_auth": AUTH}
    policy_holds(stub, denied)  # already applied: a second apply changes nothing
    fault.apply()
    policy_holds(stub, denied), put_policy(stub, original), policy_holds(stub, original)  # the exact text, CdnAuthConfiguration with it
    fault.undo()
    assert stack.ledger.outstanding() == []


def test_an_endpoint_with_no_policy_gets_none_back(mp_stack: tuple[AwsStack, Stubber]) -> None:
    stack, stub = mp_stack
    deny_only = {"Version": "2012-10-17", "Statement": [deny()]}
    policy_holds(stub, None)
    policy_holds(stub, None), put_policy(stub, JsonEqual(deny_only), None), policy_holds(stub, json.dumps(deny_only), None)
    fault = stack.endpoint_denied(PRIMARY)
    fault.apply()
    assert stack.ledger.outstanding()[0].args["existed"] is False
    policy_holds(stub, json.dumps(deny_only), None)
    stub.add_response("delete_origin_endpoint_policy", {}, NAMES)
    policy_holds(stub, None)
    fault.undo()


@pytest.mark.parametrize("meanwhile", [
    (json.dumps({"Version": "2012-10-17", "Statement": [allow_cloudfront(PRIMARY), deny(), {**allow_cloudfront(PRIMARY), "Sid": "AddedByHand"}]}), AUTH),
    (json.dumps(denied_document()), cdn_auth(f"arn:aws:secretsmanager:{PRIMARY}:{ACCOUNT}:secret:rotated-XyZ123")),
], ids=["statement-added", "cdn-auth-changed"])
def test_undo_refuses_to_overwrite_a_policy_someone_else_changed(meanwhile: tuple[str, dict[str, Any]], mp_stack: tuple[AwsStack, Stubber]) -> None:
    stack, stub = mp_stack
    original = policy_text(PRIMARY)
    policy_holds(stub, original)
    policy_holds(stub, original), put_policy(stub, JsonEqual(denied_document())), policy_holds(stub, json.dumps(denied_document()))
    fault = stack.endpoint_denied(PRIMARY)
    fault.apply()
    policy_holds(stub, *meanwhile)  # no put or delete may follow: the Stubber fails any call not queued
    with pytest.raises(VerbError, match=r"other statements or its CdnAuthConfiguration changed since the drill read it, so the drill "
                                        r"does not put back the policy it read over them; remove the statement FailoverDrillDenyAll by hand"):
        fault.undo()
    assert [e.verb for e in stack.ledger.outstanding()] == ["endpoint_policy_denied"]  # still owed, for recover


def test_apply_refuses_a_policy_that_changed_after_its_snapshot(mp_stack: tuple[AwsStack, Stubber]) -> None:
    stack, stub = mp_stack
    policy_holds(stub, policy_text(PRIMARY))
    policy_holds(stub, policy_text(PRIMARY, conditioned=False))
    with pytest.raises(VerbError, match="the policy is not as read just before: someone else is changing it"):
        stack.endpoint_denied(PRIMARY).apply()


def test_a_leftover_drill_statement_is_refused_before_anything_is_recorded(mp_stack: tuple[AwsStack, Stubber]) -> None:
    stack, stub = mp_stack
    policy_holds(stub, json.dumps(denied_document()))
    with pytest.raises(VerbError, match="already holds the drill's statement FailoverDrillDenyAll"):
        stack.endpoint_denied(PRIMARY).apply()
    assert stack.ledger.outstanding() == []


def test_recover_after_a_kill_restores_the_policy_from_the_ledger_alone(fake_aws: None, tmp_path: Path) -> None:
    stack = AwsStack(mp_stack_file(tmp_path), AwsCalls())
    original = policy_text(PRIMARY)
    with mp_stub(stack.calls, PRIMARY) as stub:
        policy_holds(stub, original)
        policy_holds(stub, original), put_policy(stub, JsonEqual(denied_document())), policy_holds(stub, json.dumps(denied_document()))
        stack.endpoint_denied(PRIMARY).apply()  # ... SIGKILL: the ledger says applying, nothing says undone
    calls = AwsCalls()  # a new process: nothing in memory but the ledger
    with mp_stub(calls, PRIMARY) as stub:
        policy_holds(stub, json.dumps(denied_document())), put_policy(stub, original), policy_holds(stub, original)
        assert [r.error for r in recover(stack.file, calls)] == [None]
        stub.assert_no_pending_responses()
    assert Ledger(stack.file.ledger, stack.file.name).outstanding() == []


def test_a_dry_run_lists_the_policy_calls_and_makes_none(fake_aws: None, tmp_path: Path) -> None:
    stack = AwsStack(mp_stack_file(tmp_path), AwsCalls(dry_run=True))
    original = policy_text(PRIMARY)
    with mp_stub(stack.calls, PRIMARY) as stub:
        policy_holds(stub, original), policy_holds(stub, original)  # reads are made in a dry run; writes are not
        plan = stack.rehearsal(stack.endpoint_denied(PRIMARY))
        stub.assert_no_pending_responses()
    assert plan is not None and len(plan) == 2
    prefix = (f"mediapackagev2.put_origin_endpoint_policy(region='{PRIMARY}', ChannelGroupName='{GROUP}', ChannelName='{CHANNEL}', "
              f"OriginEndpointName='{ENDPOINT}', Policy=")
    assert plan[0].startswith(f"apply: {prefix}") and DENY_SID in plan[0] and plan[0].endswith(f"CdnAuthConfiguration={AUTH!r})")
    assert plan[1] == f"undo: {prefix}{original!r}, CdnAuthConfiguration={AUTH!r})"
    assert not stack.ledger.path.exists()


# The forced endpoint errors verb.
def test_setting_error_conditions_sends_every_field_with_the_etag_and_undo_restores_the_list(mp_stack: tuple[AwsStack, Stubber]) -> None:
    stack, stub = mp_stack
    stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, ["STALE_MANIFEST"], "E1"), NAMES)  # the snapshot
    stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, ["STALE_MANIFEST"], "E1"), NAMES)
    stub.add_response("update_origin_endpoint", endpoint_answer(PRIMARY, ["SLATE_INPUT"], "E2"), update_request(["SLATE_INPUT"], "E1"))
    fault = stack.endpoint_error_conditions_set(PRIMARY, ("SLATE_INPUT",))
    assert fault.name == f"set ForceEndpointErrorConfiguration of MediaPackage v2 endpoint {GROUP}/{CHANNEL}/{ENDPOINT} ({PRIMARY}) to ['SLATE_INPUT']"
    fault.apply()
    [entry] = stack.ledger.outstanding()
    assert entry.verb == "endpoint_error_conditions_set"
    assert (entry.args["previous"], entry.args["conditions"], entry.args["etag"]) == (["STALE_MANIFEST"], ["SLATE_INPUT"], "E1")
    assert {k: v for k, v in update_request([], "").items() if k not in NAMES and k not in ("ETag", "ForceEndpointErrorConfiguration")} \
        == entry.args["settings"]
    # Someone edited the description meanwhile: undo keeps that, flips only the conditions back, with the current ETag.
    stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, ["SLATE_INPUT"], "E3", "edited meanwhile"), NAMES)
    stub.add_response("update_origin_endpoint", endpoint_answer(PRIMARY, ["STALE_MANIFEST"], "E4"),
                      update_request(["STALE_MANIFEST"], "E3", "edited meanwhile"))
    fault.undo()
    assert stack.ledger.outstanding() == []
    verb = verb_from_ledger(entry.verb, entry.args)
    assert isinstance(verb, EndpointErrorConditionsSet) and verb.previous == ("STALE_MANIFEST",) and verb.conditions == ("SLATE_INPUT",)


def test_apply_refuses_an_endpoint_changed_since_its_snapshot(mp_stack: tuple[AwsStack, Stubber]) -> None:
    stack, stub = mp_stack
    stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, [], "E1"), NAMES)
    stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, [], "E9"), NAMES)  # no update may follow
    with pytest.raises(VerbError, match=r"changed since the drill read it \(ETag E1, now E9\): someone else is changing it"):
        stack.endpoint_error_conditions_set(PRIMARY, ("STALE_MANIFEST",)).apply()


def test_a_refused_update_if_match_is_said_plainly(fake_credentials: None) -> None:
    calls = AwsCalls()
    verb = EndpointErrorConditionsSet(PRIMARY, GROUP, CHANNEL, ENDPOINT, ("STALE_MANIFEST",))
    with mp_stub(calls, PRIMARY) as stub:
        stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, [], "E1"), NAMES)
        stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, [], "E1"), NAMES)
        stub.add_client_error("update_origin_endpoint", "ConflictException", "The entity tag does not match", 409,
                              expected_params=update_request(["STALE_MANIFEST"], "E1"))
        with pytest.raises(VerbError, match=r"refused the update with ETag E1 \(ConflictException: The entity tag does not match\).*nothing was changed"):
            verb.snapshot(calls).apply(calls, VerbState())


def test_undo_refuses_conditions_someone_else_changed(fake_credentials: None) -> None:
    calls = AwsCalls()
    verb = EndpointErrorConditionsSet(PRIMARY, GROUP, CHANNEL, ENDPOINT, ("SLATE_INPUT",), previous=("STALE_MANIFEST",), etag="E1",
                                      settings=update_request([], "")
                                      )
    with mp_stub(calls, PRIMARY) as stub:
        stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, ["MISSING_DRM_KEY"], "E5"), NAMES)
        with pytest.raises(VerbError, match=r"is \['MISSING_DRM_KEY'\], not \['SLATE_INPUT'\] as the drill left it: someone changed it since, "
                                            r"so the drill does not put back \['STALE_MANIFEST'\] over it"):
            verb.undo(calls, VerbState())
        stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, ["STALE_MANIFEST"], "E5"), NAMES)
        verb.undo(calls, VerbState())  # already as it was: no update
        stub.assert_no_pending_responses()


def test_recover_after_a_kill_restores_the_conditions_from_the_ledger_alone(fake_aws: None, tmp_path: Path) -> None:
    stack = AwsStack(mp_stack_file(tmp_path), AwsCalls())
    with mp_stub(stack.calls, PRIMARY) as stub:
        stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, ["STALE_MANIFEST"], "E1"), NAMES)
        stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, ["STALE_MANIFEST"], "E1"), NAMES)
        stub.add_response("update_origin_endpoint", endpoint_answer(PRIMARY, [], "E2"), update_request([], "E1"))
        stack.endpoint_error_conditions_set(PRIMARY, ()).apply()  # turn forced errors off ... SIGKILL
    calls = AwsCalls()
    with mp_stub(calls, PRIMARY) as stub:
        stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, [], "E2"), NAMES)
        stub.add_response("update_origin_endpoint", endpoint_answer(PRIMARY, ["STALE_MANIFEST"], "E3"), update_request(["STALE_MANIFEST"], "E2"))
        assert [r.error for r in recover(stack.file, calls)] == [None]
        stub.assert_no_pending_responses()
    assert Ledger(stack.file.ledger, stack.file.name).outstanding() == []


def test_a_dry_run_lists_the_update_calls_and_makes_none(fake_aws: None, tmp_path: Path) -> None:
    stack = AwsStack(mp_stack_file(tmp_path), AwsCalls(dry_run=True))
    with mp_stub(stack.calls, PRIMARY) as stub:
        stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, ["STALE_MANIFEST"], "E1"), NAMES)  # snapshot
        stub.add_response("get_origin_endpoint", endpoint_answer(PRIMARY, ["STALE_MANIFEST"], "E1"), NAMES)  # undo's read
        plan = stack.rehearsal(stack.endpoint_error_conditions_set(PRIMARY, ("SLATE_INPUT",)))
        stub.assert_no_pending_responses()
    assert plan is not None and [line.split("(")[0] for line in plan] == [
        "apply: mediapackagev2.update_origin_endpoint", "undo: mediapackagev2.update_origin_endpoint"]
    assert "ForceEndpointErrorConfiguration={'EndpointErrorConditions': ['SLATE_INPUT']}, ETag='E1')" in plan[0]
    assert "ForceEndpointErrorConfiguration={'EndpointErrorConditions': ['STALE_MANIFEST']}, ETag='E1')" in plan[1]
    assert "ContainerType='CMAF'" in plan[0] and "Url" not in plan[0]
    assert not stack.ledger.path.exists()


def test_unknown_conditions_are_refused_naming_them(fake_credentials: None) -> None:
    with pytest.raises(ValueError, match=r"conditions \['STALE'\] are not endpoint error conditions; use any of \['STALE_MANIFEST'"):
        EndpointErrorConditionsSet(PRIMARY, GROUP, CHANNEL, ENDPOINT, ("STALE",))


# Wiring.
def test_mediapackage_verbs_need_mediapackage_origins_and_input_quality_is_unavailable(fake_aws: None, tmp_path: Path) -> None:
    s3 = AwsStack(load_stack_file(build_world(tmp_path, PLAYBACK).stack_file), AwsCalls())
    with pytest.raises(FaultUnavailable, match=r"denying an origin endpoint needs a mediapackage-v2 origin; us-east-1's is s3 "
                                               r"\(regions.primary.origin.kind in "):
        s3.endpoint_denied(PRIMARY)
    with pytest.raises(FaultUnavailable, match="setting an endpoint's forced error conditions needs a mediapackage-v2 origin; us-west-2's is s3"):
        s3.endpoint_error_conditions_set(SECONDARY, ("STALE_MANIFEST",))
    (tmp_path / "mp").mkdir()
    mp = AwsStack(mp_stack_file(tmp_path / "mp"), AwsCalls())
    with pytest.raises(FaultUnavailable, match="the drill owns no such input; an operator can do it by hand with a MediaLive input switch"):
        mp.input_quality_dropped(PRIMARY)
    with pytest.raises(FaultUnavailable, match="cannot be made to hang through its API"):
        mp.origin_broken(PRIMARY, "hang")
    assert isinstance(verb_from_ledger("endpoint_policy_denied", {"region": PRIMARY, "group": GROUP, "channel": CHANNEL,
                                                                  "endpoint": ENDPOINT, "account": ACCOUNT}), EndpointPolicyDenied)


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.moto_world import FAKE_ENV

    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
