"""The read model: DuckDB tables projected from the journal, for fast lists and search.

Opened only by the web process (DuckDB admits one process per file), and only after
gunicorn forked. Each batch of events is applied in one DuckDB transaction together with
the last applied ``seq``, so a crash never applies an event twice or skips one. The file
is disposable: deleting it (or ``hisab rebuild``) replays the journal into the same data.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import duckdb

from appliance import invoices
from appliance.queue.journal import Event, Journal

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value BIGINT);
CREATE TABLE IF NOT EXISTS invoices (
    id VARCHAR PRIMARY KEY, status VARCHAR, version INTEGER, doc VARCHAR, sha256 VARCHAR,
    supplier_name VARCHAR, supplier_bin VARCHAR, invoice_number VARCHAR, invoice_date VARCHAR,
    total DOUBLE, needs_review INTEGER, created_hlc VARCHAR, updated_hlc VARCHAR, search VARCHAR);
CREATE TABLE IF NOT EXISTS history (
    invoice_id VARCHAR, seq BIGINT, hlc VARCHAR, actor VARCHAR, type VARCHAR, payload VARCHAR);
CREATE TABLE IF NOT EXISTS suppliers (
    key VARCHAR PRIMARY KEY, name VARCHAR, bin VARCHAR, address VARCHAR, vat_rate DOUBLE, updated_hlc VARCHAR);
CREATE TABLE IF NOT EXISTS users (
    name VARCHAR PRIMARY KEY, role VARCHAR, password_hash VARCHAR, language VARCHAR);
CREATE TABLE IF NOT EXISTS tokens (hash VARCHAR PRIMARY KEY, username VARCHAR, label VARCHAR);
CREATE TABLE IF NOT EXISTS drafts (invoice_id VARCHAR, username VARCHAR, fields VARCHAR, hlc VARCHAR,
    PRIMARY KEY (invoice_id, username));
"""
PAGE_SIZE = 50
BATCH = 2000


def supplier_key(name: str | None, bin_: str | None) -> str:
    return (bin_ or "").split("-")[0] or (name or "").strip().lower()


class ReadModel:
    def __init__(self, path: Path, journal: Journal):
        self.path = path
        self.journal = journal
        self._apply_lock = threading.Lock()
        self._db = duckdb.connect(str(path))
        self._db.execute(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def _cur(self) -> duckdb.DuckDBPyConnection:
        return self._db.cursor()

    # -- projection ------------------------------------------------------------------

    def last_seq(self) -> int:
        row = self._cur().execute("SELECT value FROM meta WHERE key='last_seq'").fetchone()
        return row[0] if row else 0

    def catch_up(self, progress=None, batch: int = BATCH) -> int:
        """Apply every journal event not yet applied; returns how many were applied."""
        applied = 0
        with self._apply_lock:
            while True:
                events = self.journal.read_after(self.last_seq(), limit=batch)
                if not events:
                    return applied
                cur = self._cur()
                cur.execute("BEGIN TRANSACTION")
                try:
                    for event in events:
                        self._apply(cur, event)
                    cur.execute("INSERT OR REPLACE INTO meta VALUES ('last_seq', ?)", [events[-1].seq])
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                applied += len(events)
                if progress:
                    progress(len(events))

    def _apply(self, cur, event: Event) -> None:
        family = event.type.split(".")[0]
        if family == "invoice":
            self._apply_invoice(cur, event)
        elif family == "supplier":
            self._apply_supplier(cur, event)
        elif family in ("user", "token"):
            self._apply_user(cur, event)
        elif event.type == "draft.saved":
            p = event.payload
            cur.execute("INSERT OR REPLACE INTO drafts VALUES (?,?,?,?)",
                        [event.invoice_id, event.actor, json.dumps(p.get("fields", {})), event.hlc])

    def _apply_invoice(self, cur, event: Event) -> None:
        before = self._invoice(cur, event.invoice_id)
        after = invoices.apply(before, event)
        if after is None:
            return
        if event.type in ("invoice.received", "invoice.extracted", "invoice.edited"):
            self._flag_duplicates(cur, after)
        if event.type in invoices.VERSIONED:
            cur.execute("DELETE FROM drafts WHERE invoice_id=?", [event.invoice_id])
        cur.execute("INSERT INTO history VALUES (?,?,?,?,?,?)",
                    [event.invoice_id, event.seq, event.hlc, event.actor, event.type,
                     json.dumps(event.payload, ensure_ascii=False)])
        self._store(cur, after)

    def _flag_duplicates(self, cur, inv: dict[str, Any]) -> None:
        reasons = [r for r in inv["needs_review"] if not r.startswith("duplicate:")]
        row = cur.execute("SELECT id FROM invoices WHERE sha256=? AND created_hlc<? ORDER BY created_hlc LIMIT 1",
                          [inv["sha256"], inv["created_hlc"]]).fetchone()
        duplicate_of = row[0] if row else None
        if row:
            reasons.append("duplicate:image")
        f = inv["fields"]
        if f.get("invoice_number") and (f.get("supplier_bin") or f.get("supplier_name")):
            row = cur.execute(
                "SELECT id FROM invoices WHERE invoice_number=? AND created_hlc<? AND "
                "(supplier_bin=? OR lower(supplier_name)=lower(?)) ORDER BY created_hlc LIMIT 1",
                [f["invoice_number"], inv["created_hlc"], f.get("supplier_bin") or "\x00",
                 f.get("supplier_name") or "\x00"]).fetchone()
            if row:
                reasons.append("duplicate:invoice_number")
                duplicate_of = duplicate_of or row[0]
        inv["needs_review"] = reasons
        inv["duplicate_of"] = duplicate_of

    def _store(self, cur, inv: dict[str, Any]) -> None:
        f = inv["fields"]
        search = " ".join(str(v) for v in (f.get("supplier_name"), f.get("supplier_bin"),
                          f.get("invoice_number"), f.get("total"), inv.get("filename"), inv["id"]) if v)
        cur.execute(
            "INSERT OR REPLACE INTO invoices VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [inv["id"], inv["status"], inv["version"], json.dumps(inv, ensure_ascii=False), inv.get("sha256"),
             f.get("supplier_name"), f.get("supplier_bin"), f.get("invoice_number"), f.get("invoice_date"),
             f.get("total"), len(inv["needs_review"]), inv["created_hlc"], inv["updated_hlc"], search.lower()])

    def _apply_supplier(self, cur, event: Event) -> None:
        p = event.payload
        if event.type == "supplier.upserted":
            key = supplier_key(p.get("name"), p.get("bin"))
            cur.execute("INSERT OR REPLACE INTO suppliers VALUES (?,?,?,?,?,?)",
                        [key, p.get("name"), p.get("bin"), p.get("address"), p.get("vat_rate"), event.hlc])
        elif event.type == "supplier.deleted":
            cur.execute("DELETE FROM suppliers WHERE key=?", [p["key"]])

    def _apply_user(self, cur, event: Event) -> None:
        p = event.payload
        if event.type == "user.added":
            cur.execute("INSERT OR REPLACE INTO users VALUES (?,?,?,?)",
                        [p["name"], p["role"], p["password_hash"], p.get("language", "en")])
        elif event.type == "user.updated":
            for column in ("role", "password_hash", "language"):
                if column in p:
                    cur.execute(f"UPDATE users SET {column}=? WHERE name=?", [p[column], p["name"]])
        elif event.type == "token.created":
            cur.execute("INSERT OR REPLACE INTO tokens VALUES (?,?,?)", [p["hash"], p["user"], p.get("label")])
        elif event.type == "token.revoked":
            cur.execute("DELETE FROM tokens WHERE hash=?", [p["hash"]])

    # -- queries ---------------------------------------------------------------------

    def _invoice(self, cur, invoice_id: str) -> dict[str, Any] | None:
        row = cur.execute("SELECT doc FROM invoices WHERE id=?", [invoice_id]).fetchone()
        return json.loads(row[0]) if row else None

    def invoice(self, invoice_id: str) -> dict[str, Any] | None:
        return self._invoice(self._cur(), invoice_id)

    def list_invoices(self, status: str | None = None, q: str | None = None, page: int = 1,
                      review: bool = False, per_page: int = PAGE_SIZE) -> tuple[list[dict[str, Any]], int]:
        where, args = ["1=1"], []
        if status:
            where.append("status=?")
            args.append(status)
        if review:
            where.append("needs_review>0 AND status IN ('extracted','failed')")
        if q:
            where.append("search LIKE ?")
            args.append(f"%{q.strip().lower()}%")
        clause = " AND ".join(where)
        cur = self._cur()
        total = cur.execute(f"SELECT count(*) FROM invoices WHERE {clause}", args).fetchone()[0]
        rows = cur.execute(
            f"SELECT doc FROM invoices WHERE {clause} ORDER BY created_hlc DESC LIMIT ? OFFSET ?",
            [*args, per_page, (max(page, 1) - 1) * per_page]).fetchall()
        return [json.loads(r[0]) for r in rows], total

    def status_counts(self) -> dict[str, int]:
        return dict(self._cur().execute("SELECT status, count(*) FROM invoices GROUP BY status").fetchall())

    def history(self, invoice_id: str) -> list[dict[str, Any]]:
        rows = self._cur().execute(
            "SELECT seq, hlc, actor, type, payload FROM history WHERE invoice_id=? ORDER BY seq",
            [invoice_id]).fetchall()
        return [{"seq": s, "hlc": h, "actor": a, "type": t, "payload": json.loads(p)} for s, h, a, t, p in rows]

    def invoices_in_month(self, month: str, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
        marks = ",".join("?" * len(statuses))
        rows = self._cur().execute(
            f"SELECT doc FROM invoices WHERE invoice_date LIKE ? AND status IN ({marks}) ORDER BY invoice_date, id",
            [f"{month}%", *statuses]).fetchall()
        return [json.loads(r[0]) for r in rows]

    def suppliers(self, q: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT name, bin, address, vat_rate, key FROM suppliers", []
        if q:
            sql += " WHERE lower(name) LIKE ? OR bin LIKE ?"
            args = [f"%{q.lower()}%", f"%{q}%"]
        rows = self._cur().execute(sql + " ORDER BY name LIMIT 500", args).fetchall()
        return [dict(zip(("name", "bin", "address", "vat_rate", "key"), r)) for r in rows]

    def user(self, name: str) -> dict[str, Any] | None:
        row = self._cur().execute("SELECT name, role, password_hash, language FROM users WHERE name=?",
                                  [name]).fetchone()
        return dict(zip(("name", "role", "password_hash", "language"), row)) if row else None

    def user_count(self) -> int:
        return self._cur().execute("SELECT count(*) FROM users").fetchone()[0]

    def token_user(self, token_hash: str) -> str | None:
        row = self._cur().execute("SELECT username FROM tokens WHERE hash=?", [token_hash]).fetchone()
        return row[0] if row else None

    def draft(self, invoice_id: str, username: str) -> dict[str, Any] | None:
        row = self._cur().execute("SELECT fields FROM drafts WHERE invoice_id=? AND username=?",
                                  [invoice_id, username]).fetchone()
        return json.loads(row[0]) if row else None

    def fingerprint(self) -> str:
        """A digest of every table, to prove a rebuild gives identical data."""
        import hashlib

        digest = hashlib.sha256()
        cur = self._cur()
        for table, order in (("invoices", "id"), ("history", "seq"), ("suppliers", "key"),
                             ("users", "name"), ("tokens", "hash"), ("drafts", "invoice_id, username")):
            for row in cur.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall():
                digest.update(repr(row).encode())
        return digest.hexdigest()
