"""Encrypted backups: a restore gives the same box back, and a bad file restores nothing."""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from pathlib import Path

import pytest

from appliance import backup
from appliance.box import open_box
from appliance.config import parse
from appliance.queue.journal import RESTORE_SEQ_GAP
from appliance.readmodel import ReadModel

KEY = "provisioned-key-0123456789abcdef"


def _fill(box, invoices: int = 12, size: int = 40_000) -> dict[str, bytes]:
    """A box with invoices in every state, a supplier, a user, a draft and a relay cursor."""
    stored = {}
    for i in range(invoices):
        data = os.urandom(size) + f"invoice {i}".encode()
        sha = box.blobs.put(data)
        stored[sha] = data
        inv = uuid.uuid4().hex
        box.journal.append("invoice.received", {"sha256": sha, "filename": f"inv{i}.jpg", "size": len(data)},
                           invoice_id=inv, actor="ana")
        if i % 3:
            box.journal.append("invoice.extracted", {"result": {"total": 100.0 + i, "invoice_number": f"N{i}"}},
                               invoice_id=inv, actor="worker")
        if i % 3 == 2:
            box.journal.append("invoice.edited", {"fields": {"total": 1_41_602.0}}, invoice_id=inv, actor="ana")
            box.journal.append("invoice.approved", {}, invoice_id=inv, actor="owner")
        box.journal.append("draft.saved", {"fields": {"note": "চলছে"}}, invoice_id=inv, actor="ana")
    box.journal.append("supplier.upserted", {"name": "Rahim Traders", "bin": "000123456-0101", "vat_rate": 15})
    box.journal.append("user.added", {"name": "ana", "role": "staff", "password_hash": "x"})
    box.journal.set_cursor("relay-acked", 5)
    return stored


def _dump(path: Path) -> list:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT * FROM events ORDER BY seq").fetchall() + \
        conn.execute("SELECT * FROM cursors ORDER BY name").fetchall()
    conn.close()
    return rows


def _fingerprint(settings) -> str:
    b = open_box(settings)
    model = ReadModel(settings.readmodel_path, b.journal)
    model.catch_up()
    digest = model.fingerprint()
    model.close()
    b.close()
    return digest


@pytest.fixture
def keyed(settings):
    return settings.model_copy(update={"backup_key": KEY})


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_restore_onto_an_empty_box_gives_identical_journal_images_and_read_model(keyed, tmp_path):
    box = open_box(keyed)
    stored = _fill(box, invoices=30, size=200_000)
    box.close()
    before_fp = _fingerprint(keyed)
    result, warning = backup.create(keyed)
    assert warning is None and result.path.is_file()
    # the file is encrypted: no original's bytes appear in it
    raw = result.path.read_bytes()
    assert not any(data[:64] in raw for data in stored.values())
    mb_s = (backup.estimate_bytes(keyed) / 1e6) / result.seconds
    print(f"\nbackup: {result.bytes / 1e6:.1f} MB in {result.seconds:.2f} s = {mb_s:.0f} MB/s")

    target = tmp_path / "restored"
    started = time.monotonic()
    restored = backup.restore(result.path, target, KEY.encode())
    print(f"restore: {restored.bytes / 1e6:.1f} MB in {time.monotonic() - started:.2f} s")
    again = keyed.model_copy(update={"data_dir": target})
    assert _dump(again.journal_path) == _dump(keyed.journal_path)
    # bit-identical: every page of the checkpointed journal equals the restored one; of the 100-byte
    # file header only SQLite's change counters differ (the backup API bumps them by design)
    conn = sqlite3.connect(keyed.journal_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    live, back = keyed.journal_path.read_bytes(), again.journal_path.read_bytes()
    assert len(live) == len(back) and live[100:] == back[100:]
    counters = set(range(24, 28)) | set(range(40, 44)) | set(range(92, 96))
    assert [i for i in range(100) if live[i] != back[i] and i not in counters] == []
    assert _files(again.blobs_dir) == _files(keyed.blobs_dir)
    assert {p.name: p.read_bytes() for p in again.blobs_dir.rglob("*") if p.is_file()} == stored
    assert (target / "device_id").exists() is (keyed.data_dir / "device_id").exists()
    assert not (target / "backup_key").exists()
    assert _fingerprint(again) == before_fp


def test_backup_key_is_generated_once_with_mode_0600_and_a_warning(settings):
    box = open_box(settings)
    _fill(box, invoices=2, size=1000)
    box.close()
    _result, warning = backup.create(settings)
    key_file = settings.data_dir / backup.KEY_FILE
    assert "Copy it off the box" in warning
    assert key_file.stat().st_mode & 0o777 == 0o600
    _result, warning = backup.create(settings)
    assert warning is None


@pytest.fixture
def made(keyed):
    box = open_box(keyed)
    _fill(box, invoices=6, size=300_000)
    box.close()
    result, _ = backup.create(keyed)
    return result.path


def _refused(path: Path, target: Path, key: str, words: str) -> None:
    with pytest.raises(backup.BackupError) as err:
        backup.restore(path, target, key.encode())
    assert words in str(err.value) and "nothing was restored" in str(err.value)
    assert not target.exists(), "a refused restore must leave nothing behind"


def test_tampered_backup_is_rejected_and_nothing_written(made, tmp_path):
    raw = bytearray(made.read_bytes())
    for offset in (backup.HEADER_LEN + 10, len(raw) // 2, len(raw) - 5):
        bad = tmp_path / f"tampered-{offset}.hbk"
        flipped = bytearray(raw)
        flipped[offset] ^= 0x01
        bad.write_bytes(flipped)
        _refused(bad, tmp_path / "t", KEY, "damaged or was altered")


def test_wrongly_keyed_backup_is_rejected(made, tmp_path):
    _refused(made, tmp_path / "t", "some-other-box-key", "different backup key")


def test_truncated_backup_is_rejected_wherever_it_is_cut(made, tmp_path):
    raw = made.read_bytes()
    chunk_end = backup.HEADER_LEN + 4 + backup.CHUNK + backup.TAG_LEN  # exactly after the first chunk
    for cut in (10, backup.HEADER_LEN + 2, chunk_end, len(raw) // 2, len(raw) - 1):
        bad = tmp_path / f"cut-{cut}.hbk"
        bad.write_bytes(raw[:cut])
        with pytest.raises(backup.BackupError) as err:
            backup.restore(bad, tmp_path / "t", KEY.encode())
        assert "nothing was restored" in str(err.value)
        assert not (tmp_path / "t").exists()


def test_a_file_that_is_not_a_backup_is_rejected(tmp_path):
    junk = tmp_path / "photo.jpg"
    junk.write_bytes(b"\xff\xd8\xff" + os.urandom(5000))
    _refused(junk, tmp_path / "t", KEY, "not a Hisab backup")


def test_restore_refuses_a_data_dir_that_is_not_empty(made, keyed):
    before = _files(keyed.data_dir)
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(made, keyed.data_dir, KEY.encode())
    assert _files(keyed.data_dir) == before


def test_retention_keeps_the_newest_n(keyed, monkeypatch):
    box = open_box(keyed)
    _fill(box, invoices=1, size=100)
    box.close()
    keep3 = keyed.model_copy(update={"backup_keep": 3})
    stamps = iter(f"2025010{d}T000000Z" for d in range(1, 7))
    monkeypatch.setattr(backup, "_stamp", lambda *_: next(stamps))
    for _ in range(6):
        result, _ = backup.create(keep3)
    names = [p.name for p in backup.backups(keep3)]
    assert len(names) == 3 and names[0] == result.path.name
    assert [n.rsplit("-", 1)[-1] for n in names] == ["20250106T000000Z.hbk", "20250105T000000Z.hbk",
                                                     "20250104T000000Z.hbk"]
    assert backup.last_backup(keep3)["file"] == result.path.name


def test_backup_is_copied_to_a_reachable_target_and_skipped_when_unreachable(keyed, tmp_path):
    box = open_box(keyed)
    _fill(box, invoices=1, size=100)
    box.close()
    usb = tmp_path / "usb"
    usb.mkdir()
    result, _ = backup.create(keyed.model_copy(update={"backup_target": str(usb)}))
    assert result.copied_to == str(usb)
    assert (usb / result.path.name).read_bytes() == result.path.read_bytes()
    result, _ = backup.create(keyed.model_copy(update={"backup_target": str(tmp_path / "unplugged")}))
    assert result.copied_to is None and "not mounted" in result.copy_error
    assert result.path.is_file()


def test_cli_backup_and_restore_round_trip(keyed, tmp_path):
    from click.testing import CliRunner

    from appliance.cli import main

    box = open_box(keyed)
    _fill(box, invoices=3, size=5000)
    box.close()
    env = {"HISAB_BACKUP_KEY": KEY}
    runner = CliRunner()
    out = runner.invoke(main, ["--data-dir", str(keyed.data_dir), "backup", "--json"], env=env)
    assert out.exit_code == 0, out.output
    made = backup.backups(keyed)[0]
    target = tmp_path / "fresh"
    out = runner.invoke(main, ["--data-dir", str(target), "restore", str(made)], env=env)
    assert out.exit_code == 0, out.output
    restored, original = _dump(parse({"data_dir": target}).journal_path), _dump(keyed.journal_path)
    # the same journal, then the restore recorded past a gap (seqs the hub may hold are never reused)
    mark = [row for row in restored if row not in original]
    assert len(mark) == 1 and [row for row in restored if row != mark[0]] == original
    last = max(row[0] for row in original if len(row) > 2)
    assert mark[0][0] == last + RESTORE_SEQ_GAP and mark[0][3] == "journal.restored"
    out = runner.invoke(main, ["--data-dir", str(tmp_path / "x"), "restore", str(made)],
                        env={"HISAB_BACKUP_KEY": "wrong"})
    assert out.exit_code == 1 and "different backup key" in out.output
