"""The stack file: the documented example loads, and every mistake is refused naming the field."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from fixtures.aws.stack_file import StackFileError, load_stack_file

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "stack-file.example.yaml"
KVS = {"arn": "arn:aws:cloudfront::111122223333:key-value-store/0a1b2c3d-aaaa-bbbb-cccc-123456789012", "key": "active_origin",
       "function": "live-router", "values": {"us-east-1": "origin-east", "us-west-2": "origin-west"}}
PREFIX = {"lambda_arn": "arn:aws:lambda:us-east-1:111122223333:function:live-prefix-router:7",
          "prefixes": [{"prefix": "0a1b2c3d4e5f6a7b", "origin_domain": "0a1b2c3d4e5f6a7b.mediapackage.us-east-1.amazonaws.com"}],
          "cdn_identifier_header": {"secret_id": "drill/mediapackage-cdn-identifier", "secret_region": "us-east-1"}}


def _example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text())  # type: ignore[no-any-return]


def _write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "stack.yaml"
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
    return path


def test_the_documented_example_loads_with_every_field() -> None:
    stack = load_stack_file(EXAMPLE)
    assert stack.name == "final-2026" and stack.segment_length_s == 6
    assert (stack.primary.region, stack.secondary.region) == ("us-east-1", "us-west-2")
    assert stack.primary.channel.pipelines == (0, 1) and stack.primary.origin.bucket == "live-east-example"
    assert stack.cdn.secret_header is not None and stack.cdn.secret_header.json_key == "value"
    assert not stack.chaos.allowed
    assert stack.chaos.blackout_at(datetime(2026, 12, 18, 20, tzinfo=timezone.utc)) is not None
    assert stack.chaos.blackout_at(datetime(2026, 12, 20, tzinfo=timezone.utc)) is None
    assert stack.timing.manifest_expiry_s == 11 and stack.ledger == EXAMPLE.parent / "final-2026.ledger.jsonl"
    assert stack.primary.origin.key_for_path("/live/p0/index_720p.m3u8") == "live/p0/index_720p.m3u8"


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        document = document[key]
    if value is _DELETE:
        del document[last]
    else:
        document[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    "path,value,words",
    [
        ("name", _DELETE, "name is required"),
        ("segment_length_s", "six", "segment_length_s must be a number"),
        ("segment_length_s", 0, "segment_length_s must be greater than 0"),
        ("playback_url", "https://cdn.example/live/", "playback_url must be an http(s) URL of the multivariant playlist"),
        ("regions.primary.origin.kind", "gcs", "regions.primary.origin.kind must be one of s3, mediapackage-v2, mediastore; got 'gcs'"),
        ("regions.primary.region", "east", "regions.primary.region is 'east', which is not an AWS region name"),
        ("regions.secondary.region", "us-east-1", "regions.secondary.region must differ from the primary's"),
        ("regions.primary.channel.pipelines", [0, 2], "regions.primary.channel.pipelines[1] must be 0 or 1"),
        ("regions.primary.origin.manifests", ["live/index.ts"], "regions.primary.origin.manifests[0] must be a rendition manifest path"),
        ("regions.primary.origin.bucket", _DELETE, "regions.primary.origin.bucket is required"),
        ("regions.primary.origin.buckett", "x", "regions.primary.origin.buckett is not a known field"),
        ("chaos.alow_chaos", True, "chaos.alow_chaos is not a known field"),
        ("chaos.allowed", "yes", "chaos.allowed must be true or false"),
        ("cdn.secret_header.value", "hunter2", "cdn.secret_header.value must not be in the stack file"),
        ("cdn.distribution_id", "not-an-id", "cdn.distribution_id is 'not-an-id', which is not a CloudFront distribution id"),
        ("attribution.pattern", "MediaPackage", "attribution.pattern must have exactly one group"),
        ("attribution.pattern", "(", "attribution.pattern is not a regular expression"),
        ("chaos.blackout_windows", [{"start": "2026-12-18T12:00:00", "end": "2026-12-19T00:00:00Z"}],
         "chaos.blackout_windows[0].start must say its time zone"),
        ("chaos.blackout_windows", [{"start": "2026-12-19T12:00:00Z", "end": "2026-12-18T00:00:00Z"}],
         "chaos.blackout_windows[0].end must be after start"),
        ("timing.manifest_expiry_mechanism", _DELETE, "manifest_expiry_s and manifest_expiry_mechanism go together"),
        ("cdn.routing", "dns", "cdn.routing must be one of origin-group, kvs, path-prefix; got 'dns'"),
        ("cdn.routing", "kvs", "cdn.kvs is required with routing kvs"),
        ("cdn.kvs", KVS, "cdn.kvs belongs to routing kvs, not origin-group"),
        ("cdn.price_class", "PriceClass_300", "cdn.price_class must be one of PriceClass_100, PriceClass_200, PriceClass_All"),
    ],
)
def test_each_mistake_is_refused_naming_the_field(path: str, value: Any, words: str, tmp_path: Path) -> None:
    document = _example()
    document.setdefault("attribution", {"strategy": "header", "header": "CMSD-Static"})
    _set(document, path, value)
    with pytest.raises(StackFileError) as error:
        load_stack_file(_write(tmp_path, document))
    assert words in str(error.value) and str(tmp_path) in str(error.value)
    assert "\n" not in str(error.value)  # one line, naming the field


def _routed(routing: str, block: str, value: dict[str, Any]) -> dict[str, Any]:
    document = _example()
    document["cdn"].update({"routing": routing, block: value})
    return document


def test_function_routings_load_with_their_defaults(tmp_path: Path) -> None:
    kvs = load_stack_file(_write(tmp_path, _routed("kvs", "kvs", KVS))).cdn.kvs
    assert kvs is not None and kvs.propagation_budget_s == 10 and kvs.values["us-west-2"] == "origin-west"
    stack = load_stack_file(_write(tmp_path, _routed("path-prefix", "path_prefix", PREFIX)))
    prefix = stack.cdn.path_prefix
    assert prefix is not None and prefix.unknown_prefix_status == 502
    assert prefix.cdn_identifier_header.header_name == "X-MediaPackage-CDNIdentifier" and prefix.prefixes[0].host_header is None
    assert stack.viewer_url == "https://d111111abcdef8.cloudfront.net/0a1b2c3d4e5f6a7b/live/index.m3u8"
    assert load_stack_file(EXAMPLE).cdn.price_class == "PriceClass_100"


@pytest.mark.parametrize(
    "routing,block,change,words",
    [
        ("kvs", "kvs", {"values": {"us-east-1": "origin-east"}}, "cdn.kvs.values must name exactly the stack's regions ['us-east-1', 'us-west-2']"),
        ("kvs", "kvs", {"values": {"us-east-1": "o", "us-west-2": "o"}}, "cdn.kvs.values must select each region with its own value"),
        ("kvs", "kvs", {"arn": "arn:aws:cloudfront::111122223333:distribution/E2"}, "cdn.kvs.arn is 'arn:aws:cloudfront::111122223333:distribution/E2'"),
        ("kvs", "kvs", {"key": "k" * 513}, "cdn.kvs.key must be 1 to 512 bytes"),
        ("kvs", "kvs", {"propagation_budget_s": 0}, "cdn.kvs.propagation_budget_s must be greater than 0"),
        ("path-prefix", "path_prefix", {"lambda_arn": "arn:aws:lambda:us-east-1:111122223333:function:router:$LATEST"},
         "cdn.path_prefix.lambda_arn names $LATEST; CloudFront runs only a numbered version"),
        ("path-prefix", "path_prefix", {"lambda_arn": "arn:aws:lambda:us-east-1:111122223333:function:router:live"},
         "cdn.path_prefix.lambda_arn names the alias 'live'"),
        ("path-prefix", "path_prefix", {"lambda_arn": "arn:aws:lambda:us-east-1:111122223333:function:router"},
         "cdn.path_prefix.lambda_arn names no version"),
        ("path-prefix", "path_prefix", {"lambda_arn": "arn:aws:lambda:eu-west-1:111122223333:function:router:3"},
         "cdn.path_prefix.lambda_arn is in eu-west-1; Lambda@Edge functions live in us-east-1"),
        ("path-prefix", "path_prefix", {"prefixes": [{"prefix": "a/b", "origin_domain": "x.example.com"}]},
         "cdn.path_prefix.prefixes[0].prefix is 'a/b', which is not valid here"),
        ("path-prefix", "path_prefix", {"prefixes": [{"prefix": "a", "origin_domain": "10.0.0.1"}]},
         "cdn.path_prefix.prefixes[0].origin_domain is '10.0.0.1', which is not valid here"),
        ("path-prefix", "path_prefix", {"prefixes": [{"prefix": "a", "origin_domain": "a.example.com", "region": "eu-west-1"}]},
         "cdn.path_prefix.prefixes[0].region is 'eu-west-1', not one of the stack's regions"),
        ("path-prefix", "path_prefix", {"prefixes": [{"prefix": "live", "origin_domain": "a.example.com"}]},
         "playback_url starts with the prefix 'live'; give it without one"),
        ("path-prefix", "path_prefix", {"unknown_prefix_status": 200}, "cdn.path_prefix.unknown_prefix_status must be at least 400"),
        ("path-prefix", "path_prefix", {"cdn_identifier_header": {"secret_id": "s", "secret_region": "us-east-1", "value": "leak-me"}},
         "cdn.path_prefix.cdn_identifier_header.value must not be in the stack file"),
    ],
)
def test_each_routing_mistake_is_refused_naming_the_field(routing: str, block: str, change: dict[str, Any], words: str, tmp_path: Path) -> None:
    document = _routed(routing, block, {**(KVS if block == "kvs" else PREFIX), **change})
    with pytest.raises(StackFileError) as error:
        load_stack_file(_write(tmp_path, document))
    assert words in str(error.value) and "\n" not in str(error.value) and "leak-me" not in str(error.value)


def test_a_secret_value_in_the_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    document = _example()
    document["cdn"]["secret_header"]["value"] = "hunter2-the-secret"
    with pytest.raises(StackFileError) as error:
        load_stack_file(_write(tmp_path, document))
    assert "hunter2-the-secret" not in str(error.value)


def test_broken_yaml_names_the_line_and_a_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(StackFileError, match=r"not valid YAML at line \d+: expected the node content"):
        load_stack_file(_write(tmp_path, "name: x\nregions: [\n"))
    with pytest.raises(StackFileError, match=r"nowhere\.yaml: cannot read it"):
        load_stack_file(tmp_path / "nowhere.yaml")
    with pytest.raises(StackFileError, match=r"the file must be a mapping, got a list"):
        load_stack_file(_write(tmp_path, "- 1\n"))


def test_mediapackage_origins_default_to_cmsd_attribution(tmp_path: Path) -> None:
    document = _example()
    del document["attribution"]
    for role, region in (("primary", "us-east-1"), ("secondary", "us-west-2")):
        document["regions"][role]["origin"] = {
            "kind": "mediapackage-v2", "cloudfront_origin_id": f"mp-{role}", "manifests": ["index_1.m3u8"],
            "channel_group": "live", "channel": "final", "endpoint": "hls",
            "egress_url": f"https://x.egress.y.mediapackagev2.{region}.amazonaws.com/out/v1/live/final/hls/",
        }
    stack = load_stack_file(_write(tmp_path, document))
    assert stack.attribution.strategy == "header" and stack.attribution.header == "CMSD-Static"


def test_a_channel_id_stays_text_and_a_number_is_refused_with_a_hint(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace('channel_id: "1234567"', "channel_id: 0123")  # YAML 1.1: octal, the number 83
    with pytest.raises(StackFileError) as error:
        load_stack_file(_write(tmp_path, text))
    message = str(error.value)
    assert "regions.primary.channel.channel_id must be text, got int 83; quote it" in message and "\n" not in message
    assert load_stack_file(EXAMPLE).primary.channel.channel_id == "1234567"


def _as_json(value: Any) -> Any:
    """The YAML document as JSON would carry it (PyYAML turns timestamps into datetimes)."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value


def test_the_published_json_schema_is_the_models_and_the_example_validates_against_it() -> None:
    import json

    import jsonschema

    from fixtures.aws.stack_file import SCHEMA, json_schema

    published = json.loads(SCHEMA.read_text())
    assert published == json_schema(), "docs/stack-file.schema.json is stale: run python -m fixtures.aws.stack_file"
    validator = jsonschema.Draft202012Validator(published, format_checker=jsonschema.FormatChecker())
    assert list(validator.iter_errors(_as_json(_example()))) == []
    assert EXAMPLE.read_text().startswith("# yaml-language-server: $schema=stack-file.schema.json")


@pytest.mark.parametrize(
    "path,value",
    [("regions.primary.origin.kind", "gcs"), ("chaos.alow_chaos", True), ("regions.primary.origin.bucket", _DELETE),
     ("regions.primary.channel.channel_id", 83), ("segment_length_s", 0)],
)
def test_the_schema_refuses_what_the_loader_refuses(path: str, value: Any, tmp_path: Path) -> None:
    """An editor validating with the schema flags the same mistakes the drill refuses."""
    import json

    import jsonschema

    from fixtures.aws.stack_file import SCHEMA

    document = _example()
    _set(document, path, value)
    errors = list(jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).iter_errors(_as_json(document)))
    assert errors, f"the schema accepted {path} = {value!r}"
    with pytest.raises(StackFileError) as refused:
        load_stack_file(_write(tmp_path, document))
    assert "\n" not in str(refused.value)
