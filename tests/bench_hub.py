"""`make bench-hub`: what one hub machine carries, measured here, against issue 11's targets.

On a private Mosquitto and PostgreSQL (hub.devstack, fsync on unless HISAB_BENCH_PG_FAST=1):
1. drain speed with one ingest process, then two (`hisab-hub ingest` subprocesses): events/s per worker;
2. HISAB_BENCH_BOXES (1,000) boxes connected at once, each with its own broker account, sending a
   day's work (25 invoices + 2 edits each) in bursts with links dropping, then a fleet-wide outage
   and every box back at once: lost, duplicated, p95 ack latency in the storm, broker connections,
   CPU/memory of each hub process, database bytes per shop per month — checked through the
   database and GET /api/v1/devices; each storm batch's latency split into its legs (broker,
   worker inbox, ingest transaction, ack publish, ack back, box cursor) from the ingest workers'
   debug lines;
3. the dashboard's queries on 1,000 shops x 12 months generated with generate_series.
Prints one table (figure | measured | target | ok) and writes every figure to bench-hub.json.
HISAB_BENCH_SKIP=drain,fleet,dashboard (any of them) leaves sections out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from hub import db, loadtest, users
from hub.devstack import HUB_USER, Mosquitto, Postgres, free_port
from hub.settings import HubSettings
from tests.bench_table import Table

ROOT = Path(__file__).resolve().parent.parent
table = Table()
record = table.record
figures: dict[str, object] = {}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Ingest:
    """`hisab-hub ingest` processes, as production runs them (one per core, any machine)."""

    def __init__(self, settings: HubSettings, n: int, logs: Path, verbose: bool = False):
        env = {**os.environ, "HUB_MQTT_URL": settings.mqtt_url, "HUB_DATABASE_URL": settings.database_url,
               "HUB_SECOND_OPINION_WORKERS": "0"}
        self.logs = [logs / f"ingest-{n}-{i}.log" for i in range(n)]
        cli = [sys.executable, "-m", "hub.cli", *(["-v"] if verbose else []), "ingest"]
        self.procs = [subprocess.Popen([*cli, "--name", f"bench-{n}-{i}"], env=env,
                                       cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("w"))
                      for i, log in enumerate(self.logs)]
        deadline = time.monotonic() + 60
        while not all("ingest.connected" in log.read_text() for log in self.logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                raise RuntimeError("ingest did not start: " + " ".join(log.read_text()[-500:] for log in self.logs))
            time.sleep(0.2)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


def drain_rate(settings: HubSettings, broker: Mosquitto, workers: int, tmp: Path) -> dict:
    ingest = Ingest(settings, workers, tmp)
    try:
        plan = loadtest.Plan(boxes=env_int("HISAB_BENCH_DRAIN_BOXES", 40), invoices=env_int("HISAB_BENCH_DRAIN_INVOICES", 250),
                             preload=True, drop_share=0, telemetry_s=30, boxes_per_process=40)
        return loadtest.run(settings, plan, accounts=broker.add_users, hub_pids=ingest.pids)
    finally:
        ingest.stop()


LEGS = ("to worker (broker queue)", "worker inbox", "ingest transaction", "ack publish", "ack back to box",
        "box cursor fsync")


def split_latency(batches: list, logs: list[Path], phase: str) -> dict[str, dict[str, float | None]]:
    """Each batch of ``phase`` from publish to ack, cut into legs by the ingest workers' debug lines
    (``ingest.batch``: received, started, committed, acked; monotonic, so comparable across processes)."""
    seen: dict[tuple[str, int], list[tuple[float, ...]]] = {}
    for log in logs:
        for line in log.read_text().splitlines():
            if "ingest.batch " not in line:
                continue
            kv = dict(part.split("=", 1) for part in line.split("ingest.batch ", 1)[1].split())
            if not kv["upto"].isdigit():
                continue  # a priority or repair lane batch: acked by seq, not timed here
            seen.setdefault((kv["device"], int(kv["upto"])), []).append(
                (*(float(kv[k]) for k in ("received", "started", "committed", "acked")), int(kv.get("group", 1))))
    legs: list[tuple[float, ...]] = []
    groups: list[float] = []
    for device, ph, upto, sent, arrived, done in batches:
        if ph != phase:
            continue
        hub = [h for h in seen.get((device, upto), []) if h[0] >= sent - 0.01]
        if not hub:
            continue
        received, started, committed, acked, group = min(hub)
        groups.append(group)
        legs.append((received - sent, started - received, committed - started, acked - committed, arrived - acked,
                     done - arrived, done - sent))
    out: dict[str, dict[str, float | None]] = {
        "matched": {"batches": len(legs), "group_p50": loadtest._pct(groups, 0.5), "group_p95": loadtest._pct(groups, 0.95)}}
    slow = sorted(legs, key=lambda x: x[-1])[int(len(legs) * 0.95):]
    for i, name in enumerate(LEGS):
        col = [x[i] for x in legs]
        out[name] = {"p50": loadtest._pct(col, 0.5), "p95": loadtest._pct(col, 0.95),
                     "mean_slowest_5pct": round(sum(x[i] for x in slow) / len(slow), 3) if slow else None}
    return out


def bench_fleet(settings: HubSettings, broker: Mosquitto, tmp: Path, skip: set[str]) -> None:
    if "drain" not in skip:
        bench_drain(settings, broker, tmp)
    bench_boxes(settings, broker, tmp)


def bench_drain(settings: HubSettings, broker: Mosquitto, tmp: Path) -> None:
    one = drain_rate(settings, broker, 1, tmp)
    two = drain_rate(settings, broker, 2, tmp)
    figures["drain_1_worker"], figures["drain_2_workers"] = one, two
    record(f"ingest events/s, 1 worker ({one['events']:,} events preloaded in {one['boxes']} boxes)",
           f"{one['events_per_s']:,.0f}", "≥ 2,000", one["events_per_s"] >= 2000)
    per = two["events_per_s"] / 2
    record("ingest events/s, 2 workers (total / per worker)", f"{two['events_per_s']:,.0f} / {per:,.0f}",
           "> 1 worker's total", two["events_per_s"] > one["events_per_s"])
    for r, label in ((one, "1 worker"), (two, "2 workers")):
        record(f"  lost / duplicated ({label})", f"{r['lost']} / {r['duplicated']}", "0 / 0",
               r["lost"] == 0 and r["duplicated"] == 0)
        for p in r["hub_processes"]:
            record(f"  {p['process']} ({label})", f"{p['cpu_percent']}% CPU, {p['rss_mb_max']} MB RSS")


def bench_boxes(settings: HubSettings, broker: Mosquitto, tmp: Path) -> None:
    boxes = env_int("HISAB_BENCH_BOXES", 1000)
    ingest = Ingest(settings, 2, tmp, verbose=True)
    stop = threading.Event()
    try:
        from werkzeug.serving import make_server

        from hub.web import create_app

        with db.connect(settings.database_url, autocommit=True) as conn:
            users.add_user(conn, "bench", "admin", "a long bench password")
            token = users.create_token(conn, "bench")
        server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        plan = loadtest.Plan(boxes=boxes, invoices=25, edits=2, bursts=5, spread_s=env_int("HISAB_BENCH_DAY_S", 60),
                             drop_share=0.05, outage_s=env_int("HISAB_BENCH_OUTAGE_S", 20), outage_invoices=10,
                             telemetry_s=30, timeout_s=600, trace=True)
        fleet = loadtest.run(settings, plan, accounts=broker.add_users, hub_pids=ingest.pids,
                             api=(f"http://127.0.0.1:{server.server_port}", token))
        server.shutdown()
    finally:
        stop.set()
        ingest.stop()
    batches = fleet.pop("batches")
    fleet["split"] = {ph: split_latency(batches, ingest.logs, ph) for ph in ("day", "storm")}
    figures["fleet"] = fleet
    record("boxes connected at once, own accounts (broker $SYS count)",
           f"{fleet['connected']:,} ({fleet['broker_connections_all_in']})", f"{boxes:,} on one broker",
           fleet["connected"] == boxes)
    record("a day's work: invoices + edits (events) in bursts, 5% links dropped",
           f"{fleet['boxes'] * 25:,} ({fleet['day_events']:,} events) in {fleet['day_s']} s", "")
    record("  ack latency p50 / p95, day", f"{fleet['ack_p50_s']} s / {fleet['ack_p95_s']} s", "")
    record(f"fleet-wide outage {plan.outage_s:.0f} s, every box back at once: half / 95% / all reconnected after",
           f"{fleet.get('storm_half_reconnected_s')} / {fleet.get('storm_95pct_reconnected_s')} / "
           f"{fleet.get('storm_all_reconnected_s')} s", "full jitter, ≤ 60 s")
    record("  ack latency p50 / p95 in the reconnect storm", f"{fleet['storm_ack_p50_s']} s / {fleet['storm_ack_p95_s']} s",
           "p95 ≤ 2 s", fleet["storm_ack_p95_s"] is not None and fleet["storm_ack_p95_s"] <= 2.0)
    split = fleet["split"]["storm"]
    record("    batches timed / messages per ingest transaction p50, p95",
           f"{split['matched']['batches']:,} / {split['matched']['group_p50']}, {split['matched']['group_p95']}", "")
    for leg in LEGS:
        record(f"    {leg} p50 / p95 (slowest 5%: mean)",
               f"{split[leg]['p50']} / {split[leg]['p95']} s ({split[leg]['mean_slowest_5pct']} s)", "")
    record("  storm backlog drained", f"{fleet.get('storm_events', 0):,} events in {fleet.get('storm_drain_s')} s", "")
    record("lost / duplicated (events in the DB vs journals)", f"{fleet['lost']} / {fleet['duplicated']}", "0 / 0",
           fleet["lost"] == 0 and fleet["duplicated"] == 0)
    record("invoices missing / edits not applied / API mismatches",
           f"{fleet['invoices_missing']} / {fleet['edits_not_applied']} / {fleet.get('api_mismatches')}", "0 / 0 / 0",
           not (fleet["invoices_missing"] or fleet["edits_not_applied"] or fleet.get("api_mismatches")))
    for p in fleet["hub_processes"]:
        record(f"  {p['process']} (fleet run)", f"{p['cpu_percent']}% CPU, {p['rss_mb_max']} MB RSS")
    record("DB bytes per shop per month (500 invoices)", f"{fleet['db_bytes_per_shop_month'] / 2**20:,.2f} MiB", "")
    lg = fleet["loadgen"]
    record("load generator memory", f"{lg['processes']} processes, {lg['kb_per_box']} KiB/box, "
           f"{lg['rss_mb_max_per_process']} MB max/process", "")


GENERATE = """
INSERT INTO devices (device_id, acked_seq, state, last_seen, backlog, disk_percent, version, telemetry)
SELECT 'shop-' || lpad(s::text, 5, '0'), %(per_shop)s * 2, CASE WHEN s %% 17 = 0 THEN 'offline' ELSE 'online' END,
       now() - (s %% 300) * interval '1 second', s %% 40, 30 + s %% 50, '1.4.0', '{"cpu_percent": 12}'
FROM generate_series(1, %(shops)s) s;

INSERT INTO invoices (device_id, invoice_id, status, fields, field_hlc, version, created_at, updated_at)
SELECT 'shop-' || lpad(s::text, 5, '0'), md5(s || '-' || i), CASE WHEN i %% 10 = 0 THEN 'extracted' ELSE 'approved' END,
       jsonb_build_object('supplier_name', 'Karim Enterprise ' || (i %% 50), 'supplier_bin', '0012345' || lpad((i %% 99)::text, 2, '0') || '-0101',
                          'invoice_number', 'K-' || i, 'invoice_date', (t.at)::date, 'subtotal', 1000 + i %% 9000,
                          'vat_amount', 150, 'total', 1150 + i %% 9000),
       jsonb_build_object('total', '0001700000000000-0000-shop', 'invoice_number', '0001700000000000-0000-shop'),
       3, t.at, t.at
FROM generate_series(1, %(shops)s) s, generate_series(1, %(per_shop)s) i,
     LATERAL (SELECT now() - (i::float / %(per_shop)s) * %(months)s * interval '1 month') t(at);

INSERT INTO invoice_versions (device_id, invoice_id, version, event_id, type, actor, origin, hlc, changes, at)
SELECT 'shop-' || lpad(s::text, 5, '0'), md5(s || '-' || i), 1, md5(i || '-' || s), 'invoice.extracted', 'worker',
       'box', '0001700000000000-0000-shop', '{"total": 1150}', now() - (i::float / %(per_shop)s) * %(months)s * interval '1 month'
FROM generate_series(1, %(shops)s) s, generate_series(1, %(per_shop)s) i;

INSERT INTO events (device_id, seq, id, hlc, type, invoice_id, actor, payload, occurred_at)
SELECT 'shop-' || lpad(s::text, 5, '0'), (i - 1) * 2 + k, md5(s || '-' || i || '-' || k), lpad(((extract(epoch FROM t.at) * 1000)::bigint)::text, 13, '0') || '-0000-shop',
       CASE k WHEN 1 THEN 'invoice.received' ELSE 'invoice.extracted' END, md5(s || '-' || i), 'worker',
       CASE k WHEN 1 THEN '{"filename": "1.jpg", "size": 200000, "pages": 1}'::jsonb
              ELSE '{"result": {"fields": {"supplier_name": "Karim Enterprise", "total": 1150, "invoice_number": "K-1"}}}'::jsonb END,
       t.at
FROM generate_series(1, %(shops)s) s, generate_series(1, %(per_shop)s) i, generate_series(1, 2) k,
     LATERAL (SELECT now() - (i::float / %(per_shop)s) * %(months)s * interval '1 month') t(at);

INSERT INTO device_states (device_id, state, at)
SELECT 'shop-' || lpad(s::text, 5, '0'), CASE WHEN j %% 2 = 0 THEN 'online' ELSE 'offline' END,
       now() - (j::float / (%(months)s * 8)) * %(months)s * interval '1 month'
FROM generate_series(1, %(shops)s) s, generate_series(1, %(months)s * 8) j;

INSERT INTO conflicts (device_id, invoice_id, reason, box_event, hub_event, box_fields, hub_fields, box_actor, hub_actor)
SELECT 'shop-' || lpad(s::text, 5, '0'), md5(s || '-1'), 'total', 'b', 'h', '{"total": 1}', '{"total": 2}', 'staff', 'hub'
FROM generate_series(1, %(shops)s, 20) s;
ANALYZE;
"""


def bench_dashboard(pg: Postgres) -> None:
    import psycopg

    from hub import uptime, web

    shops, months = env_int("HISAB_BENCH_DASH_SHOPS", 1000), env_int("HISAB_BENCH_DASH_MONTHS", 12)
    per_month = env_int("HISAB_BENCH_DASH_INVOICES", 500)
    admin = f"postgresql://postgres@127.0.0.1:{pg.port}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS dash")
        conn.execute("CREATE DATABASE dash")
    url = f"postgresql://postgres@127.0.0.1:{pg.port}/dash"
    db.migrate(url, partitions_ahead=3)
    with db.connect(url, autocommit=True) as conn:
        for m in range(months + 1):  # the months the generated history covers
            conn.execute("SELECT hisab_events_partition((date_trunc('month', now() AT TIME ZONE 'UTC') "
                         "- make_interval(months => %s))::date)", (m,))
        started = time.monotonic()
        params = {"shops": shops, "months": months, "per_shop": per_month * months}
        for statement in filter(None, (part.strip() for part in GENERATE.split(";\n"))):
            conn.execute(statement, params if "%(" in statement else None)
        generated = time.monotonic() - started
        size = conn.execute("SELECT pg_database_size('dash') AS n").fetchone()["n"]
        counts = conn.execute("SELECT (SELECT count(*) FROM invoices) AS invoices, (SELECT count(*) FROM events) AS events, "
                              "(SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass) AS parts").fetchone()
    record(f"dashboard data: {shops:,} shops x {months} months (generate_series)",
           f"{counts['invoices']:,} invoices, {counts['events']:,} events, {size / 2**30:.1f} GiB in {generated:.0f} s",
           f"{shops * months * per_month:,} invoices")
    record("  events partitions (monthly + default), made ahead at migrate", f"{counts['parts']}",
           "")
    device = f"shop-{shops // 2:05d}"
    with db.connect(url, autocommit=True) as conn:
        invoice = conn.execute("SELECT invoice_id FROM invoices WHERE device_id=%s LIMIT 1", (device,)).fetchone()["invoice_id"]
        queries = {
            "fleet page (all shops, counts, alerts, last reconcile)": lambda: conn.execute(web.DEVICES_SQL).fetchall(),
            "fleet uptime this month (device_states)": lambda: uptime.monthly(conn, None),
            "shop page: latest 200 invoices + open conflicts": lambda: (
                conn.execute("SELECT invoice_id, status, fields, version, updated_at FROM invoices WHERE device_id=%s "
                             "ORDER BY updated_at DESC LIMIT 200", (device,)).fetchall(),
                conn.execute("SELECT * FROM conflicts WHERE device_id=%s AND status='open' ORDER BY id", (device,)).fetchall()),
            "invoice page: invoice + version history": lambda: (
                conn.execute("SELECT * FROM invoices WHERE device_id=%s AND invoice_id=%s", (device, invoice)).fetchone(),
                conn.execute("SELECT * FROM invoice_versions WHERE device_id=%s AND invoice_id=%s ORDER BY version",
                             (device, invoice)).fetchall()),
            "conflict queue (open)": lambda: conn.execute("SELECT * FROM conflicts WHERE status='open' ORDER BY id").fetchall(),
            "a shop's events of last month (partition pruned)": lambda: conn.execute(
                "SELECT seq, hlc, invoice_id FROM events WHERE device_id=%s AND occurred_at >= date_trunc('month', now()) "
                "- interval '1 month' AND occurred_at < date_trunc('month', now())", (device,)).fetchall(),
            "ingest: a shop's events past its ack (every partition's key)": lambda: conn.execute(
                "SELECT seq FROM events WHERE device_id=%s AND seq > %s ORDER BY seq", (device, per_month * months * 2 - 50)
            ).fetchall(),
        }
        for name, query in queries.items():
            query()  # warm
            times = []
            for _ in range(5):
                t = time.perf_counter()
                query()
                times.append((time.perf_counter() - t) * 1000)
            worst = max(times)
            record(f"  {name}", f"{sorted(times)[2]:.1f} ms median, {worst:.1f} ms max", "< 100 ms", worst < 100)
            figures.setdefault("dashboard_ms", {})[name] = {"median": round(sorted(times)[2], 1), "max": round(worst, 1),
                                                            "shops": shops, "months": months}
        started = time.monotonic()
        done = db.maintain_partitions(conn, 3, months - 2)  # retention: two generated months fall out
        record("  retention: partitions dropped past N months", f"{len(done)} in {time.monotonic() - started:.2f} s "
               f"({', '.join(done)})", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE dash")


def main() -> None:
    skip = set(filter(None, os.environ.get("HISAB_BENCH_SKIP", "").split(",")))
    with tempfile.TemporaryDirectory(prefix="hisab-bench-hub-") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # the postgres user must reach its cluster directory inside
        broker = Mosquitto(tmp / "mosquitto")
        broker.write_config()
        broker.start()
        pg = Postgres(tmp / "postgres").start(fast=os.environ.get("HISAB_BENCH_PG_FAST") == "1")
        try:
            settings = HubSettings(mqtt_url=broker.url(HUB_USER), database_url=pg.url, port=free_port(),
                                   second_opinion_workers=0)
            db.migrate(settings.database_url)
            for name, section in (("fleet", lambda: bench_fleet(settings, broker, tmp, skip)),
                                  ("dashboard", lambda: bench_dashboard(pg))):
                if name in skip:
                    continue
                print(f"[{name}]", file=sys.stderr, flush=True)
                before = os.getloadavg()
                try:
                    section()
                except Exception as exc:  # a broken section is a row in the table, not the end of the bench
                    record(f"{name} section", f"failed: {exc!r}"[:200], "", False)
                # the machine is shared: a figure is read beside the load it was measured under
                record(f"machine load average (1 / 5 / 15 min) before / after [{name}]",
                       " / ".join(f"{x:.1f}" for x in before) + "  →  " + " / ".join(f"{x:.1f}" for x in os.getloadavg()),
                       f"{os.cpu_count()} cores")
        finally:
            broker.stop()
            pg.stop()
    (ROOT / "bench-hub.json").write_text(json.dumps(figures, indent=1, default=str))
    table.print()


if __name__ == "__main__":
    main()
