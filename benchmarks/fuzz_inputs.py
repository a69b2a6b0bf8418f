"""Benchmark (not a test): bad input at scale. Generated malformed stack files, playlists, segments and
HTTP answers go through the stack-file loader, the parsers and the checks; it prints how many raised
anything other than a clear error or a finding (target: 0).

    ./drill benchmark fuzz [--examples 10000] [--seed 0]

A clear error is the one the code promises for bad input, in one line: ``StackFileError`` from the
loader, ``PlaylistUnreadable`` from the playlist parser, ``SegmentUnreadable`` from the segment reader.
The checks must never raise at all: a bad answer is a finding. The self-tests run a small sample of
the same generators (tests/test_fuzz_inputs.py).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from checks import CheckSettings, run_checks
from checks.failover import measure_failover
from checks.hls_parse import PlaylistUnreadable, parse_media_playlist, parse_multivariant
from checks.mpegts import SegmentUnreadable, first_pts
from checks.playback import simulate_playback
from checks.timeline import FaultMark, Observation, ResourceKind, ResponseHeaders, SegmentBody, Timeline
from fixtures.aws.stack_file import StackFileError, load_stack_file

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = yaml.safe_load((ROOT / "docs" / "stack-file.example.yaml").read_text())
T0 = datetime(2026, 11, 21, 12, tzinfo=timezone.utc)
PLAYLIST = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:1795262400
#EXT-X-DISCONTINUITY-SEQUENCE:0
#EXT-X-PROGRAM-DATE-TIME:2026-11-21T12:00:00.000Z
#EXTINF:1.000,
seg_1795262400.ts
#EXT-X-PROGRAM-DATE-TIME:2026-11-21T12:00:01.000Z
#EXTINF:1.000,
seg_1795262401.ts
#EXT-X-DISCONTINUITY
#EXTINF:1.000,
seg_1795262402.ts
"""
MULTIVARIANT = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=200000,RESOLUTION=320x180,CODECS="avc1.42c00d"\np0/180p.m3u8\n'

junk = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True), st.text(max_size=40),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=8), st.integers(), max_size=2),
                 st.datetimes(), st.binary(max_size=10))


@dataclass
class Tally:
    """How each input fared: 'clear' (a promised error or a finding), 'accepted', or the unexpected."""

    outcomes: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)

    def bad(self, what: str, exc: BaseException) -> None:
        self.outcomes[f"{what}: unexpected"] += 1
        if len(self.unexpected) < 10:
            self.unexpected.append(f"{what}: {exc.__class__.__name__}: {str(exc)[:200]}")


# stack files ------------------------------------------------------------------------------------

def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _paths(value, (*prefix, index))
    return found


def _mutated(document: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    import copy

    document = copy.deepcopy(document)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif action == "extra" and isinstance(parent, dict):
        parent[f"{last}_typo"] = value
    else:
        parent[last] = value
    return document


stack_files = st.one_of(
    st.builds(
        lambda choice, action, value: _mutated(EXAMPLE, choice, action, value),
        st.sampled_from(_paths(EXAMPLE)), st.sampled_from(["delete", "replace", "extra"]), junk,
    ),
    st.text(max_size=200),  # not YAML at all, or YAML of the wrong shape
)


def try_stack_file(candidate: Any, tally: Tally, directory: Path) -> None:
    path = directory / f"{hashlib.sha256(repr(candidate).encode()).hexdigest()[:16]}.yaml"
    try:
        path.write_text(candidate if isinstance(candidate, str) else yaml.safe_dump(candidate))
    except yaml.YAMLError:
        return  # a value YAML itself cannot write is no stack file anyone could have
    try:
        load_stack_file(path)
        tally.outcomes["stack file: accepted"] += 1
    except StackFileError as exc:
        if "\n" in str(exc):
            tally.bad("stack file (multi-line error)", exc)
        else:
            tally.outcomes["stack file: clear error"] += 1
    except Exception as exc:  # noqa: BLE001 (what this benchmark counts)
        tally.bad("stack file", exc)
    finally:
        path.unlink(missing_ok=True)


# playlists ------------------------------------------------------------------------------------

def _edit(text: str, edits: list[tuple[int, str]]) -> str:
    lines = text.splitlines()
    for index, replacement in edits:
        if lines:
            lines[index % len(lines)] = replacement
    return "\n".join(lines) + "\n"


playlists = st.one_of(
    st.builds(_edit, st.sampled_from([PLAYLIST, MULTIVARIANT]),
              st.lists(st.tuples(st.integers(0, 40), st.text(max_size=40)), min_size=1, max_size=4)),
    st.builds(lambda cut: PLAYLIST[:cut], st.integers(0, len(PLAYLIST))),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
)


def try_playlist(text: str, tally: Tally) -> Any:
    body = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    parsed = None
    for parse in (parse_media_playlist, parse_multivariant):
        try:
            parsed = parse(body, "https://edge.test/live/p0/180p.m3u8")
            tally.outcomes["playlist: parsed"] += 1
        except PlaylistUnreadable:
            tally.outcomes["playlist: clear error"] += 1
        except Exception as exc:  # noqa: BLE001
            tally.bad(f"playlist ({parse.__name__})", exc)
    return parsed


# segments -------------------------------------------------------------------------------------

segments = st.one_of(st.binary(max_size=800), st.lists(st.binary(min_size=188, max_size=188), max_size=4).map(
    lambda packets: b"".join(b"\x47" + p[1:] for p in packets)))


def try_segment(body: bytes, tally: Tally) -> None:
    try:
        first_pts(body)
        tally.outcomes["segment: read"] += 1
    except SegmentUnreadable:
        tally.outcomes["segment: clear error"] += 1
    except Exception as exc:  # noqa: BLE001
        tally.bad("segment", exc)


# HTTP answers into the checks -------------------------------------------------------------------

answers = st.lists(
    st.tuples(
        st.sampled_from(list(ResourceKind)), st.one_of(st.none(), st.integers(0, 999)), st.floats(0, 30), playlists,
        st.sampled_from([None, "primary", "secondary", "elsewhere"]), st.integers(1795262390, 1795262420),
    ),
    min_size=1, max_size=12,
)


PARSERS: dict[ResourceKind, Callable[[bytes, str], Any]] = {
    ResourceKind.MEDIA_PLAYLIST: parse_media_playlist,
    ResourceKind.MULTIVARIANT: parse_multivariant,
}


def try_answers(items: list[tuple[Any, ...]], tally: Tally) -> None:
    observations = []
    for index, (kind, status, latency, text, origin, sequence) in enumerate(items):
        media = multivariant = segment = None
        problem = None
        if kind in PARSERS and status == 200:
            try:
                parsed = PARSERS[kind](text.encode("utf-8", "surrogatepass"), "https://edge.test/live/p0/180p.m3u8")
            except PlaylistUnreadable as exc:
                problem = str(exc)
            except Exception as exc:  # noqa: BLE001
                tally.bad(f"answer {kind.value}", exc)
                return
            else:
                media, multivariant = (parsed, None) if kind is ResourceKind.MEDIA_PLAYLIST else (None, parsed)
        if kind is ResourceKind.SEGMENT and status == 200:
            segment = SegmentBody(100, "0" * 64, (sequence * 90_000) % (1 << 33))
        observations.append(Observation(
            wall_time=T0 + timedelta(seconds=index * 0.5), monotonic=1000 + index * 0.5, url=f"https://edge.test/{index}",
            kind=kind, rendition=None if kind is ResourceKind.MULTIVARIANT else "p0/180p.m3u8",
            status=status, error=None if status is not None else "connection failed: Connection refused",
            latency_s=latency, headers=ResponseHeaders(), origin=origin,
            sequence=sequence if kind is ResourceKind.SEGMENT else None,
            media_playlist=media, multivariant=multivariant, segment=segment, problem=problem,
        ))
    mark = FaultMark("fuzz", T0 + timedelta(seconds=1), 1001.0, 1001.0, T0 + timedelta(seconds=3), 1003.0, 1003.0)
    timeline = Timeline(tuple(observations), (mark,))
    try:
        run_checks(timeline, CheckSettings(segment_length_s=1.0, primary="primary", secondary="secondary",
                                           failover_budget_s=2.0, failback_budget_s=2.0))
        simulate_playback(timeline)
        measure_failover(timeline, mark, primary="primary", secondary="secondary")
        tally.outcomes["answers: judged"] += 1
    except Exception as exc:  # noqa: BLE001
        tally.bad("checks", exc)


def run(examples: int, random_seed: int = 0) -> Tally:
    """Feed ``examples`` of each kind of input through the code; count what was not a clear error or a finding."""
    tally = Tally()
    directory = Path(tempfile.mkdtemp(prefix="fuzz-stack-files-"))
    config = settings(max_examples=examples, database=None, deadline=None, derandomize=False,
                      suppress_health_check=list(HealthCheck))

    def feed(strategy: st.SearchStrategy[Any], check: Callable[[Any], None]) -> None:
        @seed(random_seed)
        @config
        @given(strategy)
        def one(value: Any) -> None:
            check(value)

        one()

    feed(stack_files, lambda value: try_stack_file(value, tally, directory))
    feed(playlists, lambda value: try_playlist(value, tally))
    feed(segments, lambda value: try_segment(value, tally))
    feed(answers, lambda value: try_answers(value, tally))
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(prog="./drill benchmark fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10_000, help="examples of each kind of input (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.monotonic()
    tally = run(args.examples, args.seed)
    for outcome, count in sorted(tally.outcomes.items()):
        print(f"{outcome:40} {count:7d}")
    unexpected = sum(count for outcome, count in tally.outcomes.items() if outcome.endswith("unexpected"))
    print(f"\n{sum(tally.outcomes.values())} inputs ({args.examples} generated per kind, seed {args.seed}) in "
          f"{time.monotonic() - started:.0f} s; {unexpected} raised anything other than a clear error or a finding")
    for line in tally.unexpected:
        print(f"  {line}")
    return 0 if unexpected == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
