"""A hand-built HLS server on loopback for self-tests: each path answers what a function of the request count says."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# path -> f(how many times this path was asked before) -> (status, content type, body[, more headers])
Route = Callable[[int], tuple[int, str, bytes] | tuple[int, str, bytes, dict[str, str]]]
M3U8 = "application/vnd.apple.mpegurl"


@contextmanager
def hls_server(routes: dict[str, Route]) -> Iterator[str]:
    """Serve ``routes`` on a free 127.0.0.1 port; yields the base URL; stopped and joined on exit."""
    asked: Counter[str] = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as CDNs answer
        disable_nagle_algorithm = True  # as the emulator's servers (fixtures/emulator/http_server.py): no 40 ms stall

        def do_GET(self) -> None:  # noqa: N802 (the base class's name)
            path = self.path.split("?", 1)[0]
            with lock:
                count = asked[path]
                asked[path] += 1
            route = routes.get(path)
            answer = route(count) if route else (404, "text/plain", b"not found\n")
            status, content_type, body = answer[:3]
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (answer[3] if len(answer) > 3 else {}).items():  # type: ignore[misc]
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def static(status: int, content_type: str, body: bytes) -> Route:
    return lambda count: (status, content_type, body)
