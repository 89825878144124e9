"""`hisab-hub run`: ingest workers, the alert loop and the dashboard in one foreground process.

Each piece is also runnable alone (``hisab-hub ingest``; the dashboard under gunicorn with
``hub.service:wsgi()``), which is how it scales past one machine. Loops wait on one stop
event; SIGTERM sets it and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading

import psycopg
from werkzeug.serving import make_server

from hub import alerts, db
from hub.ingest import IngestWorker
from hub.settings import HubSettings, load
from hub.web import create_app

log = logging.getLogger("hisab.hub")


def alert_loop(settings: HubSettings, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            with db.connect(settings.database_url) as conn:
                while not stop.is_set():
                    alerts.run_once(conn, settings)
                    stop.wait(settings.alert_interval_s)
        except psycopg.OperationalError as exc:
            log.error("alerts.database_unavailable: %s", exc)
            stop.wait(5)


def stop_on_signals(stop: threading.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())


def run(settings: HubSettings, stop: threading.Event, *, web: bool = True, workers: int | None = None) -> None:
    db.migrate(settings.database_url)
    threads = []
    for i in range(workers or settings.ingest_workers):
        worker = IngestWorker(settings, f"{i + 1}", downlink=(i == 0))
        threads.append(threading.Thread(target=worker.run, args=(stop,), name=f"ingest-{i + 1}", daemon=True))
    threads.append(threading.Thread(target=alert_loop, args=(settings, stop), name="alerts", daemon=True))
    llm = None
    if settings.second_opinion_workers:
        from hub.second_opinion import Reader, SecondOpinion

        url = settings.llm_url
        if not url:
            from hub.llm_server import LocalLlmServer

            llm = LocalLlmServer(threads=settings.llm_threads)
            url = llm.start()
        for i in range(settings.second_opinion_workers):
            loop = SecondOpinion(settings.database_url, Reader(url, settings.llm_model, settings.llm_threads))
            threads.append(threading.Thread(target=loop.run, args=(stop,), name=f"second-opinion-{i + 1}", daemon=True))
    server = None
    if web:
        server = make_server(settings.host, settings.port, create_app(settings), threaded=True)
        threads.append(threading.Thread(target=server.serve_forever, name="web", daemon=True))
        log.info("hub.dashboard http://%s:%d/", settings.host, server.server_port)
    for t in threads:
        t.start()
    stop.wait()
    if server is not None:
        server.shutdown()
    for t in threads:
        t.join(10)
    if llm is not None:
        llm.stop()


def wsgi():
    """For gunicorn: `gunicorn 'hub.service:wsgi()'` serves the dashboard alone."""
    return create_app(load())
