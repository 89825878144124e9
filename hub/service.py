"""`hisab-hub run`: ingest workers, the alert loop and the dashboard in one foreground process.

Each piece is also runnable alone (``hisab-hub ingest``; the dashboard under gunicorn with
``hub.service:wsgi()``), which is how it scales past one machine. Loops wait on one stop
event; SIGTERM sets it and the process exits 0.

Under systemd (``Type=notify`` + ``WatchdogSec=``) the main thread supervises: READY=1 once
the schema is migrated and every loop started, then WATCHDOG=1 only while every loop thread
is alive and every ingest loop keeps turning. A loop that died ends the process (exit 1,
systemd restarts it at once); a wedged one stops the pats and systemd kills it.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Sequence

import psycopg
import sdnotify
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


def partition_loop(settings: HubSettings, stop: threading.Event, every_s: float = 86400.0) -> None:
    """Daily: make the coming months' `events` partitions and drop those past retention (migrate did it at start)."""
    while not stop.wait(every_s):
        try:
            with db.connect(settings.database_url, autocommit=True) as conn:
                done = db.maintain_partitions(conn, settings.partitions_ahead, settings.retention_months)
            if done:
                log.info("hub.partitions %s", ", ".join(done))
        except psycopg.Error as exc:
            log.error("hub.partitions_failed: %s (retried tomorrow; %d months are made ahead)", exc,
                      settings.partitions_ahead)


def stop_on_signals(stop: threading.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())


STALE_LOOP_S = 60.0  # an ingest loop turns at least every 0.2 s; a minute without a turn is wedged


def watchdog_interval(environ: dict[str, str] | None = None) -> float:
    """Seconds between pats: a third of systemd's WatchdogSec (it passes WATCHDOG_USEC), else 5 s."""
    usec = (os.environ if environ is None else environ).get("WATCHDOG_USEC", "")  # systemd's protocol, not a setting
    return max(0.2, int(usec) / 3e6) if usec.isdigit() and int(usec) > 0 else 5.0


def supervise(stop: threading.Event, threads: Sequence[threading.Thread], ingest: Sequence[IngestWorker] = (),
              notifier: sdnotify.SystemdNotifier | None = None) -> bool:
    """Tell systemd we are ready, pat the watchdog while every loop is well; False if a loop died."""
    notifier = notifier or sdnotify.SystemdNotifier()
    notifier.notify("READY=1")
    interval = watchdog_interval()
    healthy = True
    while not stop.wait(interval):
        dead = [t.name for t in threads if not t.is_alive()]
        if dead:
            log.error("hub.loop_died threads=%s: exiting so systemd restarts the hub", ",".join(dead))
            healthy = False
            stop.set()
            break
        now = time.monotonic()
        stale = [w.name for w in ingest if now - w.beat > STALE_LOOP_S]
        if stale:
            log.error("hub.loop_wedged ingest=%s: no watchdog pat (systemd restarts the hub)", ",".join(stale))
            notifier.notify(f"STATUS=ingest loop {','.join(stale)} wedged")
            continue
        notifier.notify("WATCHDOG=1")
    notifier.notify("STOPPING=1")
    return healthy


def run(settings: HubSettings, stop: threading.Event, *, web: bool = True, workers: int | None = None) -> bool:
    """Run until ``stop``; False when a loop died (the caller exits non-zero)."""
    db.migrate(settings.database_url, partitions_ahead=settings.partitions_ahead,
               retention_months=settings.retention_months)
    threads = []
    ingest = []
    for i in range(workers or settings.ingest_workers):
        worker = IngestWorker(settings, f"{i + 1}", downlink=(i == 0))
        ingest.append(worker)
        threads.append(threading.Thread(target=worker.run, args=(stop,), name=f"ingest-{i + 1}", daemon=True))
    threads.append(threading.Thread(target=alert_loop, args=(settings, stop), name="alerts", daemon=True))
    threads.append(threading.Thread(target=partition_loop, args=(settings, stop), name="partitions", daemon=True))
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
    healthy = supervise(stop, threads, ingest)
    if server is not None:
        server.shutdown()
    for t in threads:
        t.join(10)
    if llm is not None:
        llm.stop()
    return healthy


def run_ingest(settings: HubSettings, stop: threading.Event, name: str) -> bool:
    """`hisab-hub ingest`: one worker, supervised like `run`."""
    db.migrate(settings.database_url, partitions_ahead=settings.partitions_ahead,
               retention_months=settings.retention_months)
    worker = IngestWorker(settings, name)
    thread = threading.Thread(target=worker.run, args=(stop,), name=f"ingest-{name}", daemon=True)
    thread.start()
    healthy = supervise(stop, [thread], [worker])
    thread.join(10)
    return healthy


def wsgi():
    """For gunicorn: `gunicorn 'hub.service:wsgi()'` serves the dashboard alone."""
    return create_app(load())
