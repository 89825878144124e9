"""Encrypted backups of the box and their restore.

A backup is one file: a tar stream of a consistent journal snapshot (SQLite's online
backup API), every original (content-addressed blobs), the thumbnails, the device's
identity and a manifest of sizes and SHA-256s, encrypted as it is written.

File format (``.hbk``, version 1), so memory stays at one chunk whatever the size::

    header  = b"HISABBK1" | salt (16) | chunk size (u32) | key check (16)
    chunk   = length|final-bit (u32) | AES-256-GCM(ciphertext + tag)
    key     = HKDF-SHA256(backup_key, salt)      — a fresh key per file
    nonce   = chunk counter (96 bits)             — never reused under that key
    AAD     = header | counter | final flag       — reordering, cutting or splicing fails

The last chunk carries the final bit, so a file cut at any byte is detected. Restore
extracts into a staging directory inside the (empty) data dir, checks everything
(authentication, manifest, content hashes, SQLite quick_check), and only then moves the
files into place: a tampered, truncated or wrongly keyed file leaves nothing behind.

Never: write into a non-empty data dir, put the backup key inside a backup, or delete a
backup before a newer one is complete.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
import re
import secrets
import shutil
import socket
import sqlite3
import struct
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from appliance.config import Settings
from appliance.queue.blobs import fsync_dir, write_atomic
from appliance.queue.journal import connect

log = logging.getLogger(__name__)

MAGIC = b"HISABBK1"
SALT_LEN, CHECK_LEN, TAG_LEN = 16, 16, 16
HEADER_LEN = len(MAGIC) + SALT_LEN + 4 + CHECK_LEN
CHUNK = 1 << 20
FINAL = 0x8000_0000
SUFFIX = ".hbk"
KEY_FILE = "backup_key"
LAST_FILE = "last-backup.json"
# What a backup holds, relative to the data dir; restore accepts nothing else.
MEMBER = re.compile(r"^(journal\.sqlite3|device_id|secret_key|manifest\.json|"
                    r"blobs/[0-9a-f]{2}/[0-9a-f]{64}|thumbs/[0-9a-f]{64}\.jpg)$")
# What may already be in a data dir that counts as empty (a provisioned settings file).
EMPTY_ALLOWED = {"hisab.toml"}

Progress = Callable[[int], Any]


class BackupError(Exception):
    """A backup or restore refused; the message says what happened and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    files: int
    seconds: float
    removed: list[Path]
    copied_to: str | None
    copy_error: str | None


@dataclass(frozen=True)
class RestoreResult:
    data_dir: Path
    files: int
    bytes: int
    last_seq: int
    seconds: float


# -- keys --------------------------------------------------------------------------------


def backup_key(settings: Settings) -> tuple[bytes, str | None]:
    """The key material and, when one had to be generated, a warning for the person."""
    if settings.backup_key:
        return settings.backup_key.encode(), None
    path = settings.data_dir / KEY_FILE
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip().encode(), None
    write_atomic(path, secrets.token_urlsafe(32).encode(), mode=0o600)
    warning = (f"No backup_key is set (provisioning normally sets it): generated one in {path}. Copy it off "
               "the box now — without it these backups cannot be restored.")
    log.warning("event=backup_key_generated path=%s", path)
    return path.read_text().strip().encode(), warning


def _file_key(master: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"hisab backup v1").derive(master)


def _key_check(key: bytes) -> bytes:
    return hmac.new(key, b"hisab backup key check", hashlib.sha256).digest()[:CHECK_LEN]


# -- the encrypted stream ------------------------------------------------------------------


class EncryptingWriter(io.RawIOBase):
    """File-like sink: plaintext in, authenticated chunks out to ``out``."""

    def __init__(self, out: BinaryIO, master: bytes, chunk: int = CHUNK):
        super().__init__()
        salt = secrets.token_bytes(SALT_LEN)
        key = _file_key(master, salt)
        self._aead = AESGCM(key)
        self._header = MAGIC + salt + struct.pack(">I", chunk) + _key_check(key)
        self._out = out
        self._chunk = chunk
        self._buf = bytearray()
        self._counter = 0
        self.written = 0
        out.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buf += data
        while len(self._buf) > self._chunk:  # keep the last (possibly full) chunk for the final bit
            self._emit(bytes(self._buf[: self._chunk]), final=False)
            del self._buf[: self._chunk]
        return len(data)

    def _emit(self, plain: bytes, final: bool) -> None:
        aad = self._header + struct.pack(">QB", self._counter, final)
        sealed = self._aead.encrypt(self._counter.to_bytes(12, "big"), plain, aad)
        self._out.write(struct.pack(">I", len(sealed) | (FINAL if final else 0)))
        self._out.write(sealed)
        self._counter += 1
        self.written += len(plain)

    def finish(self) -> None:
        self._emit(bytes(self._buf), final=True)
        self._buf.clear()


class DecryptingReader(io.RawIOBase):
    """File-like source: reads ``src`` chunk by chunk, returning only authenticated plaintext."""

    def __init__(self, src: BinaryIO, master: bytes, name: str):
        super().__init__()
        self._src, self._name = src, name
        header = src.read(HEADER_LEN)
        if len(header) < HEADER_LEN or not header.startswith(MAGIC):
            raise BackupError(f"{name} is not a Hisab backup file (or it is cut off at its start): "
                              "nothing was restored.")
        salt = header[len(MAGIC): len(MAGIC) + SALT_LEN]
        (self._chunk,) = struct.unpack(">I", header[len(MAGIC) + SALT_LEN: len(MAGIC) + SALT_LEN + 4])
        key = _file_key(master, salt)
        if not hmac.compare_digest(_key_check(key), header[-CHECK_LEN:]):
            raise BackupError(f"{name} was made with a different backup key (or its header is damaged): "
                              "nothing was restored. Use this box's provisioning key (HISAB_BACKUP_KEY or "
                              "--key-file).")
        self._aead = AESGCM(key)
        self._header = header
        self._counter = 0
        self._buf = b""
        self._done = False
        self.offset = HEADER_LEN

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        frame = self._src.read(4)
        if len(frame) < 4:
            raise BackupError(f"{self._name} is incomplete (cut off after {self.offset} bytes): nothing was "
                              "restored. Use an older backup or copy this one again.")
        (word,) = struct.unpack(">I", frame)
        final, length = bool(word & FINAL), word & ~FINAL
        if length > self._chunk + TAG_LEN:
            raise BackupError(f"{self._name} is damaged or was altered (bad chunk {self._counter} at byte "
                              f"{self.offset}): nothing was restored.")
        sealed = self._src.read(length)
        if len(sealed) < length:
            raise BackupError(f"{self._name} is incomplete (cut off after {self.offset + 4 + len(sealed)} "
                              "bytes): nothing was restored. Use an older backup or copy this one again.")
        aad = self._header + struct.pack(">QB", self._counter, final)
        try:
            self._buf = self._aead.decrypt(self._counter.to_bytes(12, "big"), sealed, aad)
        except InvalidTag:
            raise BackupError(f"{self._name} is damaged or was altered (chunk {self._counter} at byte "
                              f"{self.offset} failed its check): nothing was restored.") from None
        self.offset += 4 + length
        self._counter += 1
        if final:
            self._done = True
            if self._src.read(1):
                raise BackupError(f"{self._name} has data after its end (altered?): nothing was restored.")

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while size < 0 or len(out) < size:
            if not self._buf:
                if self._done:
                    break
                self._next_chunk()
                continue
            take = len(self._buf) if size < 0 else min(size - len(out), len(self._buf))
            out += self._buf[:take]
            self._buf = self._buf[take:]
        return bytes(out)

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        """Read to the final chunk: proves the whole file is authentic and complete."""
        while self.read(CHUNK):
            pass


class _Hashing:
    """Wraps a file being added to the tar: hashes what tarfile reads and reports progress."""

    def __init__(self, f: BinaryIO, progress: Progress | None):
        self._f, self._progress = f, progress
        self.sha256 = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self.sha256.update(data)
        if self._progress and data:
            self._progress(len(data))
        return data


# -- backup --------------------------------------------------------------------------------


def snapshot_journal(journal_path: Path, dest: Path) -> int:
    """A consistent copy of the live journal through SQLite's online backup API; returns last seq."""
    dest.unlink(missing_ok=True)
    src = connect(journal_path, readonly=True)
    out = sqlite3.connect(dest)
    try:
        # One step: a single consistent read transaction while writers keep going (WAL). The copy
        # holds every page as stored; only the header's change counters differ from the live file.
        src.backup(out)
        last = out.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    finally:
        out.close()
        src.close()
    return last


def _stamp(settings: Settings, journal_path: Path) -> str:
    """UTC time for the file name, never before the journal's newest HLC (a box without RTC boots in 1970)."""
    wall_ms = int(time.time() * 1000)
    try:
        conn = connect(journal_path, readonly=True)
        newest = conn.execute("SELECT max(hlc) FROM events").fetchone()[0]
        conn.close()
        if newest:
            wall_ms = max(wall_ms, int(newest.split("-", 1)[0]))
    except sqlite3.Error:
        pass
    return datetime.fromtimestamp(wall_ms / 1000, UTC).strftime("%Y%m%dT%H%M%SZ")


def _members(settings: Settings) -> list[tuple[str, Path]]:
    found = []
    for name in ("device_id", "secret_key"):
        path = settings.data_dir / name
        if path.is_file():
            found.append((name, path))
    for root, prefix in ((settings.blobs_dir, "blobs"), (settings.thumbs_dir, "thumbs")):
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                name = f"{prefix}/{path.relative_to(root).as_posix()}"
                if path.is_file() and MEMBER.match(name):
                    found.append((name, path))
    return found


def estimate_bytes(settings: Settings) -> int:
    """Roughly how much a backup reads (for a progress bar)."""
    total = sum(p.stat().st_size for _n, p in _members(settings) if p.exists())
    for suffix in ("", "-wal"):
        p = Path(f"{settings.journal_path}{suffix}")
        total += p.stat().st_size if p.exists() else 0
    return total


def _add(tar: tarfile.TarFile, name: str, path: Path, progress: Progress | None) -> dict[str, Any] | None:
    try:
        f = path.open("rb")
    except FileNotFoundError:  # removed by the storage guard meanwhile: its thumbnail stays
        return None
    with f:
        size = os.fstat(f.fileno()).st_size
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o640, int(path.stat().st_mtime)
        hashing = _Hashing(f, progress)
        tar.addfile(info, hashing)
    digest = hashing.sha256.hexdigest()
    if name.startswith("blobs/") and digest != name.rsplit("/", 1)[-1]:
        log.error("event=backup_damaged_original name=%s: stored file does not match its hash", name)
    return {"size": size, "sha256": digest}


def create(settings: Settings, progress: Progress | None = None) -> tuple[BackupResult, str | None]:
    """Write one encrypted backup, apply retention, copy to the target; (result, key warning)."""
    if not settings.journal_path.is_file():
        raise BackupError(f"There is no journal at {settings.journal_path}: nothing to back up.")
    started = time.monotonic()
    master, warning = backup_key(settings)
    folder = settings.backups_path
    folder.mkdir(parents=True, exist_ok=True)
    device = (settings.device_id or _read(settings.data_dir / "device_id") or "box").replace("/", "_")
    final = folder / f"hisab-{device}-{_stamp(settings, settings.journal_path)}{SUFFIX}"
    tmp = folder / f".{final.name}.{os.getpid()}.tmp"
    snapshot = folder / f".journal-snapshot.{os.getpid()}.sqlite3"
    try:
        last_seq = snapshot_journal(settings.journal_path, snapshot)
        manifest: dict[str, Any] = {"format": 1, "device_id": device, "last_seq": last_seq,
                                    "created": datetime.now(UTC).isoformat(), "files": {}}
        with tmp.open("wb") as out:
            enc = EncryptingWriter(out, master)
            with tarfile.open(fileobj=enc, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                entry = _add(tar, "journal.sqlite3", snapshot, progress)
                manifest["files"]["journal.sqlite3"] = entry
                for name, path in _members(settings):
                    entry = _add(tar, name, path, progress)
                    if entry:
                        manifest["files"][name] = entry
                body = json.dumps(manifest, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size, info.mode, info.mtime = len(body), 0o640, int(time.time())
                tar.addfile(info, io.BytesIO(body))
            enc.finish()
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, final)
        fsync_dir(folder)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        snapshot.unlink(missing_ok=True)
    removed = apply_retention(settings)
    copied_to, copy_error = copy_to_target(settings)
    result = BackupResult(final, final.stat().st_size, len(manifest["files"]), time.monotonic() - started,
                          removed, copied_to, copy_error)
    _record_last(settings, result, last_seq)
    log.info("event=backup_done file=%s bytes=%d files=%d seconds=%.1f copied=%s", final.name, result.bytes,
             result.files, result.seconds, copied_to or copy_error)
    return result, warning


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def backups(settings: Settings) -> list[Path]:
    """Complete backups in backup_dir, newest first (names sort by time)."""
    folder = settings.backups_path
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.glob(f"hisab-*{SUFFIX}") if p.is_file()),
                  key=lambda p: p.name.rsplit("-", 1)[-1], reverse=True)


def apply_retention(settings: Settings) -> list[Path]:
    """Delete all but the newest ``backup_keep`` backups; returns what was deleted."""
    removed = []
    for old in backups(settings)[settings.backup_keep:]:
        old.unlink(missing_ok=True)
        removed.append(old)
        log.info("event=backup_removed file=%s (retention keeps %d)", old.name, settings.backup_keep)
    return removed


def _reachable(target: str) -> str | None:
    """None when the target can be reached now, else why not."""
    remote = re.match(r"^(?:[^@/:]+@)?([^/:]+):", target)
    if not remote:
        parent = Path(target)
        return None if parent.is_dir() else f"{target} is not mounted or does not exist"
    host = remote.group(1)
    try:
        with socket.create_connection((host, 22), timeout=5):
            return None
    except OSError as exc:
        return f"{host} is unreachable ({exc.strerror or exc})"


def copy_to_target(settings: Settings) -> tuple[str | None, str | None]:
    """rsync the kept backups to ``backup_target`` when reachable: (target, None) or (None, why not)."""
    target = settings.backup_target
    if not target:
        return None, None
    why = _reachable(target)
    if why:
        log.warning("event=backup_copy_skipped target=%s reason=%s", target, why)
        return None, why
    import sysrsync

    try:
        sysrsync.run(source=str(settings.backups_path), destination=target, sync_source_contents=True,
                     options=["-rt", "--partial", "--timeout=60", f"--include=hisab-*{SUFFIX}", "--exclude=*",
                              "-e", "ssh -o BatchMode=yes -o ConnectTimeout=10"])
    except Exception as exc:  # noqa: BLE001 - sysrsync raises RsyncError; the next run retries
        log.warning("event=backup_copy_failed target=%s error=%s", target, exc)
        return None, f"rsync to {target} failed ({exc})"
    return target, None


def _record_last(settings: Settings, result: BackupResult, last_seq: int) -> None:
    record = {"at": time.time(), "file": result.path.name, "bytes": result.bytes, "files": result.files,
              "seconds": round(result.seconds, 2), "last_seq": last_seq, "copied_to": result.copied_to,
              "copy_error": result.copy_error}
    write_atomic(settings.backups_path / LAST_FILE, json.dumps(record).encode())


def last_backup(settings: Settings) -> dict[str, Any] | None:
    """The newest backup's record (time, file, size, copy outcome), or None if never backed up."""
    try:
        record = json.loads((settings.backups_path / LAST_FILE).read_text())
    except (OSError, ValueError):
        newest = next(iter(backups(settings)), None)
        if newest is None:
            return None
        record = {"at": newest.stat().st_mtime, "file": newest.name, "bytes": newest.stat().st_size}
    record["present"] = (settings.backups_path / record.get("file", "")).is_file()
    return record


# -- restore -------------------------------------------------------------------------------


def _require_empty(data_dir: Path) -> None:
    if data_dir.exists():
        extra = sorted(p.name for p in data_dir.iterdir() if p.name not in EMPTY_ALLOWED)
        if extra:
            raise BackupError(f"The data directory {data_dir} is not empty ({', '.join(extra[:3])}"
                              f"{'...' if len(extra) > 3 else ''}): restore only onto an empty box — move "
                              "the old data aside first.")


def restore(path: Path, data_dir: Path, key: bytes, progress: Progress | None = None) -> RestoreResult:
    """Restore backup ``path`` onto the empty ``data_dir``; on any doubt, leave nothing written."""
    started = time.monotonic()
    _require_empty(data_dir)
    created = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = data_dir / ".restore-partial"
    try:
        try:
            src = path.open("rb")
        except OSError as exc:
            raise BackupError(f"Cannot read {path} ({exc.strerror}).") from None
        with src:
            reader = DecryptingReader(src, key, path.name)
            extracted, manifest = _extract(reader, staging, path.name, progress)
            reader.drain()
        _verify(staging, extracted, manifest, path.name)
        for entry in sorted(staging.iterdir()):
            os.replace(entry, data_dir / entry.name)
        staging.rmdir()
        for folder in {data_dir, data_dir / "blobs", data_dir / "thumbs"}:
            if folder.is_dir():
                fsync_dir(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(data_dir, ignore_errors=True)
        raise
    total = sum(e["size"] for e in extracted.values())
    log.info("event=restore_done file=%s files=%d bytes=%d last_seq=%s", path.name, len(extracted), total,
             manifest.get("last_seq"))
    return RestoreResult(data_dir, len(extracted), total, int(manifest.get("last_seq", 0)),
                         time.monotonic() - started)


def _extract(reader: DecryptingReader, staging: Path, name: str,
             progress: Progress | None) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    staging.mkdir()
    extracted: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] | None = None
    try:
        tar = tarfile.open(fileobj=reader, mode="r|")
        for member in tar:
            if not member.isfile() or not MEMBER.match(member.name) or member.name in extracted:
                raise BackupError(f"{name} holds an unexpected entry {member.name!r}: nothing was restored.")
            source = tar.extractfile(member)
            if member.name == "manifest.json":
                manifest = json.loads(source.read())
                continue
            target = staging / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            with target.open("wb") as out:
                while block := source.read(CHUNK):
                    digest.update(block)
                    out.write(block)
                    if progress:
                        progress(len(block))
                out.flush()
                os.fsync(out.fileno())
            extracted[member.name] = {"size": member.size, "sha256": digest.hexdigest()}
    except tarfile.TarError as exc:
        raise BackupError(f"{name} is not a valid backup archive ({exc}): nothing was restored.") from None
    if manifest is None:
        raise BackupError(f"{name} has no manifest (incomplete backup): nothing was restored.")
    return extracted, manifest


def _verify(staging: Path, extracted: dict[str, dict[str, Any]], manifest: dict[str, Any], name: str) -> None:
    if manifest.get("format") != 1:
        raise BackupError(f"{name} is a backup format this version cannot read: nothing was restored.")
    if manifest.get("files") != extracted:
        missing = sorted(set(manifest.get("files", {})) ^ set(extracted))
        raise BackupError(f"{name} does not match its manifest ({', '.join(missing[:3]) or 'checksums'}): "
                          "nothing was restored.")
    for member, entry in extracted.items():
        if member.startswith("blobs/") and entry["sha256"] != member.rsplit("/", 1)[-1]:
            log.error("event=restore_damaged_original name=%s: it was already damaged on the box", member)
    if "journal.sqlite3" not in extracted:
        raise BackupError(f"{name} has no journal: nothing was restored.")
    conn = sqlite3.connect(f"file:{staging / 'journal.sqlite3'}?mode=ro", uri=True)
    try:
        verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        verdict = str(exc)
    finally:
        conn.close()
    if verdict != "ok":
        raise BackupError(f"The journal inside {name} fails SQLite's check ({verdict}): nothing was restored.")
