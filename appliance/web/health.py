"""GET /api/v1/health: the box's health snapshot (appliance.health) plus what only `web` knows.

A loop that stopped beating (wedged or dead) makes the box unhealthy (HTTP 503), not
just a dead web server. The read model's lag behind the journal is added here because
only the web process may open the read model.
"""

from __future__ import annotations

from typing import Any

from appliance import health
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
    report = health.snapshot(box.settings, box.journal, stale_after_s=stale_after(box), expected=EXPECTED)
    readmodel_seq = box.readmodel.last_seq()
    report["readmodel"] = {"last_seq": readmodel_seq, "lag": report["journal"]["last_seq"] - readmodel_seq}
    report["backlog"] = len(backlog(box.journal))
    report["status"] = "ok" if report["ok"] else "degraded"
    return report
