"""Wiring only: command-line options and the fixtures the drill and its self-tests stand on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fixtures import redaction
from fixtures.drill import Drill, ScenarioResult
from fixtures.emulator import EmulatedStack, StackConfig
from fixtures.faults import FaultInjector, install_sigterm_handler
from fixtures.player.hlsjs import HlsJsPlayer
from fixtures.reporting import html as html_report
from fixtures.reporting.artifact import ScenarioRecord, to_document, write_artifact
from fixtures.reporting.summary import render
from fixtures.settings import DrillSettings, add_options, resolve
from fixtures.stacks.base import DryRun, FaultUnavailable, Stack


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    redaction.install()  # before anything can log a secret
    config.stash[SETTINGS] = resolve(config)
    install_sigterm_handler()


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[SETTINGS].header()


SETTINGS = pytest.StashKey[DrillSettings]()


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Iterator[Any]:
    """A fault this stack cannot make, or a dry run's printed plan, skips the scenario with the reason."""
    try:
        return (yield)
    except FaultUnavailable as exc:
        pytest.skip(f"not possible on this stack: {exc}")
    except DryRun as exc:
        reporter = pyfuncitem.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"\n  [dry run] {exc.fault}:")
            for call in exc.calls:
                reporter.write_line(f"    {call}")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def drill_settings(pytestconfig: pytest.Config) -> DrillSettings:
    return pytestconfig.stash[SETTINGS]


@pytest.fixture(scope="session")
def stack(drill_settings: DrillSettings) -> Iterator[Stack]:
    """The stack under test, chosen with --stack; only the chosen backend is imported."""
    chosen: Stack
    if drill_settings.stack == "aws":
        from fixtures.aws.calls import AwsCalls
        from fixtures.stacks.aws import AwsStack

        assert drill_settings.stack_file is not None
        chosen = AwsStack(drill_settings.stack_file, AwsCalls(dry_run=drill_settings.dry_run), allow_chaos=drill_settings.allow_chaos)
    elif drill_settings.stack == "url":
        from fixtures.stacks.url import UrlStack

        assert drill_settings.playback_url and drill_settings.segment_length_s
        chosen = UrlStack(drill_settings.playback_url, drill_settings.segment_length_s, drill_settings.attribution_header)
    else:
        from fixtures.stacks.local import LocalStack

        chosen = LocalStack(drill_settings.segment_length_s or 1.0, drill_settings.misconfigurations)
    try:
        yield chosen
    finally:
        chosen.close()


@pytest.fixture(scope="session")
def player(drill_settings: DrillSettings) -> Iterator[HlsJsPlayer | None]:
    """hls.js in one headless Chromium for the session (--player hlsjs), or None."""
    if drill_settings.player != "hlsjs":
        yield None
        return
    from fixtures.player.hlsjs import HlsJsPlayer, PlayerUnavailable

    try:
        chosen = HlsJsPlayer()
        chosen.start()
    except PlayerUnavailable as exc:
        pytest.exit(str(exc), returncode=4)
    try:
        yield chosen
    finally:
        chosen.close()


@pytest.fixture
def faults() -> Iterator[FaultInjector]:
    """Every fault a test applies is undone at teardown: pass, failure, error, Ctrl-C or SIGTERM."""
    injector = FaultInjector()
    try:
        yield injector
    finally:
        injector.undo_all()


RECORDS = pytest.StashKey[dict[str, ScenarioRecord]]()


@pytest.fixture
def drill(stack: Stack, faults: FaultInjector, player: HlsJsPlayer | None, request: pytest.FixtureRequest, record_property) -> Drill:  # type: ignore[no-untyped-def]
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")

    def progress(line: str) -> None:
        if reporter is not None and request.config.get_verbosity() >= 0:
            reporter.write_line(f"  [drill] {line}")

    def keep(result: ScenarioResult) -> None:
        request.config.stash.setdefault(RECORDS, {})[request.node.nodeid] = ScenarioRecord(request.node.nodeid, result)

    return Drill(stack, faults, progress, record_property, keep, player=player)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """Give each scenario's record its verdict, and write its timeline artifact once the test is over."""
    report = yield
    record = item.config.stash.get(RECORDS, {}).get(item.nodeid)
    if record is not None:
        if report.when == "call" or report.failed:
            record.outcome = "error" if report.failed and report.when != "call" else report.outcome
            record.message = report.longreprtext.splitlines()[-1][:300] if report.failed and report.longreprtext else ""
        if report.when == "teardown":
            write_artifact(record, item.config.stash[SETTINGS].reports_dir / "timelines")
    return report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The verdict in ten seconds: a row per scenario, and where the pictures are."""
    records = list(config.stash.get(RECORDS, {}).values())
    if records:
        reports = config.stash[SETTINGS].reports_dir
        report = reports / "drill-report.html"
        report.write_text(html_report.render([to_document(r) for r in records]))
        terminalreporter.section("failover drill summary")
        for line in render(records):
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"timelines: {reports / 'timelines'}   report: {report}")


@pytest.fixture(scope="session")
def emulated_stack() -> Iterator[EmulatedStack]:
    """The built-in two-region stack on free 127.0.0.1 ports, answering before the first test."""
    emulator = EmulatedStack(StackConfig.local())
    try:
        emulator.start()
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def chaos_stack(stack: Stack, drill_settings: DrillSettings) -> Stack:
    """The stack, for scenarios that inject faults: skipped where there is no control plane or chaos was
    not asked for; an error where it was asked for and refused (blackout, failed preflight, leftovers)."""
    if not stack.has_control_plane:
        pytest.skip(f"chaos needs a control plane; {stack.describe()} is read-only")
    if drill_settings.dry_run:
        return stack  # a dry run changes nothing, so it needs no permission
    refusal = stack.chaos_refusal()
    if refusal is not None:
        if not drill_settings.allow_chaos and drill_settings.stack != "local":
            pytest.skip(refusal)
        pytest.fail(f"chaos refused on {stack.describe()}: {refusal}", pytrace=False)
    return stack
