"""The storage guard: how full the data disk is, and what the box does about it.

Owns: the disk levels (ok / warning / read-only), the ``box.storage_warning`` and
``box.storage_recovered`` alert events (one per crossing), the cleanup of originals the
hub already has, and the thumbnails kept in their place (``data/thumbs/``).

Rules it keeps:
- at ``storage_warn_percent`` it removes originals only when the hub acknowledged the
  invoice's ``invoice.received`` event (cursor ``relay-acked``) AND the invoice is approved
  or exported; anything not yet synced is never deleted, and every removal is recorded as
  an ``invoice.original_removed`` event before the file goes;
- at ``storage_readonly_percent``, or after a write failed with ENOSPC, the box is
  read-only until space returns: web refuses uploads and edits with ``ReadOnly.message``,
  reads, searches and exports keep working. It leaves read-only by itself.

It must never touch a file the journal does not prove is safely elsewhere.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from appliance.config import Settings
from appliance.queue.blobs import BlobStore, write_atomic
from appliance.queue.journal import Journal

log = logging.getLogger(__name__)

OK, WARNING, READONLY = "ok", "warning", "readonly"
RELAY_CURSOR = "relay-acked"  # appliance.relay.CURSOR, repeated to keep paho out of the web's imports
RESERVE_FILE = "storage-reserve"  # released when full, so exports and alerts still fit
ENOSPC_MARK = "enospc.json"  # in data/run/: the free bytes when a write last failed for lack of space
_LEVEL_RANK = {OK: 0, WARNING: 1, READONLY: 2}


@dataclass(frozen=True)
class StorageState:
    percent_used: float
    free_bytes: int
    total_bytes: int
    level: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"percent_used": self.percent_used, "free_bytes": self.free_bytes,
                "total_bytes": self.total_bytes, "level": self.level, "message": self.message}


class ReadOnly(Exception):
    """The box is refusing writes for lack of disk space; ``message`` is for the person."""

    code = "read_only"

    def __init__(self, state: StorageState):
        super().__init__(state.message)
        self.state = state
        self.message = state.message


# -- levels ----------------------------------------------------------------------------


def _mark_path(data_dir: Path) -> Path:
    return data_dir / "run" / ENOSPC_MARK


def _enospc_free(data_dir: Path) -> int | None:
    try:
        return int(json.loads(_mark_path(data_dir).read_text())["free_bytes"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def note_enospc(settings: Settings) -> StorageState:
    """Record that a write just failed with ENOSPC: the box stays read-only until space returns.

    The mark is an ephemeral file in ``data/run/`` (shared by every process); on a disk so
    full that even this tiny file cannot be written, the percentage alone keeps the box
    read-only, which is the same outcome.
    """
    data_dir = settings.data_dir
    release_reserve(data_dir)
    usage = psutil.disk_usage(str(data_dir))
    free = usage.free - min(_reserve_missing(data_dir, settings), usage.free)
    try:
        (data_dir / "run").mkdir(parents=True, exist_ok=True)
        _mark_path(data_dir).write_text(json.dumps({"free_bytes": free, "at": time.time()}))
    except OSError:
        log.warning("event=storage_enospc_mark_failed free_bytes=%d", free)
    log.error("event=storage_enospc free_bytes=%d: the box is read-only until space is freed", free)
    return check(data_dir, settings)


def _reserve_path(data_dir: Path) -> Path:
    return data_dir / RESERVE_FILE


def _reserve_missing(data_dir: Path, settings: Settings) -> int:
    """Bytes of the reserve not currently held on disk (counted as used, so levels don't jump)."""
    want = settings.storage_reserve_mb * 1024 * 1024
    try:
        have = _reserve_path(data_dir).stat().st_blocks * 512
    except OSError:
        have = 0
    return max(0, want - have)


def ensure_reserve(settings: Settings) -> bool:
    """Hold ``storage_reserve_mb`` back in data/storage-reserve (allocated, not sparse); True if held."""
    if settings.storage_reserve_mb <= 0 or check(settings.data_dir, settings).level == READONLY:
        return False
    path, size = _reserve_path(settings.data_dir), settings.storage_reserve_mb * 1024 * 1024
    if _reserve_missing(settings.data_dir, settings) == 0:
        return True
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.posix_fallocate(fd, 0, size)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        log.warning("event=storage_reserve_failed error=%s", exc)
        return False
    log.info("event=storage_reserve_held bytes=%d", size)
    return True


def release_reserve(data_dir: Path) -> None:
    path = _reserve_path(data_dir)
    if path.exists():
        path.unlink(missing_ok=True)
        log.warning("event=storage_reserve_released: read-only; exports and alerts may use the reserve")


def check(data_dir: Path, settings: Settings) -> StorageState:
    """The disk's level now (one statvfs; cheap enough for every request).

    The reserve counts as used whether it is held or released, so releasing it when the
    disk fills gives room to essential writes without ending read-only mode.
    """
    usage = psutil.disk_usage(str(data_dir))
    missing = min(_reserve_missing(data_dir, settings), usage.free)
    free = usage.free - missing
    percent = round(100.0 * (usage.used + missing) / max(1, usage.used + usage.free), 1)
    level = OK
    if percent >= settings.storage_warn_percent:
        level = WARNING
    if percent >= settings.storage_readonly_percent:
        level = READONLY
    enospc_free = _enospc_free(data_dir)
    if enospc_free is not None:
        if free < enospc_free + settings.storage_resume_mb * 1024 * 1024:
            level = READONLY
        else:
            _mark_path(data_dir).unlink(missing_ok=True)  # space returned: leave read-only by ourselves
            log.info("event=storage_space_returned free_bytes=%d", free)
    if level == READONLY:
        release_reserve(data_dir)
    return StorageState(percent, free, usage.total, level, _message(level, percent, free))


def _message(level: str, percent: float, free: int) -> str:
    free_mb = free / (1024 * 1024)
    if level == READONLY:
        return (f"Disk is {percent:.0f}% full ({free_mb:.0f} MB free): the box is read-only until space is "
                "freed — new invoices and edits are refused; viewing, searching and exporting still work. "
                "Delete old backups or move them off the box (Settings → Storage).")
    if level == WARNING:
        return (f"Disk is {percent:.0f}% full ({free_mb:.0f} MB free): originals already synced to the hub "
                "are being replaced by thumbnails. Free some space soon (Settings → Storage).")
    return f"Disk is {percent:.0f}% full ({free_mb:.0f} MB free)."


def is_read_only(settings: Settings) -> bool:
    """True while uploads and edits must be refused (what web checks before every write)."""
    return check(settings.data_dir, settings).level == READONLY


def refuse_if_read_only(settings: Settings) -> None:
    """Raise ReadOnly (its ``message`` is the sentence to show) when the box refuses writes."""
    state = check(settings.data_dir, settings)
    if state.level == READONLY:
        raise ReadOnly(state)


@contextmanager
def writing(settings: Settings, essential: bool = False) -> Iterator[None]:
    """Wrap a durable write: refuse it when read-only; an ENOSPC inside turns the box read-only.

    ``essential`` writes (marking invoices exported, alerts) go ahead while read-only: they are
    small, and the released reserve is there for them.
    """
    if not essential:
        refuse_if_read_only(settings)
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise ReadOnly(note_enospc(settings)) from exc
    except Exception as exc:  # sqlite3 reports a full disk as OperationalError("database or disk is full")
        if "disk is full" not in str(exc):
            raise
        raise ReadOnly(note_enospc(settings)) from exc


# -- alerts ----------------------------------------------------------------------------


def _last_alert_level(journal: Journal) -> str:
    rows = journal.query("SELECT type, payload FROM events WHERE type IN "
                         "('box.storage_warning', 'box.storage_recovered') ORDER BY seq DESC LIMIT 1")
    if not rows or rows[0][0] == "box.storage_recovered":
        return OK
    return json.loads(rows[0][1]).get("level", WARNING)


def alert(journal: Journal, state: StorageState) -> str | None:
    """Append an alert event when the level crossed since the last alert; returns its type.

    Rising (ok → warning → read-only) alerts once per level; falling back to ok records
    ``box.storage_recovered`` so the next crossing alerts again. Every process may call it:
    the journal's latest alert is the shared memory, so a restart does not re-alert.
    """
    previous = _last_alert_level(journal)
    if _LEVEL_RANK[state.level] > _LEVEL_RANK[previous]:
        kind = "box.storage_warning"
    elif state.level == OK and previous != OK:
        kind = "box.storage_recovered"
    else:
        return None
    try:
        journal.append(kind, {**state.as_dict(), "message": state.message}, actor="storage")
    except Exception as exc:  # a disk too full for one small event: the log still says it
        log.error("event=storage_alert_failed level=%s error=%s", state.level, exc)
        return None
    log.warning("event=%s level=%s percent=%.1f free_bytes=%d", kind, state.level, state.percent_used,
                state.free_bytes)
    return kind


# -- cleanup ---------------------------------------------------------------------------

REMOVABLE_SQL = """
SELECT r.invoice_id, json_extract(r.payload, '$.sha256'), r.seq
FROM events r
WHERE r.type = 'invoice.received' AND r.seq <= ?
  AND EXISTS (SELECT 1 FROM events a WHERE a.invoice_id = r.invoice_id
              AND a.type IN ('invoice.approved', 'invoice.exported') AND a.seq <= ?)
  AND NOT EXISTS (SELECT 1 FROM events x WHERE x.invoice_id = r.invoice_id
                  AND x.type = 'invoice.original_removed')
ORDER BY r.seq
"""
# An invoice edited after its approval is back to `extracted`: its original stays.
LATEST_STATE_SQL = """
SELECT type FROM events WHERE invoice_id = ? AND type IN
  ('invoice.approved', 'invoice.exported', 'invoice.edited', 'invoice.suggestion_decided')
ORDER BY seq DESC LIMIT 1
"""


def removable_originals(journal: Journal) -> list[tuple[str, str]]:
    """(invoice id, sha256) of originals the hub has and a person has approved, oldest first.

    Only what the hub acknowledged (cursor ``relay-acked``), checked against the hub-acked
    part of the journal alone; an image shared by several invoices goes only when all may.
    """
    acked = journal.cursor(RELAY_CURSOR)
    blobs_sent = journal.query("SELECT seq FROM cursors WHERE name='relay-blobs'")
    if blobs_sent:  # a relay that uploads originals: only those the hub confirmed (appliance.sync_blobs)
        acked = min(acked, blobs_sent[0][0])
    if acked <= 0:
        return []
    candidates = journal.query(REMOVABLE_SQL, (acked, acked))
    ready: dict[str, list[str]] = {}
    for invoice_id, sha256, _seq in candidates:
        latest = journal.query(LATEST_STATE_SQL, (invoice_id,))
        if latest and latest[0][0] in ("invoice.approved", "invoice.exported"):
            ready.setdefault(sha256, []).append(invoice_id)
    result = []
    for sha256, ids in ready.items():
        users = journal.query("SELECT count(*) FROM events WHERE type='invoice.received' "
                              "AND json_extract(payload, '$.sha256')=?", (sha256,))[0][0]
        if users == len(ids):
            result.extend((invoice_id, sha256) for invoice_id in ids)
    return result


def thumbnail(data: bytes, longest_px: int) -> bytes:
    """A small JPEG of an image or a PDF's first page (Pillow; pypdfium2 for PDFs)."""
    from PIL import Image, ImageOps

    if data[:5] == b"%PDF-":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        try:
            page = pdf[0]
            image = page.render(scale=longest_px / max(page.get_size())).to_pil()
        finally:
            pdf.close()
    else:
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    image = image.convert("RGB")
    image.thumbnail((longest_px, longest_px))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70, optimize=True)
    return out.getvalue()


def thumb_path(settings: Settings, sha256: str) -> Path:
    return settings.thumbs_dir / f"{sha256}.jpg"


def clean_up(settings: Settings, journal: Journal, blobs: BlobStore, target_percent: float | None = None,
             should_stop: Callable[[], bool] = lambda: False) -> list[str]:
    """Replace synced, approved originals by thumbnails until the disk is below ``target_percent``.

    Order per original: thumbnail written (atomic) → ``invoice.original_removed`` committed →
    file deleted. A crash between the last two leaves an orphan file, never a lost one.
    Returns the invoice ids whose originals were removed.
    """
    target = settings.storage_warn_percent if target_percent is None else target_percent
    removed: list[str] = []
    events: dict[str, list[str]] = {}
    for invoice_id, sha256 in removable_originals(journal):
        events.setdefault(sha256, []).append(invoice_id)
    for sha256, ids in events.items():
        if should_stop() or psutil.disk_usage(str(settings.data_dir)).percent < target:
            break
        if not blobs.exists(sha256):
            continue
        data = blobs.get(sha256)
        thumb = thumb_path(settings, sha256)
        try:
            if not thumb.exists():
                write_atomic(thumb, thumbnail(data, settings.thumbnail_px))
        except Exception as exc:  # noqa: BLE001 - an unreadable original keeps its file
            log.warning("event=thumbnail_failed sha256=%s error=%s: original kept", sha256[:12], exc)
            continue
        items = [("invoice.original_removed", {"sha256": sha256, "size": len(data),
                                               "thumbnail": thumb.name, "reason": "storage_warning"},
                  invoice_id, "storage", f"original-removed-{invoice_id}", None) for invoice_id in ids]
        journal.append_many(items)
        blobs.delete(sha256)
        removed.extend(ids)
        log.info("event=original_removed sha256=%s invoices=%s bytes=%d", sha256[:12], ",".join(ids), len(data))
    return removed


# -- one pass, run by the worker on a timer ---------------------------------------------


def guard(settings: Settings, journal: Journal, blobs: BlobStore,
          should_stop: Callable[[], bool] = lambda: False) -> StorageState:
    """Check, alert once per crossing, clean up when at the warning level; returns the state after."""
    state = check(settings.data_dir, settings)
    alert(journal, state)
    if state.level != READONLY:
        ensure_reserve(settings)
    if state.level != OK:
        if clean_up(settings, journal, blobs, should_stop=should_stop):
            state = check(settings.data_dir, settings)
            alert(journal, state)
    return state


def used_by(settings: Settings) -> dict[str, int]:
    """Bytes each part of the data dir takes: what the Storage page shows."""
    parts = {"journal": [settings.journal_path, Path(f"{settings.journal_path}-wal")],
             "readmodel": [settings.readmodel_path, Path(f"{settings.readmodel_path}.wal")]}
    sizes = {name: sum(p.stat().st_size for p in paths if p.exists()) for name, paths in parts.items()}
    for name, root in (("originals", settings.blobs_dir), ("thumbnails", settings.thumbs_dir),
                       ("backups", settings.backups_path)):
        total = 0
        if root.is_dir():
            for dirpath, _dirs, files in os.walk(root):
                total += sum((Path(dirpath) / f).stat().st_size for f in files
                             if (Path(dirpath) / f).exists())
        sizes[name] = total
    return sizes
