"""The viewer's lean HTTP client: redirects followed, gzip decoded, connections kept, failures in the viewer's words."""

from __future__ import annotations

import gzip
import socket

import pytest

from checks.hls_parse import PlaylistUnreadable, parse_multivariant
from fixtures.emulator.http_server import free_port
from fixtures.http_get import FetchFailed, HttpClient
from tests.hls_server import hls_server


def test_a_redirect_is_followed_and_a_gzip_body_decoded_on_one_kept_connection() -> None:
    body = b"#EXTM3U\n" * 100
    routes = {
        "/moved.m3u8": lambda count: (302, "text/plain", b"", {"Location": "/live/index.m3u8"}),
        "/live/index.m3u8": lambda count: (200, "application/vnd.apple.mpegurl", gzip.compress(body), {"Content-Encoding": "gzip"}),
        "/nowhere.m3u8": lambda count: (302, "text/plain", b""),
    }
    with hls_server(routes) as base:
        client = HttpClient(1.0, 2.0)
        try:
            first = client.get(f"{base}/moved.m3u8")
            assert (first.status, first.body) == (200, body)
            connection = next(iter(client._connections.values()))
            second = client.get(f"{base}/live/index.m3u8")
            assert second.body == body and next(iter(client._connections.values())) is connection  # kept alive
            assert client.get(f"{base}/nowhere.m3u8").status == 302  # a redirect to nowhere is the answer itself
        finally:
            client.close()


def test_a_refused_connection_and_a_silent_server_are_named_as_the_viewer_always_named_them() -> None:
    with pytest.raises(FetchFailed, match="^connection failed: Connection refused$"):
        HttpClient(1.0, 1.0).get(f"http://127.0.0.1:{free_port()}/x.m3u8")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with pytest.raises(FetchFailed, match=r"^read timeout after 0.3 s$"):
            HttpClient(1.0, 0.3).get(f"http://127.0.0.1:{silent.getsockname()[1]}/x.m3u8")


def test_an_ext_x_media_rendition_without_group_id_is_unreadable() -> None:
    body = b'#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,NAME="en",URI="a.m3u8"\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n'
    with pytest.raises(PlaylistUnreadable, match="lacks TYPE or GROUP-ID"):
        parse_multivariant(body, "http://h/index.m3u8")
