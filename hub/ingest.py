"""Ingest: takes the boxes' uploads off the broker and stores them in PostgreSQL.

Owns: the hub's MQTT sessions (shared subscription ``$share/<group>/hisab/v1/+/up/#`` so any
number of workers, on any number of machines, split the load) and the per-device ack.
A batch is stored idempotently on (device, seq) together with the seq range it covers;
the device's ``acked_seq`` advances over contiguous ranges only, events up to it are merged
in seq order, and then ``down/ack`` tells the box it may move its cursor. What has queued in
the worker's inbox meanwhile is stored together, several boxes' batches in one transaction
(group commit: one fsync shared, so a reconnect storm does not queue behind a commit per
message). The broker's own QoS 1 ack is sent only after the transaction committed (manual
ack), so a worker killed mid-batch loses nothing: the broker redelivers and the relay resends.

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
# A group: what waits in the inbox when the worker is free, stored in one transaction. Bounded so the
# first message of a group is not kept long behind the rest (~25 small batches' worth of merge work).
GROUP_MESSAGES = 50
GROUP_BYTES = 256 * 1024


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
                    msgs = self._take()
                    if msgs:
                        self._handle(conn, client, msgs)
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

    def _take(self, timeout: float = 0.2) -> list:
        """The next message, and whatever else already waits behind it, up to a group's size."""
        try:
            group = [self.inbox.get(timeout=timeout)]
        except queue.Empty:
            return []
        size = len(group[0].payload)
        while len(group) < GROUP_MESSAGES and size < GROUP_BYTES:
            try:
                msg = self.inbox.get_nowait()
            except queue.Empty:
                break
            group.append(msg)
            size += len(msg.payload)
        return group

    def _handle(self, conn: psycopg.Connection, client: mqtt.Client, msgs: list) -> None:
        """Store a group of messages in one transaction (one commit, one fsync), then answer and PUBACK each.

        Under light load a group is one message; in a reconnect storm it is what queued while the last
        group was stored, so the commit's cost is shared instead of queueing. Each message is stored in
        its own savepoint (the store functions' ``conn.transaction()``), so a bad one is dropped alone.
        Devices are taken in sorted order (a stable sort keeps each device's own order): two workers
        lock the rows of several boxes each, always in the same order, and so never deadlock.
        """
        group = sorted(msgs, key=lambda m: m.topic.split("/")[2] if m.topic.count("/") >= 2 else "")
        for attempt in range(3):
            started = time.monotonic()
            try:
                with conn.transaction():
                    stored = [self._store(conn, msg) for msg in group]
                break
            except psycopg.errors.TransactionRollback as exc:  # a deadlock with another writer: PostgreSQL chose us
                log.warning("ingest.group_retry attempt=%d messages=%d: %s", attempt + 1, len(group), exc)
                if attempt == 2:
                    raise
        committed = time.monotonic()
        for msg, (replies, timing) in zip(group, stored, strict=True):
            for reply_topic, payload in replies:
                client.publish(reply_topic, payload, qos=1)
            if timing is not None:
                self.stats["batches"] += 1
                self.stats["events"] += timing[1]
                log.debug("ingest.batch device=%s upto=%s events=%d group=%d received=%.4f started=%.4f committed=%.4f "
                          "acked=%.4f", timing[0], timing[2], timing[1], len(group), msg.timestamp, started, committed,
                          time.monotonic())
        for msg in msgs:
            client.ack(msg.mid, msg.qos)  # the broker's QoS 1 ack, only now that all of it is committed

    def _store(self, conn: psycopg.Connection, msg) -> tuple[list[tuple[str, bytes | str]], tuple | None]:
        """One message inside the group's transaction → (replies to publish after the commit, batch facts or None)."""
        parts = msg.topic.split("/")
        if len(parts) != 5 or parts[:2] != ["hisab", "v1"] or parts[3] != "up":
            return [], None
        device, channel = parts[2], parts[4]
        threshold = self.settings.conflict_total_threshold
        try:
            if channel == "events":
                body = decode(msg.payload)
                events = len(body.get("events") or [])
                if body.get("lane") in ("priority", "repair"):
                    acked, seqs = lanes.store_early(conn, body, device, threshold)
                    if body.get("lane") == "repair":
                        reconcile.note_repair(conn, device, body)
                    return [(topic(device, "down", "ack"), json.dumps({"acked": acked, "priority": seqs}))], \
                        (device, events, body.get("lane"))
                acked = store_batch(conn, body, device, threshold)
                return [(topic(device, "down", "ack"), json.dumps({"acked": acked}))], (device, events, body.get("upto"))
            if channel == "status":
                store_status(conn, device, json.loads(msg.payload))
            elif channel == "telemetry":
                store_telemetry(conn, device, json.loads(msg.payload))
            elif channel == "blobs":
                return [(topic(device, "down", "blobs"), json.dumps(blobs.handle(conn, device, msg.payload)))], None
            elif channel == "reconcile":
                answer, acked = reconcile.handle(conn, device, decode(msg.payload), threshold)
                replies = [(topic(device, "down", "reconcile"), encode(answer))]
                if acked is not None:
                    replies.append((topic(device, "down", "ack"), json.dumps({"acked": acked})))
                return replies, None
        except psycopg.OperationalError:
            raise
        except (ValueError, KeyError, TypeError, zlib.error, psycopg.DataError) as exc:
            # the store functions work inside their own savepoint: it is rolled back, the group goes on
            log.error("ingest.bad_message device=%s topic=%s: %s (dropped)", device, msg.topic, exc)
        return [], None
