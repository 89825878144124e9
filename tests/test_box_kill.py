"""kill -9 of the whole box while it is busy, then a restart: the health check after the start
(journal quick_check, read model equal to the journal, disk, clock) is on GET /api/v1/health and
on the status page, with every process's heartbeat, the backlog and "offline since".

The REAL box (`python -m appliance run`: web under gunicorn, worker, relay) on a free port; its
hub is configured but unreachable, so the relay is offline and the backlog grows. Edits go in
through the JSON API from another thread when the process group gets SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from appliance.queue.journal import Journal
from hub.devstack import free_port
from tests.box_process import RunningBox
from tests.seed import received_and_extracted

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
DEVICE = "box-kill"


def all_beating(report: dict | None, names=("web", "worker", "relay"), not_pids=()) -> bool:
    procs = (report or {}).get("processes", {})
    return all(procs.get(n, {}).get("state") == "ok" and procs[n].get("pid") not in not_pids for n in names)


def seed(data: Path, n: int) -> list[str]:
    journal = Journal(data / "journal.sqlite3", DEVICE)
    ids, items = [], []
    for i in range(n):
        inv = uuid.uuid4().hex
        ids.append(inv)
        items += received_and_extracted(inv, i, {"supplier_name": "Rahim Traders", "invoice_number": f"K-{i}",
                                                 "total": 100.0 + i, "confidence": {}, "needs_review": []})
    journal.append_many(items)
    journal.close()
    return ids


def edit_until(base: str, token: str, ids: list[str], stop: threading.Event, acked: list[tuple[str, str]]) -> None:
    """Edit notes through the API as fast as the box answers; remember each edit it acknowledged."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    i = 0
    while not stop.is_set():
        inv, note = ids[i % len(ids)], f"edit {i}"
        i += 1
        try:
            version = session.get(f"{base}/api/v1/invoices/{inv}", timeout=5).json()["version"]
            answer = session.patch(f"{base}/api/v1/invoices/{inv}", json={"note": note},
                                   headers={"If-Match": str(version)}, timeout=5)
        except (requests.RequestException, ValueError, KeyError):
            continue  # the box is being killed: whatever was not answered was not promised
        if answer.status_code == 200:
            acked.append((inv, note))


def test_health_check_after_kill_9_of_the_whole_box(tmp_path):
    data, port = tmp_path / "data", free_port()
    env = {"HISAB_DEVICE_ID": DEVICE, "HISAB_MQTT_URL": f"mqtt://{DEVICE}:pw@127.0.0.1:{free_port()}"}  # unreachable
    ids = seed(data, 20)
    box = RunningBox(data, port, tmp_path / "box.log", env=env)
    try:
        first = box.wait(lambda: all_beating(box.health()) and box.health(), 120, "web, worker and relay beating")
        started_at = time.time()
        token = subprocess.run([sys.executable, "-m", "appliance", "--data-dir", str(data), "token", "create", "owner"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        old_pids = {first["processes"][n]["pid"] for n in ("web", "worker", "relay")}
        assert first["sync"]["offline_since"]  # the hub is out of reach from the start

        stop, acked = threading.Event(), []
        writer = threading.Thread(target=edit_until, args=(box.base, token, ids, stop, acked), daemon=True)
        writer.start()
        box.wait(lambda: len(acked) >= 15, 60, "edits acknowledged")
        os.killpg(box.proc.pid, signal.SIGKILL)  # the whole box at once, mid-write: web, worker, relay
        box.proc.wait(10)
        stop.set()
        writer.join(10)
    finally:
        box.stop()

    journal = Journal(data / "journal.sqlite3", DEVICE)
    stored = {(e.invoice_id, e.payload["fields"]["note"]) for e in journal.read_after(0, limit=100_000)
              if e.type == "invoice.edited"}
    last_seq = journal.last_seq()
    journal.close()
    assert set(acked) <= stored, "an edit the box acknowledged was lost by kill -9"

    restarted_at = time.time()
    box = RunningBox(data, port, tmp_path / "box.log", env=env)
    try:
        report = box.wait(lambda: (h := box.health(token)) and all_beating(h, not_pids=old_pids)
                          and h["check"]["readmodel"] == "ok" and h, 120, "the restarted box's health check")
        check = report["check"]
        assert check["ok"] and check["problems"] == []
        assert check["journal_quick_check"] == "ok" and check["clock"] == "ok" and check["disk"]["level"] == "ok"
        assert check["journal_last_seq"] >= last_seq and report["readmodel"]["lag"] == 0
        sync = report["sync"]
        assert sync["hub_configured"] and sync["backlog"] == report["journal"]["last_seq"] > 0
        # the relay carried "offline since" over the crash: it is the first run's, not the restart's
        assert sync["offline_since"] < restarted_at and sync["offline_since"] <= started_at
        assert report["ok"] and not report["read_only"] and report["journal"]["size_bytes"] > 0

        html = requests.get(f"{box.base}/status", headers={"Authorization": f"Bearer {token}"}, timeout=10).text
        for text in ("Health check after start", "matches the journal", "SQLite quick check: ok", "sane",
                     "Not yet at the hub", f"{sync['backlog']} events", "out of reach since", 'id="process-relay"',
                     'id="process-worker"', 'id="process-web"', "All well"):
            assert text in html, text
        assert "not responding" not in html
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "health-after-kill-9.json").write_text(json.dumps(report, indent=2))
    finally:
        box.stop()
