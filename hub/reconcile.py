"""Reconciliation after a reconnect: compare a box's digests with the hub's, find exactly what is missing.

Owns table ``reconciles`` (what the dashboard shows: when, what differed, what was repaired).
Round 1: the box sends month digests over its public events up to its cursor; the hub answers
which months differ. Round 2: the box sends per-invoice digests for those months; the hub
answers, for each differing invoice, the seqs it holds, and the box re-sends the rest in a
``repair`` lane batch (hub.lanes). When the month digests agree, the hub provably holds every
public event up to the box's cursor and advances its ack there (repairing a box whose cursor
ran ahead of the hub, or a hub that lost rows). Events only the hub has (a box restored from
an old backup) are reported, never deleted.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from appliance.sync_digest import differing, group, invoice_digests, month_digests
from hub import lanes


def _grouped(conn: psycopg.Connection, device: str, upto: int) -> dict[str, dict[str, list[int]]]:
    rows = conn.execute("SELECT seq, hlc, invoice_id FROM events WHERE device_id=%s AND seq <= %s",
                        (device, upto)).fetchall()
    return group((r["seq"], r["hlc"], r["invoice_id"]) for r in rows)


def handle(conn: psycopg.Connection, device: str, body: dict[str, Any], threshold: float
           ) -> tuple[dict[str, Any], int | None]:
    """One reconcile message → (answer for ``down/reconcile``, new acked seq to announce or None)."""
    upto = int(body["upto"])
    with conn.transaction():
        conn.execute("INSERT INTO devices (device_id) VALUES (%s) ON CONFLICT DO NOTHING", (device,))
        conn.execute("SELECT 1 FROM devices WHERE device_id=%s FOR UPDATE", (device,))  # one box, one at a time
        mine = _grouped(conn, device, upto)
        if body.get("op") == "months":
            differ = differing(month_digests(mine), body.get("months") or {})
            last = conn.execute("SELECT id, state FROM reconciles WHERE device_id=%s ORDER BY id DESC LIMIT 1",
                                (device,)).fetchone()
            if last and last["state"] == "repairing":
                rid = last["id"]  # the check after a repair closes the same reconcile
                conn.execute("UPDATE reconciles SET months=%s, upto=%s WHERE id=%s", (len(body.get("months") or {}), upto, rid))
            else:
                rid = conn.execute("INSERT INTO reconciles (device_id, upto, months, differing) VALUES (%s,%s,%s,%s) "
                                   "RETURNING id", (device, upto, len(body.get("months") or {}), Jsonb(differ))
                                   ).fetchone()["id"]
            if not differ:
                conn.execute("UPDATE reconciles SET state='in_sync' WHERE id=%s", (rid,))
                acked = lanes.advance(conn, device, upto, threshold)
                return {"op": "in_sync", "id": rid}, acked
            return {"op": "months", "id": rid, "differ": differ}, None
        if body.get("op") == "invoices":
            have: dict[str, dict[str, list[int]]] = {}
            extra = False
            for month, theirs in (body.get("months") or {}).items():
                ours = invoice_digests(mine.get(month, {}))
                for key in differing(ours, theirs):
                    hub_seqs = mine.get(month, {}).get(key, [])
                    if key not in theirs:
                        extra = True
                    have.setdefault(month, {})[key] = hub_seqs
            rid = body.get("id")
            if not any(k in (body.get("months") or {}).get(m, {}) for m, keys in have.items() for k in keys):
                state = "hub_has_extra" if extra else "in_sync"
                conn.execute("UPDATE reconciles SET state=%s WHERE id=%s", (state, rid))
                return {"op": state, "id": rid}, None
            return {"op": "have", "id": rid, "have": have}, None
    raise ValueError(f"unknown reconcile op {body.get('op')!r}")


def note_repair(conn: psycopg.Connection, device: str, body: dict[str, Any]) -> None:
    keys = sorted({e.get("invoice_id") or "-" for e in body.get("events") or []})
    with conn.transaction():
        conn.execute(
            "UPDATE reconciles SET state='repairing', events=events+%s, "
            "invoices=(SELECT coalesce(jsonb_agg(DISTINCT x), '[]') FROM jsonb_array_elements(invoices || %s) x) "
            "WHERE id=%s AND device_id=%s", (len(body.get("events") or []), Jsonb(keys), body.get("rid"), device))
