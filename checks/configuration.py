"""Is the stack configured so that failover can work at all? Pure rules over control-plane facts.

The facts come from MediaLive, CloudFront and the origins' APIs on AWS, or from the emulator's own
configuration locally; the rules are the same (aws-hls-facts.md sections 0-3). Every problem says
what to fix, in the words of the console or the API field an operator would change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# What each origin kind answers when a manifest is missing (aws-hls-facts 1.3): S3 answers 403 unless
# the reader may ListBucket, MediaStore and MediaPackage v2 (forced endpoint errors) answer 404.
MISSING_OBJECT_CODES: Mapping[str, frozenset[int]] = {
    "s3": frozenset({403, 404}),
    "mediastore": frozenset({404}),
    "mediapackage-v2": frozenset({404}),
}
# What a broken or overloaded origin answers, whatever its kind.
ORIGIN_ERROR_CODES = frozenset({500, 502, 503, 504})
# CloudFront caches these errors for 10 s unless a CustomErrorResponse says otherwise; the others only
# when the origin sends max-age (HTTPStatusCodes.md).
CACHED_BY_DEFAULT = frozenset({404, 414, 500, 501, 502, 503, 504})
DEFAULT_ERROR_CACHING_S = 10.0


@dataclass(frozen=True)
class ChannelFacts:
    region: str
    channel_id: str
    state: str | None
    output_locking_mode: str | None
    input_loss_actions: tuple[str | None, ...]  # one per HLS output group; None when unset (MediaLive: EMIT_OUTPUT)
    redundant_manifests: tuple[str | None, ...]
    segment_lengths_s: tuple[float, ...]
    destination_paths: tuple[str, ...]  # the path part of each pipeline's HLS destination, bucket/container stripped
    paused_pipelines: tuple[int, ...] | None  # from the schedule's latest pause action; None when unknown
    channel_class: str | None = None  # STANDARD (two pipelines) or SINGLE_PIPELINE
    pipelines_running: int | None = None  # PipelinesRunningCount
    pipelines_expected: int = 2  # how many pipelines the stack file names
    custom_epoch: str | None = None  # EpochLockingSettings.CustomEpoch; None: the Unix epoch
    name_modifiers: tuple[str, ...] = ()  # every HLS output's NameModifier, in output order


@dataclass(frozen=True)
class OriginFacts:
    origin_id: str
    kind: str
    connection_attempts: int
    connection_timeout_s: float
    read_timeout_s: float
    custom_header_names: frozenset[str] = frozenset()
    secret_header_matches: bool | None = None  # None: no secret configured, or not checked


@dataclass(frozen=True)
class OriginGroupFacts:
    group_id: str
    member_ids: tuple[str, ...]
    failover_codes: frozenset[int]
    selection_criteria: str = "default"  # or media-quality-based (MQAR)


@dataclass(frozen=True)
class EdgeFacts:
    distribution_id: str
    status: str | None
    enabled: bool
    behavior: str  # the path pattern of the cache behaviour serving the playback URL, or "default"
    target_id: str
    origins: Mapping[str, OriginFacts]
    groups: Mapping[str, OriginGroupFacts]
    error_caching_s: Mapping[int, float]  # ErrorCachingMinTTL of each CustomErrorResponse
    # Seed 003, the distribution's lifecycle; None where the stack does not say or cannot tell.
    price_class: str | None = None
    expected_price_class: str | None = None  # what the stack file asks for; None: no expectation
    cors_headers_policy: bool | None = None  # a response headers policy adding CORS on the playback behaviour
    other_enabled_with_alias: tuple[str, ...] = ()  # other enabled distributions claiming one of its alternate domain names


@dataclass(frozen=True)
class FunctionAssociation:
    event_type: str  # viewer-request, origin-request, ...
    arn: str  # CloudFront Function ARN, or Lambda@Edge version ARN


@dataclass(frozen=True)
class RoutingFacts:
    """How the playback behaviour picks an origin, when a function does it (fixtures/routing.py)."""

    mode: str  # origin-group, kvs, path-prefix
    associations: tuple[FunctionAssociation, ...] = ()  # every function on the playback behaviour
    # kvs
    function_name: str | None = None
    function_arn: str | None = None  # the LIVE stage's ARN
    function_runtime: str | None = None  # cloudfront-js-2.0 is needed for origin modification
    function_live: bool | None = None  # published to the LIVE stage
    function_kvs_arns: tuple[str, ...] = ()  # KeyValueStores associated with the function
    kvs_arn: str | None = None
    kvs_key: str | None = None
    kvs_value: str | None = None  # the key's current value; None: the key is absent
    region_values: Mapping[str, str] | None = None  # region -> the value that selects it
    routable_values: frozenset[str] = frozenset()  # values the function can send a request to (origin ids it knows)
    # path-prefix
    lambda_arn: str | None = None  # the stack file's versioned Lambda@Edge ARN
    prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MediaPackageFacts:
    """One region's MediaPackage v2 channel and origin endpoint, as GetChannel, GetOriginEndpoint and
    GetOriginEndpointPolicy give them (dynamic-origins-mqar.md 2.5, 3)."""

    region: str
    endpoint: str  # channel group/channel/endpoint
    input_type: str | None  # CMAF is needed for MQCS and forced endpoint errors
    epoch_locked: bool | None  # OutputLockingMode EPOCH_LOCKED (CMAF only); None: not reported
    publish_mqcs: bool | None  # OutputHeaderConfiguration.PublishMQCS
    mqcs_input_switching: bool | None  # InputSwitchConfiguration.MQCSInputSwitching
    preferred_input: int | None
    endpoint_error_conditions: tuple[str, ...]  # ForceEndpointErrorConfiguration.EndpointErrorConditions
    cdn_auth: bool | None  # the endpoint policy has a CdnAuthConfiguration and requires the matching header
    identifier_matches: bool | None  # the CloudFront origin sends X-MediaPackageV2-CDNIdentifier equal to the secret


@dataclass(frozen=True)
class ExpiryFacts:
    """What turns a stale manifest at one region's origin into an error, as far as anyone can tell."""

    region: str
    origin_kind: str
    mechanism: str | None
    expiry_s: float | None
    why_none: str = ""  # said plainly when the origin kind has no such mechanism of its own
    required: bool = True  # MediaPackage v2 forces endpoint errors on the primary region only


@dataclass(frozen=True)
class StackFacts:
    segment_length_s: float
    primary_origin_id: str
    secondary_origin_id: str
    channels: tuple[ChannelFacts, ...]
    edge: EdgeFacts
    expiry: tuple[ExpiryFacts, ...]
    failover_within_segments: float = 1.0
    error_caching_max_s: float = 1.0
    secret_header_name: str | None = None
    routing: RoutingFacts | None = None
    mediapackage: tuple[MediaPackageFacts, ...] = ()  # primary first; empty unless the origins are MediaPackage v2


@dataclass(frozen=True)
class ConfigProblem:
    subject: str  # "channel 1234567 (us-east-1)", "distribution E2ABC", ...
    setting: str  # the field an operator changes
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.setting} {self.problem}; fix: {self.fix}"


def channel_problems(facts: StackFacts) -> list[ConfigProblem]:
    """Each channel is live, epoch-locked, pauses output on input loss and writes a redundant manifest."""
    problems = []
    for ch in facts.channels:
        who = f"MediaLive channel {ch.channel_id} ({ch.region})"
        if ch.state != "RUNNING":
            problems.append(ConfigProblem(who, "State", f"is {ch.state}", "start the channel; the drill needs both regions live"))
        if ch.output_locking_mode != "EPOCH_LOCKING":
            problems.append(ConfigProblem(
                who, "GlobalConfiguration.OutputLockingMode", f"is {ch.output_locking_mode}",
                "set EPOCH_LOCKING so both regions number segments from the epoch (PIPELINE_LOCKING aligns one channel only)",
            ))
        if not ch.input_loss_actions:
            problems.append(ConfigProblem(who, "OutputGroups", "has no HLS output group", "publish HLS to the origin"))
        for action in ch.input_loss_actions:
            if action != "PAUSE_OUTPUT":
                problems.append(ConfigProblem(
                    who, "HlsGroupSettings.InputLossAction", f"is {action or 'unset (EMIT_OUTPUT)'}",
                    "set PAUSE_OUTPUT; with EMIT_OUTPUT input loss becomes slate that looks healthy and never fails over",
                ))
        for redundant in ch.redundant_manifests:
            if redundant != "ENABLED":
                problems.append(ConfigProblem(
                    who, "HlsGroupSettings.RedundantManifest", f"is {redundant or 'unset (DISABLED)'}",
                    "set ENABLED so the multivariant playlist lists both pipelines and a player can switch",
                ))
        for length in ch.segment_lengths_s:
            if abs(length - facts.segment_length_s) > 1e-6:
                problems.append(ConfigProblem(
                    who, "HlsGroupSettings.SegmentLength", f"is {length:g} s but the stack file says {facts.segment_length_s:g} s",
                    "make them agree; every budget is counted in segment lengths",
                ))
        if ch.pipelines_expected > 1 and ch.channel_class is not None and ch.channel_class != "STANDARD":
            problems.append(ConfigProblem(
                who, "ChannelClass", f"is {ch.channel_class} but the stack file names {ch.pipelines_expected} pipelines",
                "use a STANDARD channel: a single-pipeline channel has no second pipeline to fail over to",
            ))
        elif ch.state == "RUNNING" and ch.pipelines_running is not None and ch.pipelines_running < ch.pipelines_expected:
            problems.append(ConfigProblem(
                who, "PipelinesRunningCount", f"is {ch.pipelines_running}, not the {ch.pipelines_expected} the stack file names",
                "find out why a pipeline is down before any drill (the channel's alerts say)",
            ))
        if ch.paused_pipelines:
            problems.append(ConfigProblem(
                who, "schedule", f"keeps pipeline(s) {', '.join(map(str, ch.paused_pipelines))} paused",
                "add an immediate pause action with an empty pipeline list (or run the recover command)",
            ))
    lengths = {ch.region: ch.segment_lengths_s for ch in facts.channels}
    if len({v for values in lengths.values() for v in values}) > 1:
        problems.append(ConfigProblem(
            "MediaLive channels", "HlsGroupSettings.SegmentLength", f"differs between regions: {lengths}",
            "use one segment length everywhere; epoch locking numbers segments by it",
        ))
    modifiers = {ch.region: ch.name_modifiers for ch in facts.channels}
    if len({tuple(sorted(m)) for m in modifiers.values()}) > 1:
        problems.append(ConfigProblem(
            "MediaLive channels", "HlsOutputSettings.NameModifier", f"differ between regions: {modifiers}",
            "use the same name modifiers in both regions, so the same sequence number names the same URI (RFC 8216 6.3.4)",
        ))
    epochs = {ch.region: ch.custom_epoch for ch in facts.channels}
    if len(set(epochs.values())) > 1:
        problems.append(ConfigProblem(
            "MediaLive channels", "EpochLockingSettings.CustomEpoch",
            "differs between regions: " + ", ".join(f"{region}: {epoch or 'unset (the Unix epoch)'}" for region, epoch in epochs.items()),
            "set the same CustomEpoch in both regions, or none: segment numbers count from it",
        ))
    paths = {ch.region: ch.destination_paths for ch in facts.channels}
    if len({tuple(sorted(set(p))) for p in paths.values()}) > 1:
        problems.append(ConfigProblem(
            "MediaLive channels", "Destinations", f"write to different paths per region: {paths}",
            "use the same paths and name modifiers in both regions, so the same sequence number names the same URI (RFC 8216 6.3.4)",
        ))
    return problems


def edge_problems(facts: StackFacts) -> list[ConfigProblem]:
    """The behaviour serving the playback URL targets an origin group that can fail over in time and fail back."""
    edge = facts.edge
    who = f"CloudFront distribution {edge.distribution_id}"
    problems = []
    if edge.status != "Deployed":
        problems.append(ConfigProblem(who, "Status", f"is {edge.status}", "wait until the last change has deployed"))
    if not edge.enabled:
        problems.append(ConfigProblem(who, "Enabled", "is false", "enable the distribution"))
    group = edge.groups.get(edge.target_id)
    if group is None and facts.routing is not None and facts.routing.mode == "kvs":
        # The routing function creates the origin group itself (cf.createRequestOriginGroup); its members and
        # status codes live in the function's code, which no API shows, so the drill's dead-region scenario tests them.
        return problems
    if group is None:
        problems.append(ConfigProblem(
            who, f"cache behaviour {edge.behavior} TargetOriginId",
            f"is {edge.target_id!r}, a single origin, so nothing can fail over",
            f"target an origin group whose members are {facts.primary_origin_id} then {facts.secondary_origin_id}",
        ))
        return problems
    expected = (facts.primary_origin_id, facts.secondary_origin_id)
    if group.member_ids != expected:
        problems.append(ConfigProblem(
            who, f"origin group {group.group_id} Members", f"are {list(group.member_ids)}",
            f"make them exactly {list(expected)}: the primary region's origin first",
        ))
    primary = edge.origins.get(facts.primary_origin_id)
    kind = primary.kind if primary else "s3"
    needed = MISSING_OBJECT_CODES.get(kind, frozenset({404})) | ORIGIN_ERROR_CODES
    missing = sorted(needed - group.failover_codes)
    if missing:
        problems.append(ConfigProblem(
            who, f"origin group {group.group_id} FailoverCriteria.StatusCodes",
            f"lack {missing}, which a {kind} origin answers when a manifest is gone or the origin fails",
            f"add {missing}" + (" (S3 answers 403 for a missing key unless the reader may ListBucket)" if 403 in missing else ""),
        ))
    allowance = facts.failover_within_segments * facts.segment_length_s
    for origin_id in expected:
        origin = edge.origins.get(origin_id)
        if origin is None:
            problems.append(ConfigProblem(who, "Origins", f"has no origin {origin_id!r}", "add it, or correct cloudfront_origin_id"))
            continue
        worst = origin.connection_attempts * max(origin.connection_timeout_s, origin.read_timeout_s)
        if origin_id == facts.primary_origin_id and worst > allowance:
            problems.append(ConfigProblem(
                who, f"origin {origin_id} ConnectionAttempts x timeouts",
                f"let a dead primary hold a request for up to {worst:g} s "
                f"({origin.connection_attempts} x max(ConnectionTimeout {origin.connection_timeout_s:g} s, "
                f"OriginReadTimeout {origin.read_timeout_s:g} s)), more than {facts.failover_within_segments:g} segment(s) "
                f"({allowance:g} s)",
                "set ConnectionAttempts 1, ConnectionTimeout and OriginReadTimeout at most the segment length",
            ))
        if facts.secret_header_name:
            if facts.secret_header_name.lower() not in {n.lower() for n in origin.custom_header_names}:
                problems.append(ConfigProblem(
                    who, f"origin {origin_id} CustomHeaders", f"do not send {facts.secret_header_name}",
                    "add the header with the secret's value, or the origin refuses the CDN",
                ))
            elif origin.secret_header_matches is False:
                problems.append(ConfigProblem(
                    who, f"origin {origin_id} CustomHeaders {facts.secret_header_name}",
                    "differs from the value in Secrets Manager (value not shown)",
                    "rotate the two together; the origin refuses a stale secret",
                ))
    for code in sorted(group.failover_codes & (CACHED_BY_DEFAULT | set(edge.error_caching_s))):
        ttl = edge.error_caching_s.get(code, DEFAULT_ERROR_CACHING_S)
        if ttl > facts.error_caching_max_s:
            configured = "its CustomErrorResponse ErrorCachingMinTTL is" if code in edge.error_caching_s else "with no CustomErrorResponse it is cached for"
            problems.append(ConfigProblem(
                who, f"error caching for {code}", f"is too long: {configured} {ttl:g} s, over {facts.error_caching_max_s:g} s",
                f"add a CustomErrorResponse for {code} with ErrorCachingMinTTL 0 or 1; cached errors delay fail-back",
            ))
    return problems


def expiry_problems(facts: StackFacts) -> list[ConfigProblem]:
    """Something turns a stale manifest into an error in time, or a paused pipeline never fails over."""
    problems = []
    for expiry in facts.expiry:
        who = f"{expiry.origin_kind} origin in {expiry.region}"
        if expiry.expiry_s is None and expiry.required:
            problems.append(ConfigProblem(
                who, "manifest expiry", "is missing: a paused pipeline leaves a stale manifest answering 200, which never fails over"
                + (f" ({expiry.why_none})" if expiry.why_none else ""),
                {
                    "mediastore": "add a transient lifecycle rule (*.m3u8, seconds_since_create > about 2 x L); it takes up to 20 min to apply",
                    "mediapackage-v2": "enable ForceEndpointErrorConfiguration STALE_MANIFEST on the primary region's endpoint",
                }.get(expiry.origin_kind, "deploy something that deletes manifests older than about 2 x L, then name it in "
                      "timing.manifest_expiry_mechanism and timing.manifest_expiry_s"),
            ))
        elif expiry.expiry_s is not None and expiry.expiry_s > 3 * facts.segment_length_s:
            problems.append(ConfigProblem(
                who, "manifest expiry", f"({expiry.mechanism}) waits {expiry.expiry_s:g} s, over 3 segments",
                "expire manifests after about 2 x the segment length",
            ))
    return problems


KVS_RUNTIME = "cloudfront-js-2.0"  # origin modification needs it (dynamic-origins-mqar.md 1.1)


def routing_problems(facts: StackFacts) -> list[ConfigProblem]:
    """A function that routes the playback behaviour is the one the stack names, published, associated where
    it can act, and reads a key that names an origin it can route to (dynamic-origins-mqar.md 1-2)."""
    routing = facts.routing
    if routing is None or routing.mode == "origin-group":
        return []
    who = f"CloudFront distribution {facts.edge.distribution_id} cache behaviour {facts.edge.behavior}"
    if routing.mode == "kvs":
        return _kvs_problems(routing, who)
    if routing.mode == "path-prefix":
        return _prefix_problems(routing, who)
    return [ConfigProblem(who, "routing", f"is {routing.mode!r}, which the drill does not know", "use origin-group, kvs or path-prefix")]


def _kvs_problems(routing: RoutingFacts, who: str) -> list[ConfigProblem]:
    name = routing.function_name or "(unnamed)"
    function = f"CloudFront Function {name}"
    problems = []
    live = routing.function_live is not False  # with no LIVE stage there is no runtime or store association to judge
    if live and routing.function_runtime != KVS_RUNTIME:
        problems.append(ConfigProblem(
            function, "Runtime", f"is {routing.function_runtime}", f"use {KVS_RUNTIME}: only it can change a request's origin",
        ))
    if not live:
        problems.append(ConfigProblem(function, "stage", "has no LIVE version", "publish the function (PublishFunction)"))
    viewer = [a for a in routing.associations if a.event_type == "viewer-request"]
    if not any(routing.function_arn is not None and a.arn == routing.function_arn for a in viewer):
        found = ", ".join(f"{a.event_type} {a.arn}" for a in routing.associations) or "no function at all"
        problems.append(ConfigProblem(
            who, "FunctionAssociations", f"do not run {name} at viewer-request (found: {found}), so writes to the key change nothing",
            f"associate {name}'s LIVE stage with this behaviour at viewer-request",
        ))
    if live and routing.kvs_arn is not None and routing.kvs_arn not in routing.function_kvs_arns:
        problems.append(ConfigProblem(
            function, "KeyValueStoreAssociations", f"do not include {routing.kvs_arn}",
            "associate the KeyValueStore with the function (one store per function), then publish it",
        ))
    key = routing.kvs_key or "(unnamed)"
    if routing.kvs_value is None:
        problems.append(ConfigProblem(
            f"KeyValueStore {routing.kvs_arn}", f"key {key!r}", "is absent, so the function falls back to the behaviour's default",
            "put the key with the primary region's value",
        ))
    values = dict(routing.region_values or {})
    for region, value in values.items():
        if value not in routing.routable_values:
            problems.append(ConfigProblem(
                who, f"origin for {region}", f"is named {value!r} in the stack, which is no origin the function can route to "
                f"({sorted(routing.routable_values)}), so switching to {region} changes nothing",
                "add that origin to the distribution, or correct the value the stack writes for the region",
            ))
    if routing.kvs_value is not None and routing.kvs_value not in set(values.values()):
        problems.append(ConfigProblem(
            f"KeyValueStore {routing.kvs_arn}", f"key {key!r}", f"is {routing.kvs_value!r}, which selects none of the stack's regions",
            f"put one of {sorted(set(values.values()))}",
        ))
    return problems


def _prefix_problems(routing: RoutingFacts, who: str) -> list[ConfigProblem]:
    problems = []
    origin_request = [a for a in routing.associations if a.event_type == "origin-request"]
    arn = routing.lambda_arn or "(unnamed)"
    if routing.lambda_arn is not None and routing.lambda_arn.endswith(":$LATEST"):
        problems.append(ConfigProblem(
            f"Lambda@Edge {arn}", "version", "is $LATEST", "publish a numbered version and associate that (CloudFront refuses $LATEST)",
        ))
    if not any(a.arn == routing.lambda_arn for a in origin_request):
        found = ", ".join(f"{a.event_type} {a.arn}" for a in routing.associations) or "no function at all"
        problems.append(ConfigProblem(
            who, "LambdaFunctionAssociations", f"do not run {arn} at origin-request (found: {found}), so no prefix is mapped",
            "associate that numbered version at origin-request",
        ))
    if not routing.prefixes:
        problems.append(ConfigProblem(who, "prefixes", "are none", "name every first path element the function maps"))
    return problems


def distribution_problems(facts: StackFacts) -> list[ConfigProblem]:
    """Seed 003: the price class the stack asks for, CORS for web players, no twin claiming its names."""
    edge = facts.edge
    who = f"CloudFront distribution {edge.distribution_id}"
    problems = []
    if edge.expected_price_class is not None and edge.price_class != edge.expected_price_class:
        problems.append(ConfigProblem(
            who, "PriceClass", f"is {edge.price_class}, not {edge.expected_price_class} as the stack file says",
            "set the price class, or correct the stack file",
        ))
    if edge.cors_headers_policy is False:
        problems.append(ConfigProblem(
            who, f"cache behaviour {edge.behavior} ResponseHeadersPolicyId", "adds no CORS headers, so web players on another origin are refused",
            "attach a response headers policy with CORS (e.g. Managed-SimpleCORS)",
        ))
    for other in edge.other_enabled_with_alias:
        problems.append(ConfigProblem(
            who, "Aliases", f"are also claimed by enabled distribution {other}",
            f"disable {other} (a stale distribution) before deleting it",
        ))
    return problems


MQAR = "media-quality-based"
MQCS_SETTINGS = ("input_type", "epoch_locked", "publish_mqcs", "mqcs_input_switching", "preferred_input")


def mediapackage_problems(facts: StackFacts) -> list[ConfigProblem]:
    """MediaPackage v2 channels set up for cross-region failover: CMAF, epoch-locked, identical in both
    regions, no forced endpoint errors on the backup, CDN authorization that the edge satisfies."""
    problems = []
    for mp in facts.mediapackage:
        who = f"MediaPackage v2 endpoint {mp.endpoint} ({mp.region})"
        if mp.input_type != "CMAF":
            problems.append(ConfigProblem(who, "channel InputType", f"is {mp.input_type}",
                                          "use CMAF ingest: MQCS and forced endpoint errors need it (recreate the channel)"))
        if mp.epoch_locked is False:
            problems.append(ConfigProblem(who, "OutputLockingMode", "is not EPOCH_LOCKED, so the regions' segments do not line up",
                                          "use EPOCH_LOCKED (the CMAF default; it cannot be changed later)"))
        if mp.cdn_auth is False:
            problems.append(ConfigProblem(
                who, "endpoint policy CdnAuthConfiguration",
                "is missing or not enforced (no Allow conditioned on mediapackagev2:RequestHasMatchingCdnAuthHeader): "
                "anyone may read the endpoint, or, with no policy at all, not even CloudFront",
                "put an endpoint policy with CdnAuthConfiguration and an Allow on GetObject and GetHeadObject conditioned on "
                "RequestHasMatchingCdnAuthHeader",
            ))
        if mp.identifier_matches is False:
            problems.append(ConfigProblem(
                who, "CloudFront origin custom header X-MediaPackageV2-CDNIdentifier",
                "differs from the secret the endpoint checks (value not shown), so MediaPackage answers 403",
                "set the origin's header from the secret's current value",
            ))
    if len(facts.mediapackage) == 2:
        primary, secondary = facts.mediapackage
        for setting in MQCS_SETTINGS:
            if getattr(primary, setting) != getattr(secondary, setting):
                problems.append(ConfigProblem(
                    f"MediaPackage v2 channels in {primary.region} and {secondary.region}", setting,
                    f"differs: {getattr(primary, setting)} against {getattr(secondary, setting)}",
                    "configure both regions identically (names, paths and settings)",
                ))
        # A primary endpoint without STALE_MANIFEST is expiry_problems' finding (it is this origin kind's expiry).
        if secondary.endpoint_error_conditions:
            problems.append(ConfigProblem(
                f"MediaPackage v2 endpoint {secondary.endpoint} ({secondary.region})", "ForceEndpointErrorConfiguration",
                f"is set ({list(secondary.endpoint_error_conditions)}) on the backup region too, so both can answer 404 at once",
                "remove it from the backup region's endpoint (AWS: leave the backup without it to maximize the chances of failover)",
            ))
    return problems


def mqar_problems(facts: StackFacts) -> list[ConfigProblem]:
    """Media-quality-based origin selection works only with MediaPackage v2 origins publishing a score, 404 among
    the failover codes, and no Lambda@Edge origin trigger on the behaviour (which turns it off)."""
    edge = facts.edge
    group = edge.groups.get(edge.target_id)
    if group is None or group.selection_criteria != MQAR:
        return []
    who = f"CloudFront distribution {edge.distribution_id} origin group {group.group_id}"
    problems = []
    if 404 not in group.failover_codes:
        problems.append(ConfigProblem(who, "FailoverCriteria.StatusCodes", "lack 404, which MQAR requires",
                                      "add 404: a forced endpoint error answers 404"))
    kinds = {edge.origins[o].kind for o in group.member_ids if o in edge.origins}
    if kinds - {"mediapackage-v2"}:
        problems.append(ConfigProblem(who, "SelectionCriteria", f"is {MQAR}, but members are {sorted(kinds)}",
                                      "use MediaPackage v2 origins, or the default selection"))
    triggers = [a for a in (facts.routing.associations if facts.routing else ()) if a.event_type in ("origin-request", "origin-response")]
    if triggers:
        problems.append(ConfigProblem(
            f"CloudFront distribution {edge.distribution_id} cache behaviour {edge.behavior}", "LambdaFunctionAssociations",
            f"include {triggers[0].event_type} {triggers[0].arn}, which turns media-quality-based selection off",
            "move the Lambda@Edge function off this behaviour, or give up MQAR",
        ))
    unpublished = [mp.region for mp in facts.mediapackage if mp.publish_mqcs is False]
    if unpublished:
        problems.append(ConfigProblem(
            who, "SelectionCriteria", f"is {MQAR}, but the channels in {', '.join(unpublished)} do not publish a score (PublishMQCS false)",
            "set OutputHeaderConfiguration.PublishMQCS true on both channels",
        ))
    return problems


def configuration_problems(facts: StackFacts) -> list[ConfigProblem]:
    return (channel_problems(facts) + edge_problems(facts) + expiry_problems(facts) + routing_problems(facts)
            + distribution_problems(facts) + mediapackage_problems(facts) + mqar_problems(facts))
