"""Property-based tests: continuity invariants hold for any well-behaved sliding window, and break
exactly when a window misbehaves."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from checks.continuity import continuity
from checks.findings import Code, Severity
from tests.scripted import Script, media_playlist

R = "p0/low.m3u8"
BASE_SEQUENCE = 1_795_262_000

# Each poll: how far the window start moved (0 = unchanged), the window size, and which origin answered.
polls = st.lists(
    st.tuples(st.integers(0, 3), st.integers(3, 8), st.sampled_from(["primary", "secondary"])),
    min_size=2,
    max_size=25,
)


def _windows(steps: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Turn steps into (first, size, origin) windows that never skip a segment and never drop one they listed
    from their end (RFC 8216 6.2.2: only the oldest segments may leave a playlist)."""
    windows = []
    first, last = BASE_SEQUENCE, BASE_SEQUENCE - 1
    for advance, size, origin in steps:
        first = min(first + advance, last + 1)  # never start beyond one past what was listed
        size = max(size, last - first + 1)  # never end before what was listed
        windows.append((first, size, origin))
        last = max(last, first + size - 1)
    return windows


def _script(windows: list[tuple[int, int, str]], rename: int | None = None) -> Script:
    s = Script()
    for i, (first, size, origin) in enumerate(windows):
        name = (lambda n: f"x_{n}.ts") if i == rename else (lambda n: f"seg_{n}.ts")
        s.playlist(i * 0.5, R, media_playlist(first, size, name=name), origin=origin)
    return s


@settings(max_examples=150, deadline=None)
@given(polls)
def test_well_behaved_windows_never_raise_a_continuity_error(steps: list[tuple[int, int, str]]) -> None:
    findings = continuity(_script(_windows(steps)).timeline())
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    # The only thing worth a word: a window that ends one segment earlier just as the origin changed.
    assert {f.code for f in findings} <= {Code.MEDIA_SEQUENCE_STEPPED_BACK}


@settings(max_examples=100, deadline=None)
@given(polls, st.data())
def test_any_decrease_is_caught(steps: list[tuple[int, int, str]], data: st.DataObject) -> None:
    windows = _windows(steps)
    index = data.draw(st.integers(1, len(windows) - 1))
    first, size, origin = windows[index]
    back = data.draw(st.integers(1, 5))
    windows[index] = (windows[index - 1][0] - back, size, origin)
    findings = continuity(_script(windows).timeline())
    codes = {f.code for f in findings}
    before_first, before_size, before_origin = windows[index - 1]
    before_last, last = before_first + before_size - 1, windows[index][0] + size - 1
    one_step_at_a_switch = back == 1 and origin != before_origin and 0 <= before_last - last <= 1
    if one_step_at_a_switch:
        assert Code.MEDIA_SEQUENCE_STEPPED_BACK in codes and Code.MEDIA_SEQUENCE_DECREASED not in codes
    else:
        assert Code.MEDIA_SEQUENCE_DECREASED in codes


@settings(max_examples=100, deadline=None)
@given(polls, st.data())
def test_any_skipped_segment_is_caught(steps: list[tuple[int, int, str]], data: st.DataObject) -> None:
    windows = _windows(steps)
    index = data.draw(st.integers(1, len(windows) - 1))
    highest = max(f + s - 1 for f, s, _ in windows[:index])
    jump = data.draw(st.integers(2, 6))
    shifted = [(highest + jump, size, origin) for _, size, origin in windows[index:]]
    codes = {f.code for f in continuity(_script(windows[:index] + shifted).timeline())}
    assert Code.SEGMENT_GAP in codes


@settings(max_examples=100, deadline=None)
@given(polls, st.data())
def test_any_renamed_segment_is_caught(steps: list[tuple[int, int, str]], data: st.DataObject) -> None:
    windows = _windows(steps)
    index = data.draw(st.integers(1, len(windows) - 1))
    first, size, _ = windows[index]
    renamed = set(range(first, first + size))
    elsewhere = {n for i, (f, k, _) in enumerate(windows) if i != index for n in range(f, f + k)}
    codes = {f.code for f in continuity(_script(windows, rename=index).timeline())}
    assert (Code.SEGMENT_URI_CHANGED in codes) == bool(renamed & elsewhere)
