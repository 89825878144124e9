"""Safe mode: what a box process does when its settings are broken.

A box has no screen, so crashing would only make systemd restart it in a loop. Instead
`web` serves one page (and JSON under /api) naming the bad key, and the other processes
log it and wait for a stop signal. Fixing the file and restarting the unit ends it.
"""

from __future__ import annotations

import html
import json
import logging
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from appliance.config import SettingsError

log = logging.getLogger(__name__)


def settings_problem(error: SettingsError) -> str:
    return (f"The box started in safe mode: setting '{error.key}' is wrong ({error.message}). "
            "Fix it in hisab.toml or the HISAB_* variables and restart the box.")


def _handler(sentence: str, key: str | None):

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path.startswith("/api/"):
                body = json.dumps({"error": sentence, "code": "safe_mode", "key": key}).encode()
                kind = "application/json"
            else:
                body = (f"<!doctype html><meta charset=utf-8><title>Hisab — safe mode</title>"
                        f"<h1>Hisab is in safe mode</h1><p>{html.escape(sentence)}</p>").encode()
                kind = "text/html; charset=utf-8"
            self.send_response(503)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

        def log_message(self, *args) -> None:
            return

    return Handler


def serve(process: str, sentence: str, key: str | None = None, port: int | None = None) -> None:
    """Stay up until stopped; `web` (or `run`) also serves a page carrying ``sentence``."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    server = None
    if process in ("web", "run"):
        server = ThreadingHTTPServer(("0.0.0.0", port or 8080), _handler(sentence, key))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        log.error("safe mode page on port %s: %s", server.server_address[1], sentence)
    stop.wait()
    if server:
        server.shutdown()
