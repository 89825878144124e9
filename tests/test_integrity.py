"""Bad durable state on start: each case is detected, explained, and recovered without losing
acknowledged data — a damaged journal is never opened for writing, a damaged read model is
rebuilt by replay, and a clock set back after a reboot never reorders events."""

from __future__ import annotations

import os
import time

import pytest

from appliance import health
from appliance.box import open_box
from appliance.queue import hlc
from appliance.queue.journal import Journal
from appliance.readmodel import ReadModel, open_or_rebuild


def _events(box, n: int = 300) -> None:
    for i in range(n):
        box.journal.append("invoice.received", {"sha256": f"{i:064x}", "filename": f"{i}.jpg", "pad": "x" * 300},
                           invoice_id=f"inv{i}", actor="ana")


def test_a_journal_that_is_not_a_database_is_refused_with_the_fix_and_left_untouched(settings):
    settings.data_dir.mkdir(parents=True)
    garbage = os.urandom(8192)
    settings.journal_path.write_bytes(garbage)
    with pytest.raises(health.JournalDamaged) as err:
        open_box(settings)
    assert "damaged" in str(err.value) and "hisab restore" in str(err.value)
    assert settings.journal_path.read_bytes() == garbage


def test_a_truncated_journal_is_refused_and_left_untouched(box, settings):
    _events(box)
    box.journal._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    box.close()
    raw = settings.journal_path.read_bytes()
    cut = raw[: len(raw) // 2]
    settings.journal_path.write_bytes(cut)
    with pytest.raises(health.JournalDamaged, match="restore"):
        open_box(settings)
    assert settings.journal_path.read_bytes() == cut


def test_a_lost_journal_beside_stored_originals_is_refused(box, settings):
    box.blobs.put(b"an invoice photo")
    box.close()
    for suffix in ("", "-wal", "-shm"):
        (settings.data_dir / f"journal.sqlite3{suffix}").unlink(missing_ok=True)
    with pytest.raises(health.JournalDamaged, match="missing or empty"):
        open_box(settings)
    assert not settings.journal_path.exists()


def test_a_healthy_journal_and_a_fresh_box_open(settings):
    open_box(settings).close()  # fresh
    open_box(settings).close()  # and again, with its schema


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_read_model_is_rebuilt_by_replay_to_the_same_data(box, settings, damage):
    _events(box, 50)
    model = ReadModel(settings.readmodel_path, box.journal)
    model.catch_up()
    expected = model.fingerprint()
    model.close()
    raw = settings.readmodel_path.read_bytes()
    settings.readmodel_path.write_bytes({"garbage": os.urandom(len(raw)), "truncated": raw[: len(raw) // 3],
                                         "empty": b""}[damage])
    model = open_or_rebuild(settings.readmodel_path, box.journal)
    assert model.last_seq() == box.journal.last_seq()
    assert model.fingerprint() == expected
    model.close()


def test_a_read_model_ahead_of_the_journal_is_rebuilt(box, settings, tmp_path):
    _events(box, 20)
    model = ReadModel(settings.readmodel_path, box.journal)
    model.catch_up()
    model.close()
    older = Journal(tmp_path / "older.sqlite3", "box-test")  # a journal restored from an older backup
    for e in box.journal.read_after(0, limit=5):
        older.append(e.type, e.payload, invoice_id=e.invoice_id, actor=e.actor, event_id=e.id, hlc=e.hlc)
    model = open_or_rebuild(settings.readmodel_path, older)
    assert model.last_seq() == 5 and len(model.list_invoices()[0]) == 5
    model.close()
    older.close()


def test_events_stay_ordered_across_a_restart_with_the_wall_clock_set_back(settings, monkeypatch):
    """A box without RTC battery reboots into 1970 (or an hour back) until NTP answers."""
    now = [time.time() + 3600]
    monkeypatch.setattr(hlc.time, "time", lambda: now[0])
    box = open_box(settings)
    first = [box.journal.append("note", {"i": i}) for i in range(20)]
    box.close()
    for wall in (0.0, now[0] - 86400, now[0] - 1):  # power cut; reboot with the clock set back
        now[0] = wall
        box = open_box(settings)
        box.journal.append("note", {"wall": wall})
        box.close()
    now[0] = time.time() + 7200  # NTP answers: forward again
    box = open_box(settings)
    box.journal.append("note", {"ntp": True})
    events = box.journal.read_after(0)
    box.close()
    stamps = [e.hlc for e in events]
    assert stamps == sorted(stamps), "HLC order must equal journal order"
    assert len(set(stamps)) == len(stamps)
    assert [hlc.Stamp.parse(s) for s in stamps] == sorted(hlc.Stamp.parse(s) for s in stamps)
    assert len(first) + 4 == len(events)
