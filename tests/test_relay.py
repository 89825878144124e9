"""The relay drains a box's journal to the hub exactly once, whatever breaks on the way."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from appliance.relay import CURSOR, topic
from tests.conftest_services import running_relay, start_ingest, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def hub_rows(settings, device: str) -> tuple[int, int, int]:
    """(events stored, distinct seqs, acked_seq) for one device at the hub."""
    with psycopg.connect(settings.database_url) as conn:
        n, distinct = conn.execute("SELECT count(*), count(DISTINCT id) FROM events WHERE device_id=%s", (device,)).fetchone()
        acked = conn.execute("SELECT acked_seq FROM devices WHERE device_id=%s", (device,)).fetchone()
        return n, distinct, acked[0] if acked else 0


def test_journal_drains_to_the_hub_exactly_once(make_box, hub_settings, ingest):
    box = make_box()
    box.invoices(300)  # 600 events: two batches and a partial one
    last = box.journal.last_seq()
    with running_relay(box, batch_max=250) as relay:
        wait_for(lambda: box.journal.cursor(CURSOR) == last, 20, what="cursor at the last seq")
        assert relay.backlog() == 0
    assert hub_rows(hub_settings, box.device) == (last, last, last)
    with psycopg.connect(hub_settings.database_url) as conn:
        disk, version, state = conn.execute("SELECT disk_percent, version, state FROM devices WHERE device_id=%s",
                                            (box.device,)).fetchone()
    assert disk is not None and version and state == "stopped"  # telemetry and status arrived too


def test_private_events_never_leave_the_box(make_box, hub_settings, ingest):
    box = make_box()
    box.invoices(1)
    box.journal.append("user.added", {"name": "rina", "password_hash": "$argon2id$secret"}, actor="owner")
    box.journal.append("token.created", {"name": "erp", "token_sha256": "abc"}, actor="owner")
    box.invoices(1)
    last = box.journal.last_seq()
    with running_relay(box):
        wait_for(lambda: box.journal.cursor(CURSOR) == last, 20, what="cursor past the private events")
    with psycopg.connect(hub_settings.database_url) as conn:
        types = [r[0] for r in conn.execute("SELECT type FROM events WHERE device_id=%s", (box.device,))]
        acked = conn.execute("SELECT acked_seq FROM devices WHERE device_id=%s", (box.device,)).fetchone()[0]
    assert acked == last  # the range still covers seqs it left out, so the ack is contiguous
    assert len(types) == 4 and not any(t.startswith(("user.", "token.")) for t in types)


def test_cursor_moves_only_on_the_hubs_ack(make_box, hub_settings):
    box = make_box()
    box.invoices(20)
    last = box.journal.last_seq()
    with running_relay(box, ack_timeout_s=1.0) as relay:
        wait_for(lambda: relay.stats["batches"] >= 1, 10, what="a batch published")
        threading.Event().wait(1.5)  # the broker has the batch (PUBACK), but no hub has stored it
        assert box.journal.cursor(CURSOR) == 0
        with start_ingest(hub_settings):
            wait_for(lambda: box.journal.cursor(CURSOR) == last, 20, what="ack from the hub")
    assert hub_rows(hub_settings, box.device) == (last, last, last)


@pytest.mark.slow
def test_hub_ingest_restart_mid_drain_loses_and_duplicates_nothing(make_box, hub_settings):
    box = make_box()
    box.invoices(1500)
    last = box.journal.last_seq()
    with running_relay(box, batch_max=100, window=1, ack_timeout_s=1.0):
        with start_ingest(hub_settings):
            wait_for(lambda: box.journal.cursor(CURSOR) > 0, 20, 0.01, what="drain started")
        assert box.journal.cursor(CURSOR) < last
        with start_ingest(hub_settings):
            wait_for(lambda: box.journal.cursor(CURSOR) == last, 60, what="drain finished by the new worker")
    assert hub_rows(hub_settings, box.device) == (last, last, last)


@pytest.mark.slow
def test_offline_backlog_drains_when_the_broker_returns(make_box, mosquitto, hub_settings, ingest):
    box = make_box()
    with running_relay(box) as relay:
        wait_for(relay.connected.is_set, 10, what="relay connected")
        box.invoices(5)
        wait_for(lambda: box.journal.cursor(CURSOR) == box.journal.last_seq(), 20, what="first drain")
        mosquitto.stop()
        try:
            wait_for(lambda: not relay.connected.is_set(), 10, what="relay notices the outage")
            invoices = box.invoices(500)  # the shop keeps working: 500 invoices, 2,000 edits
            box.journal.append_many([("invoice.edited", {"fields": {"invoice_number": f"E{inv[:6]}-{n}"},
                                                         "base_version": n + 2}, inv, "staff:rina", None, None)
                                     for n in range(4) for inv in invoices])
        finally:
            mosquitto.start()
        last = box.journal.last_seq()
        wait_for(lambda: box.journal.cursor(CURSOR) == last, 60, what="backlog drained after the outage")
    assert hub_rows(hub_settings, box.device) == (last, last, last)
    with psycopg.connect(hub_settings.database_url) as conn:
        numbers = dict(conn.execute("SELECT invoice_id, fields->>'invoice_number' FROM invoices WHERE device_id=%s",
                                    (box.device,)).fetchall())
    assert len(numbers) == 505
    assert all(numbers[inv] == f"E{inv[:6]}-3" for inv in invoices)  # hub state = box state
    assert hub_rows(hub_settings, box.device) == (last, last, last)


@pytest.mark.slow
def test_broker_restart_mid_drain_loses_and_duplicates_nothing(make_box, mosquitto, hub_settings, ingest):
    box = make_box()
    box.invoices(2000)
    last = box.journal.last_seq()
    with running_relay(box, batch_max=100, window=2) as relay:
        wait_for(lambda: box.journal.cursor(CURSOR) > 0, 20, what="drain started")
        mosquitto.stop(kill=True)
        mosquitto.start()
        wait_for(lambda: box.journal.cursor(CURSOR) == last, 60, what="drain finished after broker restart")
        assert relay.acked == last
    assert hub_rows(hub_settings, box.device) == (last, last, last)


@pytest.mark.slow
def test_relay_killed_mid_batch_resumes_without_loss_or_duplicates(make_box, hub_settings, ingest, tmp_path):
    box = make_box()
    box.invoices(3000)
    last = box.journal.last_seq()
    env = {**os.environ, "HISAB_DATA_DIR": str(box.settings.data_dir), "HISAB_DEVICE_ID": box.device,
           "HISAB_MQTT_URL": box.settings.mqtt_url, "PYTHONPATH": ROOT}
    cmd = [sys.executable, "-m", "appliance.relay"]
    first = subprocess.Popen(cmd, env=env, cwd=ROOT)
    try:
        wait_for(lambda: 0 < box.journal.cursor(CURSOR) < last or first.poll() is not None, 30, 0.01, "first acks")
    finally:
        first.kill()  # kill -9 mid-drain: batches in flight, cursor part-way
        first.wait()
    assert box.journal.cursor(CURSOR) < last
    second = subprocess.Popen(cmd, env=env, cwd=ROOT)
    try:
        wait_for(lambda: box.journal.cursor(CURSOR) == last, 60, what="second relay finished the drain")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0
    assert hub_rows(hub_settings, box.device) == (last, last, last)
    with psycopg.connect(hub_settings.database_url) as conn:
        state = conn.execute("SELECT state FROM devices WHERE device_id=%s", (box.device,)).fetchone()
    assert state is not None


def test_status_is_online_then_stopped_on_clean_exit(make_box, mosquitto):
    box = make_box()
    seen: list[dict] = []
    got = threading.Event()
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    watcher.username_pw_set("hub", mosquitto.passwords["hub"])
    watcher.on_message = lambda c, u, m: (seen.append(json.loads(m.payload)), got.set())
    watcher.connect("127.0.0.1", mosquitto.port)
    watcher.subscribe(topic(box.device, "up", "status"), qos=1)
    watcher.loop_start()
    try:
        with running_relay(box) as relay:
            wait_for(lambda: any(s["state"] == "online" for s in seen), 10, what="online status")
            wait_for(relay.connected.is_set, 5)
        wait_for(lambda: seen and seen[-1]["state"] == "stopped", 10, what="stopped status")
        assert seen[-1]["version"]
    finally:
        watcher.loop_stop()
        watcher.disconnect()


def test_downlink_events_are_applied_once(make_box, mosquitto):
    from appliance.relay import encode

    box = make_box()
    event = {"id": "hub-evt-1", "hlc": "9999999999999-0000-hub", "type": "supplier.upserted", "invoice_id": None,
             "actor": "hub:admin", "payload": {"name": "Rahim Traders", "bin": "000123456-0101"}}
    hub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    hub.username_pw_set("hub", mosquitto.passwords["hub"])
    hub.connect("127.0.0.1", mosquitto.port)
    hub.loop_start()
    try:
        with running_relay(box) as relay:
            wait_for(relay.connected.is_set, 10)
            for _ in range(2):
                hub.publish(topic(box.device, "down", "events"), encode({"events": [event]}), qos=1).wait_for_publish(5)
            wait_for(lambda: relay.stats["downlink"] >= 2, 10, what="both copies received")
    finally:
        hub.loop_stop()
        hub.disconnect()
    stored = [e for e in box.journal.read_after(0) if e.id == "hub-evt-1"]
    assert len(stored) == 1 and stored[0].actor == "hub:admin"
    assert box.journal.clock.now() > event["hlc"]  # the box's clock merged the hub's stamp


def test_in_flight_window_grows_on_prompt_acks_and_halves_on_slow_ones(make_box):
    from appliance.relay import Relay

    box = make_box()
    relay = Relay(box.settings, box.journal, batch_max=100, window=4, ack_target_s=1.0)
    assert relay._in_flight_cap == 100  # one batch after a connect
    for _ in range(10):
        relay._adjust_window(0.2)  # prompt acks: a batch more each, up to the window
    assert relay._in_flight_cap == 400
    relay._adjust_window(0.7)  # neither prompt nor slow: unchanged
    assert relay._in_flight_cap == 400
    relay._adjust_window(3.0)  # a slow ack: the hub is queueing, halve
    assert relay._in_flight_cap == 200
    for _ in range(5):
        relay._adjust_window(5.0)
    assert relay._in_flight_cap == 100  # never below one batch
