"""The crash harness: kill -9 the box's real processes at random moments and prove nothing
acknowledged is lost, duplicated or extracted twice.

Runs the three box processes as they run on the box (``python -m appliance web|worker|relay``,
each in its own process group so a kill takes the whole unit, as systemd would), a client
thread that streams uploads (with Idempotency-Key, retried until acknowledged), edits
(PATCH with If-Match) and approvals through the JSON API, and — when Mosquitto is
available — a minimal hub on the broker that acknowledges the relay's batches. For N
cycles it waits a random moment, SIGKILLs a random process and restarts it. Then it
checks the journal, the read model and the hub against every write the client was told
had succeeded.

``python -m tests.crash --cycles 1000`` runs it outside pytest (``make bench``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from hub.devstack import free_port

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ("web", "worker", "relay")
DRAIN_S = 420  # the worker's time to give every received invoice its one result after the last cut


def tiny_invoice(n: int) -> bytes:
    """A small, distinct, readable PNG so extraction takes a fraction of a second."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (360, 90), 255)
    d = ImageDraw.Draw(img)
    d.text((8, 8), f"Invoice No: CR-{n:05d}", fill=0)
    d.text((8, 30), f"Date: 12/03/2024   Total: {1000 + n}.00", fill=0)
    d.text((8, 52), f"nonce {uuid.uuid4().hex[:12]}", fill=0)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


# -- a minimal hub: acknowledges contiguous batches, remembers what it stored ----------


class FakeHub:
    def __init__(self, mqtt_url: str, device: str):
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        from appliance.relay import Broker

        broker = Broker.from_url(mqtt_url)
        self.device = device
        self.stored: dict[int, str] = {}  # seq -> event id
        self.ranges: list[tuple[int, int]] = []
        self.acked = 0
        self.conflicts: list[str] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"fakehub-{uuid.uuid4().hex[:6]}")
        self.client.username_pw_set(broker.username, broker.password)
        self.client.on_connect = lambda c, *a: c.subscribe(f"hisab/v1/{device}/up/events", qos=1)
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg) -> None:
        body = json.loads(zlib.decompress(msg.payload))
        with self.lock:
            for e in body["events"]:
                known = self.stored.get(e["seq"])
                if known is not None and known != e["id"]:
                    self.conflicts.append(f"seq {e['seq']}: {known} then {e['id']}")
                self.stored[e["seq"]] = e["id"]
            self.ranges.append((body["after"], body["upto"]))
            moved = True
            while moved:
                moved = False
                for after, upto in self.ranges:
                    if after <= self.acked < upto:
                        self.acked, moved = upto, True
            acked = self.acked
        client.publish(f"hisab/v1/{self.device}/down/ack", json.dumps({"acked": acked}), qos=1)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


# -- the client: what the box acknowledged -----------------------------------------------


@dataclass
class Acknowledged:
    uploads: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # key -> (invoice id, bytes)
    edits: list[tuple[str, dict[str, Any], int]] = field(default_factory=list)  # (invoice, fields, version)
    approvals: set[str] = field(default_factory=set)
    statuses: dict[str, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    retries: int = 0


class Client(threading.Thread):
    def __init__(self, base: str, token: str, seed: int):
        super().__init__(name="crash-client", daemon=True)
        self.base, self.rng = base, random.Random(seed)
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.stop = threading.Event()
        self.ack = Acknowledged()
        self.n = 0

    def _call(self, method: str, path: str, **kw) -> requests.Response | None:
        try:
            r = self.http.request(method, self.base + path, timeout=15, **kw)
        except requests.RequestException:
            self.ack.retries += 1
            self.stop.wait(0.05)
            return None
        self.ack.statuses[str(r.status_code)] = self.ack.statuses.get(str(r.status_code), 0) + 1
        if r.status_code >= 500 and r.status_code != 503:
            self.ack.server_errors.append(f"{method} {path} -> {r.status_code} {r.text[:200]}")
        return r

    def upload(self) -> None:
        self.n += 1
        key, data = f"crash-{self.n}-{uuid.uuid4().hex[:8]}", tiny_invoice(self.n)
        deadline = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < deadline:  # retry until acknowledged
            r = self._call("POST", "/api/v1/invoices", files={"file": (f"cr{self.n}.png", data, "image/png")},
                           headers={"Idempotency-Key": key})
            if r is not None and r.status_code == 201:
                self.ack.uploads[key] = (r.json()["id"], data)
                return

    def edit(self, invoice_id: str) -> None:
        r = self._call("GET", f"/api/v1/invoices/{invoice_id}")
        if r is None or r.status_code != 200:
            return
        fields = {"note": f"edit-{uuid.uuid4().hex[:10]}", "total": float(self.rng.randint(1, 10**6))}
        r = self._call("PATCH", f"/api/v1/invoices/{invoice_id}", json=fields,
                       headers={"If-Match": str(r.json()["version"])})
        if r is not None and r.status_code == 200:
            self.ack.edits.append((invoice_id, fields, r.json()["version"]))

    def approve(self, invoice_id: str) -> None:
        r = self._call("POST", f"/api/v1/invoices/{invoice_id}/approve")
        if r is not None and r.status_code == 200:
            self.ack.approvals.add(invoice_id)

    def run(self) -> None:
        while not self.stop.is_set():
            known = [v[0] for v in self.ack.uploads.values()]
            roll = self.rng.random()
            self.stop.wait(self.rng.uniform(0.05, 0.25))  # a person's pace, so the worker keeps up
            if not known or roll < 0.3:
                self.upload()
            elif roll < 0.8:  # edits, and approvals below
                self.edit(self.rng.choice(known))
            else:
                self.approve(self.rng.choice(known))


# -- the harness ---------------------------------------------------------------------------


class Harness:
    def __init__(self, root: Path, cycles: int, seed: int | None = None, mqtt_url: str | None = None,
                 hub_url: str | None = None, device: str = "box-crash", wait: tuple[float, float] = (0.05, 0.5)):
        self.root, self.cycles, self.wait = root, cycles, wait
        self.seed = seed if seed is not None else random.randrange(1 << 30)
        self.rng = random.Random(self.seed)
        self.data = root / "data"
        self.port = free_port()
        self.device = device
        self.env = {**os.environ, "HISAB_DATA_DIR": str(self.data), "HISAB_PORT": str(self.port),
                    "HISAB_HOST": "127.0.0.1", "HISAB_DEVICE_ID": device, "HISAB_USE_LLM": "false",
                    "HISAB_POLL_SECONDS": "0.2", "HISAB_WEB_THREADS": "4", "HISAB_WORKER_THREADS": "1",
                    "HISAB_STORAGE_RESERVE_MB": "0", "HISAB_LOG_LEVEL": "WARNING", "OMP_THREAD_LIMIT": "1",
                    "PYTHONUNBUFFERED": "1"}
        if mqtt_url:
            self.env["HISAB_MQTT_URL"] = mqtt_url
        else:
            self.env.pop("HISAB_MQTT_URL", None)
        self.mqtt_url, self.hub_url = mqtt_url, hub_url
        self.procs: dict[str, subprocess.Popen] = {}
        self.kills = {name: 0 for name in PROCESSES}
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    # processes

    def start(self, name: str) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen([sys.executable, "-m", "appliance", name], env=self.env, cwd=ROOT,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the whole unit: gunicorn master and its worker alike
        except ProcessLookupError:
            pass
        proc.wait()
        self.kills[name] += 1

    def stop_all(self) -> None:
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def until_serving(self, name: str) -> None:
        """Wait a little until a restarted process does its job (web answers, worker beats); a
        slow boot is killed during its repair phase instead, which is a moment worth testing too."""
        deadline = time.monotonic() + {"web": 2.5, "worker": 2.0}.get(name, 0)
        pid = self.procs[name].pid
        while time.monotonic() < deadline:
            if name == "web":
                try:
                    requests.get(f"http://127.0.0.1:{self.port}/api/v1/health", timeout=1)
                    return
                except requests.RequestException:
                    pass
            elif name == "worker":
                try:
                    if json.loads((self.data / "run" / "worker.json").read_text()).get("pid") == pid:
                        return
                except (OSError, ValueError):
                    pass
            else:
                return
            time.sleep(0.05)

    def wait_web(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs["web"].poll() is not None:
                self.start("web")
            try:
                requests.get(f"http://127.0.0.1:{self.port}/api/v1/health", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise AssertionError(f"web did not answer within {timeout}s; see {self.logs / 'web.log'}")

    def prepare(self) -> str:
        from appliance import users
        from appliance.box import open_box
        from appliance.config import parse

        box = open_box(parse({"data_dir": self.data, "device_id": self.device}))
        users.add_user(box.journal, "owner", "owner", "crash-owner-pass")
        token = users.create_token(box.journal, "owner", label="crash harness")
        box.close()
        return token

    # the run

    def run(self) -> dict[str, Any]:
        token = self.prepare()
        hub = FakeHub(self.hub_url, self.device) if self.mqtt_url and self.hub_url else None
        for name in PROCESSES:
            self.start(name)
        self.wait_web()
        client = Client(f"http://127.0.0.1:{self.port}", token, self.seed)
        client.start()
        started = time.monotonic()
        try:
            for _cycle in range(self.cycles):
                victim = self.rng.choice(PROCESSES)
                self.until_serving(victim)  # a random moment of its working life, not only of its boot
                time.sleep(self.rng.uniform(*self.wait))
                self.kill(victim)
                self.start(victim)
            crash_seconds = time.monotonic() - started
        finally:
            client.stop.set()
            client.join(60)
        try:
            findings = self.verify(client.ack, hub)
        finally:
            self.stop_all()
            if hub:
                hub.close()
        findings.update(cycles=self.cycles, seed=self.seed, kills=self.kills, crash_seconds=round(crash_seconds, 1),
                        seconds_per_cycle=round(crash_seconds / max(1, self.cycles), 3),
                        http_statuses=client.ack.statuses, client_retries=client.ack.retries,
                        server_errors=client.ack.server_errors[:10])
        return findings

    def verify(self, ack: Acknowledged, hub: FakeHub | None) -> dict[str, Any]:
        """Everything acknowledged is there, once, byte for byte; the read model equals a replay."""
        problems: list[str] = []
        self.wait_web()
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {self.prepare_token()}"
        base = f"http://127.0.0.1:{self.port}/api/v1"
        db = sqlite3.connect(f"file:{self.data / 'journal.sqlite3'}?mode=ro", uri=True)

        def q(sql: str, args: tuple = ()) -> list[tuple]:
            return db.execute(sql, args).fetchall()

        # the worker drains the backlog: every invoice gets exactly one result
        # a page whose item rows are not read is read twice (~2.5 s more), so a backlog of a few
        # dozen invoices left by the last power cut takes minutes on 2 busy cores
        deadline = time.monotonic() + DRAIN_S
        while time.monotonic() < deadline:
            pending = q("SELECT count(*) FROM events r WHERE r.type='invoice.received' AND NOT EXISTS "
                        "(SELECT 1 FROM events x WHERE x.invoice_id=r.invoice_id AND x.type IN "
                        "('invoice.extracted','invoice.failed'))")[0][0]
            if pending == 0:
                break
            self.start_missing()
            time.sleep(0.5)
        else:
            problems.append(f"{pending} invoices still without a result after {DRAIN_S} s")
        doubles = q("SELECT invoice_id, count(*) FROM events WHERE type IN ('invoice.extracted','invoice.failed') "
                    "GROUP BY invoice_id HAVING count(*) > 1")
        problems += [f"invoice {i} has {n} extraction results" for i, n in doubles]
        gave_up = q("SELECT count(*) FROM events WHERE type='invoice.failed' AND payload LIKE '%Gave up after%'")[0][0]

        # the read model catches up with the journal
        last_seq = q("SELECT max(seq) FROM events")[0][0]
        deadline = time.monotonic() + 60
        lag = None
        while time.monotonic() < deadline:
            health = http.get(f"{base}/health", timeout=10).json()
            lag = health["readmodel"]["last_seq"] - q("SELECT max(seq) FROM events")[0][0]
            if lag == 0:
                break
            time.sleep(0.2)
        if lag != 0:
            problems.append(f"read model did not catch up with the journal (lag {lag})")

        # every acknowledged upload: one received event, same invoice on retry, bytes identical
        for key, (invoice_id, data) in ack.uploads.items():
            event_id = "upload-" + hashlib.sha256(f"owner\x00{key}".encode()).hexdigest()[:40]
            rows = q("SELECT invoice_id FROM events WHERE id=?", (event_id,))
            if [r[0] for r in rows] != [invoice_id]:
                problems.append(f"upload {key}: journal has {rows}, client was told {invoice_id}")
            image = http.get(f"{base}/invoices/{invoice_id}/image", timeout=20)
            if image.status_code != 200 or image.content != data:
                problems.append(f"upload {key}: image {image.status_code}, identical={image.content == data}")
        received = q("SELECT count(*) FROM events WHERE type='invoice.received'")[0][0]
        keyed = q("SELECT count(*) FROM events WHERE type='invoice.received' AND id LIKE 'upload-%'")[0][0]
        if received != keyed:
            problems.append(f"{received - keyed} invoice.received events without an idempotency key")

        # every acknowledged edit and approval is in the journal; the read model shows the latest
        edited = {}
        for invoice_id, fields, _version in ack.edits:
            rows = q("SELECT seq FROM events WHERE invoice_id=? AND type='invoice.edited' AND "
                     "json_extract(payload,'$.fields.note')=?", (invoice_id, fields["note"]))
            if len(rows) != 1:
                problems.append(f"edit {fields['note']} of {invoice_id} found {len(rows)} times")
            edited.setdefault(invoice_id, None)
        for invoice_id in edited:
            latest = q("SELECT json_extract(payload,'$.fields.note') FROM events WHERE invoice_id=? AND "
                       "type='invoice.edited' ORDER BY seq DESC LIMIT 1", (invoice_id,))[0][0]
            shown = http.get(f"{base}/invoices/{invoice_id}", timeout=10).json()["fields"].get("note")
            if shown != latest:
                problems.append(f"invoice {invoice_id} shows note {shown!r}, journal's latest is {latest!r}")
        for invoice_id in ack.approvals:
            if not q("SELECT 1 FROM events WHERE invoice_id=? AND type='invoice.approved'", (invoice_id,)):
                problems.append(f"approval of {invoice_id} lost")

        # no event duplicated: unique ids, and no (invoice, attempt) processed twice as a result
        dup_ids = q("SELECT id, count(*) FROM events GROUP BY id HAVING count(*) > 1")
        problems += [f"event id {i} stored {n} times" for i, n in dup_ids]

        # the read model built incrementally under kills equals a replay of the journal
        fingerprints = self.compare_with_replay()
        if fingerprints[0] != fingerprints[1]:
            problems.append("the live read model differs from a replay of the journal")

        sync: dict[str, Any] = {}
        if hub is not None:
            self.start_missing()
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and q("SELECT seq FROM cursors WHERE name='relay-acked'") != \
                    [(last_seq,)]:
                time.sleep(0.3)
            acked = (q("SELECT seq FROM cursors WHERE name='relay-acked'") or [(0,)])[0][0]
            public = {s: i for s, i, t in q("SELECT seq, id, type FROM events WHERE seq<=?", (acked,))
                      if not t.startswith(("user.", "token."))}
            missing = [s for s in public if hub.stored.get(s) != public[s]]
            if acked < last_seq:
                problems.append(f"relay cursor {acked} did not reach the journal's end {last_seq}")
            if missing:
                problems.append(f"hub lacks {len(missing)} acknowledged events, e.g. seq {missing[:5]}")
            problems += hub.conflicts
            sync = {"hub_acked": acked, "hub_events": len(hub.stored)}
        db.close()
        return {
            "ok": not problems, "problems": problems[:50],
            "acknowledged": {"uploads": len(ack.uploads), "edits": len(ack.edits), "approvals": len(ack.approvals)},
            "journal": {"last_seq": last_seq, "invoices": received, "gave_up_after_attempts": gave_up},
            "readmodel_fingerprint_equal": fingerprints[0] == fingerprints[1], **sync,
        }

    def prepare_token(self) -> str:
        from appliance import users
        from appliance.queue.journal import Journal

        journal = Journal(self.data / "journal.sqlite3", self.device)
        token = users.create_token(journal, "owner", label="crash verify")
        journal.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the projector applies the token within a poll
            r = requests.get(f"http://127.0.0.1:{self.port}/api/v1/invoices",
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
            if r.status_code == 200:
                return token
            time.sleep(0.2)
        raise AssertionError("the web never accepted the verification token")

    def start_missing(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                self.start(name)

    def compare_with_replay(self) -> tuple[str, str]:
        """Stop web, fingerprint its DuckDB, replay the journal into a fresh one, fingerprint that."""
        from appliance.queue.journal import Journal
        from appliance.readmodel import ReadModel

        for name in PROCESSES:  # nothing appends while both sides are read
            os.killpg(self.procs[name].pid, signal.SIGTERM)
            self.procs[name].wait(30)
        journal = Journal(self.data / "journal.sqlite3", self.device)
        live = ReadModel(self.data / "readmodel.duckdb", journal)
        live.catch_up()  # what a restart would do: apply anything appended after the last pass
        live_fp = live.fingerprint()
        live.close()
        fresh_path = self.root / "replayed.duckdb"
        fresh = ReadModel(fresh_path, journal)
        fresh.catch_up()
        fresh_fp = fresh.fingerprint()
        fresh.close()
        journal.close()
        self.start_missing()
        return live_fp, fresh_fp


def report(findings: dict[str, Any]) -> str:
    k = findings["kills"]
    lines = [
        f"crash harness: {findings['cycles']} cycles in {findings['crash_seconds']} s "
        f"({findings['seconds_per_cycle']} s/cycle), seed {findings['seed']}",
        f"  kills: web {k['web']}, worker {k['worker']}, relay {k['relay']}",
        f"  acknowledged and verified: {findings['acknowledged']['uploads']} uploads (byte-identical), "
        f"{findings['acknowledged']['edits']} edits, {findings['acknowledged']['approvals']} approvals",
        f"  journal: {findings['journal']['last_seq']} events, {findings['journal']['invoices']} invoices, "
        f"{findings['journal']['gave_up_after_attempts']} failed after max attempts (worker killed mid-extraction)",
        f"  read model equals replay: {findings['readmodel_fingerprint_equal']}; client retries "
        f"{findings['client_retries']}; HTTP {findings['http_statuses']}",
    ]
    if "hub_acked" in findings:
        lines.append(f"  hub: acked up to seq {findings['hub_acked']}, {findings['hub_events']} events stored")
    lines.append("  problems: " + ("none" if findings["ok"] else "; ".join(findings["problems"][:10])))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=int(os.environ.get("HISAB_CRASH_CYCLES", "1000")))
    parser.add_argument("--seed", type=int)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory(prefix="hisab-crash-") as tmp:
        mqtt_url, hub_url, broker = None, None, None
        try:
            from hub.devstack import Mosquitto

            broker = Mosquitto(Path(tmp) / "mosquitto").start()
            broker.add_user("box-crash", "pw-box-crash")
            mqtt_url, hub_url = broker.url("box-crash"), broker.url("hub")
        except Exception as exc:  # noqa: BLE001 - run without a hub rather than not at all
            print(f"no broker ({exc}); the relay runs without a hub", file=sys.stderr)
        try:
            findings = Harness(Path(tmp), args.cycles, args.seed, mqtt_url=mqtt_url, hub_url=hub_url).run()
        finally:
            if broker:
                broker.stop()
    print(json.dumps(findings) if args.json else report(findings))
    sys.exit(0 if findings["ok"] else 1)


if __name__ == "__main__":
    main()
