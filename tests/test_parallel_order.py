"""A parallel drill starts its longest scenarios first on every worker; a serial drill keeps the files' order."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.drill import Phases
from fixtures.emulator.origin import OriginKind
from fixtures.parallel_order import deal_longest_first
from fixtures.plugin import scenario_phases
from fixtures.routing import RoutingMode
from fixtures.scenario_needs import Needs
from tests.drill_runner import ROOT

pytest_plugins = ["pytester"]


def test_blocks_are_dealt_heaviest_first_round_robin() -> None:
    """Each worker's contiguous slice of the order begins with its share of the heaviest blocks."""
    blocks = [["viewer"], ["paused"], ["cors"], ["refuse"], ["lost", "lost-2"], ["stopped"]]
    weights = {"viewer": 4, "paused": 13, "cors": 0, "refuse": 10, "lost": 13, "stopped": 6}
    order = deal_longest_first(blocks, 2, lambda block: sum(weights.get(item, 0) for item in block))
    assert order == ["paused", "refuse", "viewer", "lost", "lost-2", "stopped", "cors"]
    assert deal_longest_first(blocks, 1, lambda block: weights[block[0]]) == [
        "paused", "lost", "lost-2", "refuse", "stopped", "viewer", "cors"
    ]


class _Collected:
    """Pretends to be a pytest-xdist worker of ``workers`` (as xdist sets ``config.workerinput``) and keeps the
    order collection ends with."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.names: list[str] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        if self.workers > 1:
            config.workerinput = {"workercount": self.workers}  # type: ignore[attr-defined]

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.names = [item.name for item in session.items]


def _collect(workers: int, monkeypatch: pytest.MonkeyPatch, reports: Path, *args: str) -> list[str]:
    monkeypatch.chdir(ROOT)
    collected = _Collected(workers)
    code = pytest.main(
        ["-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT), str(ROOT / "scenarios"), "-p", "no:cacheprovider",
         "--collect-only", "-q", f"--reports-dir={reports}", *args],  # its (empty) JUnit file not over the user's
        plugins=[collected],
    )
    assert code == pytest.ExitCode.OK
    return collected.names


LONGEST = {"test_pipeline_0_paused_in_primary_region", "test_pipeline_0_lost_in_both_regions", "test_whole_primary_region_lost"}
KVS = {"test_planned_switch_over_to_the_secondary_region_and_back", "test_switch_to_a_dead_region_is_carried_to_the_live_one"}
INSTANT = {"test_control_plane_is_configured_for_failover", "test_edge_answers_with_cors_headers", "test_every_prefix_reaches_its_origin",
           "test_index_lists_both_pipelines_renditions", "test_both_regions_serve_the_same_epoch_locked_numbering"}


@pytest.mark.takes(4)
def test_a_parallel_drill_starts_the_longest_scenarios_first_on_every_worker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Three workers' slices of 19 are 6, 6 and 7 long (xdist cuts 19 // 3, then 13 // 2, then the rest): each
    begins with a scenario of 13 L and ends with a read-only check, over in a moment. Scenarios the stack does not
    drill (their needs marker) skip at once, so they count as over in a moment too."""
    serial = _collect(1, monkeypatch, tmp_path)
    parallel = _collect(3, monkeypatch, tmp_path)
    assert sorted(parallel) == sorted(serial)
    assert serial[0] == "test_channel_stopped_is_reported_as_endlist"  # the files' order, unchanged
    assert {parallel[0], parallel[6], parallel[12]} == LONGEST, parallel
    assert {parallel[5], parallel[11], parallel[18]} <= INSTANT | KVS, parallel
    kvs = _collect(3, monkeypatch, tmp_path, "--routing", "kvs")
    assert KVS <= {kvs[0], kvs[1], kvs[6], kvs[7], kvs[12], kvs[13]}, kvs  # with the three above: five of 13 L, one of 12


def test_a_scenario_holds_the_phases_and_needs_its_markers_declare(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.phases(steady=1, fault=3, recovery=2)
        def test_marked(): pass

        def test_unmarked(): pass

        @pytest.mark.phases(steady=1, faults=3)
        def test_misspelt(): pass

        @pytest.mark.needs(routing="kvs")
        def test_kvs(): pass

        @pytest.mark.needs(routing="dns")
        def test_unknown_routing(): pass
        """
    )
    items = {item.name: item for item in pytester.getitems(pytester.path)}
    assert scenario_phases(items["test_marked"]) == Phases(steady=1, fault=3, recovery=2)
    assert scenario_phases(items["test_marked"]).total == 6
    assert scenario_phases(items["test_unmarked"]) == Phases()
    with pytest.raises(pytest.UsageError, match="test_misspelt: @pytest.mark.phases takes steady, fault and recovery"):
        scenario_phases(items["test_misspelt"])
    assert Needs.of(items["test_kvs"]) == Needs(routing=RoutingMode.KVS)
    assert Needs.of(items["test_kvs"]).met_by_local(RoutingMode.KVS, OriginKind.S3)
    assert not Needs.of(items["test_kvs"]).met_by_local(RoutingMode.ORIGIN_GROUP, OriginKind.S3)
    assert Needs.of(items["test_marked"]).met_by_local(RoutingMode.PATH_PREFIX, OriginKind.MEDIAPACKAGE_V2)
    with pytest.raises(pytest.UsageError, match=r"test_unknown_routing: @pytest.mark.needs takes routing= \(origin-group, kvs, path-prefix\)"):
        Needs.of(items["test_unknown_routing"])
