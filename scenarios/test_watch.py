"""Watch any live URL, read-only: before the event, or during it as a monitor."""

from __future__ import annotations

import pytest

from fixtures.drill import Drill, Phases
from fixtures.settings import DrillSettings
from fixtures.verdict import AVAILABILITY, CONTINUITY, EPOCH_LOCK, FRESHNESS, assert_no_findings, assert_stalls_within_allowance


@pytest.mark.watch
def test_watch(drill: Drill, drill_settings: DrillSettings) -> None:
    """Steady state: the stream as viewers get it, for --watch-segments segment lengths.
    Fault: none (read-only).
    Expect: continuity, freshness, availability and epoch lock hold throughout, and a player never stalls.
    """
    result = drill.run("watch", phases=Phases(steady=drill_settings.watch_segments))
    assert_no_findings(result, CONTINUITY | EPOCH_LOCK | FRESHNESS | AVAILABILITY, "the stream misbehaved while watched")
    assert_stalls_within_allowance(result)
