"""Originals from the boxes: offers and chunks on ``up/blobs``, assembled in PostgreSQL, SHA-256 checked.

Owns table ``blobs``. A chunk is stored only at the byte offset the hub expects (``have``),
so duplicates and reordered chunks are ignored and the answer tells the relay where to go
on; a complete original whose SHA-256 differs from its name is thrown away and restarted.
When one completes, each flagged invoice that uses it is queued for the second opinion.
Past one database server, ``data`` moves to an object store (MinIO/S3) keyed by sha256;
the protocol does not change.
"""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg

from appliance.sync_blobs import unpack

MAX_ORIGINAL = 64 * 1024 * 1024


def handle(conn: psycopg.Connection, device: str, payload: bytes) -> dict[str, Any]:
    header, data = unpack(payload)
    sha = str(header.get("sha256") or "")
    if len(sha) != 64:
        raise ValueError("blob message without a SHA-256")
    with conn.transaction():
        if header.get("op") == "offer":
            size = int(header["size"])
            if not 0 < size <= MAX_ORIGINAL:
                return {"sha256": sha, "have": 0, "done": False, "error": f"size {size} refused"}
            conn.execute("INSERT INTO blobs (device_id, sha256, size, content_type, invoice_id) VALUES (%s,%s,%s,%s,%s) "
                         "ON CONFLICT DO NOTHING", (device, sha, size, header.get("content_type"),
                                                    header.get("invoice_id")))
        row = conn.execute("SELECT size, have, complete FROM blobs WHERE device_id=%s AND sha256=%s FOR UPDATE",
                           (device, sha)).fetchone()
        if row is None:
            return {"sha256": sha, "have": 0, "done": False, "error": "offer the original first"}
        if row["complete"] or header.get("op") == "offer":
            return {"sha256": sha, "have": row["have"], "done": row["complete"]}
        if int(header.get("offset", -1)) != row["have"] or not data:
            return {"sha256": sha, "have": row["have"], "done": False}  # a duplicate or early chunk: ignored
        have = row["have"] + len(data)
        if have > row["size"]:
            conn.execute("UPDATE blobs SET data='', have=0, corrupt=corrupt+1 WHERE device_id=%s AND sha256=%s",
                         (device, sha))
            return {"sha256": sha, "have": 0, "done": False, "error": "more bytes than offered; restarting"}
        conn.execute("UPDATE blobs SET data = data || %s, have=%s, chunks=chunks+1 WHERE device_id=%s AND sha256=%s",
                     (data, have, device, sha))
        if have < row["size"]:
            return {"sha256": sha, "have": have, "done": False}
        stored = conn.execute("SELECT data FROM blobs WHERE device_id=%s AND sha256=%s", (device, sha)).fetchone()["data"]
        if hashlib.sha256(stored).hexdigest() != sha:
            conn.execute("UPDATE blobs SET data='', have=0, corrupt=corrupt+1 WHERE device_id=%s AND sha256=%s",
                         (device, sha))
            return {"sha256": sha, "have": 0, "done": False, "error": "SHA-256 mismatch; restarting"}
        conn.execute("UPDATE blobs SET complete=true, completed_at=now() WHERE device_id=%s AND sha256=%s",
                     (device, sha))
        # every invoice of this box that uses this original waits for its second-opinion check
        conn.execute(
            "INSERT INTO second_opinions (device_id, invoice_id, sha256, state) "
            "SELECT device_id, invoice_id, %s, 'waiting' FROM events WHERE device_id=%s AND type='invoice.received' "
            "AND payload->>'sha256' = %s ON CONFLICT DO NOTHING", (sha, device, sha))
        return {"sha256": sha, "have": have, "done": True}


def original(conn: psycopg.Connection, device: str, sha: str) -> bytes | None:
    row = conn.execute("SELECT data FROM blobs WHERE device_id=%s AND sha256=%s AND complete",
                       (device, sha)).fetchone()
    return bytes(row["data"]) if row else None
