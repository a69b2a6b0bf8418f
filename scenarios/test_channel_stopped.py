"""Negative control: stopping (not pausing) the primary channel writes EXT-X-ENDLIST, which no CDN fails over on."""

from __future__ import annotations

import pytest

from checks.findings import Code
from fixtures.drill import Drill
from fixtures.stacks.base import Stack
from fixtures.verdict import MEDIAPACKAGE_V2


@pytest.mark.chaos
@pytest.mark.phases(steady=1, fault=3, recovery=2)
def test_channel_stopped_is_reported_as_endlist(drill: Drill, chaos_stack: Stack) -> None:
    """Steady state: a live stream from the primary region.
    Fault: the primary region's channel is stopped, so every rendition manifest ends with EXT-X-ENDLIST at 200.
    Expect: the drill reports endlist-on-live (so its exit code stays meaningful); the channel is started again.
    """
    assert chaos_stack.primary is not None
    if chaos_stack.origin_kind() == MEDIAPACKAGE_V2:
        pytest.skip(
            "MediaPackage v2 builds its own playlists: whether it relays MediaLive's EXT-X-ENDLIST on a channel stop is "
            "unverified (AWS does not say); the emulator treats a stopped input as a stalled one"
        )
    result = drill.run(
        "channel stopped (negative control)",
        fault=chaos_stack.channel_stopped(chaos_stack.primary),
    )
    endlist = result.with_codes({Code.ENDLIST_ON_LIVE})
    assert endlist, (
        "the drill did not report EXT-X-ENDLIST after the channel was stopped: either the stop did not take effect "
        f"or the continuity check is blind; findings were {sorted({f.code.value for f in result.findings})}"
    )
    assert all(f.rendition for f in endlist)
