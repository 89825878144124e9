"""`hisab-hub loadtest`: simulated boxes, each a real journal and a real Relay, against a running hub.

It starts no hub: the broker and database are the ones the ``HUB_*`` variables name. The
boxes connect with the hub's broker account (its ACL allows every box topic) under their own
client ids, so no per-box credentials need provisioning. Reports what the hub stored:
``lost`` (events a box has that the hub lacks), ``duplicated`` (stored more than once) and
``events_per_s`` (from the first publish until every box's cursor reached its end).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from appliance.config import parse
from appliance.queue.journal import Journal
from appliance.relay import CURSOR, Relay
from hub import db
from hub.settings import HubSettings


def _fill(journal: Journal, invoices: int, edits_per_invoice: int = 2) -> None:
    items = []
    for i in range(invoices):
        inv = uuid.uuid4().hex
        items.append(("invoice.received", {"sha256": inv, "filename": f"{i}.jpg", "content_type": "image/jpeg",
                                           "size": 200_000, "pages": 1}, inv, "staff", None, None))
        items.append(("invoice.extracted", {"result": {"fields": {
            "supplier_name": "Karim Enterprise", "supplier_bin": "001234567-0101", "invoice_number": f"K-{i}",
            "invoice_date": "2024-05-01", "subtotal": 1000 + i, "vat_amount": 150, "total": 1150 + i},
            "confidence": {"total": 0.9}, "needs_review": []}}, inv, "worker", None, None))
        for n in range(edits_per_invoice):
            items.append(("invoice.edited", {"fields": {"invoice_number": f"K-{i}-{n}"}, "base_version": n + 1},
                          inv, "staff:rina", None, None))
    journal.append_many(items)


def run(settings: HubSettings, boxes: int, invoices: int, timeout_s: float = 300.0,
        progress=None) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:6]
    root = Path(tempfile.mkdtemp(prefix="hisab-loadtest-"))
    relays: list[tuple[str, Journal, Relay]] = []
    try:
        for b in range(boxes):
            device = f"loadtest-{run_id}-{b:04d}"
            box = parse({"data_dir": root / device, "device_id": device, "mqtt_url": settings.mqtt_url})
            journal = Journal(box.journal_path, device)
            _fill(journal, invoices)
            relays.append((device, journal, Relay(box, journal, client_id=f"lt-{device}", linger_s=0.1, ack_timeout_s=10.0,
                                                  backoff_s=(0.2, 5.0))))
        expected = {device: journal.last_seq() for device, journal, _ in relays}
        total = sum(expected.values())
        stop = threading.Event()
        threads = [threading.Thread(target=r.run, args=(stop,), daemon=True) for _, _, r in relays]
        started = time.monotonic()
        for t in threads:
            t.start()
        deadline = started + timeout_s
        done = 0
        while time.monotonic() < deadline:
            done = sum(min(j.cursor(CURSOR), expected[d]) for d, j, _ in relays)
            if progress:
                progress(done, total)
            if done >= total:
                break
            stop.wait(0.1)
        elapsed = time.monotonic() - started
        stop.set()
        for _, _, r in relays:
            r.wake.set()
        for t in threads:
            t.join(15)
        with db.connect(settings.database_url) as conn:
            rows = conn.execute(
                "SELECT device_id, count(*) AS n, count(DISTINCT seq) AS seqs, count(DISTINCT id) AS ids "
                "FROM events WHERE device_id = ANY(%s) GROUP BY device_id", (list(expected),)).fetchall()
        stored = {r["device_id"]: r for r in rows}
        lost = sum(max(0, n - (stored[d]["ids"] if d in stored else 0)) for d, n in expected.items())
        duplicated = sum(r["n"] - r["ids"] for r in rows)
        wire = sum(r.stats["bytes"] for _, _, r in relays)
        return {"boxes": boxes, "invoices": invoices, "events": total, "lost": lost, "duplicated": duplicated,
                "seconds": round(elapsed, 3), "events_per_s": round(total / elapsed, 1) if elapsed else None,
                "bytes_on_wire": wire, "bytes_per_invoice": round(wire / max(1, boxes * invoices), 1),
                "resends": sum(r.stats["resends"] for _, _, r in relays), "complete": done >= total}
    finally:
        for _, journal, _ in relays:
            journal.close()
        shutil.rmtree(root, ignore_errors=True)
