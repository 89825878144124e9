"""Fill a journal with many realistic invoice events, fast (for benchmarks and load tests)."""

from __future__ import annotations

import random
import uuid

from appliance.queue.journal import Journal

SUPPLIERS = [("Meghna Traders", "000123456-0101"), ("Padma Stationers", "001987654-0203"),
             ("নিউ ঢাকা স্টোর", "002468013-0001"), ("Rupsha Electric Co.", "003135792-0402"),
             ("Karnaphuli Foods Ltd", "004112233-0101")]


def received_and_extracted(invoice_id: str, i: int, result: dict) -> list[tuple]:
    """The events of invoice number ``i`` photographed (1,000 bytes, its id standing in for the sha256) and
    read by the worker as ``result``, ready for ``Journal.append_many``."""
    return [("invoice.received", {"sha256": invoice_id, "filename": f"{i}.jpg", "content_type": "image/jpeg",
                                  "size": 1000, "pages": 1}, invoice_id, "staff", None, None),
            ("invoice.extracted", {"result": result}, invoice_id, "worker", None, None)]


def seed_invoices(journal: Journal, n: int, seed: int = 7, batch: int = 1000) -> list[str]:
    """Append n invoices (received, processing, extracted; some edited/approved); return their ids."""
    rng = random.Random(seed)
    ids: list[str] = []
    items = []
    for i in range(n):
        invoice_id = uuid.UUID(int=rng.getrandbits(128)).hex
        ids.append(invoice_id)
        name, bin_ = rng.choice(SUPPLIERS)
        subtotal = round(rng.uniform(100, 150_000), 2)
        rate = rng.choice([0, 5, 7.5, 10, 15])
        vat = round(subtotal * rate / 100, 2)
        result = {"supplier_name": name, "supplier_bin": bin_, "invoice_number": f"INV-{i:06d}",
                  "invoice_date": f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}", "currency": "BDT",
                  "subtotal": subtotal, "discount": 0.0, "vat_rate": rate, "vat_amount": vat,
                  "total": round(subtotal + vat, 2),
                  "line_items": [{"description": "Item", "quantity": 1, "unit_price": subtotal, "amount": subtotal}],
                  "confidence": {"total": 0.97}, "needs_review": [] if i % 4 else ["supplier_name:low_confidence"]}
        items.append(("invoice.received", {"sha256": f"{i:064x}", "filename": f"scan-{i}.jpg",
                                           "content_type": "image/jpeg", "size": 120_000, "pages": 1},
                      invoice_id, "staff", None, None))
        items.append(("invoice.processing", {"attempt": 1}, invoice_id, "worker", None, None))
        items.append(("invoice.extracted", {"result": result}, invoice_id, "worker", None, None))
        if i % 3 == 0:
            items.append(("invoice.edited", {"fields": {"total": result["total"]}}, invoice_id, "staff", None, None))
        if i % 2 == 0:
            items.append(("invoice.approved", {}, invoice_id, "owner", None, None))
        if len(items) >= batch:
            journal.append_many(items)
            items = []
    if items:
        journal.append_many(items)
    return ids
