"""Function routing on AWS (fixtures/routing.py): KeyValueStore verbs with exact inverses, the rules preflight reads
from the control plane, and the path-prefix function's contract.

moto has no KeyValueStore data plane and cannot invoke a Lambda@Edge function, so botocore's Stubber answers
those and checks every request's exact shape (IfMatch, Key, Value, KvsARN, Stage, FunctionName). The KVS
client is built UNSIGNED for the tests: the real one signs with SigV4A, which needs awscrt before any stub runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import botocore
import pytest
import yaml
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from checks.configuration import configuration_problems
from fixtures.aws.calls import AwsCalls, new_session
from fixtures.aws.control_plane import routing_facts, stack_facts
from fixtures.aws.kvs import KVS_REGION
from fixtures.aws.recover import recover
from fixtures.aws.stack_file import StackFile, load_stack_file
from fixtures.aws.verbs import KvsKeyWritten, VerbError
from fixtures.ledger import Ledger
from fixtures.routing import RoutingMode
from fixtures.stacks.aws import AwsStack
from fixtures.stacks.base import FaultUnavailable
from tests.moto_world import (
    FAKE_ENV,
    ORIGIN_IDS,
    PRIMARY,
    SECONDARY,
    SECRET_HEADER,
    SECRET_NAME,
    SECRET_VALUE,
    SECURITY_HEADERS_POLICY,
    World,
    aws_client,
    build_world,
)

PLAYBACK = "https://d111111abcdef8.cloudfront.net/live/index.m3u8"
ACCOUNT = "123456789012"
KVS_ARN = f"arn:aws:cloudfront::{ACCOUNT}:key-value-store/0a1b2c3d-aaaa-bbbb-cccc-123456789012"
KEY = "active_origin"
FUNCTION = "live-router"
FUNCTION_ARN = f"arn:aws:cloudfront::{ACCOUNT}:function/{FUNCTION}"
LAMBDA_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:live-prefix-router:7"
EAST, WEST = ORIGIN_IDS[PRIMARY], ORIGIN_IDS[SECONDARY]
KVS_BLOCK = {"arn": KVS_ARN, "key": KEY, "function": FUNCTION, "values": {PRIMARY: EAST, SECONDARY: WEST}}


# The KeyValueStore data plane, stubbed.
def kvs_stub(calls: AwsCalls) -> Stubber:
    client = new_session().client("cloudfront-keyvaluestore", region_name=KVS_REGION, config=Config(signature_version=botocore.UNSIGNED))
    calls._clients[("cloudfront-keyvaluestore", KVS_REGION, None)] = client
    return Stubber(client)


def etag(stub: Stubber, tag: str) -> None:
    stub.add_response("describe_key_value_store", {"ETag": tag, "KvsARN": KVS_ARN, "ItemCount": 1, "TotalSizeInBytes": 20,
                                                   "Created": datetime(2026, 1, 1, tzinfo=timezone.utc)}, {"KvsARN": KVS_ARN})


def holds(stub: Stubber, value: str | None) -> None:
    if value is None:
        stub.add_client_error("get_key", "ResourceNotFoundException", "key not found", 404, expected_params={"KvsARN": KVS_ARN, "Key": KEY})
    else:
        stub.add_response("get_key", {"Key": KEY, "Value": value, "ItemCount": 1, "TotalSizeInBytes": 20}, {"KvsARN": KVS_ARN, "Key": KEY})


def put(stub: Stubber, value: str, if_match: str) -> None:
    stub.add_response("put_key", {"ItemCount": 1, "TotalSizeInBytes": 20, "ETag": if_match + "+1"},
                      {"KvsARN": KVS_ARN, "Key": KEY, "Value": value, "IfMatch": if_match})


def delete(stub: Stubber, if_match: str) -> None:
    stub.add_response("delete_key", {"ItemCount": 0, "TotalSizeInBytes": 0, "ETag": if_match + "+1"},
                      {"KvsARN": KVS_ARN, "Key": KEY, "IfMatch": if_match})


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def stack_file(tmp_path: Path, **cdn: Any) -> StackFile:
    document = yaml.safe_load((Path(__file__).resolve().parent.parent / "docs" / "stack-file.example.yaml").read_text())
    document["cdn"].update(cdn)
    document["chaos"] = {"allowed": True}
    document["ledger"] = str(tmp_path / "ledger.jsonl")
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump(document))
    return load_stack_file(path)


@pytest.fixture
def kvs_stack(tmp_path: Path, fake_credentials: None) -> Iterator[tuple[AwsStack, Stubber]]:
    """A kvs-routed stack whose example regions are us-east-1 / us-west-2, with its KeyValueStore stubbed."""
    stack = AwsStack(stack_file(tmp_path, routing="kvs", kvs=KVS_BLOCK), AwsCalls())
    with kvs_stub(stack.calls) as stub:
        yield stack, stub
        stub.assert_no_pending_responses()


# Verbs.
def test_a_switch_over_writes_the_regions_value_and_undo_puts_the_previous_one_back(kvs_stack: tuple[AwsStack, Stubber]) -> None:
    stack, stub = kvs_stack
    holds(stub, EAST)  # the snapshot, before the ledger entry
    etag(stub, "E1"), holds(stub, EAST), put(stub, WEST, "E1")
    fault = stack.active_region_switched(SECONDARY)
    assert fault.name == f"write {WEST!r} to KeyValueStore {KVS_ARN} key {KEY!r}"
    fault.apply()
    [entry] = stack.ledger.outstanding()
    assert entry.verb == "kvs_key_written"
    assert entry.args == {"kvs_arn": KVS_ARN, "key": KEY, "value": WEST, "existed": True, "previous": EAST}
    etag(stub, "E2"), holds(stub, WEST), put(stub, EAST, "E2")
    fault.undo()
    assert stack.ledger.outstanding() == []


def test_undo_deletes_a_key_that_did_not_exist_before(kvs_stack: tuple[AwsStack, Stubber]) -> None:
    stack, stub = kvs_stack
    holds(stub, None)
    etag(stub, "E1"), holds(stub, None), put(stub, "origin-nowhere", "E1")
    fault = stack.routing_key_set("origin-nowhere")
    fault.apply()
    etag(stub, "E2"), holds(stub, "origin-nowhere"), delete(stub, "E2")
    fault.undo()


def test_deleting_the_key_is_undone_by_putting_its_value_back(kvs_stack: tuple[AwsStack, Stubber]) -> None:
    stack, stub = kvs_stack
    holds(stub, EAST)
    etag(stub, "E1"), holds(stub, EAST), delete(stub, "E1")
    fault = stack.routing_key_deleted()
    fault.apply()
    etag(stub, "E2"), holds(stub, None), put(stub, EAST, "E2")
    fault.undo()


def test_undo_refuses_to_overwrite_a_key_someone_else_changed(kvs_stack: tuple[AwsStack, Stubber]) -> None:
    stack, stub = kvs_stack
    holds(stub, EAST)
    etag(stub, "E1"), holds(stub, EAST), put(stub, WEST, "E1")
    fault = stack.active_region_switched(SECONDARY)
    fault.apply()
    etag(stub, "E2"), holds(stub, "origin-by-hand")  # an operator moved it meanwhile: no write may follow
    with pytest.raises(VerbError, match=r"holds 'origin-by-hand', not 'origin-west' as the drill left it: someone changed it since, "
                                        r"so the drill does not put back 'origin-east' over it"):
        fault.undo()
    assert [e.verb for e in stack.ledger.outstanding()] == ["kvs_key_written"]  # still owed, for recover


def test_apply_refuses_when_the_key_moved_after_its_snapshot(kvs_stack: tuple[AwsStack, Stubber]) -> None:
    stack, stub = kvs_stack
    holds(stub, EAST)
    etag(stub, "E1"), holds(stub, "origin-by-hand")
    with pytest.raises(VerbError, match="not 'origin-east' as read just before: someone else is writing it"):
        stack.active_region_switched(SECONDARY).apply()


def test_a_stale_etag_is_read_again_once_and_a_second_conflict_is_raised(kvs_stack: tuple[AwsStack, Stubber]) -> None:
    stack, stub = kvs_stack
    conflict = {"service_error_code": "ConflictException", "service_message": "Resource is not in expected state", "http_status_code": 409}
    holds(stub, EAST)
    etag(stub, "E1"), holds(stub, EAST)
    stub.add_client_error("put_key", **conflict, expected_params={"KvsARN": KVS_ARN, "Key": KEY, "Value": WEST, "IfMatch": "E1"})
    etag(stub, "E2"), holds(stub, EAST), put(stub, WEST, "E2")  # another writer's change landed: re-read, re-check, write
    stack.active_region_switched(SECONDARY).apply()
    stub.assert_no_pending_responses()
    verb = KvsKeyWritten(KVS_ARN, KEY, WEST, existed=True, previous=EAST)
    for tag in ("E3", "E4"):
        etag(stub, tag), holds(stub, EAST)
        stub.add_client_error("put_key", **conflict, expected_params={"KvsARN": KVS_ARN, "Key": KEY, "Value": WEST, "IfMatch": tag})
    with pytest.raises(ClientError, match="ConflictException"):
        verb.apply(stack.calls, stack.verb_state)


def test_recover_after_a_kill_mid_switch_over_restores_the_previous_value_from_the_ledger_alone(
    tmp_path: Path, fake_credentials: None
) -> None:
    stack = AwsStack(stack_file(tmp_path, routing="kvs", kvs=KVS_BLOCK), AwsCalls())
    with kvs_stub(stack.calls) as stub:
        holds(stub, EAST)
        etag(stub, "E1"), holds(stub, EAST), put(stub, WEST, "E1")
        stack.active_region_switched(SECONDARY).apply()  # ... SIGKILL: the ledger says applying, nothing says undone
    calls = AwsCalls()  # a new process: nothing in memory but the ledger
    with kvs_stub(calls) as stub:
        etag(stub, "E2"), holds(stub, WEST), put(stub, EAST, "E2")
        assert [r.error for r in recover(stack.file, calls)] == [None]
        stub.assert_no_pending_responses()
    assert Ledger(stack.file.ledger, stack.file.name).outstanding() == []


def test_recover_after_a_kill_before_the_write_changes_nothing(tmp_path: Path, fake_credentials: None) -> None:
    stack = stack_file(tmp_path, routing="kvs", kvs=KVS_BLOCK)
    verb = KvsKeyWritten(KVS_ARN, KEY, WEST, existed=True, previous=EAST)
    Ledger(stack.ledger, stack.name).applying(verb.kind, verb.args(), verb.describe())  # killed before its put_key
    calls = AwsCalls()
    with kvs_stub(calls) as stub:
        etag(stub, "E1"), holds(stub, EAST)  # already as it was: no write
        assert [r.error for r in recover(stack, calls)] == [None]
        stub.assert_no_pending_responses()


def test_a_dry_run_lists_the_exact_writes_and_makes_none(tmp_path: Path, fake_credentials: None) -> None:
    stack = AwsStack(stack_file(tmp_path, routing="kvs", kvs=KVS_BLOCK), AwsCalls(dry_run=True))
    with kvs_stub(stack.calls) as stub:
        holds(stub, None)
        etag(stub, "E1"), etag(stub, "E2")  # reads are made in a dry run; writes are not
        plan = stack.rehearsal(stack.active_region_switched(SECONDARY))
        stub.assert_no_pending_responses()
    assert plan == [
        f"apply: cloudfront-keyvaluestore.put_key(region='us-east-1', KvsARN={KVS_ARN!r}, Key={KEY!r}, Value={WEST!r}, IfMatch='E1')",
        f"undo: cloudfront-keyvaluestore.delete_key(region='us-east-1', KvsARN={KVS_ARN!r}, Key={KEY!r}, IfMatch='E2')",
    ]
    assert not stack.ledger.path.exists()


def test_routing_verbs_need_kvs_routing_and_the_function_fault_is_unavailable(tmp_path: Path, fake_credentials: None) -> None:
    stack = AwsStack(stack_file(tmp_path), AwsCalls())
    for verb in (lambda: stack.active_region_switched(SECONDARY), lambda: stack.routing_key_set("x"), stack.routing_key_deleted):
        with pytest.raises(FaultUnavailable, match="needs routing kvs; .* routes by origin-group"):
            verb()
    with pytest.raises(FaultUnavailable, match="not an exact inverse"):
        stack.edge_function_failing()
    assert stack.routing().mode is RoutingMode.ORIGIN_GROUP and stack.prefix_contract() is None
    kvs = AwsStack(stack_file(tmp_path, routing="kvs", kvs=KVS_BLOCK), AwsCalls())
    with pytest.raises(ValueError, match="'eu-west-1' is not a region of stack"):
        kvs.active_region_switched("eu-west-1")
    routing = kvs.routing()
    assert (routing.kvs_key, list(routing.region_values.items()), routing.propagation_s) == (KEY, [(PRIMARY, EAST), (SECONDARY, WEST)], 10)


# Preflight: the rules, on facts read from the control plane (moto, its stand-ins, and the stubbed store).
def kvs_world(tmp_path: Path, *, function: dict[str, Any] | None = None, associate: bool = True, kvs: dict[str, Any] | None = None) -> World:
    world = build_world(tmp_path, PLAYBACK, cdn={"functions": [{"FunctionARN": FUNCTION_ARN, "EventType": "viewer-request"}] if associate else []},
                        stack_cdn={"routing": "kvs", "kvs": {**KVS_BLOCK, **(kvs or {})}})
    if function is not None:
        config = {"Comment": "", "Runtime": "cloudfront-js-2.0",
                  "KeyValueStoreAssociations": {"Quantity": 1, "Items": [{"KeyValueStoreARN": KVS_ARN}]}, **function}
        aws_client("cloudfront", PRIMARY).create_function(Name=FUNCTION, FunctionConfig=config, FunctionCode=b"export")
    return world


def preflight(world: World, key: str | None = EAST) -> str:
    calls = AwsCalls()
    with kvs_stub(calls) as stub:
        holds(stub, key)
        problems = "\n".join(str(p) for p in configuration_problems(stack_facts(calls, load_stack_file(world.stack_file))))
        stub.assert_no_pending_responses()
    return problems


def test_a_well_wired_kvs_stack_passes_preflight(fake_aws: None, tmp_path: Path) -> None:
    assert preflight(kvs_world(tmp_path, function={})) == ""


KVS_CASES: list[tuple[str, dict[str, Any], str | None, list[str]]] = [
    ("not published", {"function": None}, EAST, [f"CloudFront Function {FUNCTION}: stage has no LIVE version", "PublishFunction"]),
    ("old runtime", {"function": {"Runtime": "cloudfront-js-1.0"}}, EAST, ["Runtime is cloudfront-js-1.0", "use cloudfront-js-2.0"]),
    ("not associated", {"function": {}, "associate": False}, EAST,
     [f"FunctionAssociations do not run {FUNCTION} at viewer-request (found: no function at all)"]),
    ("store not associated", {"function": {"KeyValueStoreAssociations": {"Quantity": 0, "Items": []}}}, EAST,
     [f"KeyValueStoreAssociations do not include {KVS_ARN}"]),
    ("key absent", {"function": {}}, None, [f"key {KEY!r} is absent", "put the key with the primary region's value"]),
    ("key selects nothing", {"function": {}}, "origin-old", ["is 'origin-old', which selects none of the stack's regions"]),
    ("value names no origin", {"function": {}, "kvs": {"values": {PRIMARY: EAST, SECONDARY: "origin-nowhere"}}}, EAST,
     ["origin for us-west-2 is named 'origin-nowhere' in the stack, which is no origin the function can route to"]),
]


@pytest.mark.parametrize("world_args,key,words", [c[1:] for c in KVS_CASES], ids=[c[0] for c in KVS_CASES])
def test_each_miswired_kvs_routing_is_named(world_args: dict[str, Any], key: str | None, words: list[str], fake_aws: None, tmp_path: Path) -> None:
    problems = preflight(kvs_world(tmp_path, **world_args), key)
    missing = [w for w in words if w not in problems]
    assert not missing, f"preflight did not say {missing}; it said:\n{problems}"
    assert "is None" not in problems  # nothing judged that was never read


def test_the_function_is_read_at_its_live_stage(tmp_path: Path, fake_credentials: None) -> None:
    stack = stack_file(tmp_path, routing="kvs", kvs=KVS_BLOCK)
    calls = AwsCalls()
    behaviour = {"TargetOriginId": "live-group", "FunctionAssociations": {"Quantity": 1, "Items": [
        {"FunctionARN": FUNCTION_ARN, "EventType": "viewer-request"}]}, "LambdaFunctionAssociations": {"Quantity": 0}}
    config = {"Origins": {"Items": [{"Id": EAST}, {"Id": WEST}]}, "DefaultCacheBehavior": behaviour}
    summary = {"Name": FUNCTION, "Status": "DEPLOYED",
               "FunctionConfig": {"Comment": "", "Runtime": "cloudfront-js-2.0",
                                  "KeyValueStoreAssociations": {"Quantity": 1, "Items": [{"KeyValueStoreARN": KVS_ARN}]}},
               "FunctionMetadata": {"FunctionARN": FUNCTION_ARN, "Stage": "LIVE", "LastModifiedTime": datetime(2026, 1, 1, tzinfo=timezone.utc)}}
    with Stubber(calls.client("cloudfront", PRIMARY)) as cloudfront, kvs_stub(calls) as store:
        cloudfront.add_response("describe_function", {"FunctionSummary": summary, "ETag": "ELIVE"}, {"Name": FUNCTION, "Stage": "LIVE"})
        holds(store, WEST)
        facts = routing_facts(calls, stack, config)
    assert (facts.function_live, facts.function_arn, facts.function_kvs_arns, facts.kvs_value) == (True, FUNCTION_ARN, (KVS_ARN,), WEST)
    assert facts.routable_values == {EAST, WEST} and [a.event_type for a in facts.associations] == ["viewer-request"]


def test_without_awscrt_preflight_says_so_in_one_line(tmp_path: Path, fake_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import MissingDependencyException

    from fixtures.aws.control_plane import ControlPlaneError

    calls = AwsCalls()

    def read(service: str, region: str, operation: str, endpoint_url: str | None = None, **params: Any) -> dict[str, Any]:
        if service == "cloudfront-keyvaluestore":  # what botocore raises resolving the endpoint without awscrt
            raise MissingDependencyException(msg="This operation requires an additional dependency.")
        raise ClientError({"Error": {"Code": "NoSuchFunctionExists", "Message": "no"}}, operation)

    monkeypatch.setattr(calls, "read", read)
    config = {"Origins": {"Items": [{"Id": EAST}]}, "DefaultCacheBehavior": {"TargetOriginId": EAST}}
    with pytest.raises(ControlPlaneError, match=r"^cdn.kvs.arn .*signed with SigV4A.*awscrt.*botocore\[crt\]'\)$"):
        routing_facts(calls, stack_file(tmp_path, routing="kvs", kvs=KVS_BLOCK), config)


DISTRIBUTION_CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    ("price class", {}, {"price_class": "PriceClass_All"}, ["PriceClass is PriceClass_100, not PriceClass_All as the stack file says"]),
    ("no cors policy", {"headers_policy": None}, {}, ["live/* ResponseHeadersPolicyId adds no CORS headers"]),
    ("policy without cors", {"headers_policy": SECURITY_HEADERS_POLICY}, {}, ["adds no CORS headers"]),
]


@pytest.mark.parametrize("cdn,stack_cdn,words", [c[1:] for c in DISTRIBUTION_CASES], ids=[c[0] for c in DISTRIBUTION_CASES])
def test_each_distribution_lifecycle_problem_is_named(
    cdn: dict[str, Any], stack_cdn: dict[str, Any], words: list[str], fake_aws: None, tmp_path: Path
) -> None:
    world = build_world(tmp_path, PLAYBACK, cdn=cdn, stack_cdn=stack_cdn)
    problems = "\n".join(str(p) for p in configuration_problems(stack_facts(AwsCalls(), load_stack_file(world.stack_file))))
    assert all(w in problems for w in words), problems


@pytest.mark.parametrize(
    "ours,theirs,enabled,claimed",
    [("live.example.com", "live.example.com", True, True), ("live.example.com", "live.example.com", False, False),
     ("*.example.com", "live.example.com", True, True), ("live.example.com", "*.example.com", True, False)],
    ids=["same-name", "disabled-twin", "under-our-wildcard", "their-wildcard-loses"],
)
def test_another_enabled_distribution_taking_our_names_is_named(
    ours: str, theirs: str, enabled: bool, claimed: bool, fake_aws: None, tmp_path: Path
) -> None:
    from tests.moto_world import distribution_config

    world = build_world(tmp_path, PLAYBACK, cdn={"aliases": [ours]})
    twin = aws_client("cloudfront", PRIMARY).create_distribution(
        DistributionConfig=distribution_config(aliases=[theirs], enabled=enabled, reference="stale"))["Distribution"]["Id"]
    facts = stack_facts(AwsCalls(), load_stack_file(world.stack_file))
    assert facts.edge.other_enabled_with_alias == ((twin,) if claimed else ())
    problems = "\n".join(str(p) for p in configuration_problems(facts))
    assert (f"Aliases are also claimed by enabled distribution {twin}" in problems) is claimed, problems


def test_every_page_of_distributions_is_read(tmp_path: Path, fake_credentials: None) -> None:
    from fixtures.aws.control_plane import _others_claiming_aliases

    stack = stack_file(tmp_path)
    calls = AwsCalls()

    def page(ids: list[str], next_marker: str | None) -> dict[str, Any]:
        items = [{"Id": i, "ARN": f"arn:aws:cloudfront::{ACCOUNT}:distribution/{i}", "Status": "Deployed", "DomainName": "d.net",
                  "Enabled": True, "Aliases": {"Quantity": 1, "Items": ["live.example.com"]}, "LastModifiedTime": datetime(2026, 1, 1),
                  "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "o.example.com"}]}, "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all"},
                  "CacheBehaviors": {"Quantity": 0}, "CustomErrorResponses": {"Quantity": 0}, "Comment": "", "PriceClass": "PriceClass_All",
                  "ViewerCertificate": {}, "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}}, "WebACLId": "",
                  "HttpVersion": "http2", "IsIPV6Enabled": True, "Staging": False} for i in ids]
        return {"DistributionList": {"Marker": "", "MaxItems": 1, "IsTruncated": next_marker is not None, "Quantity": len(ids),
                                     "Items": items, **({"NextMarker": next_marker} if next_marker else {})}}

    with Stubber(calls.client("cloudfront", PRIMARY)) as cloudfront:
        cloudfront.add_response("list_distributions", page(["E2QWRUHEXAMPLE", "EFIRSTPAGE1"], "EFIRSTPAGE1"), {})
        cloudfront.add_response("list_distributions", page(["ESECONDPAGE2"], None), {"Marker": "EFIRSTPAGE1"})
        found = _others_claiming_aliases(calls, stack, {"Aliases": {"Quantity": 1, "Items": ["live.example.com"]}})
        cloudfront.assert_no_pending_responses()
    assert found == ("EFIRSTPAGE1", "ESECONDPAGE2")


# The path-prefix function's contract, against the function as the Stubber answers for it.
PREFIXES = ("a1b2c3d4e5f6a7b8", "0f1e2d3c4b5a6978")
EDGE_ORIGIN = f"live-east-drill.s3.{PRIMARY}.amazonaws.com"  # what the live/* behaviour's primary origin is in the world


def seed_001(event: dict[str, Any]) -> dict[str, Any]:
    """The seed-001 origin-request handler: the first path element picks the host, is stripped, Host follows."""
    request: dict[str, Any] = event["Records"][0]["cf"]["request"]
    prefix, _, rest = request["uri"].lstrip("/").partition("/")
    domain = f"{prefix}.{request['headers']['host'][0]['value']}"
    request["origin"]["custom"]["domainName"] = domain
    request["headers"]["host"] = [{"key": "host", "value": domain}]
    request["uri"] = "/" + rest
    return request


class Invocation:
    """One invoke as the Stubber answers it: it matches any payload, keeps the event, and answers with the handler's result."""

    def __init__(self, handler: Callable[[dict[str, Any]], Any]) -> None:
        self.handler = handler
        self.event: dict[str, Any] = {}

    def __eq__(self, payload: object) -> bool:
        self.event = json.loads(payload)  # type: ignore[arg-type]
        return True

    __hash__ = None  # type: ignore[assignment]

    def read(self) -> bytes:
        return json.dumps(self.handler(json.loads(json.dumps(self.event)))).encode()  # the handler may change its copy


def prefix_world(tmp_path: Path, associated: bool = True) -> World:
    lambdas = [{"LambdaFunctionARN": LAMBDA_ARN, "EventType": "origin-request", "IncludeBody": False}] if associated else []
    return build_world(tmp_path, PLAYBACK, cdn={"pattern": "*/live/*", "lambdas": lambdas}, stack_cdn={"routing": "path-prefix", "path_prefix": {
        "lambda_arn": LAMBDA_ARN,
        "prefixes": [{"prefix": p, "origin_domain": f"{p}.{EDGE_ORIGIN}"} for p in PREFIXES],
        "cdn_identifier_header": {"name": SECRET_HEADER, "secret_id": SECRET_NAME, "secret_region": PRIMARY, "json_key": "value"},
    }})


@pytest.mark.parametrize("associated", [True, False], ids=["associated", "not-associated"])
def test_the_prefix_function_must_run_at_origin_request_on_the_playback_behaviour(associated: bool, fake_aws: None, tmp_path: Path) -> None:
    stack = load_stack_file(prefix_world(tmp_path, associated).stack_file)
    problems = "\n".join(str(p) for p in configuration_problems(stack_facts(AwsCalls(), stack)))
    said = f"cache behaviour */live/*: LambdaFunctionAssociations do not run {LAMBDA_ARN} at origin-request" in problems
    assert said is not associated and (problems == "") is associated, problems
    routes = AwsStack(stack, AwsCalls()).routing().prefixes
    assert [(r.prefix, r.playback_url, r.region) for r in routes] == [
        (p, f"https://d111111abcdef8.cloudfront.net/{p}/live/index.m3u8", PRIMARY) for p in PREFIXES]


def contract(tmp_path: Path, handler: Callable[[dict[str, Any]], Any], function_error: str | None = None) -> tuple[list[str], list[Invocation]]:
    stack = AwsStack(load_stack_file(prefix_world(tmp_path).stack_file), AwsCalls())
    invocations = [Invocation(handler) for _ in range(len(PREFIXES) + 1)]
    with Stubber(stack.calls.client("lambda", "us-east-1")) as function:
        for invocation in invocations:
            answer = {"StatusCode": 200, "ExecutedVersion": "7", "Payload": invocation, **({"FunctionError": function_error} if function_error else {})}
            function.add_response("invoke", answer, {"FunctionName": LAMBDA_ARN, "InvocationType": "RequestResponse", "Payload": invocation})
        problems = stack.prefix_contract()
        function.assert_no_pending_responses()
    assert problems is not None and SECRET_VALUE not in "\n".join(problems)
    return problems, invocations


def test_a_correct_prefix_function_passes_and_gets_the_event_cloudfront_would_send(fake_aws: None, tmp_path: Path) -> None:
    problems, invocations = contract(tmp_path, seed_001)
    assert problems == []
    request = invocations[0].event["Records"][0]["cf"]["request"]
    assert request["uri"] == f"/{PREFIXES[0]}/live/index.m3u8" and request["origin"]["custom"]["domainName"] == EDGE_ORIGIN
    assert request["origin"]["custom"]["customHeaders"][SECRET_HEADER.lower()] == [{"key": SECRET_HEADER, "value": SECRET_VALUE}]
    assert invocations[-1].event["Records"][0]["cf"]["request"]["uri"].startswith("/failover-drill-unknown-prefix/")


def _domain_kept(event: dict[str, Any]) -> dict[str, Any]:
    request = seed_001(event)
    request["origin"]["custom"]["domainName"] = EDGE_ORIGIN
    return request


def _host_not_set(event: dict[str, Any]) -> dict[str, Any]:
    host = event["Records"][0]["cf"]["request"]["headers"]["host"]
    request = seed_001(event)
    request["headers"]["host"] = host
    return request


def _prefix_kept(event: dict[str, Any]) -> dict[str, Any]:
    uri = event["Records"][0]["cf"]["request"]["uri"]
    return {**seed_001(event), "uri": uri}


def _origin_replaced(event: dict[str, Any]) -> dict[str, Any]:
    request = seed_001(event)  # "update all parameters": a new origin.custom without the configured headers
    request["origin"] = {"custom": {**request["origin"]["custom"], "customHeaders": {}}}
    return request


def _stale_identifier(event: dict[str, Any]) -> dict[str, Any]:
    request = seed_001(event)
    request["origin"]["custom"]["customHeaders"] = {SECRET_HEADER.lower(): [{"key": SECRET_HEADER, "value": "an-old-identifier"}]}
    return request


def _unknown_to_first(event: dict[str, Any]) -> dict[str, Any]:
    request = seed_001(event)
    if request["origin"]["custom"]["domainName"].split(".")[0] not in PREFIXES:
        request["origin"]["custom"]["domainName"] = f"{PREFIXES[0]}.{EDGE_ORIGIN}"
    return request


CONTRACT_CASES: list[tuple[str, Callable[[dict[str, Any]], Any], str | None, str, int]] = [
    ("wrong domain", _domain_kept, None, f"sends the request to origin {EDGE_ORIGIN!r}, not '", 2),
    ("host not set", _host_not_set, None, f"leaves the Host header {EDGE_ORIGIN!r}", 2),
    ("prefix not stripped", _prefix_kept, None, "/live/index.m3u8', not '/live/index.m3u8' (strip the prefix)", 2),
    ("identifier missing", _origin_replaced, None, f"does not send {SECRET_HEADER}", 2),
    ("identifier stale", _stale_identifier, None, f"sends {SECRET_HEADER} with a value that differs from the secret (value not shown)", 2),
    ("function fails", lambda event: {"errorMessage": "KeyError: 'host'", "errorType": "KeyError"}, "Unhandled",
     "the function failed (Unhandled: KeyError: 'host')", 2),
    ("answers itself", lambda event: {"status": "404", "statusDescription": "Not Found"}, None, "returned a response (status 404), not the request", 2),
    ("unknown prefix routed", _unknown_to_first, None, "for the unknown prefix 'failover-drill-unknown-prefix': sends it to", 1),
]


@pytest.mark.parametrize("handler,error,words,count", [c[1:] for c in CONTRACT_CASES], ids=[c[0] for c in CONTRACT_CASES])
def test_each_prefix_function_mistake_is_found(
    handler: Callable[[dict[str, Any]], Any], error: str | None, words: str, count: int, fake_aws: None, tmp_path: Path
) -> None:
    problems, _ = contract(tmp_path, handler, error)
    assert len([p for p in problems if words in p]) == count, problems
    assert all(p.startswith(LAMBDA_ARN) for p in problems)
