"""A local HTTP server over a folder, for pages that Chromium opens: module
scripts and fetch() need http://, not file://."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from typing import Iterator


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript", ".wasm": "application/wasm"}

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder: str) -> Iterator[str]:
    """Serves `folder` on 127.0.0.1 while the block runs; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
