"""One health snapshot of the box, for /api/v1/health, the status page, `hisab status` and telemetry.

Reads only: disk (with the storage guard's level), memory, CPU temperature where the
board has a sensor, the journal (size, last seq, SQLite quick_check — cached, it reads the
whole file), the backlog the hub has not acknowledged, the last backup, how long the hub
has been out of reach, each process's heartbeat age, and the last over-the-air update's
result (written by provisioning's `update`). It never writes anything and
never opens the read model (the web adds its own lag to this).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from appliance import __version__, backup, storage
from appliance.config import Settings
from appliance.lifecycle import heartbeats
from appliance.queue.journal import Journal

UPDATE_RESULT_FILE = "update-result.json"  # provisioning/update.py writes it into the data dir
UPDATE_KEYS = ("result", "from_version", "to_version", "running_version", "reason", "started_at", "finished_at")
QUICK_CHECK_EVERY_S = 600.0  # quick_check reads every page: not on each request of a 5-year-old phone
HEARTBEAT_STALE_S = 180.0
_checks: dict[Path, tuple[float, str]] = {}
_checks_lock = threading.Lock()


def cpu_temperature() -> float | None:
    """Degrees Celsius of the hottest CPU sensor, or None where the hardware reports none."""
    try:
        sensors = psutil.sensors_temperatures()
    except (AttributeError, OSError):
        return None
    for name in ("cpu_thermal", "coretemp", "k10temp", "soc_thermal", "cpu-thermal", *sensors):
        readings = sensors.get(name)
        if readings:
            return round(max(r.current for r in readings), 1)
    return None


def journal_check(journal: Journal, max_age_s: float = QUICK_CHECK_EVERY_S) -> str:
    """SQLite's quick_check of the journal ("ok" or the first problem), cached per journal file."""
    now = time.monotonic()
    with _checks_lock:
        cached = _checks.get(journal.path)
        if cached and now - cached[0] < max_age_s:
            return cached[1]
    try:
        verdict = journal.quick_check()
    except Exception as exc:  # noqa: BLE001 - a damaged file raises; report it, don't fail health
        verdict = f"error: {exc}"
    with _checks_lock:
        _checks[journal.path] = (now, verdict)
    return verdict


def last_update(settings: Settings) -> dict[str, Any] | None:
    """The last update's outcome (updated / rolled_back / unchanged, versions, why), or None if never updated."""
    try:
        record = json.loads((settings.data_dir / UPDATE_RESULT_FILE).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return {"result": "unknown", "reason": f"{UPDATE_RESULT_FILE} unreadable: {exc}"[:300]}
    if not isinstance(record, dict):
        return {"result": "unknown", "reason": f"{UPDATE_RESULT_FILE} is not an object"}
    found = {k: record.get(k) for k in UPDATE_KEYS if k in record}
    if isinstance(found.get("reason"), str):
        found["reason"] = found["reason"][:300]
    return found


def _offline_since(beats: dict[str, dict[str, Any]], settings: Settings) -> float | None:
    if not settings.mqtt_url:
        return None
    relay = beats.get("relay") or {}
    if relay.get("connected") is True:
        return None
    return relay.get("offline_since")


def snapshot(settings: Settings, journal: Journal, now: float | None = None,
             stale_after_s: float = HEARTBEAT_STALE_S, expected: tuple[str, ...] = ()) -> dict[str, Any]:
    """Everything a person or the hub needs to see whether the box is well, as plain JSON."""
    now = time.time() if now is None else now
    disk = storage.check(settings.data_dir, settings)
    memory = psutil.virtual_memory()
    last_seq = journal.last_seq()
    acked = journal.cursor(storage.RELAY_CURSOR)
    beats = heartbeats(settings.data_dir)
    processes: dict[str, Any] = {}
    for name, beat in sorted(beats.items()):
        age = max(0.0, now - float(beat.get("at", 0)))
        processes[name] = {**{k: v for k, v in beat.items() if k not in ("process", "at")},
                           "age_s": round(age, 1), "state": "ok" if age <= stale_after_s else "stale"}
    for name in expected:  # never ran on this data dir: reported, not a failure (`hisab web` alone is valid)
        processes.setdefault(name, {"state": "missing"})
    loops_ok = all(p["state"] != "stale" for p in processes.values())
    check = journal_check(journal)
    last = backup.last_backup(settings)
    return {
        "at": now,
        "version": __version__,
        "device_id": settings.device_id,
        "ok": check == "ok" and disk.level != storage.READONLY and loops_ok,
        "read_only": disk.level == storage.READONLY,
        "disk": disk.as_dict(),
        "memory": {"percent_used": memory.percent, "available_bytes": memory.available},
        "cpu": {"temperature_c": cpu_temperature(), "load_1m": round(psutil.getloadavg()[0], 2)},
        "journal": {"size_bytes": journal.size_bytes(), "last_seq": last_seq, "quick_check": check},
        "sync": {"hub_configured": bool(settings.mqtt_url), "acked_seq": acked,
                 "backlog": journal.count_after(acked), "offline_since": _offline_since(beats, settings)},
        "backup": {"last_at": last.get("at") if last else None,
                   "age_s": round(now - last["at"], 1) if last else None,
                   "file": last.get("file") if last else None,
                   "copied_to": last.get("copied_to") if last else None,
                   "copy_error": last.get("copy_error") if last else None},
        "processes": processes,
        "stale_after_s": stale_after_s,
        "update": last_update(settings),
    }


# -- integrity on start ------------------------------------------------------------------


class JournalDamaged(Exception):
    """The journal cannot be trusted; the message names the fix. Nothing was written to it."""


def verify_journal(settings: Settings) -> None:
    """Refuse to start on a damaged, truncated or vanished journal (never open it for writing).

    A missing or empty journal is a fresh box, unless originals are already stored: then
    the journal was lost, and creating a new one would silently drop every invoice.
    """
    import sqlite3

    path = settings.journal_path
    fix = (f"Nothing was changed. Stop the box, move {settings.data_dir} aside, then run "
           f"`hisab restore <newest backup>` onto an empty data directory (backups are in "
           f"{settings.backups_path} and on the backup target).")
    tables = 0
    if path.exists() and path.stat().st_size > 0:
        try:
            conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30)
            try:
                verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
                if verdict == "ok":
                    tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
                    if tables:
                        conn.execute("SELECT count(*) FROM events").fetchone()
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            verdict = str(exc)
        if verdict != "ok":
            raise JournalDamaged(f"The journal {path} is damaged ({verdict}). {fix}")
    if not tables and settings.blobs_dir.is_dir() and any(p.is_file() for p in settings.blobs_dir.rglob("*")):
        raise JournalDamaged(f"The journal {path} is missing or empty although originals are stored. {fix}")
