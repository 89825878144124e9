"""The hub: merge rules, conflicts, downlink, security, alerts, dashboard, load."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import paho.mqtt.client as mqtt
import pytest
from aiosmtpd.controller import Controller
from paho.mqtt.enums import CallbackAPIVersion

from appliance.relay import CURSOR, encode, topic
from hub import alerts, db, merge, users
from hub.devstack import free_port
from hub.web import create_app
from tests.conftest_services import running_relay, start_ingest, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def synced(box):
    wait_for(lambda: box.journal.cursor(CURSOR) == box.journal.last_seq(), 20, what=f"{box.device} synced")


def hub_invoice(settings, device, invoice_id):
    with db.connect(settings.database_url) as conn:
        return conn.execute("SELECT * FROM invoices WHERE device_id=%s AND invoice_id=%s", (device, invoice_id)).fetchone()


def hub_change(settings, fn, *args):
    with db.connect(settings.database_url) as conn, conn.transaction():
        return fn(conn, *args)


def open_conflicts(settings, device):
    with db.connect(settings.database_url) as conn:
        return conn.execute("SELECT * FROM conflicts WHERE device_id=%s AND status='open'", (device,)).fetchall()


def test_both_sides_changing_the_total_beyond_threshold_opens_a_conflict(make_box, hub_settings, ingest):
    box = make_box()
    [inv] = box.invoices(1, total=1000)
    with running_relay(box):
        synced(box)
    # the link is down: the hub's operator and the shop both correct the total
    hub_change(hub_settings, merge.hub_edit, box.device, inv, {"total": 1500}, "amina")
    box.journal.append("invoice.edited", {"fields": {"total": 1200, "invoice_number": "B-7"}, "base_version": 2},
                       invoice_id=inv, actor="staff:rina")
    with running_relay(box):
        [conflict] = wait_for(lambda: open_conflicts(hub_settings, box.device), 20, what="a conflict")
        assert conflict["reason"] == "total"
        assert (conflict["box_fields"], conflict["hub_fields"]) == ({"total": 1200}, {"total": 1500})
        row = hub_invoice(hub_settings, box.device, inv)
        assert row["fields"]["total"] == 1500 and row["held"] == {"total": 1200}
        assert row["fields"]["invoice_number"] == "B-7"  # the undisputed field merged as usual
        # the operator keeps the shop's figure; the resolution travels down to the box
        hub_change(hub_settings, merge.resolve, conflict["id"], "box", "amina")
        resolution = wait_for(lambda: [e for e in box.journal.events_for(inv)
                                       if e.actor == "hub:amina" and e.payload["fields"] == {"total": 1200}],
                              20, what="resolution on the box")
        wait_for(lambda: box.journal.cursor(CURSOR) >= resolution[0].seq, 20, what="resolution echoed")
    assert not open_conflicts(hub_settings, box.device)
    row = hub_invoice(hub_settings, box.device, inv)
    assert row["fields"]["total"] == 1200 and row["held"] == {}
    with db.connect(hub_settings.database_url) as conn:
        history = conn.execute("SELECT actor, origin FROM invoice_versions WHERE device_id=%s AND invoice_id=%s "
                               "ORDER BY version", (box.device, inv)).fetchall()
        pending = conn.execute("SELECT count(*) AS n FROM downlink WHERE device_id=%s AND applied_seq IS NULL",
                               (box.device,)).fetchone()["n"]
    assert [h["origin"] for h in history] == [f"box:{box.device}"] * 2 + ["hub", f"box:{box.device}", "hub"]
    assert history[-1]["actor"] == "hub:amina" and pending == 0


def test_simple_fields_and_small_total_differences_are_last_writer_wins(make_box, hub_settings, ingest):
    box = make_box()
    first, second = box.invoices(2, total=1000)
    with running_relay(box):
        synced(box)
    # invoice 1: the hub edits first, the shop later -> the shop's later write wins
    hub_change(hub_settings, merge.hub_edit, box.device, first, {"invoice_number": "HUB-1", "total": 1000.4}, "amina")
    box.journal.append("invoice.edited", {"fields": {"invoice_number": "BOX-1", "total": 1000.9}, "base_version": 2},
                       invoice_id=first, actor="staff:rina")
    # invoice 2: the shop edits first (offline), the hub later -> the hub's later write wins
    box.journal.append("invoice.edited", {"fields": {"invoice_number": "BOX-2"}, "base_version": 2},
                       invoice_id=second, actor="staff:rina")
    hub_change(hub_settings, merge.hub_edit, box.device, second, {"invoice_number": "HUB-2"}, "amina")
    with running_relay(box):
        synced(box)
        wait_for(lambda: len([e for e in box.journal.read_after(0) if e.actor == "hub:amina"]) == 2, 20,
                 what="hub edits on the box")
        synced(box)
    assert not open_conflicts(hub_settings, box.device)
    assert hub_invoice(hub_settings, box.device, first)["fields"]["invoice_number"] == "BOX-1"
    assert hub_invoice(hub_settings, box.device, first)["fields"]["total"] == 1000.9
    assert hub_invoice(hub_settings, box.device, second)["fields"]["invoice_number"] == "HUB-2"


def test_supplier_master_data_edited_at_the_hub_reaches_the_box(make_box, hub_settings, ingest):
    box = make_box()
    box.invoices(1)
    with running_relay(box):
        synced(box)
        hub_change(hub_settings, merge.upsert_supplier,
                   {"bin": "004455667-0202", "name": "Padma Paper Mills", "address": "Dhaka", "vat_rate": 15}, "amina")
        [event] = wait_for(lambda: box.journal.read_after(0, types=("supplier.upserted",)), 20, what="supplier")
    assert event.payload["name"] == "Padma Paper Mills" and event.actor == "hub:amina"


def _client(mosquitto, user, port=None):
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(user, mosquitto.passwords[user])
    client.connect("127.0.0.1", port or mosquitto.port)
    client.loop_start()
    return client


def test_a_box_cannot_use_another_boxs_topics(make_box, mosquitto):
    mallory, victim = make_box(), make_box()
    heard: list[str] = []
    hub = _client(mosquitto, "hub")
    hub.on_message = lambda c, u, m: heard.append(m.topic)
    hub.subscribe(topic(victim.device, "#"), qos=1)
    acks: dict[int, object] = {}
    subacks: list = []
    stolen: list[str] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(mallory.device, mosquitto.passwords[mallory.device])
    client.on_publish = lambda c, u, mid, rc, props: acks.__setitem__(mid, rc)
    client.on_subscribe = lambda c, u, mid, rcs, props: subacks.extend(rcs)
    client.on_message = lambda c, u, m: stolen.append(m.topic)
    client.connect("127.0.0.1", mosquitto.port)
    client.loop_start()
    try:
        forged = encode({"v": 1, "device": victim.device, "after": 0, "upto": 1, "events": []})
        info = client.publish(topic(victim.device, "up", "events"), forged, qos=1)
        own = client.publish(topic(mallory.device, "up", "telemetry"), b"{}", qos=1)
        client.subscribe(topic(victim.device, "down", "#"), qos=1)
        wait_for(lambda: info.mid in acks and own.mid in acks and subacks, 10, what="PUBACKs and SUBACK")
        assert acks[info.mid].is_failure and acks[info.mid].getName() == "Not authorized"
        assert not acks[own.mid].is_failure
        # Mosquitto grants the subscription but its read ACL withholds every message on it
        hub.publish(topic(victim.device, "down", "ack"), b'{"acked": 1}', qos=1).wait_for_publish(5)
        wait_for(lambda: topic(victim.device, "down", "ack") in heard, 5, what="the hub hears its own ack")
        threading.Event().wait(0.5)
        assert stolen == []
        assert topic(victim.device, "up", "events") not in heard
    finally:
        for c in (client, hub):
            c.loop_stop()
            c.disconnect()


def test_relay_connects_over_tls_with_the_hubs_ca(make_box, hub_settings, ingest, tls_material):
    box = make_box(tls=True, ca=tls_material[0])
    box.invoices(3)
    with running_relay(box) as relay:
        synced(box)
        assert relay.connected.is_set()
    stranger = make_box(tls=True)  # the system CAs do not know the test CA: no connection
    with running_relay(stranger) as relay:
        threading.Event().wait(1.5)
        assert not relay.connected.is_set()


class _Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode())
        return "250 OK"


class _Sms(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def alert_sinks():
    mailbox = _Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    _Sms.received = []
    sms = ThreadingHTTPServer(("127.0.0.1", 0), _Sms)
    threading.Thread(target=sms.serve_forever, daemon=True).start()
    yield mailbox, _Sms.received, f"smtp://127.0.0.1:{smtp.port}", f"http://127.0.0.1:{sms.server_port}/sms"
    smtp.stop()
    sms.shutdown()


def test_offline_alert_is_sent_once_by_email_and_sms_then_recovery(make_box, mosquitto, hub_settings, ingest,
                                                                     alert_sinks):
    mailbox, texts, smtp_url, sms_url = alert_sinks
    settings = hub_settings.model_copy(update={
        "smtp_url": smtp_url, "alert_email_to": "ops@example.com", "sms_url": sms_url, "sms_to": "+8801700000000",
        "offline_alert_s": 0.5, "disk_alert_percent": 95})
    box = make_box()
    as_box = _client(mosquitto, box.device)
    try:
        as_box.publish(topic(box.device, "up", "telemetry"), json.dumps({"disk_percent": 97.5, "backlog": 3}), qos=1)
        # what the broker publishes as the box's last will when its power goes
        as_box.publish(topic(box.device, "up", "status"), json.dumps({"state": "offline", "version": "0.1.0"}),
                       qos=1, retain=True).wait_for_publish(5)
        with db.connect(settings.database_url, autocommit=True) as conn:
            wait_for(lambda: conn.execute("SELECT state FROM devices WHERE device_id=%s",
                                          (box.device,)).fetchone() == {"state": "offline"}, 10, what="offline")
            threading.Event().wait(0.6)
            for _ in range(3):  # evaluated again and again: still one notice per alert
                alerts.run_once(conn, settings)
            mine = [m for m in mailbox.messages if box.device in m]
            assert len(mine) == 2  # offline + disk
            assert any("offline" in m and "ops@example.com" in m for m in mine)
            assert sorted(t["kind"] for t in texts if t["device"] == box.device) == ["disk", "offline"]
            as_box.publish(topic(box.device, "up", "status"), json.dumps({"state": "online"}), qos=1,
                           retain=True).wait_for_publish(5)
            wait_for(lambda: conn.execute("SELECT state FROM devices WHERE device_id=%s",
                                          (box.device,)).fetchone() == {"state": "online"}, 10, what="online")
            alerts.run_once(conn, settings)
            alerts.run_once(conn, settings)
        mine = [m for m in mailbox.messages if box.device in m]
        assert len(mine) == 3 and "back online" in mine[-1]
    finally:
        as_box.loop_stop()
        as_box.disconnect()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_dashboard_needs_login_and_csrf_and_lists_the_fleet(make_box, hub_settings, ingest):
    box = make_box()
    box.invoices(2)
    with running_relay(box):
        synced(box)
        wait_for(lambda: hub_invoice(hub_settings, box.device, box.journal.read_after(0)[0].invoice_id), 10)
    with db.connect(hub_settings.database_url, autocommit=True) as conn:
        users.add_user(conn, "amina", "operator", "correct horse")
        token = users.create_token(conn, "amina")
    client = create_app(hub_settings).test_client()
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/devices").status_code == 401
    assert client.post("/login", data={"name": "amina", "password": "correct horse"}).status_code == 400  # no CSRF
    page = client.get("/login").get_data(as_text=True)
    bad = client.post("/login", data={"name": "amina", "password": "wrong", "csrf_token": _csrf(page)})
    assert "Wrong name or password" in bad.get_data(as_text=True)
    ok = client.post("/login", data={"name": "amina", "password": "correct horse", "csrf_token": _csrf(page)})
    assert ok.status_code == 302
    fleet = client.get("/").get_data(as_text=True)
    assert box.device in fleet and "stopped" in fleet
    assert client.get(f"/devices/{box.device}").status_code == 200
    api = create_app(hub_settings).test_client().get("/api/v1/devices", headers={"Authorization": f"Bearer {token}"})
    [mine] = [d for d in api.get_json() if d["device_id"] == box.device]
    assert mine["online"] is False and mine["invoices"] == 2 and mine["last_seen"]
    assert set(mine) >= {"device_id", "online", "last_seen", "backlog", "invoices"}


def test_cli_adds_users_and_prints_only_the_token(hub_settings):
    env = {**os.environ, "HUB_DATABASE_URL": hub_settings.database_url, "HUB_MQTT_URL": hub_settings.mqtt_url}
    cli = [sys.executable, "-m", "hub.cli"]
    add = subprocess.run([*cli, "user", "add", "rahim", "--role", "admin", "--password-stdin"], input="s3cret-pass\n",
                         env=env, cwd=ROOT, capture_output=True, text=True)
    assert add.returncode == 0, add.stderr
    out = subprocess.run([*cli, "token", "create", "rahim"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and re.fullmatch(r"[A-Za-z0-9_-]{40,}\n", out.stdout)
    missing = subprocess.run([*cli, "token", "create", "nobody"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert missing.returncode == 1 and "no hub user" in missing.stderr


@pytest.mark.slow
def test_loadtest_with_two_ingest_workers_loses_and_duplicates_nothing(hub_settings):
    env = {**os.environ, "HUB_DATABASE_URL": hub_settings.database_url, "HUB_MQTT_URL": hub_settings.mqtt_url}
    with start_ingest(hub_settings, workers=2) as workers:
        run = subprocess.run([sys.executable, "-m", "hub.cli", "loadtest", "--boxes", "8", "--invoices", "125", "--json"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stderr[-3000:]
        result = json.loads(run.stdout)
        assert all(w.stats["batches"] > 0 for w in workers)  # the shared subscription split the load
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["events"] == 8 * 125 * 4
    assert result["events_per_s"] > 0
    print(result)
