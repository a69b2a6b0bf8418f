"""The quality-drop scenario's "no HTTP error anywhere" expectation fails on one error, answered or not, and
only then: MQAR moves viewers by score alone, so any error means the edge fell back on failover codes."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from checks.timeline import Observation, ResourceKind, Timeline
from scenarios.test_mediapackage import _no_http_error

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)


def _answer(sent: float, status: int | None = 200, error: str | None = None) -> Observation:
    return Observation(T0, sent, "http://edge/live/p0/180p.m3u8", ResourceKind.MEDIA_PLAYLIST, "p0/180p", status, error, 0.05,
                       origin="east" if status else None)


def _result(*observations: Observation) -> Any:
    return SimpleNamespace(timeline=Timeline(tuple(observations)))


@pytest.mark.parametrize(
    "failed,words",
    [(_answer(15.0, 503), "HTTP 503"), (_answer(15.0, 404), "HTTP 404"), (_answer(15.0, None, "connection refused"), "refused")],
    ids=["503", "404", "no-answer"],
)
def test_one_error_during_a_quality_drop_fails_it(failed: Observation, words: str) -> None:
    with pytest.raises(AssertionError, match=f"1 request\\(s\\) failed \\(.*{words}.*by score alone"):
        _no_http_error(_result(_answer(12.0), failed, _answer(18.0)))


def test_a_drop_with_every_request_answered_passes() -> None:
    _no_http_error(_result(_answer(12.0), _answer(15.0), _answer(18.0, 304)))
