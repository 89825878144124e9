"""The journal is the system of record: append-only, durable, idempotent, ordered."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance import invoices
from appliance.queue.blobs import BlobStore
from appliance.queue.hlc import Clock, Stamp
from appliance.queue.journal import Journal, Rejected


def test_journal_is_wal_with_full_sync(box):
    conn = sqlite3.connect(box.settings.journal_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # synchronous is per connection: check the journal's own connection
    assert box.journal._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_append_returns_committed_event_visible_to_other_connections(box):
    event = box.journal.append("invoice.received", {"sha256": "a" * 64}, invoice_id="inv1", actor="ana")
    other = Journal(box.settings.journal_path, "other")
    assert other.read_after(0)[0] == event
    other.close()


def test_append_with_same_event_id_is_idempotent(box):
    first = box.journal.append("supplier.upserted", {"name": "A"}, event_id="hub-1")
    again = box.journal.append("supplier.upserted", {"name": "B"}, event_id="hub-1")
    assert again == first
    assert box.journal.last_seq() == 1


def test_guard_refusal_leaves_nothing(box):
    box.journal.append("invoice.received", {"sha256": "a" * 64}, invoice_id="inv1")
    with pytest.raises(Rejected) as err:
        box.journal.append("invoice.edited", {"fields": {"total": 1}}, invoice_id="inv1",
                           guard=invoices.expect_version("inv1", 7))
    assert err.value.code == "stale_version"
    assert box.journal.last_seq() == 1


def test_second_extraction_result_is_refused(box):
    box.journal.append("invoice.received", {"sha256": "a" * 64}, invoice_id="inv1")
    box.journal.append("invoice.extracted", {"result": {}}, invoice_id="inv1", guard=invoices.no_result_yet("inv1"))
    with pytest.raises(Rejected):
        box.journal.append("invoice.failed", {"error": "x"}, invoice_id="inv1", guard=invoices.no_result_yet("inv1"))


def test_cursors_persist(box):
    box.journal.set_cursor("relay", 42)
    again = Journal(box.settings.journal_path, "box-test")
    assert again.cursor("relay") == 42
    assert again.cursor("never") == 0
    again.close()


def _append_many(path, device, n):
    journal = Journal(path, device)
    for i in range(n):
        journal.append("note", {"i": i}, actor=device)
    journal.close()


def test_concurrent_processes_append_without_loss(box):
    procs = [multiprocessing.Process(target=_append_many, args=(box.settings.journal_path, f"p{i}", 50))
             for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    events = box.journal.read_after(0, limit=10_000)
    assert len(events) == 150
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert len({e.id for e in events}) == 150


def test_clock_never_goes_backwards_when_wall_clock_does():
    walls = iter([5_000, 4_000, 4_000, 6_000])
    clock = Clock("d", now_ms=lambda: next(walls))
    stamps = [clock.now() for _ in range(4)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 4


def test_clock_resumes_after_last_stamp_on_restart():
    clock = Clock("d", last="9999999999999-0003-d", now_ms=lambda: 1_000)
    assert Stamp.parse(clock.now()) > Stamp.parse("9999999999999-0003-d")


@given(st.lists(st.integers(min_value=0, max_value=10**13 - 1), min_size=1, max_size=30))
def test_stamps_sort_as_strings_the_way_they_sort_as_values(walls):
    it = iter(walls)
    clock = Clock("dev", now_ms=lambda: next(it))
    stamps = [clock.now() for _ in walls]
    assert stamps == sorted(stamps)
    assert [Stamp.parse(s) for s in stamps] == sorted(Stamp.parse(s) for s in stamps)


def test_blob_store_is_content_addressed_and_leaves_no_temp(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    sha = store.put(b"invoice bytes")
    assert store.put(b"invoice bytes") == sha
    assert store.get(sha) == b"invoice bytes"
    assert not list((tmp_path / "blobs").rglob("*.tmp"))
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")
