"""Unusable bodies become findings with a plain reason, never exceptions."""

from __future__ import annotations

import pytest

from checks import run_checks
from checks.findings import Code
from checks.hls_parse import PlaylistUnreadable, parse_media_playlist, parse_multivariant
from checks.mpegts import SegmentUnreadable, first_pts
from tests.scripted import MULTIVARIANT, Script, media_playlist, ts_packet_with_pts

GOOD = media_playlist(100, 3)

BAD_PLAYLISTS = {
    "empty-200": (b"", "empty body"),
    "whitespace-200": (b"  \n", "empty body"),
    "html-error-page": (b"<!DOCTYPE html><html><title>503 Service Unavailable</title>", "HTML page titled '503"),
    "xml-s3-error": (b"<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>", "HTML page"),
    "non-utf8": (GOOD.encode()[:40] + b"\xff\xfe" + GOOD.encode()[40:], "not UTF-8 (byte 0xff at offset 40)"),
    "truncated-after-extinf": (GOOD.encode().rsplit(b"seg_", 1)[0], "truncated"),
    "no-extm3u": (b"#EXT-X-TARGETDURATION:1\n#EXTINF:1,\na.ts\n", "not #EXTM3U"),
    "no-target-duration": (b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:1\n#EXTINF:1,\na.ts\n", "EXT-X-TARGETDURATION"),
    "bad-number": (b"#EXTM3U\n#EXT-X-TARGETDURATION:abc\n", "does not parse"),
    "multivariant-instead": (MULTIVARIANT.encode(), "multivariant playlist where a media playlist"),
}


@pytest.mark.parametrize("body,reason", BAD_PLAYLISTS.values(), ids=list(BAD_PLAYLISTS))
def test_unreadable_media_playlist_is_a_finding_not_a_crash(body: bytes, reason: str) -> None:
    with pytest.raises(PlaylistUnreadable, match=None) as caught:
        parse_media_playlist(body, "https://edge.test/p0/low.m3u8")
    assert reason in str(caught.value)
    s = Script()
    observation = s.playlist(0.0, "p0/low.m3u8", body)
    assert observation.problem and reason in observation.problem and not observation.ok
    findings = [f for f in run_checks(s.timeline()) if f.code is Code.PLAYLIST_MALFORMED]
    assert len(findings) == 1 and reason in findings[0].message


def test_unreadable_multivariant_is_a_finding() -> None:
    with pytest.raises(PlaylistUnreadable, match="media playlist where a multivariant"):
        parse_multivariant(GOOD.encode(), "https://edge.test/index.m3u8")
    s = Script()
    s.multivariant(0.0, b"\x00\x01garbage")
    assert [f.code for f in run_checks(s.timeline()) if f.code is Code.PLAYLIST_MALFORMED]


def test_missing_media_sequence_is_recorded_not_defaulted_silently() -> None:
    parsed = parse_media_playlist(media_playlist(7, 2, media_sequence_tag=False).encode(), "u")
    assert parsed.media_sequence == 0 and not parsed.media_sequence_present


def test_discontinuity_numbers_follow_rfc_accounting() -> None:
    body = media_playlist(10, 4, discontinuity_sequence=5, discontinuity_before=[11, 13])
    numbers = [e.discontinuity_number for e in parse_media_playlist(body.encode(), "u").segments]
    assert numbers == [5, 6, 6, 7]


BAD_SEGMENTS = {
    "empty": (b"", "empty segment"),
    "html": (b"<html>403 Forbidden</html>", "not MPEG-TS"),
    "truncated": (ts_packet_with_pts(90_000) * 2 + ts_packet_with_pts(0)[:100], "truncated MPEG-TS"),
    "lost-sync": (ts_packet_with_pts(90_000) + b"\x00" * 188, "lost MPEG-TS sync at byte 188"),
}


@pytest.mark.parametrize("body,reason", BAD_SEGMENTS.values(), ids=list(BAD_SEGMENTS))
def test_unreadable_segment_is_a_finding(body: bytes, reason: str) -> None:
    with pytest.raises(SegmentUnreadable) as caught:
        first_pts(body)
    assert reason in str(caught.value)
    s = Script()
    s.segment(0.0, "p0/low.m3u8", 5, body=body)
    findings = [f for f in run_checks(s.timeline()) if f.code is Code.SEGMENT_MALFORMED]
    assert len(findings) == 1 and reason in findings[0].message


@pytest.mark.parametrize("pts", [0, 1, 90_000, (1 << 33) - 1, 5_536_169_072 % (1 << 33)])
def test_first_pts_reads_back_what_was_written(pts: int) -> None:
    assert first_pts(ts_packet_with_pts(pts)) == pts
