"""Which invoices in the relay's backlog are time-sensitive, and in what order they go first.

Owns the rule of issue 10: after an outage, first invoices staff marked urgent
(``fields.urgent``), then those due within ``days`` (``due_date``, overdue included), then
approved invoices waiting for export; by due date, then age. Folds each backlog invoice's
events with ``appliance.invoices.apply``, the same fold the read model uses, so the relay
needs no DuckDB. Reads the journal only.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from appliance import invoices
from appliance.queue.journal import Event, Journal

URGENT, DUE_SOON, AWAITING_EXPORT = 0, 1, 2

BACKLOG_INVOICES_SQL = (
    "SELECT seq, id, hlc, type, invoice_id, actor, payload FROM events WHERE invoice_id IN "
    "(SELECT DISTINCT invoice_id FROM events WHERE seq > ? AND invoice_id IS NOT NULL) ORDER BY seq"
)


def rank(invoice: dict[str, Any], today: dt.date, days: int = 7) -> int | None:
    """0 urgent, 1 due within ``days``, 2 approved and not exported; None = no hurry."""
    fields = invoice.get("fields") or {}
    if fields.get("urgent") in (True, 1, "1", "true", "yes"):
        return URGENT
    due = fields.get("due_date")
    if due:
        try:
            if dt.date.fromisoformat(str(due)[:10]) <= today + dt.timedelta(days=days):
                return DUE_SOON
        except ValueError:
            pass
    if invoice.get("status") == invoices.APPROVED:
        return AWAITING_EXPORT
    return None


def time_sensitive(journal: Journal, after_seq: int, today: dt.date | None = None,
                   days: int = 7) -> list[tuple[str, list[int]]]:
    """(invoice id, its seqs past ``after_seq``) of the backlog's time-sensitive invoices, most urgent first."""
    today = today or dt.date.today()
    folded: dict[str, dict[str, Any] | None] = {}
    pending: dict[str, list[int]] = {}
    for seq, id_, hlc, type_, invoice_id, actor, payload in journal.query(BACKLOG_INVOICES_SQL, (after_seq,)):
        event = Event(seq, id_, hlc, type_, invoice_id, actor, json.loads(payload))
        folded[invoice_id] = invoices.apply(folded.get(invoice_id), event)
        if seq > after_seq:
            pending.setdefault(invoice_id, []).append(seq)
    ranked = []
    for invoice_id, inv in folded.items():
        r = rank(inv, today, days) if inv else None
        if r is not None and pending.get(invoice_id):
            due = str((inv["fields"] or {}).get("due_date") or "9999-12-31")
            ranked.append(((r, due, pending[invoice_id][0]), invoice_id))
    ranked.sort()
    return [(invoice_id, pending[invoice_id]) for _key, invoice_id in ranked]
