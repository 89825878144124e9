"""`hisab-hub loadtest`: a fleet of simulated boxes against a running hub, and what the hub made of it.

Each box is the real thing where it matters: its own journal (``appliance.queue``) and its own
``Relay`` — the wire format, batching, window, acks, resends and backoff with jitter are the
relay's code, subclassed only to time each batch from publish to the hub's ack. Each box logs in
under its own broker account when the caller can create accounts (``accounts=``, a callable
taking ``{device: password}``; ``hisab-hub loadtest --passwd-file``), else under the hub's account
with its own client id (then the per-box ACL is not exercised: the result says so).

The work arrives as a shop's does: invoices with their extraction and later edits, in bursts
spread over the run; status (online at connect, offline by last will when a link drops) and
telemetry; a share of the links dropped at random; on request a fleet-wide outage during which
the boxes keep working, after which every box comes back at once, spread only by its own
backoff and jitter (the reconnect storm).

Boxes run in several processes, ``boxes_per_process`` each: a paho client is a thread, a socket and
a socket pair, a journal a SQLite file with its WAL and shared memory — six descriptors a box, and
paho's ``select()`` cannot watch a descriptor past 1,023 (a box stuck there reconnects forever
without ever sending CONNECT: the first 1,000-box run showed exactly that). 150 boxes a process
stays under it. One driver thread per process pumps its relays (``Relay.pump``) instead of a loop
thread per box, so a thousand boxes fit on two cores.

Starts no hub and writes nothing to the hub's database: the verdict (``lost``, ``duplicated``,
invoices missing, edits not applied) is read from the hub's tables and, when given, its API.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import random
import secrets
import shutil
import socket
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil

from appliance.config import parse
from appliance.queue.journal import Journal
from appliance.relay import Broker, Relay
from hub import db
from hub.settings import HubSettings

MONTH_INVOICES = 500  # one shop's month (DESIGN.md "Scale"): the unit of the bytes-per-shop figure


@dataclass(frozen=True)
class Plan:
    boxes: int = 10
    invoices: int = 25  # per box: a day's work
    edits: int = 2  # per invoice, arriving a burst later
    bursts: int = 5  # the day's invoices arrive in this many bursts per box ...
    spread_s: float = 10.0  # ... at random moments over this many seconds
    preload: bool = False  # all the work in the journals before the boxes connect: measures the drain
    drop_share: float = 0.1  # boxes whose link drops once at a random moment of the day
    outage_s: float = 0.0  # > 0: then a fleet-wide outage this long, the boxes working through it
    outage_invoices: int = 10  # per box during the outage
    telemetry_s: float = 10.0
    boxes_per_process: int = 150  # paho select()s: every fd of a process must stay below FD_SETSIZE (1024)
    timeout_s: float = 600.0
    trace: bool = False  # return each batch's timings (``batches``) for splitting its latency


# -- one box -----------------------------------------------------------------------------


class LoadRelay(Relay):
    """The box's Relay, timing each batch from its publish to the hub's ack covering it."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.phase = "day"
        self.latencies: list[tuple[str, float]] = []
        # (phase, upto, published, ack arrived, cursor stored): monotonic, comparable with the hub's
        # ingest log on this machine, so a batch's latency splits into broker, ingest and return legs
        self.trace: list[tuple[str, int, float, float, float]] = []
        self.due = 0.0
        self._sent_at: dict[int, float] = {}
        self._ack_arrived = 0.0
        self._timing = threading.Lock()
        self.blobs.pump = lambda *a, **k: None  # originals are issue 10's load; these boxes have none

    def _publish_batch(self, events):
        ok = super()._publish_batch(events)
        if ok:
            with self._timing:
                self._sent_at.setdefault(events[-1].seq, time.monotonic())
        return ok

    def _on_message(self, client, userdata, msg) -> None:
        self._ack_arrived = msg.timestamp  # paho's receipt time, before the cursor's fsync
        super()._on_message(client, userdata, msg)

    def _on_ack(self, seq: int) -> None:
        super()._on_ack(seq)
        now = time.monotonic()
        with self._timing:
            for upto in [u for u in self._sent_at if u <= seq]:
                sent = self._sent_at.pop(upto)
                self.latencies.append((self.phase, now - sent))
                self.trace.append((self.phase, upto, sent, self._ack_arrived, now))

    def _on_disconnect(self, *args: Any) -> None:
        with self._timing:
            self._sent_at.clear()  # a batch the link took down is timed again from its resend
        super()._on_disconnect(*args)


def invoice_items(n: int) -> tuple[str, list[tuple]]:
    inv = uuid.uuid4().hex
    return inv, [
        ("invoice.received", {"sha256": inv, "filename": f"{n}.jpg", "content_type": "image/jpeg", "size": 200_000,
                              "pages": 1}, inv, "staff", None, None),
        ("invoice.extracted", {"result": {"fields": {
            "supplier_name": "Karim Enterprise", "supplier_bin": "001234567-0101", "invoice_number": f"K-{n}",
            "invoice_date": "2024-05-01", "subtotal": 1000 + n, "vat_amount": 150, "total": 1150 + n},
            "confidence": {"total": 0.9}, "needs_review": []}}, inv, "worker", None, None)]


def edit_items(n: int, inv: str, edits: int) -> list[tuple]:
    # the last edit's number ends in -e<edits-1>: the verdict checks every invoice ended there
    return [("invoice.edited", {"fields": {"invoice_number": f"K-{n}-e{e}"}, "base_version": e + 2}, inv, "staff:rina",
             None, None) for e in range(edits)]


# -- one process of boxes ----------------------------------------------------------------


class Fleet:
    """The boxes of one load-test process and the one thread that pumps their relays."""

    def __init__(self, logins: list[tuple[str, str, str]], plan: Plan, root: Path):
        self.plan = plan
        self.boxes: list[tuple[LoadRelay, Journal]] = []
        self.counts: dict[str, int] = {}
        self.unedited: dict[str, list[tuple[int, str]]] = {}
        for device, url, client_id in logins:
            box = parse({"data_dir": root / device, "device_id": device, "mqtt_url": url})
            journal = Journal(box.journal_path, device)
            relay = LoadRelay(box, journal, client_id=client_id, linger_s=0.5, telemetry_s=plan.telemetry_s)
            self.boxes.append((relay, journal))
            self.counts[device] = 0
            self.unedited[device] = []
        self.stop = threading.Event()
        self.work_left = 0
        self._work_lock = threading.Lock()
        self.driver = threading.Thread(target=self._drive, name="driver", daemon=True)

    def add_work(self, relay: LoadRelay, journal: Journal, invoices: int, final: bool) -> None:
        """``invoices`` new ones; the edits of the previous burst's; with ``final`` this burst's edits too."""
        device = relay.device
        items: list[tuple] = []
        for n, inv in self.unedited[device]:
            items += edit_items(n, inv, self.plan.edits)
        self.unedited[device] = []
        for _ in range(invoices):
            n = self.counts[device] = self.counts[device] + 1
            inv, new = invoice_items(n)
            items += new
            self.unedited[device].append((n, inv))
        if final:
            for n, inv in self.unedited[device]:
                items += edit_items(n, inv, self.plan.edits)
            self.unedited[device] = []
        if items:
            journal.append_many(items)
            relay.wake.set()

    def connect(self, timeout: float = 120.0) -> int:
        for relay, _ in self.boxes:
            relay.repair()
            relay._connect()
        if not self.driver.is_alive():
            self.driver.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(r.connected.is_set() for r, _ in self.boxes):
            self.stop.wait(0.1)
        return sum(r.connected.is_set() for r, _ in self.boxes)

    def _drive(self) -> None:
        while not self.stop.is_set():
            now = time.monotonic()
            for relay, _ in self.boxes:
                if relay.wake.is_set() or now >= relay.due:
                    relay.wake.clear()
                    try:
                        relay.pump()
                    except (RuntimeError, ValueError, OSError):
                        pass  # mid-disconnect: the next turn, after the reconnect, sends it
                    relay.due = now + (relay.linger_s if relay._pending_since is not None else 1.0)
            self.stop.wait(0.05)

    def day(self, invoices: int, bursts: int, spread_s: float, drop_share: float) -> None:
        """Schedule the day's work in bursts at random moments, and a few dropped links, on a thread."""
        schedule: list[tuple[float, int, str, int]] = []
        for i, _ in enumerate(self.boxes):
            sizes = [invoices // bursts + (1 if b < invoices % bursts else 0) for b in range(bursts)]
            moments = sorted(random.uniform(0, spread_s) for _ in sizes)
            schedule += [(t, i, "work", size) for t, size in zip(moments, sizes, strict=True)]
            if random.random() < drop_share:
                schedule.append((random.uniform(0, spread_s), i, "drop", 0))
        schedule.sort()
        finals = {i: max(t for t, j, kind, _ in schedule if j == i and kind == "work") for i in range(len(self.boxes))}
        with self._work_lock:
            self.work_left += 1
        threading.Thread(target=self._play, args=(schedule, finals), daemon=True).start()

    def _play(self, schedule: list[tuple[float, int, str, int]], finals: dict[int, float]) -> None:
        start = time.monotonic()
        try:
            for at, i, kind, size in schedule:
                if self.stop.wait(max(0.0, start + at - time.monotonic())):
                    return
                relay, journal = self.boxes[i]
                if kind == "drop":
                    drop_link(relay)
                else:
                    self.add_work(relay, journal, size, final=at == finals[i])
        finally:
            with self._work_lock:
                self.work_left -= 1

    def outage(self, invoices: int) -> None:
        """Every link down (connects refused, as when a region's uplink is cut); the shops keep working."""
        dead = closed_port()
        for relay, _ in self.boxes:
            relay._client._port = dead  # paho refuses the public setter while a socket is open
            drop_link(relay)
            relay.phase = "outage"
        for relay, journal in self.boxes:
            self.add_work(relay, journal, invoices, final=True)

    def back(self, port: int) -> None:
        """The uplink is back for everyone at once: each box returns on its own backoff and jitter."""
        for relay, _ in self.boxes:
            relay.phase = "storm"
            relay._client._port = port

    def status(self) -> dict[str, Any]:
        ends = {r.device: j.last_seq() for r, j in self.boxes}
        return {"connected": sum(r.connected.is_set() for r, _ in self.boxes),
                "acked": sum(min(r.acked, ends[r.device]) for r, _ in self.boxes), "expected": sum(ends.values()),
                "working": self.work_left > 0, "rss": psutil.Process().memory_info().rss}

    def close(self) -> dict[str, Any]:
        self.stop.set()
        self.driver.join(10)
        report = {"devices": {r.device: {"last_seq": j.last_seq(), "invoices": self.counts[r.device]}
                              for r, j in self.boxes},
                  "latencies": [x for r, _ in self.boxes for x in r.latencies],
                  "trace": [(r.device, *t) for r, _ in self.boxes for t in r.trace] if self.plan.trace else [],
                  "rss": psutil.Process().memory_info().rss,
                  "stats": {k: sum(r.stats[k] for r, _ in self.boxes) for k in ("batches", "resends", "bytes")}}
        for relay, journal in self.boxes:
            try:
                relay._goodbye()
            except (RuntimeError, ValueError, OSError):
                pass
            journal.close()
        return report


def drop_link(relay: Relay) -> None:
    """Cut the box's TCP connection under paho (no DISCONNECT: the broker publishes its last will)."""
    sock = relay._client.socket() if relay._client is not None else None
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once this socket closes


def _process(pipe, logins: list[tuple[str, str, str]], plan: Plan, root: str) -> None:
    """One load-test process: builds its boxes, then answers the parent's commands until `stop`."""
    import logging

    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("hisab.relay").setLevel(logging.CRITICAL)  # a thousand boxes' reconnect warnings
    fleet = Fleet(logins, plan, Path(root))
    if plan.preload:
        for relay, journal in fleet.boxes:
            fleet.add_work(relay, journal, plan.invoices, final=True)
    pipe.send("built")
    while True:
        cmd, arg = pipe.recv()
        if cmd == "connect":
            pipe.send(fleet.connect())
        elif cmd == "day":
            fleet.day(**arg)
            pipe.send(True)
        elif cmd == "outage":
            fleet.outage(arg)
            pipe.send(True)
        elif cmd == "back":
            fleet.back(arg)
            pipe.send(True)
        elif cmd == "status":
            pipe.send(fleet.status())
        elif cmd == "stop":
            pipe.send(fleet.close())
            return


# -- the hub's side: processes, broker, database ------------------------------------------


class Watch:
    """CPU and memory of each hub process (psutil) and the broker's connection count ($SYS)."""

    def __init__(self, settings: HubSettings, pids: Iterable[int] = ()):
        self.settings = settings
        self.groups: dict[str, list[psutil.Process]] = {}
        self.broker_connected: int | None = None
        self.broker_connected_max = 0
        broker = Broker.from_url(settings.mqtt_url)
        db_port = _db_port(settings.database_url)
        for name, port in (("mosquitto", broker.port), ("postgres", db_port)):
            pid = _listener(port)
            if pid is not None:
                self.groups[name] = [psutil.Process(pid)]
        for pid in pids:
            self.groups[f"ingest {pid}"] = [psutil.Process(pid)]
        self._cpu0: dict[str, float] = {}
        self._rss: dict[str, int] = {}
        self._t0 = 0.0
        self._stop = threading.Event()
        self._client = None

    def _members(self, name: str) -> list[psutil.Process]:
        procs = list(self.groups[name])
        if name == "postgres":  # the postmaster and every backend, checkpointer, WAL writer ...
            try:
                procs += procs[0].children(recursive=True)
            except psutil.Error:
                pass
        return procs

    def _cpu(self, name: str) -> float:
        total = 0.0
        for p in self._members(name):
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def _sample(self) -> None:
        for name in self.groups:
            rss = 0
            for p in self._members(name):
                try:
                    rss += p.memory_info().rss
                except psutil.Error:
                    pass
            self._rss[name] = max(self._rss.get(name, 0), rss)

    def start(self) -> Watch:
        from hub.ingest import mqtt_client

        client, broker = mqtt_client(self.settings, f"loadtest-watch-{uuid.uuid4().hex[:6]}")
        client.on_connect = lambda c, *a: c.subscribe("$SYS/broker/clients/connected")
        client.on_message = self._on_sys
        client.connect_async(broker.host, broker.port)
        client.loop_start()
        self._client = client
        self._t0 = time.monotonic()
        self._cpu0 = {name: self._cpu(name) for name in self.groups}
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def _on_sys(self, client, userdata, msg) -> None:
        try:
            self.broker_connected = int(msg.payload)
            self.broker_connected_max = max(self.broker_connected_max, self.broker_connected)
        except ValueError:
            pass

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            self._sample()

    def stop(self) -> list[dict[str, Any]]:
        self._stop.set()
        self._sample()
        wall = time.monotonic() - self._t0
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
        return [{"process": name + (f" ({len(self._members(name))} processes)" if name == "postgres" else ""),
                 "cpu_percent": round(100 * (self._cpu(name) - self._cpu0[name]) / wall, 1) if wall else None,
                 "rss_mb_max": round(self._rss.get(name, 0) / 2**20, 1)} for name in self.groups]


def _db_port(url: str) -> int:
    from urllib.parse import urlparse

    return urlparse(url).port or 5432


def _listener(port: int) -> int | None:
    for c in psutil.net_connections("tcp"):
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid:
            return c.pid
    return None


def verdict(settings: HubSettings, devices: dict[str, dict[str, int]], edits: int) -> dict[str, int]:
    """What the hub's tables hold for these boxes, against what the boxes' journals hold."""
    names = list(devices)
    with db.connect(settings.database_url) as conn:
        rows = {r["device_id"]: r for r in conn.execute(
            "SELECT device_id, count(*) AS n, count(DISTINCT seq) AS seqs FROM events WHERE device_id = ANY(%s) "
            "GROUP BY device_id", (names,))}
        invoices = {r["device_id"]: r["n"] for r in conn.execute(
            "SELECT device_id, count(*) AS n FROM invoices WHERE device_id = ANY(%s) GROUP BY device_id", (names,))}
        unedited = conn.execute(
            "SELECT count(*) AS n FROM invoices WHERE device_id = ANY(%s) AND fields->>'invoice_number' NOT LIKE %s",
            (names, f"%-e{edits - 1}")).fetchone()["n"] if edits else 0
    return {
        "lost": sum(max(0, d["last_seq"] - (rows[name]["seqs"] if name in rows else 0)) for name, d in devices.items()),
        "duplicated": sum(r["n"] - r["seqs"] for r in rows.values()),
        "invoices_missing": sum(max(0, d["invoices"] - invoices.get(name, 0)) for name, d in devices.items()),
        "edits_not_applied": unedited,
    }


def api_verdict(api_url: str, token: str, devices: dict[str, dict[str, int]]) -> int:
    """Boxes whose acked seq or invoice count in ``GET /api/v1/devices`` disagrees with the box."""
    req = urllib.request.Request(api_url.rstrip("/") + "/api/v1/devices", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        seen = {d["device_id"]: d for d in json.load(resp)}
    return sum(1 for name, d in devices.items()
               if name not in seen or seen[name]["acked_seq"] < d["last_seq"] or seen[name]["invoices"] != d["invoices"])


def _pct(samples: list[float], q: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)], 3)


# -- the run -----------------------------------------------------------------------------


def run(settings: HubSettings, plan: Plan, *, accounts: Callable[[dict[str, str]], None] | None = None,
        hub_pids: Iterable[int] = (), api: tuple[str, str] | None = None,
        progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:6]
    names = [f"lt-{run_id}-{b:04d}" for b in range(plan.boxes)]
    broker = Broker.from_url(settings.mqtt_url)
    host = f"{broker.host}:{broker.port}"
    scheme = "mqtts" if broker.tls else "mqtt"
    ca = f"?ca={broker.ca_file}" if broker.ca_file else ""
    if accounts is not None:
        passwords = {name: secrets.token_urlsafe(16) for name in names}
        accounts(passwords)
        logins = [(n, f"{scheme}://{n}:{quote(passwords[n], safe='')}@{host}{ca}", n) for n in names]
    else:
        logins = [(n, settings.mqtt_url, f"lt-{n}") for n in names]
    root = Path(tempfile.mkdtemp(prefix="hisab-loadtest-"))
    ctx = mp.get_context("spawn")
    per = max(1, plan.boxes_per_process)
    procs, pipes = [], []
    with db.connect(settings.database_url) as conn:
        db_before = conn.execute("SELECT pg_database_size(current_database()) AS n").fetchone()["n"]
    watch = Watch(settings, hub_pids)
    phases: dict[str, Any] = {}
    try:
        for i in range(0, len(logins), per):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_process, args=(child, logins[i:i + per], plan, str(root)), daemon=True)
            proc.start()
            procs.append(proc)
            pipes.append(parent)
        for pipe in pipes:
            if not pipe.poll(300):
                raise RuntimeError("a load-test process did not build its boxes within 300 s")
            pipe.recv()

        def ask(cmd: str, arg: Any = None) -> list[Any]:
            for pipe in pipes:
                pipe.send((cmd, arg))
            return [pipe.recv() for pipe in pipes]

        def drain(deadline: float) -> tuple[bool, dict[str, int]]:
            while True:
                seen = ask("status")
                total = {k: sum(s[k] for s in seen) for k in ("connected", "acked", "expected")}
                if progress:
                    progress(total["acked"], total["expected"])
                if not any(s["working"] for s in seen) and total["acked"] >= total["expected"]:
                    return True, total
                if time.monotonic() > deadline:
                    return False, total
                time.sleep(0.25)

        watch.start()
        started = time.monotonic()
        connected = sum(ask("connect"))
        phases["connect_s"] = round(time.monotonic() - started, 2)
        time.sleep(1.2)  # one $SYS interval: the broker's count with every box in
        phases["broker_connections_all_in"] = watch.broker_connected
        if not plan.preload:
            ask("day", {"invoices": plan.invoices, "bursts": plan.bursts, "spread_s": plan.spread_s,
                        "drop_share": plan.drop_share})
            day_start = time.monotonic()
        else:
            day_start = started
        complete, totals = drain(started + plan.timeout_s)
        phases["day_s"] = round(time.monotonic() - day_start, 2)
        phases["day_events"] = totals["expected"]
        if plan.outage_s > 0 and complete:
            ask("outage", plan.outage_invoices)
            time.sleep(plan.outage_s)
            before = totals["expected"]
            back = time.monotonic()
            ask("back", broker.port)
            all_back = None
            share_back: dict[str, float] = {}  # when half, then 95%, of the boxes were back
            deadline = back + plan.timeout_s
            while True:
                seen = ask("status")
                now_back = sum(s["connected"] for s in seen)
                for name, share in (("half", 0.5), ("p95", 0.95)):
                    if name not in share_back and now_back >= share * connected:
                        share_back[name] = round(time.monotonic() - back, 2)
                if all_back is None and now_back >= connected:
                    all_back = time.monotonic() - back
                if not any(s["working"] for s in seen) and sum(s["acked"] for s in seen) >= sum(
                        s["expected"] for s in seen):
                    break
                if time.monotonic() > deadline:
                    complete = False
                    break
                time.sleep(0.25)
            phases["storm_drain_s"] = round(time.monotonic() - back, 2)
            phases["storm_all_reconnected_s"] = round(all_back, 2) if all_back is not None else None
            phases["storm_half_reconnected_s"] = share_back.get("half")
            phases["storm_95pct_reconnected_s"] = share_back.get("p95")
            phases["storm_events"] = sum(s["expected"] for s in seen) - before
        hub_processes = watch.stop()
        reports = ask("stop")
    finally:
        for proc in procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
        shutil.rmtree(root, ignore_errors=True)
    devices = {k: v for r in reports for k, v in r["devices"].items()}
    latencies = [x for r in reports for x in r["latencies"]]
    steady = [s for phase, s in latencies if phase == "day"]
    storm = [s for phase, s in latencies if phase == "storm"]
    events = sum(d["last_seq"] for d in devices.values())
    invoices = sum(d["invoices"] for d in devices.values())
    found = verdict(settings, devices, plan.edits)
    if api is not None:
        found["api_mismatches"] = api_verdict(api[0], api[1], devices)
    with db.connect(settings.database_url) as conn:
        db_after = conn.execute("SELECT pg_database_size(current_database()) AS n").fetchone()["n"]
    wire = sum(r["stats"]["bytes"] for r in reports)
    rss = [r["rss"] for r in reports]
    return {
        "boxes": plan.boxes, "invoices": plan.invoices, "events": events, **found,
        "complete": complete and found["lost"] == 0,
        "credentials": "per box" if accounts is not None else "hub account (per-box ACL not exercised)",
        "connected": connected, "broker_connections_max": watch.broker_connected_max,
        "broker_connections_all_in": phases.pop("broker_connections_all_in"),
        "events_per_s": round(phases["day_events"] / phases["day_s"], 1) if phases["day_s"] else None,
        "ack_p50_s": _pct(steady, 0.50), "ack_p95_s": _pct(steady, 0.95),
        "storm_ack_p50_s": _pct(storm, 0.50), "storm_ack_p95_s": _pct(storm, 0.95),
        **phases,
        "hub_processes": hub_processes,
        "db_bytes": db_after - db_before,
        "db_bytes_per_shop_month": round((db_after - db_before) / max(1, invoices) * MONTH_INVOICES),
        "bytes_on_wire": wire, "bytes_per_invoice": round(wire / max(1, invoices), 1),
        "resends": sum(r["stats"]["resends"] for r in reports),
        "batches": [t for r in reports for t in r["trace"]],
        "loadgen": {"processes": len(reports), "rss_mb_max_per_process": round(max(rss) / 2**20, 1),
                    "kb_per_box": round(sum(rss) / max(1, plan.boxes) / 1024)},
        "plan": asdict(plan),
    }
