"""Fault verbs on AWS: exact request shapes, exact inverses, idempotence, the ledger, dry run and recover."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from fixtures.aws.calls import AwsCalls
from fixtures.aws.recover import recover
from fixtures.aws.stack_file import load_stack_file
from fixtures.aws.verbs import (
    BucketPolicyDeny,
    ContainerPolicyDeny,
    ManifestsDeleted,
    PipelinePaused,
    VerbError,
    VerbState,
    verify_untouched,
)
from fixtures.ledger import Ledger
from fixtures.stacks.aws import AwsStack
from fixtures.stacks.base import FaultUnavailable
from tests.moto_world import EXISTING_POLICY, FAKE_ENV, PRIMARY, SECONDARY, aws_client, build_world, schedule_of

PLAYBACK = "https://d111111abcdef8.cloudfront.net/live/index.m3u8"


def _pause_request(channel: str, pipelines: list[str]) -> dict[str, Any]:
    return {"ChannelId": channel, "Creates": {"ScheduleActions": [{
        "ActionName": ANY,
        "ScheduleActionStartSettings": {"ImmediateModeScheduleActionStartSettings": {}},
        "ScheduleActionSettings": {"PauseStateSettings": {"Pipelines": [{"PipelineId": p} for p in pipelines]}},
    }]}}


def test_pause_and_resume_send_the_exact_schedule_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """MediaLive's pause action is absolute: each call lists every pipeline to keep paused; [] resumes all."""
    state = VerbState()
    calls = AwsCalls()
    client = calls.client("medialive", PRIMARY)
    p0, p1 = PipelinePaused(PRIMARY, "1234567", 0), PipelinePaused(PRIMARY, "1234567", 1)
    with Stubber(client) as stub:
        for pipelines in (["PIPELINE_0"], ["PIPELINE_0", "PIPELINE_1"], ["PIPELINE_0"], []):
            stub.add_response("batch_update_schedule", {}, _pause_request("1234567", pipelines))
        p0.apply(calls, state)
        p1.apply(calls, state)  # pausing 1 must not resume 0
        p1.undo(calls, state)  # resuming 1 must keep 0 paused
        p0.undo(calls, state)  # nothing left paused: an empty list, never [{}]
        stub.assert_no_pending_responses()


def test_pause_action_names_are_unique(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK)
    stack = AwsStack(load_stack_file(world.stack_file), AwsCalls())
    for _ in range(3):
        fault = stack.pipeline_paused(PRIMARY, 0)
        fault.apply()
        fault.undo()
    names = [a["actionName"] for a in schedule_of(world.channels[PRIMARY])]
    assert len(names) == 6 == len(set(names))
    assert schedule_of(world.channels[PRIMARY])[-1]["scheduleActionSettings"]["pauseStateSettings"]["pipelines"] == []
    assert stack.settled()


def test_two_stacks_in_one_process_do_not_share_what_they_hold_paused(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK)
    first = AwsStack(load_stack_file(world.stack_file), AwsCalls())
    second = AwsStack(load_stack_file(world.stack_file), AwsCalls())
    fault = first.pipeline_paused(PRIMARY, 0)
    fault.apply()
    try:
        assert not first.settled() and second.settled()
    finally:
        fault.undo()
    assert first.settled()


def test_breaking_an_s3_origin_adds_one_tagged_statement_and_healing_restores_the_policy_exactly(
    fake_aws: None, tmp_path: Path
) -> None:
    world = build_world(tmp_path, PLAYBACK)
    stack = AwsStack(load_stack_file(world.stack_file), AwsCalls())
    before = world.bucket_policy(PRIMARY)
    fault = stack.origin_broken(PRIMARY, "error-status")
    fault.apply()
    fault.apply()  # idempotent: still one statement
    broken = world.bucket_policy(PRIMARY)
    assert broken is not None and before is not None
    assert broken["Statement"][:-1] == before["Statement"]
    assert [s["Sid"] for s in broken["Statement"]].count("FailoverDrillDenyAll") == 1
    assert broken["Statement"][-1] == {"Sid": "FailoverDrillDenyAll", "Effect": "Deny", "Principal": "*",
                                       "Action": "s3:GetObject", "Resource": "arn:aws:s3:::live-east-drill/*"}
    fault.undo()
    fault.undo()  # idempotent
    assert world.bucket_policy(PRIMARY) == before
    assert world.bucket_policy(SECONDARY) is not None  # the other region untouched


def test_a_bucket_with_no_policy_gets_none_back(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK)
    aws_client("s3", PRIMARY).delete_bucket_policy(Bucket=world.buckets[PRIMARY])
    verb = BucketPolicyDeny(PRIMARY, world.buckets[PRIMARY])
    verb.apply(AwsCalls(), VerbState())
    assert [s["Sid"] for s in world.bucket_policy(PRIMARY)["Statement"]] == ["FailoverDrillDenyAll"]  # type: ignore[index]
    verb.undo(AwsCalls(), VerbState())
    assert world.bucket_policy(PRIMARY) is None


def test_a_policy_edited_by_someone_else_meanwhile_is_reported_not_overwritten() -> None:
    before = json.loads(json.dumps(EXISTING_POLICY))
    after = json.loads(json.dumps(EXISTING_POLICY))
    after["Statement"][0]["Action"] = "s3:*"
    with pytest.raises(VerbError, match="other statements changed"):
        verify_untouched("bucket policy of b", "FailoverDrillDenyAll", before, after)
    verify_untouched("bucket policy of b", "FailoverDrillDenyAll", before, json.loads(json.dumps(before)))


def test_expired_s3_manifests_answer_403_while_segments_still_play(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK)
    s3 = aws_client("s3", PRIMARY)
    for key in ("live/p0/180p.m3u8", "live/p0/180p_1.ts"):
        s3.put_object(Bucket=world.buckets[PRIMARY], Key=key, Body=b"#EXTM3U\n")
    stack = AwsStack(load_stack_file(world.stack_file), AwsCalls())
    fault = stack.manifests_expired(PRIMARY)
    fault.apply()
    assert stack.origin_object(PRIMARY, "live/p0/180p.m3u8")[0] == 403  # what S3 answers for a missing key
    assert stack.origin_object(PRIMARY, "live/p0/180p_1.ts")[0] == 200
    fault.undo()
    assert stack.origin_object(PRIMARY, "live/p0/180p.m3u8")[0] == 200
    assert world.bucket_policy(PRIMARY) == json.loads(json.dumps(EXISTING_POLICY).replace("{bucket}", world.buckets[PRIMARY]))


def test_deleted_manifests_stay_deleted_until_undo_then_undo_waits_for_the_encoder(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK)
    s3 = aws_client("s3", PRIMARY)
    bucket, key = world.buckets[PRIMARY], "live/p0/180p.m3u8"
    verb = ManifestsDeleted(PRIMARY, "s3", bucket, (key,), repeat_s=0.05, rewrite_timeout_s=5)
    calls, state = AwsCalls(), VerbState()

    def encoder_writes() -> None:
        # moto's S3 is not safe for a put racing a delete of the same key (the new object's buffer is closed under
        # the put: "I/O operation on closed file", seen on a loaded machine); S3 is. Write again, as an encoder would.
        for _ in range(20):
            try:
                s3.put_object(Bucket=bucket, Key=key, Body=b"#EXTM3U\n")
                return
            except ValueError:
                time.sleep(0.01)
        raise AssertionError("moto never took the write")

    encoder_writes()
    verb.apply(calls, state)
    try:
        assert not state.settled()  # the janitor belongs to this state, and keeps the stack from settling
        assert not verb.present(calls, key)
        encoder_writes()  # the encoder rewrites it...
        deadline = time.monotonic() + 5
        while verb.present(calls, key) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not verb.present(calls, key), "the janitor did not delete the rewritten manifest"  # ...and it is expired again
        writer = threading.Timer(0.3, encoder_writes)
        writer.start()
        verb.undo(calls, state)  # returns once the encoder has written it again
        writer.join()
        assert verb.present(calls, key) and state.settled()
    finally:
        state.stop_janitor((PRIMARY, bucket))  # a failed assertion must not leave the janitor deleting after moto is gone


def test_undo_says_so_when_the_encoder_never_rewrites(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK)
    verb = ManifestsDeleted(PRIMARY, "s3", world.buckets[PRIMARY], ("live/p0/180p.m3u8",), repeat_s=0.05, rewrite_timeout_s=0.3)
    state = VerbState()
    verb.apply(AwsCalls(), state)
    with pytest.raises(VerbError, match=r"did not write \['live/p0/180p.m3u8'\] again within 0 s.*is the channel running"):
        verb.undo(AwsCalls(), state)


def test_a_mediastore_origin_is_broken_in_its_container_policy(fake_aws: None, tmp_path: Path) -> None:
    mediastore = aws_client("mediastore", PRIMARY)
    mediastore.create_container(ContainerName="live_east")
    default = {"Version": "2012-10-17", "Statement": [{"Sid": "MediaStoreFullAccess", "Action": ["mediastore:*"],
               "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Effect": "Allow",
               "Resource": "arn:aws:mediastore:us-east-1:123456789012:container/live_east/*",
               "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}
    mediastore.put_container_policy(ContainerName="live_east", Policy=json.dumps(default))
    verb = ContainerPolicyDeny(PRIMARY, "live_east", "123456789012")
    verb.apply(AwsCalls(), VerbState())
    broken = json.loads(mediastore.get_container_policy(ContainerName="live_east")["Policy"])
    assert broken["Statement"][0] == default["Statement"][0]
    assert broken["Statement"][1]["Effect"] == "Deny" and "mediastore:GetObject" in broken["Statement"][1]["Action"]
    verb.undo(AwsCalls(), VerbState())
    assert json.loads(mediastore.get_container_policy(ContainerName="live_east")["Policy"]) == default


def test_channel_stop_is_opt_in_and_start_is_its_inverse(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK)
    with pytest.raises(FaultUnavailable, match="chaos.allow_channel_stop: true"):
        AwsStack(load_stack_file(world.stack_file), AwsCalls()).channel_stopped(PRIMARY)
    document = yaml.safe_load(world.stack_file.read_text())
    document["chaos"]["allow_channel_stop"] = True
    world.stack_file.write_text(yaml.safe_dump(document))
    stack = AwsStack(load_stack_file(world.stack_file), AwsCalls())
    medialive = aws_client("medialive", PRIMARY)
    fault = stack.channel_stopped(PRIMARY)
    fault.apply()
    assert medialive.describe_channel(ChannelId=world.channels[PRIMARY])["State"] == "IDLE"
    fault.apply()  # already stopped: no second stop
    fault.undo()
    assert medialive.describe_channel(ChannelId=world.channels[PRIMARY])["State"] == "RUNNING"


def test_faults_an_origin_kind_cannot_make_are_unavailable_with_the_reason(fake_aws: None, tmp_path: Path) -> None:
    stack = AwsStack(load_stack_file(build_world(tmp_path, PLAYBACK).stack_file), AwsCalls())
    with pytest.raises(FaultUnavailable, match="cannot be made to refuse connections through its API"):
        stack.origin_broken(PRIMARY, "refuse")
    with pytest.raises(FaultUnavailable, match="hang"):
        stack.origin_broken(PRIMARY, "hang")
    with pytest.raises(ValueError, match="'eu-west-1' is not a region of stack 'drill-world'"):
        stack.pipeline_paused("eu-west-1", 0)


def test_every_fault_is_in_the_ledger_before_its_call_and_marked_undone_after(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK)
    stack = AwsStack(load_stack_file(world.stack_file), AwsCalls())
    seen_in_ledger_first: list[bool] = []
    original = stack.calls.change

    def change(service: str, region: str, operation: str, endpoint_url: str | None = None, **params: Any) -> dict[str, Any]:
        seen_in_ledger_first.append(bool(stack.ledger.outstanding()))
        return original(service, region, operation, endpoint_url, **params)

    stack.calls.change = change  # type: ignore[method-assign]
    fault = stack.origin_broken(PRIMARY, "error-status")
    fault.apply()
    assert seen_in_ledger_first == [True]
    assert [e.verb for e in stack.ledger.outstanding()] == ["bucket_policy_deny"]
    fault.undo()
    assert stack.ledger.outstanding() == []


def test_recover_undoes_what_a_killed_run_left_and_says_what_it_did(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK)
    stack_file = load_stack_file(world.stack_file)
    before = world.bucket_policy(PRIMARY)
    stack = AwsStack(stack_file, AwsCalls())
    stack.origin_broken(PRIMARY, "error-status").apply()  # ... and the run is killed here: no undo
    stack.manifests_expired(SECONDARY).apply()
    with open(stack_file.ledger, "a") as ledger:
        ledger.write('{"event": "applying", "id": "torn')  # a write cut short by the kill
    assert world.bucket_policy(PRIMARY) != before
    dry = recover(stack_file, AwsCalls(dry_run=True))
    assert len(dry) == 2 and world.bucket_policy(PRIMARY) != before  # a dry run changes nothing
    results = recover(stack_file, AwsCalls())
    assert [r.error for r in results] == [None, None], [str(r) for r in results]
    assert world.bucket_policy(PRIMARY) == before
    assert not any(s["Sid"].startswith("FailoverDrill") for s in world.bucket_policy(SECONDARY)["Statement"])  # type: ignore[index]
    assert Ledger(stack_file.ledger, stack_file.name).outstanding() == []
    assert recover(stack_file, AwsCalls()) == []


def test_a_dry_run_prints_the_exact_calls_and_changes_nothing(fake_aws: None, tmp_path: Path) -> None:
    world = build_world(tmp_path, PLAYBACK)
    before = world.bucket_policy(PRIMARY)
    stack = AwsStack(load_stack_file(world.stack_file), AwsCalls(dry_run=True))
    plan = stack.rehearsal(stack.origin_broken(PRIMARY, "error-status"))
    assert plan is not None and len(plan) == 2
    assert plan[0].startswith("apply: s3.put_bucket_policy(region='us-east-1', Bucket='live-east-drill', Policy=")
    assert "FailoverDrillDenyAll" in plan[0] and "AllowCloudFrontRead" in plan[0]
    assert plan[1].startswith("undo: s3.put_bucket_policy(") and "FailoverDrillDenyAll" not in plan[1]
    assert world.bucket_policy(PRIMARY) == before
    assert not stack.ledger.path.exists()
    pause = stack.rehearsal(stack.pipeline_paused(PRIMARY, 0))
    assert pause is not None and "'Pipelines': [{'PipelineId': 'PIPELINE_0'}]" in pause[0] and "'Pipelines': []" in pause[1]
    assert schedule_of(world.channels[PRIMARY]) == []


class _Answers(BaseHTTPRequestHandler):
    """An S3 endpoint on loopback answering PutBucketPolicy from a script of (status, error code)."""

    script: list[tuple[int, str]] = []
    seen: list[str] = []

    def do_PUT(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, code = self.script.pop(0) if self.script else (204, "")
        self.seen.append(code or str(status))
        body = f"<Error><Code>{code}</Code><Message>scripted</Message></Error>".encode() if code else b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    "script,calls_made,succeeds",
    [
        ([(503, "SlowDown"), (503, "SlowDown")], 3, True),  # throttling: retried, then it goes through
        ([(500, "InternalError")], 2, True),  # a 5xx: retried
        ([(403, "AccessDenied")], 1, False),  # a refusal: never retried
    ],
    ids=["throttled", "server-error", "refused"],
)
def test_one_retry_policy_retries_transient_errors_only(
    script: list[tuple[int, str]], calls_made: int, succeeds: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each AWS call is retried by botocore's standard mode alone: nothing stacks a second retry on an undo."""
    server = HTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Answers.script, _Answers.seen = list(script), []
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    verb = BucketPolicyDeny(PRIMARY, "live-east-drill")
    try:
        calls = AwsCalls()
        client = calls.client("s3", PRIMARY)
        keep = {"Sid": "Keep", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::live-east-drill/*"}
        deny = {**keep, "Sid": "FailoverDrillDenyAll", "Effect": "Deny"}
        policies = [[deny, keep], [keep]]  # read before the undo's put, then read back after it

        def get_bucket_policy(**_: object) -> dict[str, str]:
            return {"Policy": json.dumps({"Version": "2012-10-17", "Statement": policies.pop(0) if len(policies) > 1 else policies[0]})}

        monkeypatch.setattr(client, "get_bucket_policy", get_bucket_policy)
        monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, context: 0)
        if succeeds:
            verb.undo(calls, VerbState())
        else:
            with pytest.raises(ClientError, match="AccessDenied"):
                verb.undo(calls, VerbState())
    finally:
        server.shutdown()
        server.server_close()
    assert len(_Answers.seen) == calls_made, _Answers.seen


def test_the_fault_injector_never_retries_an_undo() -> None:
    from fixtures.faults import FaultInjector
    from fixtures.stacks.base import Fault

    tries: list[int] = []

    def undo() -> None:
        tries.append(1)
        raise VerbError("the policy's other statements changed since the fault was applied")

    injector = FaultInjector()
    injector.apply(Fault("x", lambda: None, undo))
    with pytest.raises(RuntimeError, match="other statements changed"):
        injector.undo_all()
    assert tries == [1]
