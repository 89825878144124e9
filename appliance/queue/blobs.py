"""Content-addressed store for original files (images, PDFs), keyed by SHA-256.

Writes go to a temp file, are fsynced, renamed into place and the directory fsynced, so
a power cut leaves either the whole file or nothing. A retried upload is the same file.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int = 0o640) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # pid: clean_temp knows whose it is; random part: two threads storing the same bytes never share one
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)  # a disk-full write must not leave its half behind, holding space
        raise
    os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


class BlobStore:
    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if not (target.exists() and target.stat().st_size == len(data)):
            write_atomic(target, data)
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def clean_temp(self, older_than_s: float = 3600.0) -> int:
        """Remove temp files a crash left behind; returns how many.

        Only those whose writer is gone (or that are older than ``older_than_s``): another
        process (web) may be writing its temp file right now, and deleting it would fail
        that upload.
        """
        removed = 0
        now = time.time()
        for tmp in self.root.glob("*/.*.tmp"):
            parts = tmp.name.split(".")
            pid = int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else None
            try:
                stale = now - tmp.stat().st_mtime > older_than_s
            except FileNotFoundError:
                continue
            if pid is not None and not stale and _alive(pid):
                continue
            tmp.unlink(missing_ok=True)
            removed += 1
        return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
