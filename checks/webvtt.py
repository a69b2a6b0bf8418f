"""Read a WebVTT segment's X-TIMESTAMP-MAP (RFC 8216 3.5), the one thing that ties its cues to the media's PTS.

A WebVTT segment of a live subtitles rendition is not MPEG-TS and must never reach the TS reader; what the
drill checks in it is that it is WebVTT and carries the map, and the MPEG-2 timestamp the map names.
"""

from __future__ import annotations

import re

from checks.mpegts import PTS_WRAP, SegmentUnreadable

_MAP = re.compile(rb"^X-TIMESTAMP-MAP=([^\r\n]*)", re.MULTILINE)
_MPEGTS = re.compile(rb"MPEGTS:(\d+)")
_LOCAL = re.compile(rb"LOCAL:((?:\d+:)?\d{2}:\d{2}\.\d{3})")
WEBVTT_EXTENSIONS = (".vtt", ".webvtt")
WEBVTT_TYPES = ("text/vtt",)


def is_webvtt(url: str, content_type: str | None) -> bool:
    """A subtitles segment, by its URL's extension or its Content-Type (never by guessing from the bytes)."""
    path = url.split("?", 1)[0].lower()
    return path.endswith(WEBVTT_EXTENSIONS) or (content_type or "").split(";", 1)[0].strip().lower() in WEBVTT_TYPES


def _local_ticks(text: bytes) -> int:
    parts = text.decode("ascii").split(":")
    seconds = float(parts[-1]) + 60 * int(parts[-2]) + (3600 * int(parts[-3]) if len(parts) == 3 else 0)
    return round(seconds * 90_000)


def timestamp_map_pts(body: bytes) -> int:
    """The MPEG-2 timestamp the segment's cue time 0 maps to (MPEGTS minus LOCAL), on the 33-bit circle."""
    if not body.lstrip(b"\xef\xbb\xbf").startswith(b"WEBVTT"):
        head = body[:16].decode("latin-1").strip()
        raise SegmentUnreadable(f"not WebVTT: the body does not start with 'WEBVTT' ({head!r}...)")
    header = body.split(b"\n\n", 1)[0].replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    found = _MAP.search(header)
    if found is None:
        raise SegmentUnreadable("WebVTT segment without X-TIMESTAMP-MAP in its header (RFC 8216 3.5): its cues cannot be placed")
    mpegts, local = _MPEGTS.search(found.group(1)), _LOCAL.search(found.group(1))
    if mpegts is None or local is None:
        raise SegmentUnreadable(f"X-TIMESTAMP-MAP {found.group(1).decode('latin-1')!r} lacks MPEGTS or LOCAL (RFC 8216 3.5)")
    return (int(mpegts.group(1)) - _local_ticks(local.group(1))) % PTS_WRAP
