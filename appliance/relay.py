"""The relay: the box's one MQTT session with the hub.

Owns: the MQTT connection and the journal cursor ``relay-acked``. It publishes journal
events past that cursor to ``hisab/v1/<device>/up/events`` in zlib-compressed JSON batches
(QoS 1), moves the cursor only when the hub's application-level ack
(``down/ack``: the highest contiguous seq the hub has stored) arrives, keeps in flight only
what the hub acknowledges promptly (a window of events that grows by a batch per prompt ack
and halves on a slow one, so a busy hub is not buried), resends what stays
unacknowledged, applies downlink events (``down/events``) to the journal idempotently by
their hub-given event id, and publishes a retained status (online / offline as last will /
stopped) and psutil telemetry.

Online mode (issue 10), each piece in its own module:
- originals go up after their events, chunked on ``up/blobs`` (``appliance.sync_blobs``);
- after an outage a priority lane sends time-sensitive invoices first (``appliance.sync_priority``):
  their events go whole, per invoice, in ``{"lane": "priority"}`` batches the hub stores, merges and
  acks by seq (``down/ack`` ``{"priority": [seqs]}``); the main lane then leaves those seqs out of
  its batches (still covering them in its range, as it does private events), so the hub's contiguous
  ack keeps working. One priority batch, then at least one main batch: nothing starves;
- after every connect, digests per month and per invoice (``appliance.sync_digest``) are compared
  with the hub's over ``up/reconcile`` / ``down/reconcile``; exactly the events the hub lacks go
  up in ``{"lane": "repair"}`` batches; when the digests agree the hub may ack up to the box's cursor;
- a health check (journal quick_check, read model vs journal, disk, clock) rides with telemetry,
  taken at start (after a crash or power cut) and again with each telemetry snapshot, together
  with the last over-the-air update's result (provisioning writes ``update-result.json``);
- a heartbeat (data/run/relay.json: connected, offline since, backlog) for /api/v1/health and the
  status page, also while no hub is configured, so the systemd watchdog is petted either way.

It must never: move the cursor on a broker PUBACK (that only means the broker has it), send
password or token hashes up (``user.*``/``token.*`` events are left out of uploads, their
seqs still covered by the batch's range), or write anything but journal appends and its
own cursor.
"""

from __future__ import annotations

import json
import logging
import random
import signal
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import paho.mqtt.client as mqtt
import psutil
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from appliance import __version__, sync_digest, sync_health, sync_priority
from appliance.health import last_update
from appliance.queue.blobs import BlobStore
from appliance.queue.journal import Event, Journal
from appliance.sync_blobs import BlobUplink

log = logging.getLogger("hisab.relay")

CURSOR = "relay-acked"
PRIVATE_PREFIXES = ("user.", "token.")  # never leave the box
WIRE_VERSION = 1
SESSION_EXPIRY_S = 7 * 24 * 3600  # the broker keeps acks/downlink for a box offline up to a week
HEARTBEAT_S = 5.0


# -- the wire format, shared with hub/ ------------------------------------------------


def topic(device: str, *parts: str) -> str:
    return "/".join(("hisab", "v1", device, *parts))


def encode(obj: Any) -> bytes:
    return zlib.compress(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode(), 6)


def decode(raw: bytes) -> Any:
    return json.loads(zlib.decompress(raw))


def batch(device: str, after: int, events: list[Event], skip: set[int] | frozenset = frozenset()
          ) -> tuple[int, dict[str, Any]]:
    """The upload for events read after seq ``after``: covers (after, upto], private ones and
    ``skip`` (already at the hub by the priority lane) left out."""
    upto = events[-1].seq
    public = [e.as_dict() for e in events if not e.type.startswith(PRIVATE_PREFIXES) and e.seq not in skip]
    return upto, {"v": WIRE_VERSION, "device": device, "after": after, "upto": upto, "events": public}


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool
    ca_file: str | None

    @classmethod
    def from_url(cls, url: str) -> Broker:
        """``mqtt[s]://user:pass@host:port[?ca=/path/ca.pem]``."""
        parsed = urlparse(url)
        tls = parsed.scheme == "mqtts"
        ca = parse_qs(parsed.query).get("ca", [None])[0]
        return cls(parsed.hostname or "localhost", parsed.port or (8883 if tls else 1883),
                   unquote(parsed.username) if parsed.username else None,
                   unquote(parsed.password) if parsed.password else None, tls, ca)


def telemetry(settings_data_dir: str, backlog: int) -> dict[str, Any]:
    """One health snapshot: disk, memory, CPU load and temperature (where the board has a sensor)."""
    disk = psutil.disk_usage(settings_data_dir)
    temp = None
    try:
        sensors = psutil.sensors_temperatures()  # absent on some platforms
    except (AttributeError, OSError):
        sensors = {}
    for name in ("cpu_thermal", "coretemp", "k10temp", "soc_thermal", *sensors):
        if sensors.get(name):
            temp = max(s.current for s in sensors[name])
            break
    return {
        "version": __version__, "at": time.time(), "backlog": backlog,
        "disk_percent": disk.percent, "disk_free": disk.free,
        "memory_percent": psutil.virtual_memory().percent,
        "cpu_percent": psutil.cpu_percent(None), "cpu_temp": temp,
        "uptime_s": time.time() - psutil.boot_time(),
    }


class Relay:
    """Drains the journal to the hub and applies the hub's downlink; one per box."""

    def __init__(
        self,
        settings,
        journal: Journal,
        *,
        batch_max: int = 500,
        linger_s: float = 0.5,
        window: int = 4,
        ack_timeout_s: float = 20.0,
        ack_target_s: float = 1.0,
        telemetry_s: float = 60.0,
        backoff_s: tuple[float, float] = (1.0, 60.0),
        client_id: str | None = None,
    ):
        if settings.mqtt_url and not settings.device_id:
            raise ValueError("device_id is empty: the relay needs the box's identity to name its topics")
        self.settings = settings
        self.journal = journal
        self.device = settings.device_id
        self.batch_max = batch_max
        self.linger_s = linger_s
        self.window = window  # the most batches in flight; the flow-control window moves below it
        self.ack_timeout_s = ack_timeout_s
        self.ack_target_s = ack_target_s
        self.telemetry_s = telemetry_s
        self.backoff_s = backoff_s
        self.client_id = client_id or self.device
        self.wake = threading.Event()
        self.connected = threading.Event()
        self._lock = threading.Lock()
        self._acked = 0
        self._sent_upto = 0
        # Flow control: events allowed in flight, sized to how fast the hub acknowledges. One batch after
        # a connect; a batch more per ack back within half the target; halved when an ack takes longer
        # than the target (a busy hub, a reconnect storm). A backlog still goes in full batches, fewer at once.
        self._in_flight_cap = batch_max
        self._window_sent: list[tuple[int, float]] = []  # (upto, monotonic) of the main lane's batches in flight
        self._last_progress = time.monotonic()
        self._pending_since: float | None = None
        self._next_telemetry = 0.0
        self._attempt = 0
        self._client: mqtt.Client | None = None
        self._closing = False
        self.stats = {"batches": 0, "resends": 0, "bytes": 0, "downlink": 0, "priority_batches": 0,
                      "priority_events": 0, "repair_events": 0, "reconciles": 0, "blob_bytes_wire": 0}
        # priority lane: seqs the hub stored out of order (acked by seq), invoices queued to go first
        self.priority_scan_s = 10.0
        self._early: set[int] = set()
        self._prio_queue: list[tuple[str, list[int]]] = []
        self._prio_inflight: dict[int, float] = {}
        self._prio_next_scan = 0.0
        self._last_lane = "main"
        self.blobs = BlobUplink(journal, BlobStore(settings.blobs_dir), self._publish_blob, ack_timeout_s=ack_timeout_s)
        self._blob_answers: list[dict[str, Any]] = []
        self._reconcile_inbox: list[dict[str, Any]] = []
        self._reconcile_rounds = 0
        self.reconcile_state: dict[str, Any] = {}
        self.health: dict[str, Any] = {}
        self.process = None  # appliance.lifecycle.Process when run as `hisab relay`: heartbeat + watchdog
        self.offline_since: float | None = time.time()
        self._next_beat = 0.0

    # -- life -------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Repair, connect, drain, then wait on ``stop``; returns after a clean goodbye."""
        if not self.settings.mqtt_url:
            log.info("relay.no_hub", extra={"event": "relay.no_hub"})
            self.offline_since = None  # no hub is not an outage
            while True:  # wait, but keep beating: WatchdogSec would otherwise restart an idle relay
                self.beat()
                if stop.wait(HEARTBEAT_S):
                    return
        self.repair()
        self._connect()
        try:
            while not stop.is_set():
                self.pump()
                self.wake.wait(min(self.linger_s, self.settings.poll_seconds, 0.25))
                self.wake.clear()
                _watchdog()
                self.beat()
        finally:
            self._goodbye()
            self.beat(force=True)  # says "not connected" at once rather than when the beat goes stale

    def resume(self, previous: dict[str, Any] | None) -> None:
        """Carry "offline since" over a restart (a crash, a power cut) from the last heartbeat."""
        if not previous or not self.settings.mqtt_url:
            return
        if previous.get("offline_since"):
            self.offline_since = min(self.offline_since or time.time(), float(previous["offline_since"]))
        elif previous.get("connected") and previous.get("at"):
            self.offline_since = float(previous["at"])  # it was online until its last beat

    def beat(self, force: bool = False) -> None:
        """Leave the heartbeat /api/v1/health and the status page read (every HEARTBEAT_S)."""
        now = time.monotonic()
        if self.process is None or (now < self._next_beat and not force):
            return
        self._next_beat = now + HEARTBEAT_S
        try:
            self.process.beat(connected=self.connected.is_set(), hub=bool(self.settings.mqtt_url),
                              offline_since=None if self.connected.is_set() else self.offline_since,
                              backlog=self.backlog() if self.settings.mqtt_url else None, acked_seq=self._acked)
        except OSError as exc:  # an ephemeral status file: never worth stopping the sync for
            log.warning("relay.heartbeat_failed: %s", exc)

    def repair(self) -> None:
        """Settle state a crash or a restore left: the cursor can never pass the journal's end."""
        acked, last = self.journal.cursor(CURSOR), self.journal.last_seq()
        if acked > last:
            log.warning("relay.cursor_ahead: hub acked seq %d but the journal ends at %d "
                        "(restored from a backup?); the hub keeps what it has", acked, last)
        self._acked = self._sent_upto = acked
        self.health = sync_health.check(self.settings, self.journal)  # after a crash or power cut: all whole?
        log.info("relay.health %s", json.dumps(self.health))

    @property
    def acked(self) -> int:
        return self._acked

    def backlog(self) -> int:
        return self.journal.count_after(self._acked)

    # -- uplink -----------------------------------------------------------------------

    def pump(self) -> None:
        """Publish what the window allows; resend after the ack timeout; telemetry when due."""
        if not self.connected.is_set():
            return
        now = time.monotonic()
        with self._lock:
            if self._sent_upto > self._acked and now - self._last_progress > self.ack_timeout_s:
                log.warning("relay.resend: no ack past seq %d for %.0fs, resending", self._acked, self.ack_timeout_s)
                self.stats["resends"] += 1
                self._sent_upto = self._acked
                self._last_progress = now
                self._window_sent.clear()
                self._in_flight_cap = self.batch_max
        self._pump_priority(now)
        while self.connected.is_set() and self._sent_upto - self._acked < self._in_flight_cap:
            if self._last_lane == "main" and self._send_priority_batch():
                self._last_lane = "priority"
                continue
            self._last_lane = "main"
            events = self.journal.read_after(self._sent_upto, limit=self.batch_max)
            if not events:
                self._pending_since = None
                break
            if len(events) < self.batch_max:
                # a partial batch waits up to linger_s for company, so edits typed in a burst travel together
                if self._pending_since is None:
                    self._pending_since = now
                if now - self._pending_since < self.linger_s:
                    break
            self._pending_since = None
            if not self._publish_batch(events):
                break
        if self.connected.is_set():
            self._pump_reconcile()
            while self._blob_answers:
                self.blobs.on_answer(self._blob_answers.pop(0))
            first = [seqs[0] for _inv, seqs in self._prio_queue_all()]
            self.blobs.pump(self._acked, self._early, first)
        if now >= self._next_telemetry and self.connected.is_set():
            self._next_telemetry = now + self.telemetry_s
            self._publish_telemetry()

    # -- priority lane ----------------------------------------------------------------

    def _pump_priority(self, now: float) -> None:
        """After an outage (a backlog beyond one batch), find the time-sensitive invoices again now and then."""
        for seq, sent in list(self._prio_inflight.items()):
            if now - sent > self.ack_timeout_s:
                del self._prio_inflight[seq]  # no ack: the next scan queues it again
        if now < self._prio_next_scan:
            return
        self._prio_next_scan = now + self.priority_scan_s
        if self.journal.last_seq() - self._acked <= self.batch_max:
            self._prio_queue = []
            return
        found = sync_priority.time_sensitive(self.journal, self._acked)
        self._prio_first = found
        self._prio_queue = [(inv, [s for s in seqs if s not in self._early and s not in self._prio_inflight])
                            for inv, seqs in found]
        self._prio_queue = [(inv, seqs) for inv, seqs in self._prio_queue if seqs]
        if self._prio_queue:
            log.info("relay.priority invoices=%d first=%s", len(self._prio_queue), self._prio_queue[0][0])

    def _prio_queue_all(self) -> list[tuple[str, list[int]]]:
        return getattr(self, "_prio_first", [])

    def _send_priority_batch(self) -> bool:
        seqs: list[int] = []
        while self._prio_queue and len(seqs) < self.batch_max:
            _inv, s = self._prio_queue.pop(0)
            seqs.extend(x for x in s if x > self._acked and x not in self._early)
        if not seqs:
            return False
        marks = ",".join("?" * len(seqs))
        rows = self.journal.query(f"SELECT {Journal.COLUMNS} FROM events WHERE seq IN ({marks}) ORDER BY seq", tuple(seqs))
        events = [Event(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6])).as_dict() for r in rows]
        return self._publish_lane("priority", events)

    def _publish_lane(self, lane: str, events: list[dict[str, Any]], **extra: Any) -> bool:
        payload = encode({"v": WIRE_VERSION, "device": self.device, "lane": lane, "events": events, **extra})
        info = self._client.publish(topic(self.device, "up", "events"), payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return False
        now = time.monotonic()
        for e in events:
            self._prio_inflight[e["seq"]] = now
        self.stats["priority_batches" if lane == "priority" else "batches"] += 1
        self.stats["priority_events" if lane == "priority" else "repair_events"] += len(events)
        self.stats["bytes"] += len(payload)
        return True

    def _publish_blob(self, payload: bytes) -> bool:
        if self._client is None or not self.connected.is_set():
            return False
        info = self._client.publish(topic(self.device, "up", "blobs"), payload, qos=1)
        if info.rc == mqtt.MQTT_ERR_SUCCESS:
            self.stats["blob_bytes_wire"] += len(payload)
            return True
        return False

    # -- reconciliation ---------------------------------------------------------------

    def _public_rows(self, upto: int) -> list[tuple]:
        return self.journal.query("SELECT seq, hlc, invoice_id FROM events WHERE seq <= ? AND type NOT LIKE 'user.%' "
                                  "AND type NOT LIKE 'token.%'", (upto,))

    def _start_reconcile(self) -> None:
        upto = self._acked
        grouped = sync_digest.group(self._public_rows(upto))
        self.reconcile_state = {"upto": upto, "grouped": grouped, "started": time.time(), "state": "checking"}
        self._reconcile_rounds += 1
        self.stats["reconciles"] += 1
        self._client.publish(topic(self.device, "up", "reconcile"),
                             encode({"op": "months", "upto": upto, "months": sync_digest.month_digests(grouped)}), qos=1)

    def _pump_reconcile(self) -> None:
        waiting = self.reconcile_state.get("waiting")
        if waiting is not None and all(s <= self._acked or s in self._early for s in waiting):
            self.reconcile_state.pop("waiting")
            self.reconcile_state["due"] = True  # the repair is stored: compare again
        if self.reconcile_state.get("due") and self._reconcile_rounds < 4:
            self.reconcile_state["due"] = False
            self._start_reconcile()
        while self._reconcile_inbox:
            answer = self._reconcile_inbox.pop(0)
            state = self.reconcile_state
            if not state or "grouped" not in state:
                continue
            op = answer.get("op")
            if op == "months":
                grouped = state["grouped"]
                detail = {m: sync_digest.invoice_digests(grouped.get(m, {})) for m in answer.get("differ", [])}
                self._client.publish(topic(self.device, "up", "reconcile"),
                                     encode({"op": "invoices", "id": answer.get("id"), "upto": state["upto"],
                                             "months": detail}), qos=1)
            elif op == "have":
                self._repair(answer, state)
            elif op in ("in_sync", "hub_has_extra"):
                state["state"] = op
                log.info("relay.reconciled state=%s upto=%d", op, state["upto"])

    def _repair(self, answer: dict[str, Any], state: dict[str, Any]) -> None:
        missing: list[int] = []
        for month, keys in (answer.get("have") or {}).items():
            for key, hub_seqs in keys.items():
                mine = state["grouped"].get(month, {}).get(key, [])
                missing += sorted(set(mine) - set(hub_seqs))
        missing.sort()
        for i in range(0, len(missing), self.batch_max):
            part = missing[i:i + self.batch_max]
            marks = ",".join("?" * len(part))
            rows = self.journal.query(f"SELECT {Journal.COLUMNS} FROM events WHERE seq IN ({marks}) ORDER BY seq",
                                      tuple(part))
            events = [Event(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6])).as_dict() for r in rows]
            self._publish_lane("repair", events, rid=answer.get("id"))
        log.warning("relay.repair events=%d reconcile=%s", len(missing), answer.get("id"))
        state["state"] = "repairing"
        state["repaired"] = state.get("repaired", 0) + len(missing)
        state["waiting"] = set(missing)  # compare again once the hub acked every one of them

    def _publish_batch(self, events: list[Event]) -> bool:
        after = self._sent_upto
        upto, body = batch(self.device, after, events, self._early)
        payload = encode(body)
        info = self._client.publish(topic(self.device, "up", "events"), payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return False
        with self._lock:
            now = time.monotonic()
            if self._sent_upto == self._acked:
                self._last_progress = now
            self._sent_upto = max(self._sent_upto, upto)
            self._window_sent.append((upto, now))
        self.stats["batches"] += 1
        self.stats["bytes"] += len(payload)
        log.debug("relay.batch after=%d upto=%d events=%d bytes=%d", after, upto, len(body["events"]), len(payload))
        return True

    def _publish_telemetry(self) -> None:
        try:
            snap = telemetry(str(self.settings.data_dir), self.backlog())
            self.health = sync_health.check(self.settings, self.journal)  # quick_check cached, the rest cheap
            snap["health"] = self.health
            snap["update"] = last_update(self.settings)
            snap["sync"] = {"blobs_cursor": self.blobs.cursor, "originals_sent": self.blobs.stats["originals"],
                            "reconcile": {k: v for k, v in self.reconcile_state.items() if k not in ("grouped", "waiting")}}
        except OSError as exc:
            log.warning("relay.telemetry_failed: %s", exc)
            return
        self._client.publish(topic(self.device, "up", "telemetry"), json.dumps(snap), qos=1)

    def _status(self, state: str) -> bytes:
        return json.dumps({"state": state, "version": __version__, "device": self.device, "at": time.time()}).encode()

    # -- downlink ---------------------------------------------------------------------

    def _on_message(self, client, userdata, msg) -> None:
        try:
            if msg.topic.endswith("/down/ack"):
                body = json.loads(msg.payload)
                self._on_priority_ack(body.get("priority") or [])
                self._on_ack(int(body["acked"]))
            elif msg.topic.endswith("/down/blobs"):
                self._blob_answers.append(json.loads(msg.payload))
            elif msg.topic.endswith("/down/reconcile"):
                self._reconcile_inbox.append(decode(msg.payload))
            elif msg.topic.endswith("/down/events"):
                self._on_downlink(decode(msg.payload))
        except Exception:  # a bad message must not kill paho's network thread
            log.exception("relay.bad_downlink topic=%s", msg.topic)
        self.wake.set()

    def _on_priority_ack(self, seqs: list[int]) -> None:
        with self._lock:
            for s in seqs:
                if int(s) > self._acked:
                    self._early.add(int(s))
                self._prio_inflight.pop(int(s), None)

    def _on_ack(self, seq: int) -> None:
        with self._lock:
            if seq <= self._acked:
                return
            self._early = {s for s in self._early if s > seq}
            now = time.monotonic()
            covered = [sent for upto, sent in self._window_sent if upto <= seq]
            self._window_sent = [(upto, sent) for upto, sent in self._window_sent if upto > seq]
            if covered:
                self._adjust_window(now - covered[-1])
            self.journal.set_cursor(CURSOR, seq)
            self._acked = seq
            self._sent_upto = max(self._sent_upto, seq)
            self._last_progress = now

    def _adjust_window(self, round_trip_s: float) -> None:
        """Additive increase, multiplicative decrease of the events in flight, from one ack's round trip."""
        if round_trip_s > self.ack_target_s:
            self._in_flight_cap = max(self.batch_max, self._in_flight_cap // 2)
        elif round_trip_s <= self.ack_target_s / 2:
            self._in_flight_cap = min(self.window * self.batch_max, self._in_flight_cap + self.batch_max)

    def _on_downlink(self, body: dict[str, Any]) -> None:
        items = [(e["type"], e.get("payload") or {}, e.get("invoice_id"), e.get("actor") or "hub",
                  e["id"], e.get("hlc")) for e in body.get("events", [])]
        if items:
            self.journal.append_many(items)  # idempotent: an id already stored is skipped
            self.stats["downlink"] += len(items)
            log.info("relay.downlink events=%d", len(items))

    # -- the MQTT session -------------------------------------------------------------

    def _connect(self) -> None:
        broker = Broker.from_url(self.settings.mqtt_url)
        if broker.username and broker.username != self.device and self.client_id == self.device:
            log.warning("relay.username %r is not the device id %r: the broker ACL will refuse its topics",
                        broker.username, self.device)
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5)
        if broker.username:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set(ca_certs=broker.ca_file)
        client.will_set(topic(self.device, "up", "status"), self._status("offline"), qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        client.max_queued_messages_set(self.window * 2 + 16)
        self._backoff(reset=True, client=client)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        self._client = client
        client.connect_async(broker.host, broker.port, keepalive=30, clean_start=False, properties=props)
        client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("relay.refused: %s (check the box's MQTT user and password)", reason_code)
            self._backoff()
            return
        self._backoff(reset=True)
        client.subscribe(topic(self.device, "down", "#"), qos=1)
        client.publish(topic(self.device, "up", "status"), self._status("online"), qos=1, retain=True)
        with self._lock:
            self._last_progress = time.monotonic()
            self._window_sent.clear()  # what was in flight on the old link is resent and timed afresh
            self._in_flight_cap = self.batch_max
        self._next_telemetry = 0.0
        self._prio_next_scan = 0.0
        self._last_lane = "main"
        self.blobs.reset_session()
        self._reconcile_rounds = 0
        self.reconcile_state = {"due": True}
        self.connected.set()
        self.offline_since = None
        self.wake.set()
        log.info("relay.connected session_present=%s", flags.session_present)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        was = self.connected.is_set()
        self.connected.clear()
        if was:
            self.offline_since = time.time()
        if was and not self._closing:
            log.warning("relay.disconnected: %s", reason_code)
        self._backoff()

    def _on_connect_fail(self, client, userdata) -> None:
        log.info("relay.connect_failed: hub unreachable, retrying")
        self._backoff()

    def _backoff(self, reset: bool = False, client: mqtt.Client | None = None) -> None:
        """Exponential backoff with full jitter, so a thousand boxes back from an outage don't reconnect in step.

        The delay is uniform over the whole window [low/2, ceiling], not its upper half: after a 20 s fleet-wide
        outage the upper half brought 60% of the boxes back within 7 s of the link's return (~140 a second); the
        whole window halves that peak, at the price of a longer tail: the last box is back up to the ceiling
        (60 s) after the link, not 32 s.
        """
        self._attempt = 0 if reset else self._attempt + 1
        low, high = self.backoff_s
        ceiling = min(high, low * 2 ** self._attempt)
        delay = random.uniform(low / 2, ceiling)
        (client or self._client).reconnect_delay_set(delay, delay)

    def _goodbye(self) -> None:
        client = self._client
        if client is None:
            return
        closing, self._closing = self.connected.is_set(), True
        if closing:
            info = client.publish(topic(self.device, "up", "status"), self._status("stopped"), qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=5)
            except (RuntimeError, ValueError):
                pass
            client.disconnect()
        client.loop_stop()
        self.connected.clear()
        self._client = None


def _watchdog() -> None:
    if _notifier is not None:
        _notifier.notify("WATCHDOG=1")


try:
    import sdnotify

    _notifier = sdnotify.SystemdNotifier()
except ImportError:  # pragma: no cover - sdnotify is in requirements.txt
    _notifier = None


def main(settings) -> int:
    """Entry point of ``hisab relay``: runs until SIGTERM/SIGINT, says `stopped`, exits 0."""
    from appliance.lifecycle import Process, heartbeats

    previous = heartbeats(settings.data_dir).get("relay")
    process = Process("relay", settings.data_dir, install_signals=False)
    journal = Journal(settings.journal_path, settings.device_id)
    stop = threading.Event()
    relay = Relay(settings, journal)
    relay.process = process
    relay.resume(previous)

    def on_signal(signum, frame):
        stop.set()
        relay.wake.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if _notifier is not None:
        _notifier.notify("READY=1")
    try:
        relay.run(stop)
    finally:
        journal.close()
    return 0


if __name__ == "__main__":  # python -m appliance.relay, for tests and debugging
    import sys

    from appliance.config import load

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    sys.exit(main(load()))
