"""QuickBooks: bills as IIF for QuickBooks Desktop, and the bill-import CSV of QuickBooks Online.

IIF: a header block (!TRNS, !SPL, !ENDTRNS) then per bill a TRNS row crediting Accounts
Payable (negative amount), SPL rows debiting the expense and input VAT accounts (positive),
and ENDTRNS; each transaction sums to zero. Tab-separated, CRLF, dates MM/DD/YYYY (the
format a US-locale QuickBooks Desktop reads; pass another for other locales).

QuickBooks Online (Bills import): one CSV row per bill line; rows sharing a Bill No form one
bill. Two lines per invoice — net purchase and input VAT — so the file imports the same way
whether or not the company has sales tax switched on.

Pure functions: invoice dicts in, text out.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from appliance.config import Settings
from appliance.exports.money import fmt, label, split

TARGET = "quickbooks"


@dataclass(frozen=True)
class QuickBooksOptions:
    ap_account: str = "Accounts Payable"
    expense_account: str = "Purchases"
    vat_account: str = "Input VAT"
    iif_date_format: str = "%m/%d/%Y"
    csv_date_format: str = "%d/%m/%Y"

    @classmethod
    def from_settings(cls, settings: Settings) -> QuickBooksOptions:
        return cls(settings.quickbooks_ap_account, settings.quickbooks_expense_account,
                   settings.quickbooks_vat_account)


def _date(value: str | None, pattern: str) -> str:
    return date.fromisoformat(value).strftime(pattern) if value else ""


def _clean(value: Any) -> str:
    """IIF fields cannot hold tabs, newlines or double quotes."""
    return " ".join(str(value or "").replace('"', "'").split())


def _supplier(invoice: dict[str, Any]) -> str:
    return (invoice["fields"].get("supplier_name") or "").strip() or "Unknown supplier"


def _memo(invoice: dict[str, Any]) -> str:
    f = invoice["fields"]
    parts = [f"BIN {f['supplier_bin']}" if f.get("supplier_bin") else "", f"Hisab {invoice['id']}"]
    return "; ".join(p for p in parts if p)


IIF_HEADER = [
    ["!TRNS", "TRNSID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "AMOUNT", "DOCNUM", "MEMO", "DUEDATE"],
    ["!SPL", "SPLID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "AMOUNT", "DOCNUM", "MEMO"],
    ["!ENDTRNS"],
]


def iif(invoices: list[dict[str, Any]], options: QuickBooksOptions = QuickBooksOptions()) -> str:
    rows: list[list[str]] = [list(r) for r in IIF_HEADER]
    for inv in invoices:
        f, money = inv["fields"], split(inv)
        day = _date(f.get("invoice_date"), options.iif_date_format)
        due = _date(f.get("due_date"), options.iif_date_format)
        name, doc, memo = _clean(_supplier(inv)), _clean(label(inv)), _clean(_memo(inv))
        rows.append(["TRNS", "", "BILL", day, options.ap_account, name, fmt(-money.total), doc, memo, due])
        rows.append(["SPL", "", "BILL", day, options.expense_account, name, fmt(money.net), doc, "Purchases"])
        if money.vat:
            rows.append(["SPL", "", "BILL", day, options.vat_account, name, fmt(money.vat), doc, "Input VAT"])
        rows.append(["ENDTRNS"])
    return "".join("\t".join(row) + "\r\n" for row in rows)


QBO_COLUMNS = ["Bill No", "Supplier", "Bill Date", "Due Date", "Terms", "Memo", "Account",
               "Line Description", "Line Amount", "Currency"]


def qbo_csv(invoices: list[dict[str, Any]], options: QuickBooksOptions = QuickBooksOptions()) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(QBO_COLUMNS)
    for inv in invoices:
        f, money = inv["fields"], split(inv)
        head = [label(inv), _supplier(inv), _date(f.get("invoice_date"), options.csv_date_format),
                _date(f.get("due_date"), options.csv_date_format), "", _memo(inv)]
        currency = f.get("currency") or "BDT"
        writer.writerow(head + [options.expense_account, "Purchases", fmt(money.net), currency])
        if money.vat:
            rate = f.get("vat_rate")
            text = f"Input VAT {rate:g}%" if isinstance(rate, (int, float)) else "Input VAT"
            writer.writerow(head + [options.vat_account, text, fmt(money.vat), currency])
    return out.getvalue()


def render(options: QuickBooksOptions, kind: str = "iif"):
    """A renderer for ``source.export_to_file``: ``iif`` (Desktop) or ``csv`` (Online)."""
    if kind == "iif":
        return lambda invoices: iif(invoices, options).encode("utf-8")
    return lambda invoices: qbo_csv(invoices, options).encode("utf-8-sig")
