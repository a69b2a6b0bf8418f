"""The dead-region expectation fails when a good answer came from the region made dead while the fault
held, and only then: answers after the undo began, errors from the dead region and answers before the
fault do not count."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from checks.timeline import FaultMark, Observation, ResourceKind, Timeline
from fixtures.verdict import served_only_by

MEANING = "the fault did not take"
T0 = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
MARK = FaultMark("switch to a dead region", T0, 10.0, 10.1, T0, 20.0, 20.1)


def _answer(sent: float, origin: str, status: int = 200, latency_s: float = 0.05) -> Observation:
    return Observation(T0, sent, "http://edge/live/p0/180p.m3u8", ResourceKind.SEGMENT, "p0/180p", status, None, latency_s, origin=origin)


def _result(*observations: Observation) -> Any:
    return SimpleNamespace(timeline=Timeline(tuple(observations), (MARK,)))


def test_a_good_answer_from_the_dead_region_during_the_fault_fails_it() -> None:
    with pytest.raises(AssertionError, match="1 good answer\\(s\\) came from west, not east.*the fault did not take"):
        served_only_by("east", MEANING)(_result(_answer(12.0, "east"), _answer(15.0, "west")))


@pytest.mark.parametrize(
    "observation",
    [
        _answer(5.0, "west"),  # before the fault
        _answer(15.0, "west", status=503),  # the dead region's error, which the edge failed over from
        _answer(19.99, "west", latency_s=0.05),  # sent during the fault, answered after the undo healed it
        _answer(21.0, "west"),  # after the undo began
    ],
    ids=["before", "error", "answered-after-undo", "after"],
)
def test_answers_outside_the_fault_or_errors_do_not_count(observation: Observation) -> None:
    served_only_by("east", MEANING)(_result(_answer(12.0, "east"), observation))
