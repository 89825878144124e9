"""Opening a box's data directory: identity, secret key and the shared durable parts.

Every process calls ``open_box`` first. It creates what a fresh box lacks (device id,
session secret) once, atomically, and hands back the journal and blob store.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from appliance.config import Settings
from appliance.queue.blobs import BlobStore, write_atomic
from appliance.queue.journal import Journal


def _stored_secret(path: Path, make) -> str:
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    value = make()
    write_atomic(path, value.encode(), mode=0o600)
    return value


def identify(settings: Settings) -> Settings:
    """Settings with a device id: the configured one, else one made once for this data dir."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.device_id:
        return settings
    device = _stored_secret(settings.data_dir / "device_id", lambda: "box-" + uuid.uuid4().hex[:12])
    return settings.model_copy(update={"device_id": device})


@dataclass
class Box:
    settings: Settings
    journal: Journal
    blobs: BlobStore

    @property
    def secret_key(self) -> str:
        return _stored_secret(self.settings.data_dir / "secret_key", lambda: secrets.token_hex(32))

    def close(self) -> None:
        self.journal.close()


def open_box(settings: Settings) -> Box:
    """Raises appliance.health.JournalDamaged (naming the fix) rather than open a damaged journal."""
    from appliance.health import verify_journal

    verify_journal(settings)
    settings = identify(settings)
    return Box(settings, Journal(settings.journal_path, settings.device_id), BlobStore(settings.blobs_dir))
