"""The monthly purchase (VAT input) register for the Mushak return, after NBR form Mushak-6.1.

Mushak-6.1 ("Purchase Accounts Book", rule 40(1)(a) and 41(a)) numbers its columns 1–21:
(1) serial, (2) date, (3–4) opening stock, (5) invoice / bill of entry number, (6) its date,
(7–9) seller's name, address and registration (BIN) / enrolment / national ID number,
(10) description, (11) quantity, (12) value excluding all taxes, (13) supplementary duty,
(14) VAT, (15–20) stock running totals, (21) comments. Hisab keeps no stock ledger, so the
register carries the purchase columns (1, 2, 5–14, 21), keeps the form's numbers in each
heading so an accountant can copy them across, and adds the VAT rate and the total
(12 + 13 + 14). One row per invoice; a totals row closes the month.

Pure: invoice dicts in, rows / CSV / Excel bytes out.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from appliance.exports.money import dec, fmt, label, split

TARGET = "mushak"

# (key, English heading, Bengali heading)
COLUMNS: list[tuple[str, str, str]] = [
    ("serial", "(1) SL No", "(১) ক্রমিক সংখ্যা"),
    ("date", "(2) Date", "(২) তারিখ"),
    ("invoice_number", "(5) Invoice / Bill of Entry No", "(৫) চালানপত্র / বিল অব এন্ট্রি নম্বর"),
    ("invoice_date", "(6) Invoice Date", "(৬) চালানপত্রের তারিখ"),
    ("supplier_name", "(7) Seller Name", "(৭) বিক্রেতার নাম"),
    ("supplier_address", "(8) Seller Address", "(৮) বিক্রেতার ঠিকানা"),
    ("supplier_bin", "(9) Seller BIN / Enrolment / NID No", "(৯) নিবন্ধন / তালিকাভুক্তি / জাতীয় পরিচয়পত্র নং"),
    ("description", "(10) Description", "(১০) বিবরণ"),
    ("quantity", "(11) Quantity", "(১১) পরিমাণ"),
    ("value", "(12) Value excl. all taxes", "(১২) মূল্য (সকল প্রকার কর ব্যতীত)"),
    ("supplementary_duty", "(13) Supplementary Duty", "(১৩) সম্পূরক শুল্ক (যদি থাকে)"),
    ("vat", "(14) VAT", "(১৪) মূসক"),
    ("vat_rate", "VAT Rate %", "মূসক হার %"),
    ("total", "Total (12+13+14)", "মোট (১২+১৩+১৪)"),
    ("comments", "(21) Comments", "(২১) মন্তব্য"),
]
AMOUNT_KEYS = ("value", "supplementary_duty", "vat", "total")
TITLE = {"en": "Mushak-6.1 Purchase Book (VAT input register)", "bn": "মূসক-৬.১ ক্রয় হিসাব পুস্তক"}


def headings(language: str = "en") -> list[str]:
    return [bn if language == "bn" else en for _, en, bn in COLUMNS]


def _description(invoice: dict[str, Any]) -> tuple[str, float | None]:
    items = invoice["fields"].get("line_items") or []
    text = "; ".join(str(i.get("description")) for i in items if i.get("description"))
    quantities = [i.get("quantity") for i in items]
    quantity = sum(quantities) if items and all(isinstance(q, (int, float)) for q in quantities) else None
    return text, quantity


def register(invoices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per invoice in date order, amounts as Decimal; no totals row (see ``totals``)."""
    rows = []
    ordered = sorted(invoices, key=lambda inv: (inv["fields"].get("invoice_date") or "", label(inv)))
    for serial, inv in enumerate(ordered, start=1):
        f, money = inv["fields"], split(inv)
        description, quantity = _description(inv)
        rows.append({
            "serial": serial, "date": f.get("invoice_date"), "invoice_number": f.get("invoice_number"),
            "invoice_date": f.get("invoice_date"), "supplier_name": f.get("supplier_name"),
            "supplier_address": f.get("supplier_address"), "supplier_bin": f.get("supplier_bin"),
            "description": description, "quantity": quantity, "value": money.net,
            "supplementary_duty": Decimal("0.00"), "vat": money.vat, "vat_rate": f.get("vat_rate"),
            "total": money.total, "comments": str(f.get("note") or ""),
        })
    return rows


def totals(rows: list[dict[str, Any]]) -> dict[str, Decimal]:
    return {key: sum((dec(r[key]) for r in rows), Decimal("0.00")) for key in AMOUNT_KEYS}


def to_csv(invoices: list[dict[str, Any]], language: str = "en") -> bytes:
    rows = register(invoices)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headings(language))
    for row in rows:
        writer.writerow([fmt(row[k]) if k in AMOUNT_KEYS else ("" if row[k] is None else row[k])
                         for k, _, _ in COLUMNS])
    sums = totals(rows)
    writer.writerow([fmt(sums[k]) if k in AMOUNT_KEYS else ("Total" if k == "serial" else "")
                     for k, _, _ in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(invoices: list[dict[str, Any]], month: str = "", language: str = "en",
            buyer: str | None = None) -> bytes:
    rows = register(invoices)
    book = Workbook()
    sheet = book.active
    sheet.title = "Mushak-6.1"
    sheet.append([TITLE.get(language, TITLE["en"])])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([("মাস: " if language == "bn" else "Month: ") + month] + ([buyer] if buyer else []))
    sheet.append(headings(language))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([float(row[k]) if k in AMOUNT_KEYS else row[k] for k, _, _ in COLUMNS])
    sums = totals(rows)
    sheet.append([float(sums[k]) if k in AMOUNT_KEYS else ("Total" if k == "serial" else None) for k, _, _ in COLUMNS])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for index, (key, _, _) in enumerate(COLUMNS):
        letter = sheet.cell(row=3, column=index + 1).column_letter
        sheet.column_dimensions[letter].width = 14 if key in AMOUNT_KEYS or key.endswith("date") else 24
        if key in AMOUNT_KEYS:
            for (cell,) in sheet.iter_rows(min_row=4, min_col=index + 1, max_col=index + 1):
                cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A4"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render(kind: str = "csv", month: str = "", language: str = "en"):
    """A renderer for ``source.export_to_file``: ``csv`` or ``xlsx``."""
    if kind == "xlsx":
        return lambda invoices: to_xlsx(invoices, month, language)
    return lambda invoices: to_csv(invoices, language)
