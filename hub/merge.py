"""Merge: folds each box's events, in seq order, into the hub's view of its invoices.

Owns the rules of the fleet's shared state: per-field last-writer-wins by HLC; a conflict in
the manual review queue instead when box and hub both changed an invoice since they last
synced and the totals differ beyond a threshold or the supplier's identity (name/BIN)
differs; a version row for every change (who, where, when); hub-side edits, conflict
resolutions and supplier master data queued as downlink events for the boxes.

"Since they last synced" is exact, not guessed from clocks: a hub edit is pending until the
box uploads it back (the relay uploads downlink events it applied, under their hub id), and
a box edit conflicts only with hub edits still pending at that edit's seq. Must never be
called out of seq order for a device (ingest calls it only up to the contiguous ack).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from psycopg.types.json import Jsonb

from appliance.queue.hlc import Clock

IDENTITY = ("supplier_name", "supplier_bin")
TOTAL = "total"
NOT_FIELDS = {"source", "confidence", "needs_review", "timings_ms", "error", "language"}
STATUS = {
    "invoice.received": "received", "invoice.processing": "processing", "invoice.extracted": "extracted",
    "invoice.failed": "failed", "invoice.approved": "approved", "invoice.exported": "exported",
}


def extracted_fields(result: dict[str, Any]) -> dict[str, Any]:
    if isinstance(result.get("fields"), dict):
        return dict(result["fields"])
    return {k: v for k, v in result.items() if k not in NOT_FIELDS}


def amount(value: Any) -> float | None:
    try:
        return float(str(value).replace(",", "").strip())
    except (TypeError, ValueError):
        return None


def same_identity(a: Any, b: Any) -> bool:
    return " ".join(str(a or "").split()).casefold() == " ".join(str(b or "").split()).casefold()


def conflict_fields(box: dict[str, Any], hub: dict[str, Any], threshold: float) -> list[str]:
    """The fields on which a box edit and a concurrent hub edit truly disagree (empty = LWW will do)."""
    found = []
    if TOTAL in box and TOTAL in hub:
        a, b = amount(box[TOTAL]), amount(hub[TOTAL])
        if (a is None or b is None) and str(box[TOTAL]) != str(hub[TOTAL]) or (
                a is not None and b is not None and abs(a - b) > threshold):
            found.append(TOTAL)
    found += [f for f in IDENTITY if f in box and f in hub and not same_identity(box[f], hub[f])]
    return found


@dataclass
class Invoice:
    device_id: str
    invoice_id: str
    status: str = "received"
    fields: dict[str, Any] = field(default_factory=dict)
    field_hlc: dict[str, str] = field(default_factory=dict)
    held: dict[str, Any] = field(default_factory=dict)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    version: int = 0

    def write(self, values: dict[str, Any], hlc: str) -> dict[str, Any]:
        """Last writer wins per field; returns what changed."""
        won = {}
        for name, value in values.items():
            if hlc > self.field_hlc.get(name, ""):
                self.fields[name] = value
                self.field_hlc[name] = hlc
                won[name] = value
        return won


class Merge:
    """Applies one device's events (already stored, contiguous, in seq order) in one transaction."""

    def __init__(self, conn, device_id: str, threshold: float, replay: bool = False):
        self.conn = conn
        self.replay = replay  # rebuilding an invoice from scratch: hub events the box echoed count again
        self.device = device_id
        self.threshold = threshold
        self.invoices: dict[str, Invoice] = {}
        self.versions: list[dict[str, Any]] = []
        self.conflicts: list[tuple] = []
        self.echoed: list[tuple[int, str]] = []

    def apply(self, events: list[dict[str, Any]]) -> None:
        ids = [e["invoice_id"] for e in events if e.get("invoice_id")]
        self._load(sorted(set(ids)))
        echoes = {r["id"] for r in self.conn.execute(
            "SELECT id FROM downlink WHERE device_id=%s AND id = ANY(%s)", (self.device, [e["id"] for e in events]))}
        pending: dict[str, list[dict]] = {}
        for row in self.conn.execute(
                "SELECT id, invoice_id, hlc, actor, payload FROM downlink WHERE device_id=%s AND invoice_id = ANY(%s) "
                "AND type='invoice.edited' AND applied_seq IS NULL ORDER BY n", (self.device, ids)):
            pending.setdefault(row["invoice_id"], []).append(row)
        for event in events:
            if event["id"] in echoes:  # the box applied a hub event: from here on the box has seen it
                self.echoed.append((event["seq"], event["id"]))
                inv_pending = pending.get(event.get("invoice_id") or "", [])
                pending[event.get("invoice_id") or ""] = [h for h in inv_pending if h["id"] != event["id"]]
                if self.replay:
                    self._apply_one(event, [], origin="hub")
                continue
            self._apply_one(event, pending.get(event.get("invoice_id") or "", []))
        self._save()

    def _load(self, invoice_ids: list[str]) -> None:
        for row in self.conn.execute(
                "SELECT invoice_id, status, fields, field_hlc, held, suggestions, version FROM invoices "
                "WHERE device_id=%s AND invoice_id = ANY(%s) FOR UPDATE", (self.device, invoice_ids)):
            self.invoices[row["invoice_id"]] = Invoice(self.device, **row)

    def _invoice(self, invoice_id: str) -> Invoice:
        if invoice_id not in self.invoices:
            self.invoices[invoice_id] = Invoice(self.device, invoice_id)
        return self.invoices[invoice_id]

    def _apply_one(self, event: dict[str, Any], pending_hub_edits: list[dict], origin: str | None = None) -> None:
        kind, payload, invoice_id = event["type"], event.get("payload") or {}, event.get("invoice_id")
        if not invoice_id or not kind.startswith("invoice."):
            return  # supplier.upserted, config... are kept in `events` only
        inv = self._invoice(invoice_id)
        changes: dict[str, Any]
        if kind == "invoice.extracted":
            changes = inv.write(extracted_fields(payload.get("result") or {}), event["hlc"])
            inv.status = "extracted" if inv.status in ("received", "processing", "failed") else inv.status
        elif kind == "invoice.suggestion_decided":
            # a person on the box accepted or dismissed a suggestion: it is gone; accepted, it is their edit
            inv.suggestions = [s for s in inv.suggestions if s.get("field") != payload.get("field")]
            accepted = {payload["field"]: payload.get("value")} if payload.get("accepted") and payload.get("field") else {}
            changes = {"decided": payload, **self._box_edit(inv, event, accepted, pending_hub_edits)}
        elif kind == "invoice.edited":
            changes = self._box_edit(inv, event, dict(payload.get("fields") or {}), pending_hub_edits)
        elif kind == "invoice.suggested":
            inv.suggestions = [s for s in inv.suggestions if s.get("field") != payload.get("field")] + [payload]
            changes = {"suggested": payload}
        else:
            if kind in STATUS:
                inv.status = STATUS[kind]
            changes = {"status": inv.status, **payload} if kind != "invoice.received" else dict(payload)
        inv.version += 1
        self.versions.append({"invoice_id": invoice_id, "version": inv.version, "event_id": event["id"], "type": kind,
                              "actor": event["actor"], "origin": origin or f"box:{self.device}", "hlc": event["hlc"],
                              "changes": changes})

    def _box_edit(self, inv: Invoice, event: dict[str, Any], box_fields: dict[str, Any],
                  pending_hub_edits: list[dict]) -> dict[str, Any]:
        """A person's change on the box: LWW per field, or held in a conflict against a hub edit it had not seen."""
        for hub_edit in pending_hub_edits:
            disputed = conflict_fields(box_fields, hub_edit["payload"].get("fields") or {}, self.threshold)
            if disputed:
                hub_fields = hub_edit["payload"]["fields"]
                self.conflicts.append((
                    self.device, inv.invoice_id, ",".join(disputed), event["id"], hub_edit["id"],
                    Jsonb({f: box_fields[f] for f in disputed}), Jsonb({f: hub_fields[f] for f in disputed}),
                    event["actor"], hub_edit["actor"]))
                for f in disputed:
                    inv.held[f] = box_fields.pop(f)
        return inv.write(box_fields, event["hlc"])

    def _save(self) -> None:
        conn = self.conn
        if self.invoices:
            conn.execute(
                "INSERT INTO invoices (device_id, invoice_id, status, fields, field_hlc, held, suggestions, version) "
                "SELECT %s, r.invoice_id, r.status, r.fields, r.field_hlc, r.held, r.suggestions, r.version "
                "FROM jsonb_to_recordset(%s) AS r(invoice_id text, status text, fields jsonb, field_hlc jsonb, "
                "held jsonb, suggestions jsonb, version int) "
                "ON CONFLICT (device_id, invoice_id) DO UPDATE SET status=excluded.status, fields=excluded.fields, "
                "field_hlc=excluded.field_hlc, held=excluded.held, suggestions=excluded.suggestions, "
                "version=excluded.version, updated_at=now()",
                (self.device, Jsonb([{"invoice_id": i.invoice_id, "status": i.status, "fields": i.fields,
                                      "field_hlc": i.field_hlc, "held": i.held, "suggestions": i.suggestions,
                                      "version": i.version} for i in self.invoices.values()])))
        if self.versions:
            conn.execute(
                "INSERT INTO invoice_versions (device_id, invoice_id, version, event_id, type, actor, origin, hlc, changes) "
                "SELECT %s, r.invoice_id, r.version, r.event_id, r.type, r.actor, r.origin, r.hlc, r.changes "
                "FROM jsonb_to_recordset(%s) AS r(invoice_id text, version int, event_id text, type text, actor text, "
                "origin text, hlc text, changes jsonb) ON CONFLICT DO NOTHING", (self.device, Jsonb(self.versions)))
        if self.conflicts:
            conn.cursor().executemany(
                "INSERT INTO conflicts (device_id, invoice_id, reason, box_event, hub_event, box_fields, hub_fields, "
                "box_actor, hub_actor) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)", self.conflicts)
        if self.echoed:
            conn.cursor().executemany("UPDATE downlink SET applied_seq=%s WHERE device_id=%s AND id=%s",
                                      [(seq, self.device, id_) for seq, id_ in self.echoed])


# -- changes made at the hub ------------------------------------------------------------


def queue_downlink(conn, device_id: str, type_: str, payload: dict[str, Any], *, actor: str, hlc: str,
                   invoice_id: str | None = None, event_id: str | None = None) -> str:
    event_id = event_id or uuid.uuid4().hex
    conn.execute(
        "INSERT INTO downlink (device_id, id, hlc, type, invoice_id, actor, payload) VALUES (%s,%s,%s,%s,%s,%s,%s) "
        "ON CONFLICT DO NOTHING", (device_id, event_id, hlc, type_, invoice_id, actor, Jsonb(payload)))
    conn.execute("SELECT pg_notify('hisab_downlink', %s)", (device_id,))
    return event_id


def hub_edit(conn, device_id: str, invoice_id: str, fields: dict[str, Any], operator: str) -> str:
    """An operator's change to an invoice: applied at the hub now (newest HLC wins), sent down to its box."""
    row = conn.execute("SELECT status, fields, field_hlc, held, suggestions, version FROM invoices "
                       "WHERE device_id=%s AND invoice_id=%s FOR UPDATE", (device_id, invoice_id)).fetchone()
    if row is None:
        raise LookupError(f"invoice {invoice_id} of box {device_id} is not at the hub")
    inv = Invoice(device_id, invoice_id, **row)
    clock = Clock("hub", max(inv.field_hlc.values(), default=None))
    hlc = clock.now()
    actor = f"hub:{operator}"
    base = inv.version
    inv.write(fields, hlc)
    for name in fields:
        inv.held.pop(name, None)
    inv.version += 1
    event_id = queue_downlink(conn, device_id, "invoice.edited", {"fields": fields, "base_version": base},
                              actor=actor, hlc=hlc, invoice_id=invoice_id)
    conn.execute("UPDATE invoices SET fields=%s, field_hlc=%s, held=%s, version=%s, updated_at=now() "
                 "WHERE device_id=%s AND invoice_id=%s",
                 (Jsonb(inv.fields), Jsonb(inv.field_hlc), Jsonb(inv.held), inv.version, device_id, invoice_id))
    conn.execute("INSERT INTO invoice_versions (device_id, invoice_id, version, event_id, type, actor, origin, hlc, changes) "
                 "VALUES (%s,%s,%s,%s,'invoice.edited',%s,'hub',%s,%s)",
                 (device_id, invoice_id, inv.version, event_id, actor, hlc, Jsonb(fields)))
    return event_id


def resolve(conn, conflict_id: int, choice: str, operator: str) -> str:
    """Settle a queued conflict with the box's or the hub's values; the result goes down as an edit."""
    row = conn.execute("SELECT * FROM conflicts WHERE id=%s FOR UPDATE", (conflict_id,)).fetchone()
    if row is None or row["status"] != "open":
        raise LookupError(f"conflict {conflict_id} is not open")
    if choice not in ("box", "hub"):
        raise ValueError("choose 'box' or 'hub'")
    fields = row["box_fields"] if choice == "box" else row["hub_fields"]
    event_id = hub_edit(conn, row["device_id"], row["invoice_id"], fields, operator)
    conn.execute("UPDATE conflicts SET status='resolved', resolution=%s, resolved_by=%s, resolved_at=now() WHERE id=%s",
                 (Jsonb({"choice": choice, "fields": fields, "event": event_id}), operator, conflict_id))
    return event_id


def upsert_supplier(conn, supplier: dict[str, Any], operator: str) -> int:
    """Master data edited at the hub: stored, then queued down to every box. Returns how many boxes."""
    bin_ = str(supplier["bin"]).strip()
    if not bin_:
        raise ValueError("a supplier needs its BIN")
    payload = {"name": supplier["name"], "bin": bin_, "address": supplier.get("address") or "",
               "vat_rate": supplier.get("vat_rate")}
    conn.execute("INSERT INTO suppliers (bin, name, address, vat_rate, updated_by) VALUES (%s,%s,%s,%s,%s) "
                 "ON CONFLICT (bin) DO UPDATE SET name=excluded.name, address=excluded.address, "
                 "vat_rate=excluded.vat_rate, updated_by=excluded.updated_by, updated_at=now()",
                 (bin_, payload["name"], payload["address"], payload["vat_rate"], operator))
    hlc = Clock("hub").now()
    devices = [r["device_id"] for r in conn.execute("SELECT device_id FROM devices")]
    event_id = uuid.uuid4().hex  # one id on every box: each box's journal holds it once
    for device in devices:
        queue_downlink(conn, device, "supplier.upserted", payload, actor=f"hub:{operator}", hlc=hlc, event_id=event_id)
    return len(devices)
