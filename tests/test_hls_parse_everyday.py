"""The everyday media playlist parser gives exactly m3u8's record, or gives up and leaves the playlist to m3u8."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from checks.hls_parse import PlaylistUnreadable, _everyday_media_playlist, parse_media_playlist, parse_media_playlist_with_m3u8
from fixtures.emulator.encoder import media_playlist

URL = "http://127.0.0.1/live/p0/90p.m3u8"

number = st.integers(min_value=0, max_value=10**10).map(str)
odd_number = st.sampled_from(["", "-1", "1.5", " 7", "1e3", "0x10", "٣"])
well_formed_seconds = st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda f: f"{f:.3f}")
seconds = st.one_of(*[well_formed_seconds] * 6, st.sampled_from(["6", "6.", ".5", "1e1", "-1", "abc", "2.000000000001"]))
stamp = st.one_of(
    *[st.sampled_from(["2026-11-21T20:00:00.000Z", "2026-11-21T20:00:00Z", "2026-11-21T20:00:00.123456+00:00",
                       "2026-11-21T21:00:00.5+01:00"])] * 6,
    st.sampled_from(["2026-11-21T20:00:00.000", "2026-11-21 20:00:00Z", "yesterday", "2026-02-30T00:00:00Z"]),
)
line = st.one_of(
    st.sampled_from(["#EXTM3U", "#EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-DISCONTINUITY", "#EXT-X-ENDLIST", "", "  ",
                     "#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-PLAYLIST-TYPE:event", "# a comment",
                     "#EXT-X-GAP", "#EXT-X-CUE-OUT:30", "#EXT-X-KEY:METHOD=NONE"]),
    st.builds(lambda tag, value: f"#{tag}:{value}",
              st.sampled_from(["EXT-X-VERSION", "EXT-X-TARGETDURATION", "EXT-X-MEDIA-SEQUENCE", "EXT-X-DISCONTINUITY-SEQUENCE"]),
              st.one_of(number, odd_number)),
    st.builds(lambda s, title: f"#EXTINF:{s},{title}", seconds, st.sampled_from(["", "title", "a,b"])),
    st.builds(lambda s: f"#EXTINF:{s}", seconds),
    st.builds(lambda s: f"#EXT-X-PROGRAM-DATE-TIME:{s}", stamp),
    st.builds(lambda n: f"seg_{n}.ts", st.integers(min_value=0, max_value=99)),
)


def _m3u8(text: str) -> object:
    try:
        return parse_media_playlist_with_m3u8(text, URL)
    except (PlaylistUnreadable, ValueError, TypeError, AttributeError, IndexError, OverflowError) as exc:
        return exc


segment = st.builds(
    lambda pdt, broken, extinf, uri: [*pdt, *broken, extinf, uri],
    st.lists(st.builds(lambda v: f"#EXT-X-PROGRAM-DATE-TIME:{v}", stamp), max_size=1),
    st.lists(st.just("#EXT-X-DISCONTINUITY"), max_size=1),
    st.builds(lambda v, title: f"#EXTINF:{v},{title}", seconds, st.sampled_from(["", "title"])),
    st.builds(lambda n: f"seg_{n}.ts", st.integers(min_value=0, max_value=99)),
)
header = st.builds(
    lambda target, sequence, discontinuity, kind: [f"#EXT-X-TARGETDURATION:{target}", *sequence, *discontinuity, *kind],
    st.one_of(*[number] * 6, odd_number),
    st.lists(st.builds(lambda v: f"#EXT-X-MEDIA-SEQUENCE:{v}", st.one_of(*[number] * 6, odd_number)), max_size=2),
    st.lists(st.builds(lambda v: f"#EXT-X-DISCONTINUITY-SEQUENCE:{v}", number), max_size=1),
    st.lists(st.sampled_from(["#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS"]), max_size=1),
)


@settings(max_examples=400, deadline=None)
@given(
    head=header, segments=st.lists(segment, max_size=8), tail=st.lists(st.just("#EXT-X-ENDLIST"), max_size=1),
    junk=st.lists(st.tuples(st.integers(min_value=0, max_value=60), line), max_size=2), crlf=st.booleans(),
)
def test_the_everyday_parser_agrees_with_m3u8_or_gives_up(
    head: list[str], segments: list[list[str]], tail: list[str], junk: list[tuple[int, str]], crlf: bool
) -> None:
    lines = ["#EXTM3U", *head, *(entry for s in segments for entry in s), *tail]
    for at, extra in junk:  # a stray line anywhere: the parser must agree with m3u8 or give up
        lines.insert(1 + at % len(lines), extra)
    text = ("\r\n" if crlf else "\n").join(lines) + "\n"
    fast = _everyday_media_playlist(text)
    if fast is not None:
        assert fast == _m3u8(text), text


@given(window=st.lists(st.integers(min_value=0, max_value=10**9), min_size=0, max_size=8, unique=True),
       length=st.sampled_from([0.5, 1.0, 2.0, 6.0]), endlist=st.booleans())
def test_the_emulators_playlists_take_the_everyday_path_and_read_as_m3u8_reads_them(window: list[int], length: float, endlist: bool) -> None:
    text = media_playlist("90p", sorted(window), length, endlist=endlist)
    fast = _everyday_media_playlist(text)
    assert fast is not None and fast == parse_media_playlist_with_m3u8(text, URL)
    assert parse_media_playlist(text.encode(), URL) == fast
