"""A local ERP: CSV, JSON and Excel downloads, and a signed webhook retried from the journal.

Files are pure renderers (invoice dicts in, bytes out). The webhook is durable: ``queue``
appends a ``webhook.pending {delivery_id, body}`` event (body = the JSON that will be
posted, fixed once so every retry signs the same bytes); ``deliver_pending`` posts each
pending body with ``X-Hisab-Signature: sha256=<hex HMAC-SHA256 of the body>`` and appends
``webhook.delivered {delivery_id}`` only on a 2xx answer. Until then it stays pending and
the next call (relay or worker loop) tries again: nothing is lost across a power cut, and
the receiver dedupes on ``X-Hisab-Delivery``.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from appliance.exports.money import fmt, split
from appliance.queue.journal import Journal

log = logging.getLogger(__name__)

TARGET_WEBHOOK = "webhook"
SIGNATURE_HEADER = "X-Hisab-Signature"
DELIVERY_HEADER = "X-Hisab-Delivery"

COLUMNS = ["id", "status", "supplier_name", "supplier_bin", "supplier_address", "invoice_number",
           "invoice_date", "due_date", "currency", "subtotal", "discount", "vat_rate", "vat_amount",
           "net_amount", "total", "note"]
LINE_COLUMNS = ["invoice_id", "invoice_number", "line", "description", "quantity", "unit_price", "amount"]


def record(invoice: dict[str, Any]) -> dict[str, Any]:
    """One invoice as the flat record every ERP format shares."""
    f = invoice["fields"]
    row = {key: f.get(key) for key in COLUMNS if key in f}
    row.update(id=invoice["id"], status=invoice["status"], net_amount=float(split(invoice).net))
    return {key: row.get(key) for key in COLUMNS}


def lines(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    f = invoice["fields"]
    return [{"invoice_id": invoice["id"], "invoice_number": f.get("invoice_number"), "line": n,
             **{k: item.get(k) for k in ("description", "quantity", "unit_price", "amount")}}
            for n, item in enumerate(f.get("line_items") or [], start=1)]


def to_csv(invoices: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for inv in invoices:
        row = record(inv)
        row["net_amount"] = fmt(split(inv).net)
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")  # BOM: Excel then reads Bengali names correctly


def document(invoices: list[dict[str, Any]]) -> dict[str, Any]:
    return {"invoices": [{**record(inv), "line_items": lines(inv)} for inv in invoices]}


def to_json(invoices: list[dict[str, Any]]) -> bytes:
    return json.dumps(document(invoices), ensure_ascii=False, indent=2).encode("utf-8")


def to_xlsx(invoices: list[dict[str, Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Invoices"
    sheet.append(COLUMNS)
    for inv in invoices:
        sheet.append([record(inv)[key] for key in COLUMNS])
    detail = book.create_sheet("Lines")
    detail.append(LINE_COLUMNS)
    for inv in invoices:
        for line in lines(inv):
            detail.append([line[key] for key in LINE_COLUMNS])
    for ws in (sheet, detail):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


RENDERERS = {"csv": to_csv, "json": to_json, "excel": to_xlsx}


# -- webhook ----------------------------------------------------------------------------------


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str) -> bool:
    """What the ERP side does with X-Hisab-Signature (constant-time compare)."""
    return hmac.compare_digest(sign(body, secret), signature or "")


def pending_event(export_id: str, invoices: list[dict[str, Any]], actor: str = "system") -> tuple:
    """The ``webhook.pending`` event for an export, as an ``append_many`` tuple.

    Pass ``lambda export_id, invoices: [pending_event(export_id, invoices)]`` as the
    ``companions`` of ``source.mark_exported`` so marks and delivery commit together.
    """
    delivery_id = f"export-{export_id}"
    body = {"event": "invoices.exported", "delivery_id": delivery_id, "export_id": export_id, **document(invoices)}
    return ("webhook.pending", {"delivery_id": delivery_id, "body": body}, None, actor,
            f"webhook-pending-{delivery_id}", None)


def pending(journal: Journal) -> list[dict[str, Any]]:
    """Webhook deliveries not yet acknowledged, oldest first."""
    rows = journal.query(
        "SELECT p.payload FROM events p WHERE p.type='webhook.pending' AND NOT EXISTS ("
        " SELECT 1 FROM events d WHERE d.type='webhook.delivered'"
        " AND json_extract(d.payload, '$.delivery_id') = json_extract(p.payload, '$.delivery_id'))"
        " ORDER BY p.seq")
    return [json.loads(r[0]) for r in rows]


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def body_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def deliver_pending(journal: Journal, url: str, secret: str, timeout: float = 10.0,
                    actor: str = "system") -> DeliveryReport:
    """Post every pending delivery; record each one the receiver acknowledged (2xx)."""
    report = DeliveryReport()
    for item in pending(journal):
        delivery_id, body = item["delivery_id"], body_bytes(item["body"])
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret), DELIVERY_HEADER: delivery_id})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            report.failed[delivery_id] = f"ERP webhook at {url} is not reachable ({getattr(exc, 'reason', exc)})."
            log.warning("event=webhook_failed delivery=%s reason=%s", delivery_id, report.failed[delivery_id])
            continue
        if 200 <= status < 300:
            journal.append("webhook.delivered", {"delivery_id": delivery_id, "status": status}, actor=actor,
                           event_id=f"webhook-delivered-{delivery_id}")
            report.delivered.append(delivery_id)
        else:
            report.failed[delivery_id] = f"ERP webhook at {url} answered HTTP {status}; will retry."
            log.warning("event=webhook_failed delivery=%s status=%s", delivery_id, status)
    return report
