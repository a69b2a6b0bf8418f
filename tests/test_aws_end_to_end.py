"""`--stack aws` end to end and offline: moto on loopback stands in for AWS, the emulator for the live stream.

The pytest runs under test are separate processes, as an operator's would be, so a killed run really
loses everything it held in memory and only the ledger is left to recover from.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from fixtures.emulator import EmulatedStack, StackConfig
from fixtures.ledger import Ledger
from tests.drill_runner import DrillRun, run_drill
from tests.emulator_client import wait_for
from tests.moto_world import FAKE_ENV, PRIMARY, SECRET_VALUE, Mirror, World, aws_client, build_world, moto_server, reset_moto

ROOT = Path(__file__).resolve().parent.parent
BREAK = "test_primary_origin_broken[error-status]"


@dataclass
class Offline:
    world: World
    env: dict[str, str]

    def drill(self, args: list[str], workdir: Path) -> DrillRun:
        return run_drill(["--stack", "aws", "--stack-file", str(self.world.stack_file), *args], workdir, env=self.env)

    def policy(self) -> dict[str, Any] | None:
        return self.world.bucket_policy(PRIMARY)

    def set_chaos(self, **chaos: Any) -> None:
        document = yaml.safe_load(self.world.stack_file.read_text())
        document["chaos"] = chaos
        self.world.stack_file.write_text(yaml.safe_dump(document))


# One block on one worker: each worker that ran a test of this module started its own emulator and moto server and
# imported moto's backends, about 10 s on a loaded machine, and work stealing had spread the module over all six.
pytestmark = pytest.mark.together


@pytest.fixture(scope="module")
def loopback() -> Iterator[tuple[EmulatedStack, str]]:
    """One emulated stream and one moto server for the module (per xdist worker); no test changes the stream,
    and each test empties moto before building its own world, so only the start-ups are shared."""
    emulator = EmulatedStack(StackConfig.local())
    emulator.start()
    try:
        with moto_server() as endpoint:
            yield emulator, endpoint
    finally:
        emulator.stop()


@pytest.fixture
def offline(loopback: tuple[EmulatedStack, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Offline]:
    emulator, endpoint = loopback
    env = {**FAKE_ENV, "AWS_ENDPOINT_URL": endpoint}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    reset_moto(endpoint)
    world = build_world(tmp_path, emulator.playback_url)
    with Mirror(emulator):
        yield Offline(world, {**os.environ, **env})


@pytest.mark.takes(20)
def test_preflight_passes_end_to_end_and_the_secret_never_leaves_secrets_manager(offline: Offline, tmp_path: Path) -> None:
    run = offline.drill(["-m", "preflight", "-o", "log_cli=true", "--log-cli-level=DEBUG"], tmp_path)
    outcomes = {name: case.outcome for name, case in run.cases.items()}
    assert run.returncode == 0, run.output[-4000:]
    assert outcomes == {
        "test_viewer_sees_a_healthy_live_stream": "passed",
        "test_both_regions_serve_the_same_epoch_locked_numbering": "passed",
        "test_control_plane_is_configured_for_failover": "passed",
        "test_index_lists_both_pipelines_renditions": "passed",
        "test_edge_answers_with_cors_headers": "passed",
    }, run.output[-3000:]
    outputs = [run.output, *(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".yaml")]
    assert len(outputs) >= 4  # the run's output, JUnit, a timeline artifact and the HTML report
    assert not [text[:200] for text in outputs if SECRET_VALUE in text]


@pytest.mark.takes(20)
def test_a_misbuilt_stack_fails_preflight_naming_the_setting(offline: Offline, tmp_path: Path) -> None:
    
    cloudfront = aws_client("cloudfront", PRIMARY)
    current = cloudfront.get_distribution_config(Id=offline.world.distribution_id)
    config = current["DistributionConfig"]
    config["OriginGroups"]["Items"][0]["FailoverCriteria"]["StatusCodes"] = {"Quantity": 2, "Items": [502, 503]}
    cloudfront.update_distribution(Id=offline.world.distribution_id, IfMatch=current["ETag"], DistributionConfig=config)
    cloudfront.get_distribution(Id=offline.world.distribution_id)
    run = offline.drill(["-m", "preflight", "-k", "control_plane"], tmp_path)
    case = run.cases["test_control_plane_is_configured_for_failover"]
    assert case.outcome == "failed" and "FailoverCriteria.StatusCodes lack [403, 404, 500, 504]" in case.message, run.output[-3000:]
    command = subprocess.run([sys.executable, "-m", "fixtures.aws", "preflight", "--stack-file", str(offline.world.stack_file)],
                             cwd=ROOT, env=offline.env, capture_output=True, text=True, timeout=60, check=False)
    assert command.returncode == 1 and "PROBLEM CloudFront distribution" in command.stdout and "1 problem(s)" in command.stdout


def test_without_allow_chaos_every_fault_scenario_is_skipped_and_nothing_changes(offline: Offline, tmp_path: Path) -> None:
    before = offline.policy()
    run = offline.drill(["-m", "chaos"], tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert {c.outcome for c in run.cases.values()} == {"skipped"}
    assert "needs --allow-chaos" in run.cases[BREAK].message
    assert offline.policy() == before and not offline.world.stack_file.with_name("drill-world.ledger.jsonl").exists()


@pytest.mark.parametrize(
    "chaos,words",
    [
        ({"allowed": False}, "chaos.allowed is not true"),
        ({"allowed": True, "blackout_windows": [{"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z", "reason": "the final"}]},
         "inside the blackout window 2000-01-01 00:00..2100-01-01 00:00 UTC (the final)"),
    ],
)
def test_chaos_is_refused_by_the_stack_file(chaos: dict[str, Any], words: str, offline: Offline, tmp_path: Path) -> None:
    offline.set_chaos(**chaos)
    before = offline.policy()
    run = offline.drill(["--allow-chaos", "-k", "origin_broken and error"], tmp_path)
    case = run.cases[BREAK]
    assert run.returncode == 1 and case.outcome == "error" and words in case.message, run.output[-3000:]
    assert offline.policy() == before


@pytest.mark.takes(20)
def test_a_dry_run_prints_each_call_and_makes_none(offline: Offline, tmp_path: Path) -> None:
    before = offline.policy()
    run = offline.drill(["--dry-run", "-k", "origin_broken and error or pipeline_0_paused", "-rs"], tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert "apply: s3.put_bucket_policy(region='us-east-1', Bucket='live-east-drill'" in run.output
    assert "apply: medialive.batch_update_schedule(region='us-east-1'" in run.output and "'Pipelines': []" in run.output
    assert offline.policy() == before


def _start_chaos_run(offline: Offline, workdir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "scenarios", "-p", "no:cacheprovider", "-q", "--stack", "aws",
         "--stack-file", str(offline.world.stack_file), "--allow-chaos", "-k", "origin_broken and error",
         f"--junitxml={workdir / 'junit.xml'}"],
        cwd=ROOT, env=offline.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )


def _statement_ids(offline: Offline) -> list[str]:
    return [s.get("Sid", "") for s in (offline.policy() or {}).get("Statement", [])]


@pytest.mark.takes(20)
def test_a_run_killed_mid_fault_is_put_right_by_the_recover_command(offline: Offline, tmp_path: Path) -> None:
    before = offline.policy()
    run = _start_chaos_run(offline, tmp_path)
    try:
        wait_for(lambda: "FailoverDrillDenyAll" in _statement_ids(offline), timeout_s=60, what="the fault to be applied", every_s=0.2)
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # no teardown, no finally, no atexit: only the ledger survives
        output, _ = run.communicate(timeout=30)
    assert "FailoverDrillDenyAll" in _statement_ids(offline), output
    stack_file = offline.world.stack_file
    ledger = Ledger(stack_file.with_name("drill-world.ledger.jsonl"), "drill-world")
    assert [e.verb for e in ledger.outstanding()] == ["bucket_policy_deny"]

    refused = offline.drill(["--allow-chaos", "-k", "origin_broken and error"], tmp_path / "again")
    assert "killed run left applied" in refused.cases[BREAK].message and "./drill recover --stack-file" in refused.cases[BREAK].message

    recover = subprocess.run([str(ROOT / "drill"), "recover", "--stack-file", str(stack_file)], cwd=ROOT, env=offline.env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert recover.returncode == 0, recover.stdout + recover.stderr
    assert "deny s3:GetObject on bucket live-east-drill (us-east-1)" in recover.stdout and "1 fault(s) undone, 0 not" in recover.stdout
    assert offline.policy() == before
    assert ledger.outstanding() == []


@pytest.mark.takes(20)
def test_sigterm_during_a_fault_still_undoes_it(offline: Offline, tmp_path: Path) -> None:
    before = offline.policy()
    run = _start_chaos_run(offline, tmp_path)
    try:
        wait_for(lambda: "FailoverDrillDenyAll" in _statement_ids(offline), timeout_s=60, what="the fault to be applied", every_s=0.2)
        run.send_signal(signal.SIGTERM)  # what a CI cancel sends
        output, _ = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode != 0
    assert offline.policy() == before, output[-3000:]
    assert Ledger(offline.world.stack_file.with_name("drill-world.ledger.jsonl"), "drill-world").outstanding() == []
    assert json.dumps(before)  # the policy is intact, not deleted


def test_the_preflight_command_without_credentials_says_so_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true"}
    command = subprocess.run([sys.executable, "-m", "fixtures.aws", "preflight", "--stack-file",
                              str(ROOT / "docs" / "stack-file.example.yaml")],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert command.returncode == 2 and "Traceback" not in command.stderr, command.stderr[-2000:]
    assert command.stderr.strip() == ("error: AWS: Unable to locate credentials; set AWS_PROFILE or credentials "
                                      "the standard boto3 way")
