"""Turn playlist bytes into typed records, or into a plain-words reason they could not be read.

m3u8 is forgiving to a fault (it defaults a missing EXT-X-MEDIA-SEQUENCE to 0, ignores junk lines
and reads an HTML page as an empty playlist), so every body is screened here first and m3u8 objects
never leave this module.

A live media playlist made only of the everyday tags (the ones a packager writes every segment) is
read by a short line parser instead of m3u8, because the viewer reads hundreds a second when it
watches many channels and m3u8 spends most of its CPU time. That parser gives up on anything else,
which m3u8 then reads, and it gives exactly the record m3u8's path gives (a property test holds the two
to each other).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import m3u8

from checks.timeline import MediaPlaylist, MediaRendition, MultivariantPlaylist, SegmentEntry, Variant


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


_INT = re.compile(r"\d+\Z")
_EXTINF = re.compile(r"#EXTINF:([0-9]+(?:\.[0-9]+)?),")
_PDT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})\Z")
_PLAIN_TAGS = ("#EXTM3U", "#EXT-X-INDEPENDENT-SEGMENTS")
_NUMBER_TAGS = {
    "#EXT-X-VERSION:": "version",
    "#EXT-X-TARGETDURATION:": "target",
    "#EXT-X-MEDIA-SEQUENCE:": "sequence",
    "#EXT-X-DISCONTINUITY-SEQUENCE:": "discontinuity_sequence",
}


def _everyday_media_playlist(text: str) -> MediaPlaylist | None:
    """The record of a playlist of everyday tags only, or None: then m3u8 reads it (see the module's docstring)."""
    numbers: dict[str, int] = {}
    playlist_type: str | None = None
    endlist = False
    duration: float | None = None
    pdt = None
    discontinuity = False
    raw: list[tuple[str, float, object, bool]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith("#"):
            if duration is None:
                return None  # a URI with no EXTINF before it: m3u8's judgement
            raw.append((line, duration, pdt, discontinuity))
            duration, pdt, discontinuity = None, None, False
            continue
        if duration is not None and not line.startswith("#EXT-X-PROGRAM-DATE-TIME:") and line != "#EXT-X-DISCONTINUITY":
            return None  # a tag between EXTINF and its URI
        if line.startswith("#EXTINF:"):
            found = _EXTINF.match(line)
            if found is None or duration is not None:
                return None
            duration = float(found.group(1))
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            value = line[len("#EXT-X-PROGRAM-DATE-TIME:") :]
            if pdt is not None or not _PDT.match(value):
                return None
            try:
                pdt = datetime.fromisoformat(value)
            except ValueError:
                return None  # a date that does not exist: m3u8's path says why
        elif line == "#EXT-X-DISCONTINUITY":
            discontinuity = True
        elif line == "#EXT-X-ENDLIST":
            endlist = True
        elif line.startswith("#EXT-X-PLAYLIST-TYPE:"):
            value = line[len("#EXT-X-PLAYLIST-TYPE:") :]
            if value not in ("EVENT", "VOD") or playlist_type is not None:
                return None
            playlist_type = value
        elif line in _PLAIN_TAGS:
            continue
        else:
            tag = line[: line.find(":") + 1]
            key = _NUMBER_TAGS.get(tag)
            value = line[len(tag) :]
            if key is None or key in numbers or not _INT.match(value):
                return None  # any other tag, a repeated one, or a number m3u8 may read otherwise
            numbers[key] = int(value)
    if duration is not None or pdt is not None or discontinuity or "target" not in numbers or not text.startswith("#EXTM3U"):
        return None  # truncated, dangling tags or no target duration: m3u8's path says why
    first = numbers.get("sequence", 0)
    base = numbers.get("discontinuity_sequence", 0)
    entries = []
    discontinuities = 0
    for index, (uri, seconds, stamp, broken) in enumerate(raw):
        discontinuities += broken
        if isinstance(stamp, datetime) and stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=timezone.utc)
        entries.append(
            SegmentEntry(
                sequence=first + index,
                uri=uri,
                duration=seconds,
                program_date_time=stamp.astimezone(timezone.utc) if isinstance(stamp, datetime) else None,
                discontinuity=broken,
                discontinuity_number=base + discontinuities,
            )
        )
    return MediaPlaylist(
        media_sequence=first,
        media_sequence_present="sequence" in numbers,
        discontinuity_sequence=base,
        target_duration=float(numbers["target"]),
        playlist_type=playlist_type,
        endlist=endlist,
        segments=tuple(entries),
    )


def parse_media_playlist(body: bytes, url: str) -> MediaPlaylist:
    text = _text(body)
    return _everyday_media_playlist(text) or parse_media_playlist_with_m3u8(text, url)


def parse_media_playlist_with_m3u8(text: str, url: str) -> MediaPlaylist:
    """m3u8's reading of a screened playlist: every playlist the everyday parser gives up on."""
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
    media = []
    for item in playlist.media:
        if not item.uri:
            continue  # CLOSED-CAPTIONS (and muxed alternatives) ride in the variant's own segments
        if not item.type or not item.group_id:
            raise PlaylistUnreadable(f"EXT-X-MEDIA for {item.uri} lacks TYPE or GROUP-ID (required, RFC 8216 4.3.4.1)")
        media.append(MediaRendition(type=item.type.upper(), group_id=item.group_id, name=item.name or "", uri=item.uri))
    return MultivariantPlaylist(variants=tuple(variants), media=tuple(media))
