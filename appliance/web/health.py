"""GET /api/v1/health: the box's health snapshot (appliance.health) plus what only `web` knows.

A loop that stopped beating (wedged or dead) makes the box unhealthy (HTTP 503), not
just a dead web server. The read model's lag behind the journal is added here because
only the web process may open the read model, and so is the health check after a start
(appliance.sync_health: journal quick_check, read model equal to the journal, disk, clock),
taken on the first request after the web process starts and again every CHECK_EVERY_S.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from appliance import health, sync_health
from appliance.web.context import WebBox
from appliance.worker import backlog

EXPECTED = ("web", "worker")
CHECK_EVERY_S = 300.0  # the journal digest reads every invoice event: ~0.5 s at 50k invoices here
_checks: dict[Path, tuple[float, dict[str, Any]]] = {}
_checks_lock = threading.Lock()


def stale_after(box: WebBox) -> float:
    """Seconds without a beat after which a loop counts as wedged.

    The worker beats between invoices, and one invoice may take several OCR timeouts.
    """
    s = box.settings
    return max(60.0, 10 * s.poll_seconds, 3 * s.tesseract_timeout_s)


def integrity(box: WebBox, max_age_s: float = CHECK_EVERY_S) -> dict[str, Any]:
    """The four verdicts of appliance.sync_health, comparing the read model itself with the journal."""
    now = time.monotonic()
    with _checks_lock:
        cached = _checks.get(box.journal.path)
        if cached and now - cached[0] < max_age_s:
            return cached[1]
        result = sync_health.check(box.settings, box.journal, readmodel=box.readmodel)
        settled = result["readmodel"] == "ok" or not result["ok"]
        # while the projector is still applying newer events, look again soon rather than in a minute
        _checks[box.journal.path] = (now if settled else now - max_age_s + 2.0, result)
        return result


def snapshot(box: WebBox) -> dict[str, Any]:
    report = health.snapshot(box.settings, box.journal, stale_after_s=stale_after(box), expected=EXPECTED)
    readmodel_seq = box.readmodel.last_seq()
    report["readmodel"] = {"last_seq": readmodel_seq, "lag": report["journal"]["last_seq"] - readmodel_seq}
    report["backlog"] = len(backlog(box.journal))
    report["check"] = integrity(box)
    report["status"] = "ok" if report["ok"] else "degraded"
    return report
