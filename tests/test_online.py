"""Online mode (issue 10): originals up, priority after an outage, reconciliation, health — with real
Mosquitto and PostgreSQL. The second opinion with the real llama.cpp server is in test_second_opinion.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import shutil
import uuid
from pathlib import Path

import psycopg

from appliance.backup import snapshot_journal
from appliance.queue.blobs import BlobStore
from appliance.queue.journal import Journal
from appliance.relay import CURSOR
from appliance.sync_blobs import CHUNK, pack
from appliance.sync_blobs import CURSOR as BLOBS_CURSOR
from hub import blobs as hub_blobs
from tests.conftest_services import running_relay, wait_for


def _invoice_items(store: BlobStore | None, n: int, *, size: int = 0, fields=None):
    """(ids, shas, journal items) of n received+extracted invoices; originals stored when ``store``."""
    ids, shas, items = [], [], []
    for i in range(n):
        inv = uuid.uuid4().hex
        data = os.urandom(size) if size else inv.encode()
        sha = store.put(data) if store else hashlib.sha256(data).hexdigest()
        ids.append(inv)
        shas.append(sha)
        items.append(("invoice.received", {"sha256": sha, "filename": f"{i}.jpg", "content_type": "image/jpeg",
                                           "size": len(data), "pages": 1}, inv, "staff", None, None))
        result = {"supplier_name": "Rahim Traders", "invoice_number": f"INV-{i}", "total": 100.0 + i,
                  "confidence": {}, "needs_review": [], **((fields or {}).get(i, {}))}
        items.append(("invoice.extracted", {"result": result}, inv, "worker", None, None))
    return ids, shas, items


def _hub(settings, sql, args=()):
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute(sql, args).fetchall()


def test_originals_reach_the_hub_after_their_events_checked_and_never_twice(make_box, hub_settings, ingest):
    box = make_box()
    store = BlobStore(box.settings.blobs_dir)
    ids, shas, items = _invoice_items(store, 4, size=300_000)
    box.journal.append_many(items)
    # the hub already holds the first chunk of the first original (an upload cut off earlier)
    first = store.get(shas[0])
    with psycopg.connect(hub_settings.database_url, row_factory=psycopg.rows.dict_row) as conn:
        hub_blobs.handle(conn, box.device, pack({"op": "offer", "sha256": shas[0], "size": len(first)}))
        hub_blobs.handle(conn, box.device, pack({"op": "chunk", "sha256": shas[0], "offset": 0}, first[:CHUNK]))
    with running_relay(box) as relay:
        wait_for(lambda: box.journal.cursor(BLOBS_CURSOR) == box.journal.last_seq() - 1, 60, what="all originals")
        events_bytes = relay.stats["bytes"]
        sent = dict(relay.blobs.stats)
    rows = {r[0]: r[1:] for r in _hub(hub_settings, "SELECT sha256, complete, data, chunks FROM blobs WHERE device_id=%s",
                                     (box.device,))}
    assert set(rows) == set(shas)
    for sha in shas:
        complete, data, _chunks = rows[sha]
        assert complete and hashlib.sha256(bytes(data)).hexdigest() == sha
    per_original = math.ceil(300_000 / CHUNK)
    assert sent["chunks"] == 4 * per_original - 1  # the chunk the hub had was not sent again
    assert sent["bytes"] == 4 * 300_000 - CHUNK
    # a restart sends no byte again: one offer per original at most, answered "done"
    box.journal.set_cursor(BLOBS_CURSOR, 0)
    with running_relay(box) as relay:
        wait_for(lambda: box.journal.cursor(BLOBS_CURSOR) == box.journal.last_seq() - 1, 30, what="re-offered")
        assert relay.blobs.stats["chunks"] == 0
    print(f"\nbytes per invoice: events {events_bytes / 4:.0f} B + original wire "
          f"{(sent['bytes'] + 4 * 200) / 4:.0f} B (payload 300000 B)")


def test_twenty_priority_invoices_reach_the_hub_before_the_first_hundred_others(make_box, hub_settings, ingest):
    box = make_box()
    today = dt.date.today()
    # 500 invoices; 20 time-sensitive ones spread through the backlog, mostly late in it
    picks = sorted(range(40, 500, 23))[:20]
    kinds = {}
    fields = {}
    for n, i in enumerate(picks):
        kinds[i] = ("urgent", "due", "approved")[n % 3]
        if kinds[i] == "due":
            fields[i] = {"due_date": (today + dt.timedelta(days=3)).isoformat()}
    ids, _shas, items = _invoice_items(None, 500, fields=fields)
    box.journal.append_many(items)
    later = []
    for i, kind in kinds.items():
        if kind == "urgent":
            later.append(("invoice.edited", {"fields": {"urgent": True}}, ids[i], "staff:rina", None, None))
        elif kind == "approved":
            later.append(("invoice.approved", {}, ids[i], "owner", None, None))
    # a far due date and an old approval+export are not time-sensitive
    later.append(("invoice.edited", {"fields": {"due_date": (today + dt.timedelta(days=60)).isoformat()}},
                  ids[1], "staff:rina", None, None))
    box.journal.append_many(later)
    priority = {ids[i] for i in picks}
    last = box.journal.last_seq()
    with running_relay(box, batch_max=100, window=2) as relay:
        wait_for(lambda: box.journal.cursor(CURSOR) == last, 60, what="backlog drained")
        assert relay.stats["priority_batches"] >= 1
    rows = _hub(hub_settings, "SELECT invoice_id, created_at FROM invoices WHERE device_id=%s", (box.device,))
    assert len(rows) == 500
    at = dict(rows)
    last_priority = max(at[i] for i in priority)
    others = sorted(t for i, t in at.items() if i not in priority)
    assert last_priority < others[99], "a priority invoice reached the hub after the 100th other one"
    events = _hub(hub_settings, "SELECT count(*), count(DISTINCT seq) FROM events WHERE device_id=%s", (box.device,))[0]
    assert events == (last, last)  # nothing lost, nothing doubled
    acked = _hub(hub_settings, "SELECT acked_seq FROM devices WHERE device_id=%s", (box.device,))[0][0]
    assert acked == last
    versions = _hub(hub_settings, "SELECT invoice_id, max(version), count(*) FROM invoice_versions WHERE device_id=%s "
                                  "GROUP BY invoice_id", (box.device,))
    assert all(n == v for _i, v, n in versions)  # each event merged exactly once
    assert {r[0]: r[1] for r in versions}[ids[picks[2]]] == 3  # received, extracted, approved


def test_reconcile_repairs_rows_lost_at_the_hub_and_a_cursor_that_ran_ahead(make_box, hub_settings, ingest):
    box = make_box()
    ids, _s, items = _invoice_items(None, 60)
    box.journal.append_many(items)
    with running_relay(box):
        wait_for(lambda: box.journal.cursor(CURSOR) == box.journal.last_seq(), 30, what="first drain")
    lost = ids[10:15]
    with psycopg.connect(hub_settings.database_url) as conn:
        conn.execute("DELETE FROM events WHERE device_id=%s AND invoice_id = ANY(%s)", (box.device, lost))
        conn.execute("DELETE FROM invoices WHERE device_id=%s AND invoice_id = ANY(%s)", (box.device, lost))
    more, _s, items = _invoice_items(None, 10)
    box.journal.append_many(items)
    box.journal.set_cursor(CURSOR, box.journal.last_seq())  # corrupted: claims the hub has all of it
    box.invoices(3)  # and the shop keeps working
    last = box.journal.last_seq()
    with running_relay(box):
        wait_for(lambda: _hub(hub_settings, "SELECT acked_seq FROM devices WHERE device_id=%s", (box.device,))[0][0]
                 == last, 60, what="hub acked everything after reconciling")
        wait_for(lambda: box.journal.cursor(CURSOR) == last, 20, what="box cursor")
    assert _hub(hub_settings, "SELECT count(*), count(DISTINCT seq) FROM events WHERE device_id=%s",
                (box.device,))[0] == (last, last)
    totals = dict(_hub(hub_settings, "SELECT invoice_id, (fields->>'total')::float FROM invoices WHERE device_id=%s",
                       (box.device,)))
    assert len(totals) == 73 and totals[lost[0]] == 110.0 and totals[more[0]] == 100.0
    rec = _hub(hub_settings, "SELECT state, events, invoices FROM reconciles WHERE device_id=%s AND events > 0",
               (box.device,))
    assert rec and rec[-1][0] == "in_sync" and rec[-1][1] == 30
    assert set(rec[-1][2]) == set(lost) | set(more)


def test_box_restored_from_an_older_backup_never_reuses_a_seq_the_hub_holds(make_box, hub_settings, ingest, tmp_path):
    box = make_box()
    box.invoices(10)
    with running_relay(box):
        wait_for(lambda: box.journal.cursor(CURSOR) == box.journal.last_seq(), 30, what="first drain")
    snapshot = tmp_path / "backup.sqlite3"
    backed_up = snapshot_journal(box.settings.journal_path, snapshot)
    box.invoices(5)  # uploaded and acked by the hub, then the SD card dies: these are not in the backup
    with running_relay(box):
        wait_for(lambda: box.journal.cursor(CURSOR) == box.journal.last_seq(), 30, what="second drain")
    hub_acked = box.journal.last_seq()
    box.journal.close()
    shutil.copyfile(snapshot, box.settings.journal_path)  # what `hisab restore` puts back
    for suffix in ("-wal", "-shm"):
        Path(f"{box.settings.journal_path}{suffix}").unlink(missing_ok=True)
    box.journal = Journal(box.settings.journal_path, box.device)
    assert box.journal.last_seq() == backed_up < hub_acked
    mark = box.journal.mark_restored({"backup": snapshot.name, "last_seq": backed_up})
    new = box.invoices(4)  # the shop keeps working on the restored box
    assert min(e.seq for i in new for e in box.journal.events_for(i)) > hub_acked
    with running_relay(box):
        wait_for(lambda: _hub(hub_settings, "SELECT acked_seq FROM devices WHERE device_id=%s", (box.device,))[0][0]
                 == box.journal.last_seq(), 60, what="hub acked the restored box's new events")
    totals = dict(_hub(hub_settings, "SELECT invoice_id, (fields->>'total')::float FROM invoices WHERE device_id=%s",
                       (box.device,)))
    assert len(totals) == 19 and all(i in totals for i in new)  # 10 + 5 the hub kept + 4 new
    assert _hub(hub_settings, "SELECT type FROM events WHERE device_id=%s AND seq=%s", (box.device, mark.seq)) == [
        ("journal.restored",)]


def test_health_check_rides_with_telemetry(make_box, hub_settings, ingest):
    box = make_box()
    box.invoices(2)
    with running_relay(box):
        wait_for(lambda: (_hub(hub_settings, "SELECT health FROM devices WHERE device_id=%s", (box.device,))
                          or [[None]])[0][0], 20, what="health at the hub")
    health = _hub(hub_settings, "SELECT health FROM devices WHERE device_id=%s", (box.device,))[0][0]
    assert health["journal_quick_check"] == "ok" and health["clock"] == "ok" and "readmodel" in health


def test_dashboard_shows_uptime_health_and_last_reconcile(make_box, hub_settings, ingest):
    import datetime as _dt

    from hub import db as hub_db
    from hub import uptime, users
    from hub.web import create_app

    box = make_box()
    box.invoices(2)
    with running_relay(box):
        wait_for(lambda: box.journal.cursor(CURSOR) == box.journal.last_seq(), 20, what="synced")
        wait_for(lambda: _hub(hub_settings, "SELECT count(*) FROM reconciles WHERE device_id=%s AND state='in_sync'",
                              (box.device,))[0][0], 20, what="reconciled")
    now = _dt.datetime.now(_dt.UTC)
    with hub_db.connect(hub_settings.database_url, autocommit=True) as conn:
        # an hour online, 36 s offline (last will), then online again: one box's month so far
        conn.execute("DELETE FROM device_states WHERE device_id=%s", (box.device,))
        for state, ago in (("online", 3636), ("offline", 36), ("online", 0)):
            conn.execute("INSERT INTO device_states VALUES (%s,%s,%s)", (box.device, state, now - _dt.timedelta(seconds=ago)))
        per_box, fleet = uptime.monthly(conn, None)
        users.add_user(conn, "op-" + box.device, "operator", "correct horse")
        token = users.create_token(conn, "op-" + box.device)
    assert 0.985 < per_box[box.device]["availability"] < 0.995 and fleet is not None
    api = create_app(hub_settings).test_client().get("/api/v1/devices", headers={"Authorization": f"Bearer {token}"})
    [mine] = [d for d in api.get_json() if d["device_id"] == box.device]
    assert mine["health"]["ok"] in (True, False) and mine["last_reconcile"]["state"] == "in_sync"
    assert 0.985 < mine["uptime"]["availability"] < 0.995
