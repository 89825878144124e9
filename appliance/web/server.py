"""Run the web app under gunicorn: exactly one worker process with threads.

DuckDB admits one process per file, so there is one worker, the app is created inside it
after the fork (no preload), and the process is restarted by systemd, never reloaded
with HUP (gunicorn would boot a second worker while the first still holds the file).
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from appliance.config import Settings

log = logging.getLogger(__name__)


def _close_box(worker: Any) -> None:
    app = getattr(worker, "wsgi", None)
    box = getattr(app, "extensions", {}).get("hisab") if app is not None else None
    if box is not None:
        box.close()


class WebServer(BaseApplication):
    def __init__(self, settings: Settings, options: dict[str, Any] | None = None):
        self.settings = settings
        self.options = {
            "bind": f"{settings.host}:{settings.port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": settings.web_threads,
            "preload_app": False,
            "timeout": 120,
            "graceful_timeout": 20,
            "keepalive": 5,
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "hisab-web",
            "control_socket_disable": True,  # no socket in $HOME: systemd is the only controller
            "worker_exit": lambda server, worker: _close_box(worker),
            "certfile": str(settings.tls_certfile) if settings.tls_certfile else None,
            "keyfile": str(settings.tls_keyfile) if settings.tls_keyfile else None,
            **(options or {}),
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        from appliance.web import create_app  # imported in the worker: DuckDB opens after the fork

        app = create_app(self.settings)
        # What is loaded now (the read model's duplicate index: ~175k objects at 50k invoices)
        # lives as long as the worker. Left to the collector, every full collection rescans it,
        # and the HTML pages allocate enough to trigger one every few requests: that was most of
        # the list page's p95 (bench: 307 ms at 50k). Frozen, it is never scanned again.
        gc.collect()
        gc.freeze()
        return app


def main(settings: Settings) -> None:
    log.info("process=web bind=%s:%s threads=%d", settings.host, settings.port, settings.web_threads)
    WebServer(settings).run()
