"""Events stored out of seq order: the priority lane (time-sensitive invoices first) and the repair
lane (what reconciliation found missing).

Owns the invariant that lets them coexist with the contiguous ack: an event is merged exactly
once, either by the contiguous run (``seq <= devices.acked_seq`` and ``early = false``) or here,
at arrival (``early = true``). Here merging is per invoice and in seq order: every stored,
unmerged event of each invoice in the batch past the acked run is merged together, so one
invoice never sees its events out of order. A repaired invoice whose old events the hub lost is
rebuilt from all its stored events.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from hub.merge import Merge

COLUMNS = "seq, id, hlc, type, invoice_id, actor, payload"


def store_early(conn: psycopg.Connection, body: dict[str, Any], device: str, threshold: float) -> tuple[int, list[int]]:
    """Store and merge a priority/repair batch; returns (acked_seq, seqs the hub now holds)."""
    events = body.get("events") or []
    repair = body.get("lane") == "repair"
    with conn.transaction():
        conn.execute("INSERT INTO devices (device_id) VALUES (%s) ON CONFLICT DO NOTHING", (device,))
        acked = conn.execute("SELECT acked_seq FROM devices WHERE device_id=%s FOR UPDATE", (device,)).fetchone()["acked_seq"]
        inserted = conn.execute(
            "INSERT INTO events (device_id, seq, id, hlc, type, invoice_id, actor, payload, early, occurred_at) "
            "SELECT %s, r.seq, r.id, r.hlc, r.type, r.invoice_id, r.actor, coalesce(r.payload, '{}'), r.seq > %s, "
            "hisab_hlc_time(r.hlc) "
            "FROM jsonb_to_recordset(%s) AS r(seq bigint, id text, hlc text, type text, invoice_id text, "
            "actor text, payload jsonb) ON CONFLICT DO NOTHING RETURNING seq, invoice_id",
            (device, acked, Jsonb(events))).fetchall()
        ids = sorted({e["invoice_id"] for e in events if e.get("invoice_id")})
        rebuild = sorted({r["invoice_id"] for r in inserted if r["invoice_id"] and r["seq"] <= acked}) if repair else []
        if rebuild:
            _rebuild(conn, device, rebuild, acked, threshold)
        rest = [i for i in ids if i not in rebuild]
        if rest:
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM events WHERE device_id=%s AND invoice_id = ANY(%s) AND seq > %s "
                "AND (NOT early OR seq = ANY(%s)) ORDER BY seq",
                (device, rest, acked, [r["seq"] for r in inserted])).fetchall()
            Merge(conn, device, threshold).apply(rows)
            conn.execute("UPDATE events SET early=true WHERE device_id=%s AND seq = ANY(%s)",
                         (device, [r["seq"] for r in rows]))
        conn.execute("UPDATE devices SET last_seen=now() WHERE device_id=%s", (device,))
        return acked, [int(e["seq"]) for e in events]


def _rebuild(conn: psycopg.Connection, device: str, invoice_ids: list[str], acked: int, threshold: float) -> None:
    """The hub lost events of these invoices: fold every stored event of each again, from nothing."""
    conn.execute("DELETE FROM invoices WHERE device_id=%s AND invoice_id = ANY(%s)", (device, invoice_ids))
    conn.execute("DELETE FROM invoice_versions WHERE device_id=%s AND invoice_id = ANY(%s)", (device, invoice_ids))
    rows = conn.execute(f"SELECT {COLUMNS} FROM events WHERE device_id=%s AND invoice_id = ANY(%s) "
                        "AND (seq <= %s OR early) ORDER BY seq", (device, invoice_ids, acked)).fetchall()
    Merge(conn, device, threshold, replay=True).apply(rows)
    conn.execute("UPDATE events SET early=true WHERE device_id=%s AND seq > %s AND seq = ANY(%s)",
                 (device, acked, [r["seq"] for r in rows]))


def advance(conn: psycopg.Connection, device: str, upto: int, threshold: float) -> int:
    """Reconciliation proved the hub holds every public event <= upto: merge what waited, ack up to it."""
    acked = conn.execute("SELECT acked_seq FROM devices WHERE device_id=%s FOR UPDATE", (device,)).fetchone()["acked_seq"]
    if upto <= acked:
        return acked
    new = upto
    for r in conn.execute("SELECT after_seq, upto_seq FROM device_ranges WHERE device_id=%s AND upto_seq > %s "
                          "ORDER BY after_seq", (device, new)).fetchall():
        if r["after_seq"] > new:
            break  # batches stored past the repaired run, contiguous with it, join the ack too
        new = max(new, r["upto_seq"])
    rows = conn.execute(f"SELECT {COLUMNS} FROM events WHERE device_id=%s AND seq > %s AND seq <= %s AND NOT early "
                        "ORDER BY seq", (device, acked, new)).fetchall()
    Merge(conn, device, threshold).apply(rows)
    conn.execute("DELETE FROM device_ranges WHERE device_id=%s AND upto_seq <= %s", (device, new))
    conn.execute("UPDATE devices SET acked_seq=%s WHERE device_id=%s", (new, device))
    return new
