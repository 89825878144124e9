"""Each box's software version and last over-the-air update result, from provisioning's own record
(update-result.json) through the relay's telemetry (real Mosquitto) into PostgreSQL, the hub's
GET /api/v1/devices and its fleet dashboard."""

from __future__ import annotations

import re
import shutil

from appliance import __version__, health
from hub import db, users
from hub.web import create_app
from provisioning import update
from provisioning.report import Report
from provisioning.target import DATA, Target
from tests.conftest_services import running_relay, wait_for


def record_update(tmp_path, box, result: str, to_version: str, reason: str) -> None:
    """What `hisab-provision update` leaves on the box, written by its own code, in the box's data dir."""
    target = Target(tmp_path / f"root-{to_version}")
    target.path(DATA).mkdir(parents=True)
    update._finish(target, {"device_id": box.device, "from_version": "0.1.0", "to_version": to_version,
                            "started_at": "2025-01-10T04:00:00+00:00"}, result, reason, Report("update"))
    shutil.copy(target.path(DATA) / update.RESULT_FILE, box.settings.data_dir / health.UPDATE_RESULT_FILE)


def hub_update(settings, device):
    with db.connect(settings.database_url) as conn:
        row = conn.execute("SELECT last_update FROM devices WHERE device_id=%s", (device,)).fetchone()
    return row and row["last_update"]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_version_and_last_update_result_reach_the_hub_dashboard_and_api(make_box, hub_settings, ingest, tmp_path):
    assert health.UPDATE_RESULT_FILE == update.RESULT_FILE  # the box reads what provisioning writes
    box = make_box()
    box.invoices(1)
    box.settings.data_dir.mkdir(parents=True, exist_ok=True)
    record_update(tmp_path, box, update.ROLLED_BACK, "0.2.0",
                  "http://127.0.0.1:8080/api/v1/health answered HTTP 503 {'worker': 'stale'}")
    with running_relay(box):
        got = wait_for(lambda: hub_update(hub_settings, box.device), 20, what="the update result at the hub")
    assert got["result"] == "rolled_back" and got["to_version"] == "0.2.0" and got["from_version"] == "0.1.0"
    assert "503" in got["reason"] and got["finished_at"]

    with db.connect(hub_settings.database_url, autocommit=True) as conn:
        users.add_user(conn, "nadia", "operator", "correct horse battery")
        token = users.create_token(conn, "nadia")
    app = create_app(hub_settings)
    api = app.test_client().get("/api/v1/devices", headers={"Authorization": f"Bearer {token}"})
    [mine] = [d for d in api.get_json() if d["device_id"] == box.device]
    assert mine["version"] == __version__ and mine["last_update"]["result"] == "rolled_back"

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"name": "nadia", "password": "correct horse battery",
                                       "csrf_token": _csrf(page)}).status_code == 302
    fleet = client.get("/").get_data(as_text=True)
    row = fleet[fleet.index(box.device):].split("</tr>")[0]
    assert __version__ in row and "ROLLED BACK: 0.2.0 failed, 0.1.0 runs" in row and "503" in row
    device_page = client.get(f"/devices/{box.device}").get_data(as_text=True)
    assert "ROLLED BACK: 0.2.0 failed" in device_page

    # the next update succeeds: the hub shows that instead
    record_update(tmp_path, box, update.UPDATED, "0.2.1", "healthy")
    with running_relay(box):
        wait_for(lambda: (hub_update(hub_settings, box.device) or {}).get("result") == "updated", 20,
                 what="the new result at the hub")
    row = client.get("/").get_data(as_text=True)
    row = row[row.index(box.device):].split("</tr>")[0]
    assert "updated 0.1.0 → 0.2.1" in row and "ROLLED BACK" not in row
