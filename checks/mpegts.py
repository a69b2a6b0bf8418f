"""Read the first video presentation timestamp of an MPEG-TS segment (ISO/IEC 13818-1), and nothing more.

The video PID comes from the PMT (found through the PAT), because a segment may start with audio:
MediaLive's segments carry an audio PID whose frames do not line up with segment boundaries, so the
first PES of a segment can be audio a few milliseconds off the epoch grid. Without PAT/PMT, the first
PES with a video stream_id (0xE0-0xEF) stands in. An audio-only segment (a demuxed EXT-X-MEDIA audio
rendition, whose PMT lists no video stream) is read by its audio PID instead: its first audio frame
starts within one frame (about 21 ms for AAC at 48 kHz) of the segment's epoch boundary.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

PACKET = 188
SYNC = 0x47
PTS_WRAP = 1 << 33  # PTS is a 33-bit counter of a 90 kHz clock
# ISO/IEC 13818-1 Table 2-34 (and ATSC/DVB usage): the stream types that carry video.
VIDEO_STREAM_TYPES = frozenset({0x01, 0x02, 0x10, 0x1B, 0x24, 0x42, 0xD1, 0xEA})
# MPEG-1/2 audio, AAC (ADTS and LATM), AC-3 and E-AC-3 (ATSC), SAMPLE-AES AAC/AC-3/E-AC-3.
AUDIO_STREAM_TYPES = frozenset({0x03, 0x04, 0x0F, 0x11, 0x81, 0x87, 0xC1, 0xC2, 0xCF})


class SegmentUnreadable(ValueError):
    """The bytes are not a readable MPEG-TS segment; the message says why, for a finding."""


class _Packets:
    """A segment's 188-byte packets, sliced only as far as a reader goes (PAT and PMT lead, so most stop early)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        body = self._body
        for offset in range(0, len(body), PACKET):
            yield body[offset : offset + PACKET]


def _pes_pts(payload: bytes) -> int | None:
    if len(payload) < 14 or payload[:3] != b"\x00\x00\x01":
        return None
    if not payload[7] & 0x80:  # PTS_DTS_flags: no PTS in this PES header
        return None
    p = payload[9:14]
    return ((p[0] >> 1) & 0x07) << 30 | p[1] << 22 | (p[2] >> 1) << 15 | p[3] << 7 | p[4] >> 1


def _payload(packet: bytes) -> bytes | None:
    control = (packet[3] >> 4) & 0x03
    start = 4
    if control in (2, 3):  # adaptation field present
        start += 1 + packet[4]
    if control not in (1, 3) or start >= PACKET:
        return None
    return packet[start:]


def _pid(packet: bytes) -> int:
    return ((packet[1] & 0x1F) << 8) | packet[2]


def _section(payload: bytes) -> bytes:
    """A PSI section from a packet that starts one (pointer_field first)."""
    pointer = payload[0]
    section = payload[1 + pointer :]
    length = ((section[1] & 0x0F) << 8) | section[2] if len(section) >= 3 else 0
    return section[: 3 + length]


def _pmt_pid(packets: Iterable[bytes]) -> int | None:
    for packet in packets:
        payload = _payload(packet)
        if _pid(packet) == 0 and packet[1] & 0x40 and payload:
            section = _section(payload)
            for at in range(8, len(section) - 4, 4):  # program loop, CRC excluded
                program = (section[at] << 8) | section[at + 1]
                if program != 0:  # 0 names the network PID, not a PMT
                    return ((section[at + 2] & 0x1F) << 8) | section[at + 3]
    return None


def _timed_pid(packets: Iterable[bytes]) -> int | None:
    """The PID whose first PTS places the segment: the first video stream the PMT lists, else (audio-only)
    its first audio stream; None without a readable PAT/PMT."""
    pmt = _pmt_pid(packets)
    if pmt is None:
        return None
    for packet in packets:
        payload = _payload(packet)
        if _pid(packet) == pmt and packet[1] & 0x40 and payload:
            section = _section(payload)
            if len(section) < 12:
                return None
            info_length = ((section[10] & 0x0F) << 8) | section[11]
            at = 12 + info_length
            audio = None
            while at + 5 <= len(section) - 4:
                stream_type = section[at]
                pid = ((section[at + 1] & 0x1F) << 8) | section[at + 2]
                if stream_type in VIDEO_STREAM_TYPES:
                    return pid
                if stream_type in AUDIO_STREAM_TYPES and audio is None:
                    audio = pid
                at += 5 + (((section[at + 3] & 0x0F) << 8) | section[at + 4])
            return audio
    return None


def first_pts(body: bytes) -> int | None:
    """The PTS of the first video PES that carries one (of the first audio PES in an audio-only segment), or None."""
    if not body:
        raise SegmentUnreadable("empty segment body (0 bytes)")
    if body[0] != SYNC:
        head = body[:16].decode("latin-1").strip()
        raise SegmentUnreadable(f"not MPEG-TS: first byte is 0x{body[0]:02x}, not sync byte 0x47 ({head!r}...)")
    if len(body) % PACKET:
        raise SegmentUnreadable(f"truncated MPEG-TS: {len(body)} bytes is not a whole number of 188-byte packets")
    syncs = body[::PACKET]  # every packet's first byte, read in C: a segment is checked whole without a Python loop
    if syncs.count(SYNC) != len(syncs):
        lost = next(index for index, byte in enumerate(syncs) if byte != SYNC)
        raise SegmentUnreadable(f"lost MPEG-TS sync at byte {lost * PACKET}")
    packets = _Packets(body)
    timed = _timed_pid(packets)
    for packet in packets:
        if not packet[1] & 0x40:  # payload_unit_start_indicator
            continue
        payload = _payload(packet)
        if payload is None or len(payload) < 4 or payload[:3] != b"\x00\x00\x01":
            continue
        is_timed = _pid(packet) == timed if timed is not None else 0xE0 <= payload[3] <= 0xEF
        if is_timed:
            pts = _pes_pts(payload)
            if pts is not None:
                return pts
    return None


def pts_distance(a: int, b: int) -> int:
    """Ticks between two PTS values on the 33-bit circle (always the short way round)."""
    d = (a - b) % PTS_WRAP
    return min(d, PTS_WRAP - d)
