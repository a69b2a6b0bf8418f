"""An offline AWS for the AWS backend's tests: moto (in-process or a loopback server) plus what moto lacks.

moto 5.2.5 has no MediaLive schedule (docs/moto-coverage.md section 3.6). A faithful stand-in is
added to moto's own MediaLive routes, so it answers in-process and in the loopback server alike: it
stores each action as sent and lists them back in creation order, the way DescribeSchedule does.
Likewise for CloudFront: GetResponseHeadersPolicy answers for the managed policies, and a cache
behaviour keeps the FunctionAssociations and LambdaFunctionAssociations it was created with (moto
replaces both with Quantity 0).

``build_world`` creates, in moto, the stack seed 004 describes (two regions' S3 buckets and
epoch-locked MediaLive channels, one CloudFront distribution with an origin group, the CDN secret
in Secrets Manager) and writes the stack file for it. ``Mirror`` copies a running emulator's origins
into the buckets, so the buckets hold a live, epoch-locked stream like MediaLive's output.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from fixtures.aws.calls import new_session
from fixtures.emulator import EmulatedStack
from fixtures.emulator.origin import SECRET_HEADER

PRIMARY, SECONDARY = "us-east-1", "us-west-2"
BUCKETS = {PRIMARY: "live-east-drill", SECONDARY: "live-west-drill"}
ORIGIN_IDS = {PRIMARY: "origin-east", SECONDARY: "origin-west"}
RENDITIONS = ("p0/180p.m3u8", "p0/90p.m3u8", "p1/180p.m3u8", "p1/90p.m3u8")
SECRET_NAME = "drill/cdn-secret"
SECRET_VALUE = "s3cr3t-Header-Value-never-logged-7f3a"
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": PRIMARY, "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}

_clients: dict[tuple[str, str, str | None], Any] = {}
_clients_lock = threading.Lock()


def aws_client(service: str, region: str) -> Any:
    """A boto3 client for the AWS the test is pointed at (moto in-process, or the moto server AWS_ENDPOINT_URL names).

    Made once per process and endpoint, from one session, and reused across tests: a fresh session and client
    cost about 30 ms of CPU, a dozen times per world. moto answers a client while its mock is active, whenever the
    client was made (importing this module imports moto, which adds its hook to every session made after), and
    every test sets the same fake credentials.
    """
    key = (service, region, os.environ.get("AWS_ENDPOINT_URL"))
    with _clients_lock:  # a session is not thread-safe (the Mirror makes its clients in its own thread)
        if key not in _clients:
            _clients[key] = _shared_session().client(service, region_name=region)
        return _clients[key]


@functools.cache
def _shared_session() -> Any:
    return new_session()


_schedules: dict[str, list[dict[str, Any]]] = {}
_schedules_lock = threading.Lock()


def _schedule_route(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    channel = re.search(r"/prod/channels/([^/?]+)/schedule", full_url)
    assert channel is not None, full_url
    channel_id = channel.group(1)
    with _schedules_lock:
        actions = _schedules.setdefault(channel_id, [])
        if request.method == "PUT":
            raw = getattr(request, "data", None) or getattr(request, "body", None) or b"{}"
            body = json.loads(raw)
            created = body.get("creates", {}).get("scheduleActions", [])
            names = {a["actionName"] for a in actions}
            clash = [a["actionName"] for a in created if a["actionName"] in names]
            if clash:
                return 400, {"x-amzn-ErrorType": "BadRequestException"}, json.dumps({"message": f"duplicate action name {clash}"})
            actions.extend(created)
            gone = set(body.get("deletes", {}).get("actionNames", []))
            deleted = [a for a in actions if a["actionName"] in gone]
            actions[:] = [a for a in actions if a["actionName"] not in gone]
            return 200, {}, json.dumps({"creates": {"scheduleActions": created}, "deletes": {"scheduleActions": deleted}})
        if request.method == "DELETE":
            actions.clear()
            return 200, {}, "{}"
        return 200, {}, json.dumps({"scheduleActions": list(actions)})


def schedule_of(channel_id: str) -> list[dict[str, Any]]:
    """The schedule as stored (wire names: actionName, scheduleActionSettings, ...)."""
    with _schedules_lock:
        return list(_schedules.get(channel_id, []))


def reset_schedules() -> None:
    with _schedules_lock:
        _schedules.clear()


def _install_schedule_route() -> None:
    import moto.medialive.urls as medialive_urls

    medialive_urls.url_paths["{0}/prod/channels/(?P<channelid>[^/.]+)/schedule$"] = _schedule_route


_install_schedule_route()

# Managed response headers policies (CloudFront Developer Guide, "Use managed response headers policies").
SIMPLE_CORS_POLICY = "60669652-455b-4ae9-85a4-c4c02393f86c"  # Managed-SimpleCORS
SECURITY_HEADERS_POLICY = "67f7725c-6f97-4210-82d7-5512b31e9d03"  # Managed-SecurityHeadersPolicy: no CORS
_CORS = ("<CorsConfig><AccessControlAllowOrigins><Quantity>1</Quantity><Items><Origin>*</Origin></Items></AccessControlAllowOrigins>"
         "<AccessControlAllowHeaders><Quantity>1</Quantity><Items><Header>*</Header></Items></AccessControlAllowHeaders>"
         "<AccessControlAllowMethods><Quantity>2</Quantity><Items><Method>GET</Method><Method>HEAD</Method></Items>"
         "</AccessControlAllowMethods><AccessControlAllowCredentials>false</AccessControlAllowCredentials>"
         "<OriginOverride>false</OriginOverride></CorsConfig>")
_HEADERS_POLICIES = {SIMPLE_CORS_POLICY: ("Managed-SimpleCORS", _CORS), SECURITY_HEADERS_POLICY: ("Managed-SecurityHeadersPolicy", "")}


def _response_headers_policy_route(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    policy_id = full_url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    if policy_id not in _HEADERS_POLICIES:
        return 404, {}, ("<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchResponseHeadersPolicy</Code>"
                         "<Message>The response headers policy does not exist.</Message></Error></ErrorResponse>")
    name, cors = _HEADERS_POLICIES[policy_id]
    return 200, {"ETag": "E1MANAGED"}, (
        '<?xml version="1.0"?><ResponseHeadersPolicy xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">'
        f"<Id>{policy_id}</Id><LastModifiedTime>2024-01-01T00:00:00Z</LastModifiedTime>"
        f"<ResponseHeadersPolicyConfig><Name>{name}</Name>{cors}</ResponseHeadersPolicyConfig></ResponseHeadersPolicy>"
    )


def _install_cloudfront_stand_ins() -> None:
    import moto.cloudfront.models as cloudfront_models
    import moto.cloudfront.urls as cloudfront_urls

    cloudfront_urls.url_paths["{0}/2020-05-31/response-headers-policy/(?P<policy_id>[^/]+)$"] = _response_headers_policy_route
    created = cloudfront_models.DefaultCacheBehaviour.__init__

    def keeping_associations(self: Any, config: dict[str, Any]) -> None:
        created(self, config)
        self.function_associations = config.get("FunctionAssociations") or {"Quantity": 0}
        self.lambda_function_associations = config.get("LambdaFunctionAssociations") or {"Quantity": 0}

    cloudfront_models.DefaultCacheBehaviour.__init__ = keeping_associations  # type: ignore[method-assign]


_install_cloudfront_stand_ins()


def _install_module_list_cache() -> None:
    # moto's server lists its own package directory (about 180 isdir calls) twice for every request it answers, to
    # ask whether the Host header names a service (its only use); the listing cannot change while the tests run.
    import moto.backends as moto_backends

    listing = tuple(moto_backends.list_of_moto_modules())
    moto_backends.list_of_moto_modules = lambda: listing


_install_module_list_cache()


@contextmanager
def moto_server() -> Iterator[str]:
    """moto on a free 127.0.0.1 port, stopped and joined on exit; yields its endpoint URL, moto emptied."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    reset_moto(endpoint)
    try:
        yield endpoint
    finally:
        server.stop()


def reset_moto(endpoint: str) -> None:
    """Empty moto behind a loopback server: every backend (moto's state is per process, not per server) and the schedules."""
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    reset_schedules()


def _channel(client: Any, name: str, bucket: str, **overrides: Any) -> str:
    hls = {
        "Destination": {"DestinationRefId": "origin"},
        "SegmentLength": overrides.get("segment_length", 1),
        "InputLossAction": overrides.get("input_loss_action", "PAUSE_OUTPUT"),
        "RedundantManifest": overrides.get("redundant_manifest", "ENABLED"),
        "HlsCdnSettings": {"HlsS3Settings": {"CannedAcl": "BUCKET_OWNER_FULL_CONTROL"}},
    }
    locking: dict[str, Any] = {"OutputLockingMode": overrides.get("locking", "EPOCH_LOCKING")}
    if "custom_epoch" in overrides:
        locking["OutputLockingSettings"] = {"EpochLockingSettings": {"CustomEpoch": overrides["custom_epoch"]}}
    path = overrides.get("destination_path", "live")
    channel = client.create_channel(
        Name=name, ChannelClass=overrides.get("channel_class", "STANDARD"), RoleArn="arn:aws:iam::123456789012:role/MediaLiveAccessRole",
        Destinations=[{"Id": "origin", "Settings": [{"Url": f"s3ssl://{bucket}/{path}/p0/index"}, {"Url": f"s3ssl://{bucket}/{path}/p1/index"}]}],
        EncoderSettings={
            "AudioDescriptions": [], "TimecodeConfig": {"Source": "SYSTEMCLOCK"},
            "VideoDescriptions": [{"Name": "v180", "Width": 320, "Height": 180}],
            "GlobalConfiguration": locking,
            "OutputGroups": [{"Name": "hls", "OutputGroupSettings": {"HlsGroupSettings": hls},
                              "Outputs": [{"OutputName": "180p", "VideoDescriptionName": "v180",
                                           "OutputSettings": {"HlsOutputSettings": {"NameModifier": overrides.get("name_modifier", "180p"),
                                                              "HlsSettings": {"StandardHlsSettings": {"M3u8Settings": {}}}}}}]}],
        },
        InputSpecification={"Codec": "AVC", "MaximumBitrate": "MAX_10_MBPS", "Resolution": "SD"},
    )["Channel"]
    # moto starts a CREATING channel as readily as an IDLE one, and settles STARTING to RUNNING on the next
    # DescribeChannel, before answering it: whoever describes the channel first (preflight, a verb) sees it
    # RUNNING, so the two settling describes this once made (a MediaLive answer is moto's costliest) are not needed.
    client.start_channel(ChannelId=channel["Id"])
    return str(channel["Id"])


def _origin(region: str, attempts: int = 1, read_timeout: int = 1, headers: bool = True) -> dict[str, Any]:
    sent = [{"HeaderName": SECRET_HEADER, "HeaderValue": SECRET_VALUE}] if headers else []
    return {
        "Id": ORIGIN_IDS[region], "DomainName": f"{BUCKETS[region]}.s3.{region}.amazonaws.com", "OriginPath": "",
        "CustomHeaders": {"Quantity": len(sent), "Items": sent},
        # S3 through OAC, written as a custom origin because moto drops S3OriginConfig.OriginReadTimeout.
        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only", "OriginReadTimeout": read_timeout},
        "ConnectionAttempts": attempts, "ConnectionTimeout": 1,
    }


def distribution_config(**overrides: Any) -> dict[str, Any]:
    codes = overrides.get("codes", [403, 404, 500, 502, 503, 504])
    behaviour = {"ViewerProtocolPolicy": "redirect-to-https", "CachePolicyId": "08627262-05a9-4f76-9ded-b50ca2e3a84f"}
    playback = {**behaviour, **({"ResponseHeadersPolicyId": overrides.get("headers_policy", SIMPLE_CORS_POLICY)}
                                if overrides.get("headers_policy", SIMPLE_CORS_POLICY) else {})}
    for field, items in (("FunctionAssociations", overrides.get("functions", [])), ("LambdaFunctionAssociations", overrides.get("lambdas", []))):
        playback[field] = {"Quantity": len(items), "Items": items}
    aliases = overrides.get("aliases", [])
    return {
        "CallerReference": overrides.get("reference", "failover-drill-world"), "Comment": "drill", "Enabled": overrides.get("enabled", True),
        "Aliases": {"Quantity": len(aliases), "Items": aliases}, "PriceClass": overrides.get("price_class", "PriceClass_100"),
        "Origins": {"Quantity": 2, "Items": [
            _origin(PRIMARY, overrides.get("attempts", 1), overrides.get("read_timeout", 1), overrides.get("headers", True)),
            _origin(SECONDARY, headers=overrides.get("headers", True)),
        ]},
        "OriginGroups": {"Quantity": 1, "Items": [{
            "Id": "live-group",
            "FailoverCriteria": {"StatusCodes": {"Quantity": len(codes), "Items": codes}},
            "Members": {"Quantity": 2, "Items": [{"OriginId": o} for o in overrides.get("members", [ORIGIN_IDS[PRIMARY], ORIGIN_IDS[SECONDARY]])]},
        }]},
        # moto refuses an origin group as the default behaviour's target (AWS allows it), so the
        # group serves live/* through a cache behaviour, the way most live distributions are built anyway.
        "DefaultCacheBehavior": {"TargetOriginId": ORIGIN_IDS[PRIMARY], **behaviour},
        "CacheBehaviors": {"Quantity": 1, "Items": [{"PathPattern": overrides.get("pattern", "live/*"), "TargetOriginId": overrides.get("target", "live-group"), **playback}]},
        "CustomErrorResponses": {"Quantity": len(error_codes := overrides.get("error_codes", codes)), "Items": [
            {"ErrorCode": code, "ErrorCachingMinTTL": overrides.get("error_ttl", 1)} for code in error_codes
        ]},
    }


@dataclass
class World:
    stack_file: Path
    channels: dict[str, str]  # region -> channel id
    distribution_id: str
    buckets: dict[str, str]

    def s3(self, region: str) -> Any:
        return aws_client("s3", region)

    def bucket_policy(self, region: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.s3(region).get_bucket_policy(Bucket=self.buckets[region])["Policy"])  # type: ignore[no-any-return]
        except self.s3(region).exceptions.ClientError:
            return None


EXISTING_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "AllowCloudFrontRead", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
                   "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{bucket}/*",
                   "Condition": {"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"}}}],
}


def build_world(directory: Path, playback_url: str, *, chaos: dict[str, Any] | None = None, **overrides: Any) -> World:
    """Create the two-region stack in the current (mocked) AWS and write its stack file; returns what was made."""
    channels = {}
    for region in (PRIMARY, SECONDARY):
        s3 = aws_client("s3", region)
        if region == "us-east-1":
            s3.create_bucket(Bucket=BUCKETS[region])
        else:
            s3.create_bucket(Bucket=BUCKETS[region], CreateBucketConfiguration={"LocationConstraint": region})
        policy = json.loads(json.dumps(EXISTING_POLICY).replace("{bucket}", BUCKETS[region]))
        s3.put_bucket_policy(Bucket=BUCKETS[region], Policy=json.dumps(policy))
        channels[region] = _channel(aws_client("medialive", region), f"live-{region}", BUCKETS[region],
                                    **overrides.get(region, {}))
    aws_client("secretsmanager", PRIMARY).create_secret(Name=SECRET_NAME, SecretString=json.dumps({"value": SECRET_VALUE}))
    cloudfront = aws_client("cloudfront", PRIMARY)
    distribution = cloudfront.create_distribution(DistributionConfig=distribution_config(**overrides.get("cdn", {})))["Distribution"]
    # Left InProgress: moto deploys a distribution on its next GetDistribution, before answering it, so whoever
    # reads it first (preflight) sees Deployed, as it would once AWS had finished.
    document = {
        "name": "drill-world",
        "segment_length_s": 1,
        "playback_url": playback_url,
        "regions": {
            role: {"region": region, "channel": {"channel_id": channels[region]},
                   "origin": {"kind": "s3", "bucket": BUCKETS[region], "cloudfront_origin_id": ORIGIN_IDS[region],
                              "manifests": [f"live/{r}" for r in RENDITIONS]}}
            for role, region in (("primary", PRIMARY), ("secondary", SECONDARY))
        },
        "cdn": {"distribution_id": distribution["Id"],
                "secret_header": {"name": SECRET_HEADER, "secret_id": SECRET_NAME, "secret_region": PRIMARY, "json_key": "value"},
                **overrides.get("stack_cdn", {})},
        "attribution": overrides.get("attribution", {"strategy": "header", "header": "X-Drill-Origin"}),
        "chaos": chaos if chaos is not None else {"allowed": True},
        "timing": overrides.get("timing", {"manifest_expiry_s": 1.8, "manifest_expiry_mechanism": "a Lambda deletes manifests older than 1.8 s"}),
    }
    path = directory / "stack.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return World(path, channels, distribution["Id"], dict(BUCKETS))


class Mirror:
    """Copies each emulated origin's rendition manifests into the matching region's bucket when they change,
    looking every quarter segment: as an encoder writes each manifest once a segment."""

    def __init__(self, emulator: EmulatedStack, period_s: float = 0.25) -> None:
        self.emulator = emulator
        self.period_s = period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mirror", daemon=True)
        # A manifest is put only when it changed, through the shared clients (taken on each pass, so they are the
        # ones for the moto server the test points AWS_ENDPOINT_URL at): a new client and a put of every manifest on
        # every pass cost about a core of CPU (moto parses each put).
        self._http = requests.Session()
        self._copied: dict[tuple[str, str], bytes] = {}

    def copy_once(self) -> None:
        regions = dict(zip(self.emulator.regions, (PRIMARY, SECONDARY), strict=True))
        for emulated, region in regions.items():
            s3 = aws_client("s3", region)
            for rendition in RENDITIONS:
                answer = self._http.get(f"{self.emulator.origins[emulated].url}/live/{rendition}",
                                        headers={SECRET_HEADER: self.emulator.config.edge.secret}, timeout=5)
                if answer.status_code == 200 and self._copied.get((region, rendition)) != answer.content:
                    s3.put_object(Bucket=BUCKETS[region], Key=f"live/{rendition}", Body=answer.content,
                                  ContentType="application/vnd.apple.mpegurl")
                    self._copied[(region, rendition)] = answer.content

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self.copy_once()
            except Exception:  # noqa: BLE001 (the next pass copies again; a test sees a stale bucket if this persists)
                continue

    def __enter__(self) -> Mirror:
        self.copy_once()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._http.close()
