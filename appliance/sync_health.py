"""The box's health check after an outage or a power cut, published with the relay's telemetry.

Owns four verdicts: the journal's SQLite quick_check; the read model against the journal (the
web process alone opens DuckDB, so this compares the seq its projector last reported in its
heartbeat with the journal's end); disk (the storage guard's level); clock sanity (the wall
clock must not be behind the newest HLC stamp in the journal, as it is after a boot without
RTC or NTP, nor implausibly far ahead). Reads only; never opens DuckDB.
"""

from __future__ import annotations

import time
from typing import Any

from appliance import storage
from appliance.lifecycle import heartbeats
from appliance.queue.journal import Journal

CLOCK_SLACK_S = 120.0
READMODEL_STALE_S = 180.0


def check(settings, journal: Journal, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    problems: list[str] = []
    try:
        quick = journal.quick_check()
    except Exception as exc:  # noqa: BLE001 - a damaged file raises; that is the finding
        quick = f"error: {exc}"
    if quick != "ok":
        problems.append(f"journal: {quick}")
    last = journal.last_seq()
    web = heartbeats(settings.data_dir).get("web") or {}
    readmodel_seq = web.get("readmodel_seq")
    if readmodel_seq is None:
        readmodel = "unknown: the web process has not reported"
    elif readmodel_seq > last:
        readmodel = f"ahead: read model at seq {readmodel_seq}, journal ends at {last}"
        problems.append("read model is ahead of the journal (rebuild it: hisab rebuild)")
    elif now - float(web.get("at", 0)) < READMODEL_STALE_S:
        readmodel = "ok" if readmodel_seq == last else f"behind by {last - readmodel_seq} events (catching up)"
    else:
        readmodel = f"stale: web last reported {now - float(web.get('at', 0)):.0f}s ago at seq {readmodel_seq}"
    try:
        disk = storage.check(settings.data_dir, settings)
        disk_state = {"level": disk.level, "percent": disk.percent_used, "free_bytes": disk.free_bytes}
        if disk.level == storage.READONLY:
            problems.append("disk full: the box is read-only")
    except OSError as exc:
        disk_state = {"level": "error", "error": str(exc)}
        problems.append(f"disk: {exc}")
    newest = journal.query("SELECT max(hlc) FROM events")[0][0]
    newest_s = int(newest.split("-", 1)[0]) / 1000 if newest else None
    if newest_s is not None and now + CLOCK_SLACK_S < newest_s:
        clock = f"behind: the wall clock is {newest_s - now:.0f}s behind the newest journal stamp (no RTC/NTP?)"
        problems.append("clock is behind the journal")
    elif now > 4102444800:  # 2100-01-01
        clock = "implausible: the wall clock is past 2100"
        problems.append("clock implausible")
    else:
        clock = "ok"
    return {"at": now, "ok": not problems, "problems": problems, "journal_quick_check": quick, "journal_last_seq": last,
            "readmodel": readmodel, "disk": disk_state, "clock": clock}
