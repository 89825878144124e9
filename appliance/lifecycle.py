"""What every box process does to live under systemd: stop on SIGTERM, report readiness,
pet the watchdog and leave a heartbeat that /api/v1/health reads.

Heartbeats are ephemeral status files (data/run/<process>.json), not records: losing one
in a power cut costs nothing, so they are written without fsync.
"""

from __future__ import annotations

import faulthandler
import json
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import sdnotify

log = logging.getLogger(__name__)


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")


class Process:
    """One running box process: its stop event, systemd notifier and heartbeat file."""

    def __init__(self, name: str, data_dir: Path, nice: int = 0, install_signals: bool = True):
        self.name = name
        self.stop = threading.Event()
        self._notifier = sdnotify.SystemdNotifier()
        self._run_dir = data_dir / "run"
        self._run_dir.mkdir(parents=True, exist_ok=True)
        faulthandler.enable()
        if nice:
            os.nice(nice)
        if install_signals and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        log.info("process=%s signal=%s stopping", self.name, signum)
        self.stop.set()

    def ready(self) -> None:
        self._notifier.notify("READY=1")

    def beat(self, **info: Any) -> None:
        """Pet the systemd watchdog and record that this loop is alive."""
        self._notifier.notify("WATCHDOG=1")
        record = {"process": self.name, "pid": os.getpid(), "at": time.time(), **info}
        tmp = self._run_dir / f".{self.name}.json.tmp"
        tmp.write_text(json.dumps(record))
        os.replace(tmp, self._run_dir / f"{self.name}.json")


def heartbeats(data_dir: Path) -> dict[str, dict[str, Any]]:
    beats = {}
    for path in (data_dir / "run").glob("*.json"):
        try:
            beats[path.stem] = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
    return beats
