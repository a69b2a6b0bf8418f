"""Read the first presentation timestamp of an MPEG-TS segment (ISO/IEC 13818-1), and nothing more."""

from __future__ import annotations

PACKET = 188
SYNC = 0x47
PTS_WRAP = 1 << 33  # PTS is a 33-bit counter of a 90 kHz clock


class SegmentUnreadable(ValueError):
    """The bytes are not a readable MPEG-TS segment; the message says why, for a finding."""


def _pes_pts(payload: bytes) -> int | None:
    if len(payload) < 14 or payload[:3] != b"\x00\x00\x01":
        return None
    if not payload[7] & 0x80:  # PTS_DTS_flags: no PTS in this PES header
        return None
    p = payload[9:14]
    return ((p[0] >> 1) & 0x07) << 30 | p[1] << 22 | (p[2] >> 1) << 15 | p[3] << 7 | p[4] >> 1


def first_pts(body: bytes) -> int | None:
    """The PTS of the first PES packet that carries one, or None when no PES carries a PTS."""
    if not body:
        raise SegmentUnreadable("empty segment body (0 bytes)")
    if body[0] != SYNC:
        head = body[:16].decode("latin-1").strip()
        raise SegmentUnreadable(f"not MPEG-TS: first byte is 0x{body[0]:02x}, not sync byte 0x47 ({head!r}...)")
    if len(body) % PACKET:
        raise SegmentUnreadable(f"truncated MPEG-TS: {len(body)} bytes is not a whole number of 188-byte packets")
    lost = next((offset for offset in range(0, len(body), PACKET) if body[offset] != SYNC), None)
    if lost is not None:
        raise SegmentUnreadable(f"lost MPEG-TS sync at byte {lost}")
    for offset in range(0, len(body), PACKET):
        packet = body[offset : offset + PACKET]
        if not packet[1] & 0x40:  # payload_unit_start_indicator
            continue
        control = (packet[3] >> 4) & 0x03
        start = 4
        if control in (2, 3):  # adaptation field present
            start += 1 + packet[4]
        if control in (1, 3) and start < PACKET:
            pts = _pes_pts(packet[start:])
            if pts is not None:
                return pts
    return None


def pts_distance(a: int, b: int) -> int:
    """Ticks between two PTS values on the 33-bit circle (always the short way round)."""
    d = (a - b) % PTS_WRAP
    return min(d, PTS_WRAP - d)
