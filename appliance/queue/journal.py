"""The journal: the box's system of record, an append-only SQLite event log.

SQLite in WAL mode with ``synchronous=FULL``: ``append`` returns only after the
transaction committed, so whatever a person or peer was told is stored survives a power
cut. Events are never updated or deleted. Each consumer keeps its position in ``cursors``.
Several processes share this file (web, worker, relay); each opens its own connection.
This module must never know about invoices' meaning: guards passed in by callers decide.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.queue.hlc import Clock

SCHEMA_VERSION = 1
# seqs skipped after a restore: more events than a box writes in decades
RESTORE_SEQ_GAP = 10_000_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    hlc TEXT NOT NULL,
    type TEXT NOT NULL,
    invoice_id TEXT,
    actor TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_invoice ON events(invoice_id, seq);
CREATE INDEX IF NOT EXISTS events_type ON events(type, invoice_id);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class Event:
    seq: int
    id: str
    hlc: str
    type: str
    invoice_id: str | None
    actor: str
    payload: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "id": self.id, "hlc": self.hlc, "type": self.type,
            "invoice_id": self.invoice_id, "actor": self.actor, "payload": self.payload,
        }


class Rejected(Exception):
    """A guard refused an append; ``code`` is machine-readable, the message is for a person."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


Guard = Callable[[sqlite3.Connection], None]


def _row_event(row: tuple) -> Event:
    seq, id_, hlc, type_, invoice_id, actor, payload = row
    return Event(seq, id_, hlc, type_, invoice_id, actor, json.loads(payload))


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=30)
    else:
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class Journal:
    """One process's handle on the journal: one write connection behind a lock."""

    COLUMNS = "seq, id, hlc, type, invoice_id, actor, payload"

    def __init__(self, path: Path, device_id: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.device_id = device_id
        self._lock = threading.Lock()
        self._conn = connect(path)
        self.migrate()
        last = self._conn.execute("SELECT max(hlc) FROM events").fetchone()[0]
        self.clock = Clock(device_id, last)

    def migrate(self) -> None:
        with self._lock:
            self._conn.executescript(SCHEMA)
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- writing ---------------------------------------------------------------------

    def append(
        self,
        type: str,
        payload: dict[str, Any] | None = None,
        *,
        invoice_id: str | None = None,
        actor: str = "system",
        event_id: str | None = None,
        hlc: str | None = None,
        guard: Guard | None = None,
    ) -> Event:
        """Append one event and commit; an ``event_id`` already stored returns that event."""
        return self.append_many([(type, payload or {}, invoice_id, actor, event_id, hlc)], guard=guard)[0]

    def append_many(
        self,
        items: Iterable[tuple[str, dict[str, Any], str | None, str, str | None, str | None]],
        guard: Guard | None = None,
    ) -> list[Event]:
        """Append (type, payload, invoice_id, actor, event_id, hlc) tuples in one transaction."""
        with self._transaction() as conn:
            if guard is not None:
                guard(conn)
            return [self._insert(conn, *item) for item in items]

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _insert(self, conn, type_, payload, invoice_id, actor, event_id, hlc, seq=None) -> Event:
        event_id = event_id or uuid.uuid4().hex
        existing = conn.execute(f"SELECT {self.COLUMNS} FROM events WHERE id=?", (event_id,)).fetchone()
        if existing:
            return _row_event(existing)
        if hlc:
            self.clock.observe(hlc)
        stamp = hlc or self.clock.now()
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        cur = conn.execute(  # seq NULL: SQLite numbers it one past the largest
            "INSERT INTO events(seq, id, hlc, type, invoice_id, actor, payload) VALUES (?,?,?,?,?,?,?)",
            (seq, event_id, stamp, type_, invoice_id, actor, body),
        )
        return Event(cur.lastrowid, event_id, stamp, type_, invoice_id, actor, json.loads(body))

    def mark_restored(self, payload: dict[str, Any], gap: int = RESTORE_SEQ_GAP) -> Event:
        """Record a restore from backup, numbered ``gap`` past the journal's end.

        The hub stores a box's events by (device, seq) and may hold events the backup
        predates; numbering from here on far past them means no new event reuses a seq
        the hub already has. The relay's batches cover the skipped range, so the hub's
        contiguous cursor passes it."""
        with self._transaction() as conn:
            seq = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0] + gap
            return self._insert(conn, "journal.restored", payload, None, "system", None, None, seq=seq)

    def set_cursor(self, name: str, seq: int) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO cursors(name, seq) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET seq=excluded.seq",
                (name, seq),
            )

    # -- reading ---------------------------------------------------------------------

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def cursor(self, name: str) -> int:
        rows = self._read("SELECT seq FROM cursors WHERE name=?", (name,))
        return rows[0][0] if rows else 0

    def last_seq(self) -> int:
        return self._read("SELECT coalesce(max(seq), 0) FROM events")[0][0]

    def count_after(self, seq: int) -> int:
        """Events past ``seq`` (not the difference of seqs: a restore leaves a gap)."""
        return self._read("SELECT count(*) FROM events WHERE seq > ?", (seq,))[0][0]

    def read_after(self, seq: int, limit: int = 1000, types: tuple[str, ...] = ()) -> list[Event]:
        if types:
            marks = ",".join("?" * len(types))
            sql = f"SELECT {self.COLUMNS} FROM events WHERE seq>? AND type IN ({marks}) ORDER BY seq LIMIT ?"
            return [_row_event(r) for r in self._read(sql, (seq, *types, limit))]
        sql = f"SELECT {self.COLUMNS} FROM events WHERE seq>? ORDER BY seq LIMIT ?"
        return [_row_event(r) for r in self._read(sql, (seq, limit))]

    def events_for(self, invoice_id: str) -> list[Event]:
        sql = f"SELECT {self.COLUMNS} FROM events WHERE invoice_id=? ORDER BY seq"
        return [_row_event(r) for r in self._read(sql, (invoice_id,))]

    def get(self, event_id: str) -> Event | None:
        rows = self._read(f"SELECT {self.COLUMNS} FROM events WHERE id=?", (event_id,))
        return _row_event(rows[0]) if rows else None

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        """Read-only SQL for consumers that need a view the event log alone gives (worker's backlog)."""
        return self._read(sql, args)

    def quick_check(self) -> str:
        return self._read("PRAGMA quick_check")[0][0]

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            p = Path(str(self.path) + suffix)
            total += p.stat().st_size if p.exists() else 0
        return total
