"""One health snapshot of the box for GET /api/v1/health: every loop's heartbeat, backlog, disk.

A loop that stopped beating (wedged or dead) makes the box unhealthy (HTTP 503), not
just a dead web server. A process that never ran on this data dir has no heartbeat and
is reported as ``missing`` without failing the check (``hisab web`` alone is valid).
"""

from __future__ import annotations

import time
from typing import Any

from appliance import __version__, storage
from appliance.lifecycle import heartbeats
from appliance.web.context import WebBox
from appliance.worker import backlog

EXPECTED = ("web", "worker")


def stale_after(box: WebBox) -> float:
    """Seconds without a beat after which a loop counts as wedged.

    The worker beats between invoices, and one invoice may take several OCR timeouts.
    """
    s = box.settings
    return max(60.0, 10 * s.poll_seconds, 3 * s.tesseract_timeout_s)


def snapshot(box: WebBox) -> dict[str, Any]:
    now = time.time()
    limit = stale_after(box)
    processes: dict[str, Any] = {}
    ok = True
    for name, beat in sorted(heartbeats(box.settings.data_dir).items()):
        age = max(0.0, now - float(beat.get("at", 0)))
        fresh = age <= limit
        ok = ok and fresh
        processes[name] = {**{k: v for k, v in beat.items() if k not in ("process", "at")},
                           "age_s": round(age, 1), "state": "ok" if fresh else "stale"}
    for name in EXPECTED:
        processes.setdefault(name, {"state": "missing"})
    journal_seq = box.journal.last_seq()
    readmodel_seq = box.readmodel.last_seq()
    disk = storage.check(box.settings.data_dir, box.settings)
    return {
        "ok": ok,
        "status": "ok" if ok else "degraded",
        "version": __version__,
        "device_id": box.settings.device_id,
        "processes": processes,
        "stale_after_s": limit,
        "backlog": len(backlog(box.journal)),
        "journal": {"last_seq": journal_seq},
        "readmodel": {"last_seq": readmodel_seq, "lag": journal_seq - readmodel_seq},
        "disk": {"free_bytes": disk.free_bytes, "total_bytes": disk.total_bytes,
                 "used_percent": disk.percent_used, "level": disk.level, "message": disk.message},
    }
