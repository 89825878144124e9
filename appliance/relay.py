"""The relay: the box's one MQTT session with the hub.

Owns: the MQTT connection and the journal cursor ``relay-acked``. It publishes journal
events past that cursor to ``hisab/v1/<device>/up/events`` in zlib-compressed JSON batches
(QoS 1), moves the cursor only when the hub's application-level ack
(``down/ack``: the highest contiguous seq the hub has stored) arrives, resends what stays
unacknowledged, applies downlink events (``down/events``) to the journal idempotently by
their hub-given event id, and publishes a retained status (online / offline as last will /
stopped) and psutil telemetry.

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

from appliance import __version__
from appliance.queue.journal import Event, Journal

log = logging.getLogger("hisab.relay")

CURSOR = "relay-acked"
PRIVATE_PREFIXES = ("user.", "token.")  # never leave the box
WIRE_VERSION = 1
SESSION_EXPIRY_S = 7 * 24 * 3600  # the broker keeps acks/downlink for a box offline up to a week


# -- the wire format, shared with hub/ ------------------------------------------------


def topic(device: str, *parts: str) -> str:
    return "/".join(("hisab", "v1", device, *parts))


def encode(obj: Any) -> bytes:
    return zlib.compress(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode(), 6)


def decode(raw: bytes) -> Any:
    return json.loads(zlib.decompress(raw))


def batch(device: str, after: int, events: list[Event]) -> tuple[int, dict[str, Any]]:
    """The upload for events read after seq ``after``: covers (after, upto], private ones left out."""
    upto = events[-1].seq
    public = [e.as_dict() for e in events if not e.type.startswith(PRIVATE_PREFIXES)]
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
        self.window = window
        self.ack_timeout_s = ack_timeout_s
        self.telemetry_s = telemetry_s
        self.backoff_s = backoff_s
        self.client_id = client_id or self.device
        self.wake = threading.Event()
        self.connected = threading.Event()
        self._lock = threading.Lock()
        self._acked = 0
        self._sent_upto = 0
        self._last_progress = time.monotonic()
        self._pending_since: float | None = None
        self._next_telemetry = 0.0
        self._attempt = 0
        self._client: mqtt.Client | None = None
        self._closing = False
        self.stats = {"batches": 0, "resends": 0, "bytes": 0, "downlink": 0}

    # -- life -------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Repair, connect, drain, then wait on ``stop``; returns after a clean goodbye."""
        if not self.settings.mqtt_url:
            log.info("relay.no_hub", extra={"event": "relay.no_hub"})
            stop.wait()
            return
        self.repair()
        self._connect()
        try:
            while not stop.is_set():
                self.pump()
                self.wake.wait(min(self.linger_s, self.settings.poll_seconds, 0.25))
                self.wake.clear()
                _watchdog()
        finally:
            self._goodbye()

    def repair(self) -> None:
        """Settle state a crash or a restore left: the cursor can never pass the journal's end."""
        acked, last = self.journal.cursor(CURSOR), self.journal.last_seq()
        if acked > last:
            log.warning("relay.cursor_ahead: hub acked seq %d but the journal ends at %d "
                        "(restored from a backup?); the hub keeps what it has", acked, last)
        self._acked = self._sent_upto = acked

    @property
    def acked(self) -> int:
        return self._acked

    def backlog(self) -> int:
        return max(0, self.journal.last_seq() - self._acked)

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
        while self.connected.is_set() and self._sent_upto - self._acked < self.window * self.batch_max:
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
        if now >= self._next_telemetry and self.connected.is_set():
            self._next_telemetry = now + self.telemetry_s
            self._publish_telemetry()

    def _publish_batch(self, events: list[Event]) -> bool:
        after = self._sent_upto
        upto, body = batch(self.device, after, events)
        payload = encode(body)
        info = self._client.publish(topic(self.device, "up", "events"), payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return False
        with self._lock:
            if self._sent_upto == self._acked:
                self._last_progress = time.monotonic()
            self._sent_upto = max(self._sent_upto, upto)
        self.stats["batches"] += 1
        self.stats["bytes"] += len(payload)
        log.debug("relay.batch after=%d upto=%d events=%d bytes=%d", after, upto, len(body["events"]), len(payload))
        return True

    def _publish_telemetry(self) -> None:
        try:
            snap = telemetry(str(self.settings.data_dir), self.backlog())
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
                self._on_ack(int(json.loads(msg.payload)["acked"]))
            elif msg.topic.endswith("/down/events"):
                self._on_downlink(decode(msg.payload))
        except Exception:  # a bad message must not kill paho's network thread
            log.exception("relay.bad_downlink topic=%s", msg.topic)
        self.wake.set()

    def _on_ack(self, seq: int) -> None:
        with self._lock:
            if seq <= self._acked:
                return
            self.journal.set_cursor(CURSOR, seq)
            self._acked = seq
            self._sent_upto = max(self._sent_upto, seq)
            self._last_progress = time.monotonic()

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
        self._next_telemetry = 0.0
        self.connected.set()
        self.wake.set()
        log.info("relay.connected session_present=%s", flags.session_present)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        was = self.connected.is_set()
        self.connected.clear()
        if was and not self._closing:
            log.warning("relay.disconnected: %s", reason_code)
        self._backoff()

    def _on_connect_fail(self, client, userdata) -> None:
        log.info("relay.connect_failed: hub unreachable, retrying")
        self._backoff()

    def _backoff(self, reset: bool = False, client: mqtt.Client | None = None) -> None:
        """Exponential backoff with jitter, so a thousand boxes back from a power cut don't reconnect in step."""
        self._attempt = 0 if reset else self._attempt + 1
        low, high = self.backoff_s
        ceiling = min(high, low * 2 ** self._attempt)
        delay = random.uniform(ceiling / 2, ceiling)
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
    journal = Journal(settings.journal_path, settings.device_id)
    stop = threading.Event()
    relay = Relay(settings, journal)

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
