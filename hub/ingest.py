"""Ingest: takes the boxes' uploads off the broker and stores them in PostgreSQL.

Owns: the hub's MQTT sessions (shared subscription ``$share/<group>/hisab/v1/+/up/#`` so any
number of workers, on any number of machines, split the load) and the per-device ack.
A batch is stored idempotently on (device, seq) together with the seq range it covers;
the device's ``acked_seq`` advances over contiguous ranges only, events up to it are merged
in seq order, and then ``down/ack`` tells the box it may move its cursor. The broker's own
QoS 1 ack is sent only after the transaction committed (manual ack), so a worker killed
mid-batch loses nothing: the broker redelivers and the relay resends.

Must never ack a seq it has not committed, nor merge past a gap.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import time
import zlib
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion
from psycopg.types.json import Jsonb

from appliance.relay import Broker, decode, encode, topic
from hub import blobs, db, lanes, reconcile
from hub.merge import Merge
from hub.settings import HubSettings

log = logging.getLogger("hisab.hub.ingest")

DOWNLINK_LOCK = 0x48495342  # one publisher of pending downlink at a time across workers


def mqtt_client(settings: HubSettings, client_id: str, *, manual_ack: bool = False) -> tuple[mqtt.Client, Broker]:
    broker = Broker.from_url(settings.mqtt_url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5,
                         manual_ack=manual_ack)
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set(ca_certs=broker.ca_file)
    client.reconnect_delay_set(1, 30)
    return client, broker


def store_batch(conn: psycopg.Connection, body: dict[str, Any], device: str, threshold: float) -> int:
    """Store one uploaded batch; returns the device's highest contiguous stored seq afterwards."""
    after, upto, events = int(body["after"]), int(body["upto"]), body.get("events") or []
    with conn.transaction():
        conn.execute("INSERT INTO devices (device_id) VALUES (%s) ON CONFLICT DO NOTHING", (device,))
        acked = conn.execute("SELECT acked_seq FROM devices WHERE device_id=%s FOR UPDATE", (device,)).fetchone()["acked_seq"]
        if upto <= acked:
            conn.execute("UPDATE devices SET last_seen=now() WHERE device_id=%s", (device,))
            return acked  # a resend of what is stored: ack again, touch nothing
        fresh = [e for e in events if after < e["seq"] <= upto and e["seq"] > acked]
        # one statement for the whole batch: PostgreSQL unpacks the JSON array, no per-row round trip
        conn.execute(
            "INSERT INTO events (device_id, seq, id, hlc, type, invoice_id, actor, payload, occurred_at) "
            "SELECT %s, r.seq, r.id, r.hlc, r.type, r.invoice_id, r.actor, coalesce(r.payload, '{}'), hisab_hlc_time(r.hlc) "
            "FROM jsonb_to_recordset(%s) AS r(seq bigint, id text, hlc text, type text, invoice_id text, "
            "actor text, payload jsonb) ON CONFLICT DO NOTHING", (device, Jsonb(fresh)))
        conn.execute("INSERT INTO device_ranges VALUES (%s,%s,%s) ON CONFLICT DO NOTHING", (device, after, upto))
        new = acked
        for r in conn.execute("SELECT after_seq, upto_seq FROM device_ranges WHERE device_id=%s AND upto_seq > %s "
                              "ORDER BY after_seq", (device, acked)):
            if r["after_seq"] > new:
                break  # a gap: a batch before this one has not arrived yet
            new = max(new, r["upto_seq"])
        if new > acked:
            if after <= acked and new == upto:
                merged = fresh  # the usual case: this batch alone extends the stored run
            else:
                merged = conn.execute("SELECT seq, id, hlc, type, invoice_id, actor, payload FROM events "
                                      "WHERE device_id=%s AND seq > %s AND seq <= %s ORDER BY seq",
                                      (device, acked, new)).fetchall()
            early = {r["seq"] for r in conn.execute(
                "SELECT seq FROM events WHERE device_id=%s AND seq > %s AND seq <= %s AND early", (device, acked, new))}
            Merge(conn, device, threshold).apply([e for e in merged if e["seq"] not in early] if early else merged)
            conn.execute("DELETE FROM device_ranges WHERE device_id=%s AND upto_seq <= %s", (device, new))
        conn.execute("UPDATE devices SET acked_seq=%s, last_seen=now() WHERE device_id=%s", (new, device))
        return new


def store_status(conn: psycopg.Connection, device: str, status: dict[str, Any]) -> bool:
    """Record online/offline/stopped; returns True when the box just came online."""
    state = str(status.get("state") or "unknown")
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO devices AS d (device_id, state, version, last_seen) VALUES (%s,%s,%s,now()) "
            "ON CONFLICT (device_id) DO UPDATE SET state=excluded.state, "
            "version=coalesce(excluded.version, d.version), last_seen=now(), "
            "status_at=CASE WHEN d.state IS DISTINCT FROM excluded.state THEN now() ELSE d.status_at END "
            "RETURNING (xmax = 0) AS inserted", (device, state, status.get("version"))).fetchone()
        last = conn.execute("SELECT state FROM device_states WHERE device_id=%s ORDER BY at DESC LIMIT 1",
                            (device,)).fetchone()
        if last is None or last["state"] != state:
            conn.execute("INSERT INTO device_states (device_id, state) VALUES (%s,%s)", (device, state))
        if state == "online":
            # resend downlink the box has not echoed yet, now that it can hear us
            conn.execute("UPDATE downlink SET published_at=NULL WHERE device_id=%s AND applied_seq IS NULL", (device,))
        return state == "online" and bool(row)


def store_telemetry(conn: psycopg.Connection, device: str, snap: dict[str, Any]) -> None:
    update = snap.get("update") if isinstance(snap.get("update"), dict) else None  # the box's last OTA result
    with conn.transaction():
        conn.execute(
            "INSERT INTO devices AS d (device_id, telemetry, backlog, disk_percent, cpu_temp, version, last_seen, health, "
            "last_update) VALUES (%s,%s,%s,%s,%s,%s,now(),%s,%s) ON CONFLICT (device_id) DO UPDATE SET "
            "telemetry=excluded.telemetry, backlog=excluded.backlog, disk_percent=excluded.disk_percent, "
            "cpu_temp=excluded.cpu_temp, version=coalesce(excluded.version, d.version), last_seen=now(), "
            "health=coalesce(excluded.health, d.health), last_update=coalesce(excluded.last_update, d.last_update)",
            (device, Jsonb(snap), snap.get("backlog"), snap.get("disk_percent"), snap.get("cpu_temp"), snap.get("version"),
             Jsonb(snap["health"]) if snap.get("health") else None, Jsonb(update) if update else None))


def publish_downlink(conn: psycopg.Connection, client: mqtt.Client, resend_s: float, limit: int = 1000) -> int:
    """Publish pending downlink events (not yet echoed by their box) that are new or due for a resend."""
    with conn.transaction():
        if not conn.execute("SELECT pg_try_advisory_xact_lock(%s) AS ok", (DOWNLINK_LOCK,)).fetchone()["ok"]:
            return 0
        rows = conn.execute(
            "SELECT device_id, id, hlc, type, invoice_id, actor, payload FROM downlink WHERE applied_seq IS NULL "
            "AND (published_at IS NULL OR published_at < now() - make_interval(secs => %s)) "
            "ORDER BY device_id, n LIMIT %s", (resend_s, limit)).fetchall()
        by_device: dict[str, list[dict]] = {}
        for r in rows:
            by_device.setdefault(r.pop("device_id"), []).append(r)
        for device, events in by_device.items():
            info = client.publish(topic(device, "down", "events"), encode({"events": events}), qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise RuntimeError("broker connection lost while publishing downlink")
            conn.execute("UPDATE downlink SET published_at=now() WHERE device_id=%s AND id = ANY(%s)",
                         (device, [e["id"] for e in events]))
        return len(rows)


class IngestWorker:
    """One ingest worker: its own MQTT session in the share group and its own PostgreSQL connection."""

    def __init__(self, settings: HubSettings, name: str = "1", *, downlink: bool = True):
        self.settings = settings
        self.name = name
        self.downlink = downlink
        self.inbox: queue.Queue = queue.Queue(maxsize=1000)
        self.connected = threading.Event()
        self.stats = {"batches": 0, "events": 0, "duplicates": 0}
        self._wake_downlink = threading.Event()
        self.beat = time.monotonic()  # each pass of the loop; a wedged loop stops it (hub.service's watchdog)

    def run(self, stop: threading.Event) -> None:
        # unique per process: two hubs (or a restart overlapping the old process) must not take over each other's session
        client_id = f"hub-ingest-{socket.gethostname()}-{os.getpid()}-{self.name}"
        client, broker = mqtt_client(self.settings, client_id, manual_ack=True)
        client.on_connect = self._on_connect
        client.on_disconnect = lambda *a: self.connected.clear()
        client.on_message = lambda c, u, msg: self.inbox.put(msg)
        # A clean session on purpose: a persistent session of a worker that is gone for good stays a
        # member of the share group and the broker keeps dealing it messages nobody reads. Nothing is
        # lost by a clean start: what no worker stored is never acked, and the relays resend it.
        client.connect_async(broker.host, broker.port, keepalive=30, clean_start=True)
        client.loop_start()
        conn = None
        next_downlink = 0.0
        try:
            while not stop.is_set():
                self.beat = time.monotonic()
                try:
                    conn = conn if conn is not None and not conn.closed else db.connect(self.settings.database_url)
                    try:
                        msg = self.inbox.get(timeout=0.2)
                    except queue.Empty:
                        msg = None
                    if msg is not None:
                        self._handle(conn, client, msg)
                    if self.downlink and self.connected.is_set() and time.monotonic() >= next_downlink:
                        next_downlink = time.monotonic() + 1.0
                        publish_downlink(conn, client, self.settings.downlink_resend_s)
                except psycopg.OperationalError as exc:
                    # the message stays un-acked at the broker, which redelivers it on our next session
                    log.error("ingest.database_unavailable: %s", exc)
                    conn = None
                    stop.wait(2.0)
        finally:
            client.disconnect()
            client.loop_stop()
            if conn is not None:
                conn.close()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("ingest.refused: %s (check HUB_MQTT_URL's user and password)", reason_code)
            return
        client.subscribe(f"$share/{self.settings.share_group}/hisab/v1/+/up/#", qos=1)
        self.connected.set()
        log.info("ingest.connected worker=%s", self.name)

    def _handle(self, conn: psycopg.Connection, client: mqtt.Client, msg) -> None:
        parts = msg.topic.split("/")
        if len(parts) != 5 or parts[:2] != ["hisab", "v1"] or parts[3] != "up":
            client.ack(msg.mid, msg.qos)
            return
        device, channel = parts[2], parts[4]
        try:
            if channel == "events":
                body = decode(msg.payload)
                if body.get("lane") in ("priority", "repair"):
                    acked, seqs = lanes.store_early(conn, body, device, self.settings.conflict_total_threshold)
                    if body.get("lane") == "repair":
                        reconcile.note_repair(conn, device, body)
                    client.publish(topic(device, "down", "ack"), json.dumps({"acked": acked, "priority": seqs}), qos=1)
                else:
                    acked = store_batch(conn, body, device, self.settings.conflict_total_threshold)
                    client.publish(topic(device, "down", "ack"), json.dumps({"acked": acked}), qos=1)
                self.stats["batches"] += 1
                self.stats["events"] += len(body.get("events") or [])
            elif channel == "status":
                store_status(conn, device, json.loads(msg.payload))
            elif channel == "telemetry":
                store_telemetry(conn, device, json.loads(msg.payload))
            elif channel == "blobs":
                answer = blobs.handle(conn, device, msg.payload)
                client.publish(topic(device, "down", "blobs"), json.dumps(answer), qos=1)
            elif channel == "reconcile":
                answer, acked = reconcile.handle(conn, device, decode(msg.payload), self.settings.conflict_total_threshold)
                client.publish(topic(device, "down", "reconcile"), encode(answer), qos=1)
                if acked is not None:
                    client.publish(topic(device, "down", "ack"), json.dumps({"acked": acked}), qos=1)
        except psycopg.OperationalError:
            raise
        except (ValueError, KeyError, TypeError, zlib.error, psycopg.DataError) as exc:
            conn.rollback()
            log.error("ingest.bad_message device=%s topic=%s: %s (dropped)", device, msg.topic, exc)
        client.ack(msg.mid, msg.qos)
