"""The box's status page (/status): the health snapshot of /api/v1/health, for a person.

Disk, memory, CPU temperature, journal size, what the hub has not yet received, the last
backup, how long the hub has been out of reach, read-only mode, each process's heartbeat,
the health check taken after the last start (journal, read model, disk, clock) and the last
update. Reads only; the numbers come from appliance.web.health, the same snapshot the API
and the relay's telemetry use, so the page never tells a different story.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import login_required

from appliance.web import health as health_report
from appliance.web.context import webbox

bp = Blueprint("status", __name__)


def size(n: float | None) -> str:
    if n is None:
        return "—"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def ago(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    if seconds < 90:
        return _("%(n)s s ago", n=seconds)
    if seconds < 90 * 60:
        return _("%(n)s min ago", n=round(seconds / 60))
    if seconds < 36 * 3600:
        return _("%(n)s h ago", n=round(seconds / 3600))
    return _("%(n)s days ago", n=round(seconds / 86400))


def when(epoch: float | None) -> str:
    if not epoch:
        return "—"
    return dt.datetime.fromtimestamp(float(epoch)).strftime("%Y-%m-%d %H:%M")


def view(report: dict[str, Any]) -> dict[str, Any]:
    """The snapshot as the page shows it: words and units, no raw JSON."""
    now = time.time()
    sync, backup, disk = report["sync"], report["backup"], report["disk"]
    offline = sync.get("offline_since")
    processes = []
    for name, proc in report["processes"].items():
        details = []
        if proc.get("backlog") is not None:
            details.append(_("backlog %(n)s", n=proc["backlog"]))
        if "connected" in proc and proc.get("hub"):
            details.append(_("connected to the hub") if proc["connected"] else _("hub out of reach"))
        if proc.get("readmodel_seq") is not None:
            details.append(_("read model at event %(n)s", n=proc["readmodel_seq"]))
        processes.append({"name": name, "state": proc["state"], "age": ago(proc.get("age_s")),
                          "pid": proc.get("pid"), "details": ", ".join(details)})
    return {
        "disk_used": f"{disk['percent_used']:.0f}%", "disk_free": size(disk.get("free_bytes")),
        "memory_used": f"{report['memory']['percent_used']:.0f}%",
        "memory_free": size(report["memory"].get("available_bytes")),
        "temperature": (f"{report['cpu']['temperature_c']:.0f} °C" if report["cpu"]["temperature_c"] is not None
                        else _("no sensor on this board")),
        "load": report["cpu"]["load_1m"], "journal_size": size(report["journal"]["size_bytes"]),
        "offline_since": (when(offline) + " (" + ago(now - offline) + ")") if offline else None,
        "backup_when": (when(backup["last_at"]) + " (" + ago(backup.get("age_s")) + ")") if backup["last_at"] else None,
        "checked": when(report["check"]["at"]), "processes": processes,
    }


@bp.get("/status")
@login_required
def index():
    report = health_report.snapshot(webbox())
    return render_template("status.html", h=report, v=view(report))
