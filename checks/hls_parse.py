"""Turn playlist bytes into typed records, or into a plain-words reason they could not be read.

m3u8 is forgiving to a fault (it defaults a missing EXT-X-MEDIA-SEQUENCE to 0, ignores junk lines
and reads an HTML page as an empty playlist), so every body is screened here first and m3u8 objects
never leave this module.
"""

from __future__ import annotations

import re
from datetime import timezone

import m3u8

from checks.timeline import MediaPlaylist, MultivariantPlaylist, SegmentEntry, Variant


class PlaylistUnreadable(ValueError):
    """The body is not a usable playlist; the message says why, for a finding."""


_HTML = re.compile(rb"^\s*(<!doctype html|<html|<\?xml|<head|<body)", re.IGNORECASE)
_TITLE = re.compile(rb"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_MEDIA_SEQUENCE_TAG = re.compile(r"^[ \t]*#EXT-X-MEDIA-SEQUENCE:[ \t]*\d+[ \t]*\r?$", re.MULTILINE)


def _text(body: bytes) -> str:
    if not body.strip():
        raise PlaylistUnreadable(f"empty body ({len(body)} bytes) where a playlist was expected")
    if _HTML.match(body):
        title = _TITLE.search(body)
        hint = f" titled {title.group(1).decode('utf-8', 'replace').strip()!r}" if title else ""
        raise PlaylistUnreadable(f"HTML page{hint} where a playlist was expected")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlaylistUnreadable(
            f"body is not UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start}); RFC 8216 4.1"
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.startswith("#EXTM3U"):
        first = text.splitlines()[0][:60] if text.splitlines() else ""
        raise PlaylistUnreadable(f"first line is {first!r}, not #EXTM3U (RFC 8216 4.3.1.1)")
    return text


def _load(text: str, url: str) -> m3u8.M3U8:
    try:
        return m3u8.loads(text, uri=url)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise PlaylistUnreadable(f"playlist does not parse: {exc}") from None


def parse_media_playlist(body: bytes, url: str) -> MediaPlaylist:
    text = _text(body)
    playlist = _load(text, url)
    if playlist.is_variant:
        raise PlaylistUnreadable("multivariant playlist where a media playlist was expected")
    if playlist.target_duration is None:
        raise PlaylistUnreadable("no EXT-X-TARGETDURATION (required, RFC 8216 4.3.3.1)")
    if playlist.segments and playlist.segments[-1].uri is None:
        raise PlaylistUnreadable("truncated: the last EXTINF has no segment URI after it")
    # A tag, not a substring: "#EXT-X-MEDIA-SEQUENCE:" inside a URI or a comment line is not the tag.
    media_sequence_present = _MEDIA_SEQUENCE_TAG.search(text) is not None
    first = playlist.media_sequence or 0
    base = playlist.discontinuity_sequence or 0
    entries: list[SegmentEntry] = []
    discontinuities = 0
    for index, segment in enumerate(playlist.segments):
        if segment.discontinuity:
            discontinuities += 1
        # The segment's own tag only: m3u8's current_program_date_time extrapolates from an earlier
        # segment, which would hide a segment that carries none.
        pdt = segment.program_date_time
        if pdt is not None and pdt.tzinfo is None:
            pdt = pdt.replace(tzinfo=timezone.utc)
        entries.append(
            SegmentEntry(
                sequence=first + index,
                uri=segment.uri,
                duration=float(segment.duration),
                program_date_time=pdt.astimezone(timezone.utc) if pdt else None,
                discontinuity=bool(segment.discontinuity),
                discontinuity_number=base + discontinuities,
            )
        )
    return MediaPlaylist(
        media_sequence=first,
        media_sequence_present=media_sequence_present,
        discontinuity_sequence=base,
        target_duration=float(playlist.target_duration),
        playlist_type=playlist.playlist_type.upper() if playlist.playlist_type else None,
        endlist=bool(playlist.is_endlist),
        segments=tuple(entries),
    )


def parse_multivariant(body: bytes, url: str) -> MultivariantPlaylist:
    text = _text(body)
    playlist = _load(text, url)
    if not playlist.is_variant:
        raise PlaylistUnreadable("media playlist where a multivariant playlist was expected")
    variants = []
    for item in playlist.playlists:
        info = item.stream_info
        if info.bandwidth is None:
            raise PlaylistUnreadable(f"EXT-X-STREAM-INF for {item.uri} has no BANDWIDTH (RFC 8216 4.3.4.2)")
        resolution = f"{info.resolution[0]}x{info.resolution[1]}" if info.resolution else None
        variants.append(Variant(uri=item.uri, bandwidth=int(info.bandwidth), resolution=resolution, codecs=info.codecs))
    if not variants:
        raise PlaylistUnreadable("multivariant playlist lists no variants")
    return MultivariantPlaylist(variants=tuple(variants))
