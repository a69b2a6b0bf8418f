"""Small helpers for poking the emulator directly in self-tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import requests

from checks.hls_parse import parse_media_playlist
from checks.timeline import MediaPlaylist
from fixtures.emulator import EmulatedStack

T = TypeVar("T")


def origin_get(stack: EmulatedStack, region: str, key: str, secret: bool = True) -> requests.Response:
    headers = {stack.config.edge.secret_header: stack.config.edge.secret} if secret else {}
    return requests.get(f"{stack.origins[region].url}/{key}", headers=headers, timeout=5)


def edge_get(stack: EmulatedStack, key: str, timeout: float = 10) -> requests.Response:
    assert stack.edge is not None
    return requests.get(f"{stack.edge.url}/{key}", timeout=timeout)


def playlist(response: requests.Response) -> MediaPlaylist:
    assert response.status_code == 200, (response.status_code, response.text[:200])
    return parse_media_playlist(response.content, response.url)


def wait_for(condition: Callable[[], T], timeout_s: float, what: str, every_s: float = 0.05) -> T:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(every_s)
