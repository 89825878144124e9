"""What invoice events mean: the status machine and how each event changes an invoice.

Pure functions over plain dicts, shared by the read model (incremental apply and rebuild
alike, so both give identical data) and by the guards that check an append against the
journal inside its transaction (stale version, second extraction result).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from appliance.queue.journal import Event, Rejected

RECEIVED, PROCESSING, EXTRACTED, FAILED, APPROVED, EXPORTED = (
    "received", "processing", "extracted", "failed", "approved", "exported",
)
STATUSES = (RECEIVED, PROCESSING, EXTRACTED, FAILED, APPROVED, EXPORTED)

# Events that change what a person sees; their count is the invoice's version.
VERSIONED = ("invoice.received", "invoice.extracted", "invoice.failed", "invoice.edited",
             "invoice.approved", "invoice.exported", "invoice.suggestion_decided")
RESULT_TYPES = ("invoice.extracted", "invoice.failed")

HEADER_FIELDS = ("supplier_name", "supplier_bin", "supplier_address", "supplier_phone", "buyer_name",
                 "invoice_number", "invoice_date", "due_date", "currency", "subtotal", "discount",
                 "vat_rate", "vat_amount", "total")
EDITABLE = HEADER_FIELDS + ("line_items", "urgent", "note")
AMOUNT_FIELDS = ("subtotal", "discount", "vat_rate", "vat_amount", "total")


def empty_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {name: None for name in HEADER_FIELDS}
    fields.update(currency="BDT", line_items=[])
    return fields


def arithmetic_reasons(fields: dict[str, Any]) -> list[str]:
    """Re-check totals after a person edits: subtotal − discount + VAT must equal total."""
    subtotal, total = fields.get("subtotal"), fields.get("total")
    if subtotal is None or total is None:
        return []
    expected = subtotal - (fields.get("discount") or 0) + (fields.get("vat_amount") or 0)
    if abs(expected - total) > 0.011:
        return ["arithmetic:subtotal_plus_vat_ne_total"]
    return []


def apply(invoice: dict[str, Any] | None, event: Event) -> dict[str, Any] | None:
    """Return the invoice after ``event`` (a new dict); None if the event is not about one."""
    if not event.type.startswith("invoice.") or not event.invoice_id:
        return invoice
    if invoice is None:
        if event.type != "invoice.received":
            return None  # an event for an invoice this box never received: ignore, keep going
        invoice = {
            "id": event.invoice_id, "status": RECEIVED, "version": 0, "attempts": 0,
            "fields": empty_fields(), "confidence": {}, "needs_review": [], "suggestions": [],
            "exported_to": [], "error": None, "language": None, "duplicate_of": None,
            "edited": [], "created_hlc": event.hlc, "updated_hlc": event.hlc, "created_by": event.actor,
        }
    inv = {**invoice, "fields": dict(invoice["fields"]), "updated_hlc": event.hlc}
    p = event.payload
    kind = event.type.removeprefix("invoice.")
    if kind == "received":
        inv.update(sha256=p["sha256"], filename=p.get("filename"), content_type=p.get("content_type"),
                   size=p.get("size"), pages=p.get("pages", 1))
    elif kind == "processing":
        inv.update(status=PROCESSING, attempts=p.get("attempt", inv["attempts"] + 1))
    elif kind == "extracted":
        result = p["result"]
        read = {**empty_fields(), **{k: result.get(k) for k in EDITABLE if k in result}}
        read["line_items"] = result.get("line_items") or []
        # What a person already typed (manual entry before the worker got to it) wins.
        inv["fields"] = {**read, **{k: inv["fields"][k] for k in inv.get("edited", [])}}
        inv.update(status=EXTRACTED, confidence=result.get("confidence") or {},
                   needs_review=list(result.get("needs_review") or []), language=result.get("language"),
                   error=result.get("error"), timings_ms=result.get("timings_ms") or {})
    elif kind == "failed":
        inv.update(status=FAILED, error=p.get("error"), needs_review=["document:unreadable"])
    elif kind == "edited":
        # Per field, the latest writer by HLC wins: a hub edit may arrive after a later local one.
        stamps = dict(inv.get("field_hlc", {}))
        changed = {k: v for k, v in p.get("fields", {}).items() if k in EDITABLE and event.hlc > stamps.get(k, "")}
        inv["field_hlc"] = {**stamps, **{k: event.hlc for k in changed}}
        inv["fields"].update(changed)
        inv["edited"] = sorted(set(inv.get("edited", [])) | set(changed))
        inv["suggestions"] = [s for s in inv["suggestions"] if s["field"] not in changed]
        kept = [r for r in inv["needs_review"]
                if r.split(":")[0] not in changed and not r.startswith("arithmetic:")
                and r != "document:unreadable"]
        inv["needs_review"] = kept + arithmetic_reasons(inv["fields"])
        inv["confidence"] = {**inv["confidence"], **{k: 1.0 for k in changed}}
        if inv["status"] in (APPROVED, EXPORTED, FAILED, RECEIVED, PROCESSING):
            inv["status"] = EXTRACTED
    elif kind == "approved":
        inv["status"] = APPROVED
    elif kind == "exported":
        inv["status"] = EXPORTED
        inv["exported_to"] = sorted(set(inv["exported_to"]) | {p["target"]})
    elif kind == "suggested":
        if p["field"] in inv.get("edited", []) or p["field"] in inv.get("decided", []) \
                or inv["status"] in (APPROVED, EXPORTED):
            return inv  # a person typed, decided or approved this value: a suggestion never reaches it
        others = [s for s in inv["suggestions"] if s["field"] != p["field"]]
        inv["suggestions"] = others + [{"field": p["field"], "value": p["value"],
                                         "confidence": p.get("confidence"), "source": p.get("source", "hub")}]
    elif kind == "suggestion_decided":
        inv["suggestions"] = [s for s in inv["suggestions"] if s["field"] != p["field"]]
        inv["decided"] = sorted(set(inv.get("decided", [])) | {p["field"]})  # as the hub's second opinion locks it
        if p.get("accepted"):
            inv["fields"][p["field"]] = p["value"]
            inv["needs_review"] = [r for r in inv["needs_review"] if not r.startswith(p["field"] + ":")]
    if event.type in VERSIONED:
        inv["version"] = invoice["version"] + 1
    return inv


# -- guards: checked inside the journal's write transaction ------------------------------


def _count(conn: sqlite3.Connection, invoice_id: str, types: tuple[str, ...]) -> int:
    marks = ",".join("?" * len(types))
    sql = f"SELECT count(*) FROM events WHERE invoice_id=? AND type IN ({marks})"
    return conn.execute(sql, (invoice_id, *types)).fetchone()[0]


def current_version(conn: sqlite3.Connection, invoice_id: str) -> int:
    return _count(conn, invoice_id, VERSIONED)


def expect_version(invoice_id: str, version: int):
    """Guard: refuse an edit made against a version someone else has since changed."""

    def guard(conn: sqlite3.Connection) -> None:
        current = current_version(conn, invoice_id)
        if current == 0:
            raise Rejected("not_found", "No such invoice.")
        if current != version:
            raise Rejected("stale_version",
                           f"Someone changed this invoice meanwhile (now version {current}, you had "
                           f"{version}). Reload it and make your change again.")

    return guard


def no_result_yet(invoice_id: str):
    """Guard: one invoice gets at most one extraction result, even across worker crashes."""

    def guard(conn: sqlite3.Connection) -> None:
        if _count(conn, invoice_id, RESULT_TYPES):
            raise Rejected("already_extracted", "This invoice already has an extraction result.")

    return guard
