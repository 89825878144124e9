"""`make bench`: the box's speed and memory figures against their targets, as one table.

Measures on this machine, with real processes:
- rebuild of the DuckDB read model from a journal of N invoices (default 50,000);
- p95 latency of the list, search and review pages (API and HTML) over that read model;
- the worker's peak memory and seconds per invoice with the real model;
- the crash harness (kill -9 of random box processes), 1,000 cycles;
- the hub's ingest rate and the box's drain (hisab-hub loadtest on a private broker/database).
Environment: HISAB_BENCH_INVOICES, HISAB_CRASH_CYCLES, HISAB_BENCH_SKIP (comma list of sections).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

from appliance.box import open_box
from appliance.config import load, parse
from appliance.readmodel import ReadModel
from appliance.users import add_user, create_token
from hub.devstack import free_port
from tests.bench_table import Table
from tests.seed import seed_invoices

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
table = Table()
record = table.record


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def bench_readmodel_and_web(tmp: Path, n: int) -> None:
    settings = parse({"data_dir": tmp / "web", "device_id": "bench", "port": free_port()})
    box = open_box(settings)
    started = time.perf_counter()
    ids = seed_invoices(box.journal, n)
    add_user(box.journal, "owner", "owner", "bench-password")
    token = create_token(box.journal, "owner")
    record(f"journal fill, {n:,} invoices", f"{time.perf_counter() - started:.1f} s")
    model = ReadModel(settings.readmodel_path, box.journal)
    started = time.perf_counter()
    events = model.catch_up()
    seconds = time.perf_counter() - started
    model.close()
    box.close()
    record(f"rebuild read model ({events:,} events)", f"{seconds:.1f} s ({events / seconds:,.0f} events/s)",
           "≤ 120 s", seconds <= 120)
    env = {**os.environ, "HISAB_DATA_DIR": str(settings.data_dir), "HISAB_PORT": str(settings.port),
           "HISAB_DEVICE_ID": "bench", "HISAB_LOG_LEVEL": "WARNING"}
    web = subprocess.Popen([PY, "-m", "appliance", "web"], env=env, cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{settings.port}"
    try:
        wait_http(base + "/login", web)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        pages = {
            "API list": "/api/v1/invoices?page=3",
            "API search": "/api/v1/invoices?q=padma&page=2",
            "API filter": "/api/v1/invoices?status=approved",
            "API invoice": "/api/v1/invoices/{id}",
            "UI list": "/?page=5",
            "UI search": "/?q=meghna",
            "UI review": "/invoices/{id}",
        }
        for name, path in pages.items():
            samples = []
            for i in range(60):
                url = base + path.format(id=ids[(i * 7919) % len(ids)])
                t0 = time.perf_counter()
                response = session.get(url, timeout=30)
                samples.append((time.perf_counter() - t0) * 1000)
                response.raise_for_status()
            value = p95(samples[5:])
            record(f"p95 {name} ({n:,} invoices)", f"{value:.0f} ms", "≤ 150 ms", value <= 150)
    finally:
        web.terminate()
        web.wait(30)


def bench_worker(tmp: Path) -> None:
    from tests.corpus.generate import generate

    settings_dir = tmp / "worker"
    docs = generate(tmp / "docs", 6, seed=11)
    settings = parse({"data_dir": settings_dir, "device_id": "bench"})
    box = open_box(settings)
    for i, path in enumerate(docs):
        sha = box.blobs.put(path.read_bytes())
        box.journal.append("invoice.received", {"sha256": sha, "filename": path.name, "content_type": "image/png",
                                                "size": path.stat().st_size, "pages": 1}, invoice_id=f"w{i}")
    box.close()
    env = {**os.environ, "HISAB_DATA_DIR": str(settings_dir), "HISAB_DEVICE_ID": "bench",
           "HISAB_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    worker = subprocess.Popen([PY, "-m", "appliance", "worker", "--once"], env=env, cwd=ROOT)
    peak = 0
    process = psutil.Process(worker.pid)
    while worker.poll() is None:  # the worker and its Tesseract children, sampled: RUSAGE_CHILDREN would
        try:                      # also count the web process of the section before
            peak = max(peak, sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]))
        except psutil.Error:
            pass
        time.sleep(0.05)
    assert worker.returncode == 0, f"worker exited with {worker.returncode}"
    seconds = time.perf_counter() - started
    peak_mb = peak / 2**20
    use_llm = load(data_dir=settings_dir).use_llm  # what the worker itself reads (HISAB_USE_LLM)
    record(f"worker peak RSS (LLM {'on' if use_llm else 'off'})", f"{peak_mb:.0f} MB", "≤ 1,200 MB", peak_mb <= 1200)
    record("worker seconds per invoice (incl. start-up)", f"{seconds / len(docs):.1f} s", "≤ 4 s p50 (bench-extract)")


def bench_crash(cycles: int) -> None:
    started = time.perf_counter()
    result = subprocess.run([PY, "-m", "tests.crash", "--cycles", str(cycles), "--json"], cwd=ROOT,
                            capture_output=True, text=True)
    seconds = time.perf_counter() - started
    try:
        findings = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        record("crash harness", f"did not finish (exit {result.returncode}): {result.stderr[-300:]}", "", False)
        return
    ok = result.returncode == 0 and not findings.get("problems")
    record(f"crash harness: kill -9 cycles ({seconds:.0f} s)", f"{findings.get('cycles')}", f"{cycles}", ok)
    record("  acknowledged writes verified", str(findings.get("acknowledged")), "all present", ok)
    record("  problems found", str(len(findings.get("problems") or [])), "0", not findings.get("problems"))
    for problem in findings.get("problems") or []:
        record("  problem", str(problem)[:120], "", False)


def bench_hub(tmp: Path) -> None:
    """Issue 6's figures: one box's outage backlog drained, ingest rate per worker, bytes per invoice."""
    from hub import db, loadtest
    from hub.devstack import HUB_USER, Mosquitto, Postgres
    from hub.settings import HubSettings
    from tests.bench_hub import Ingest, drain_rate

    tmp.chmod(0o755)  # the postgres user must reach its cluster directory inside
    broker = Mosquitto(tmp / "mosquitto")
    broker.write_config()
    broker.start()
    pg = Postgres(tmp / "postgres").start()
    try:
        settings = HubSettings(mqtt_url=broker.url(HUB_USER), database_url=pg.url, port=free_port(),
                               second_opinion_workers=0)  # ingest alone: no LLM server in these figures
        db.migrate(settings.database_url)
        ingest = Ingest(settings, 1, tmp)
        try:  # a six-hour outage's backlog on one box: 500 invoices and 2,000 edits, then the link returns
            outage = loadtest.run(settings, loadtest.Plan(boxes=1, invoices=500, edits=4, preload=True, drop_share=0,
                                                          telemetry_s=30), accounts=broker.add_users,
                                  hub_pids=ingest.pids)
        finally:
            ingest.stop()
        two = drain_rate(settings, broker, 2, tmp)
    finally:
        broker.stop()
        pg.stop()
    drain = outage.get("drain_s") or outage.get("day_s")
    record(f"box backlog drain ({outage['events']:,} events: 500 invoices + 2,000 edits)",
           f"{drain:.1f} s" if drain else "?", "≤ 60 s", bool(drain) and drain <= 60)
    record("bytes on the wire per invoice (events, compressed)", f"{outage['bytes_per_invoice']:,.0f} B")
    per_worker = (two["events_per_s"] or 0) / 2
    record("hub ingest events/s per worker (2 workers, 40 boxes)", f"{per_worker:,.0f}", "≥ 2,000",
           per_worker >= 2000)
    lost = outage["lost"] + two["lost"]
    duplicated = outage["duplicated"] + two["duplicated"]
    record("hub lost / duplicated", f"{lost} / {duplicated}", "0 / 0", lost == 0 and duplicated == 0)


def main() -> None:
    n = int(os.environ.get("HISAB_BENCH_INVOICES", "50000"))
    cycles = int(os.environ.get("HISAB_CRASH_CYCLES", "1000"))
    skip = set(filter(None, os.environ.get("HISAB_BENCH_SKIP", "").split(",")))
    with tempfile.TemporaryDirectory(prefix="hisab-bench-") as tmp:
        sections = [("web", lambda: bench_readmodel_and_web(Path(tmp), n)), ("worker", lambda: bench_worker(Path(tmp))),
                    ("hub", lambda: bench_hub(Path(tmp))), ("crash", lambda: bench_crash(cycles))]
        for name, run in sections:
            if name in skip:
                continue
            print(f"[{name}]", file=sys.stderr)
            try:
                run()
            except Exception as exc:  # a broken section is a row in the table, not the end of the bench
                record(f"{name} section", f"failed: {exc}", "", False)
    table.print()


if __name__ == "__main__":
    main()
