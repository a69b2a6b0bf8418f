"""Watch any live URL, read-only: before the event, or during it as a monitor; every channel of an event at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures.drill import Drill, Phases, ScenarioResult
from fixtures.plugin import SETTINGS
from fixtures.settings import DrillSettings
from fixtures.verdict import AVAILABILITY, CONTINUITY, EPOCH_LOCK, FRESHNESS, assert_no_findings, assert_stalls_within_allowance
from fixtures.viewer import StartFailures
from fixtures.watch_streams import StreamWatch, record


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test case per stream, test_watch[NAME], when --stack url watches several (or a streams file names them)."""
    settings = metafunc.config.stash[SETTINGS]
    if "stream_name" in metafunc.fixturenames and settings.streams_named:
        names = [s.name for s in settings.streams]
        metafunc.parametrize("stream_name", names, ids=names, scope="function")


@pytest.fixture
def stream_name(drill_settings: DrillSettings) -> str | None:
    """The one stream of a plain --stack url watch; None on a stack with a control plane."""
    return drill_settings.streams[0].name if drill_settings.streams else None


@pytest.fixture(scope="module")
def stream_watch(drill_settings: DrillSettings, start_failures: StartFailures) -> Iterator[StreamWatch]:
    """Every stream's viewer, started together the first time a case asks; each case judges its own stream."""
    yield StreamWatch(drill_settings.streams, drill_settings.watch_segments, fetch_segments=drill_settings.watch_mode == "segments",
                      start_failures=start_failures)


@pytest.mark.watch
def test_watch(drill: Drill, drill_settings: DrillSettings, stream_name: str | None, request: pytest.FixtureRequest) -> None:
    """Steady state: the stream as viewers get it, for --watch-segments segment lengths (every stream at once).
    Fault: none (read-only).
    Expect: continuity, freshness, availability and epoch lock hold throughout, in every rendition (audio and
    subtitles included), and a player never stalls (not judged with --watch-mode playlists: no segment is fetched).
    """
    result: ScenarioResult
    # A real player or a crowd beside the viewer comes with Drill.run, for one stream; many streams are watched together.
    beside = drill_settings.player != "none" or drill_settings.swarm is not None
    if stream_name is None or (beside and not drill_settings.streams_named):
        result = drill.run("watch", phases=Phases(steady=drill_settings.watch_segments))
    else:
        watch: StreamWatch = request.getfixturevalue("stream_watch")
        result = watch.result(stream_name, drill.progress)
        record(result, drill.record_property)
        drill.on_result(result)
    assert_no_findings(result, CONTINUITY | EPOCH_LOCK | FRESHNESS | AVAILABILITY, "the stream misbehaved while watched")
    if drill_settings.watch_mode == "segments":
        assert_stalls_within_allowance(result)
