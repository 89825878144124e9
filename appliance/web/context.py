"""The web process's hold on the box: journal, blobs, the DuckDB read model and its projector.

One ``WebBox`` per app. It is created inside the gunicorn worker (never before the fork),
because DuckDB admits one process per file. Every write goes through ``append``: the event
is committed to the journal, then the read model catches up before the request answers,
so a person always sees their own change. A daemon projector thread applies what other
processes (worker, relay, CLI) appended, and leaves the web heartbeat.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import current_app

from appliance import storage
from appliance.box import Box, open_box
from appliance.config import Settings
from appliance.lifecycle import Process
from appliance.queue.journal import Event, Guard
from appliance.readmodel import open_or_rebuild

log = logging.getLogger(__name__)


class WebBox:
    def __init__(self, settings: Settings, projector: bool = True):
        self.box: Box = open_box(settings)
        self.settings = self.box.settings
        self.journal = self.box.journal
        self.blobs = self.box.blobs
        self.readmodel = open_or_rebuild(self.settings.readmodel_path, self.journal)
        self.readmodel.catch_up()
        self.process = Process("web", self.settings.data_dir, install_signals=False)
        self._thread: threading.Thread | None = None
        self._closed = False
        if projector:
            self._thread = threading.Thread(target=self._project, name="projector", daemon=True)
            self._thread.start()

    def _project(self) -> None:
        while True:
            try:
                self.readmodel.catch_up()
                self.process.beat(readmodel_seq=self.readmodel.last_seq())
            except Exception:  # keep projecting: one bad pass must not wedge the UI
                log.exception("event=projector_failed")
            if self.process.stop.wait(self.settings.poll_seconds):
                return

    def append(self, type_: str, payload: dict[str, Any], *, actor: str, invoice_id: str | None = None,
               event_id: str | None = None, guard: Guard | None = None) -> Event:
        with storage.writing(self.settings):  # refused while the disk is full (storage.ReadOnly)
            event = self.journal.append(type_, payload, invoice_id=invoice_id, actor=actor, event_id=event_id,
                                        guard=guard)
        self.readmodel.catch_up()
        return event

    def append_many(self, items: list[tuple], guard: Guard | None = None) -> list[Event]:
        with storage.writing(self.settings):
            events = self.journal.append_many(items, guard=guard)
        self.readmodel.catch_up()
        return events

    def put_blob(self, data: bytes) -> str:
        with storage.writing(self.settings):
            return self.blobs.put(data)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.process.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.readmodel.close()
        self.box.close()


def webbox() -> WebBox:
    return current_app.extensions["hisab"]
