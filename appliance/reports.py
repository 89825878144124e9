"""Monthly reports over invoices, and a bar chart drawn as inline SVG.

Pure functions: a list of invoice dicts (read-model rows in the web, folded journal events in
the CLI) in, a ``Table`` out; ``bar_chart_svg`` turns labels and values into a self-contained
<svg> string with no script, no stylesheet link and nothing fetched, so it prints and works
offline. Purchases count approved and exported invoices only; what still waits for a person
is its own report. Never reads the journal or the read model itself.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from appliance.exports.money import dec

PURCHASED = ("approved", "exported")
WAITING = ("extracted", "failed")


@dataclass
class Table:
    """A report: headed columns, rows of plain values, an optional totals row."""

    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    totals: list[Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            return float(v) if isinstance(v, Decimal) else v

        return {"title": self.title, "columns": self.columns, "rows": [[plain(v) for v in r] for r in self.rows],
                "totals": [plain(v) for v in self.totals] if self.totals else None}

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        if self.totals:
            writer.writerow(self.totals)
        return out.getvalue()

    def as_text(self) -> str:
        """Aligned columns for a terminal, amounts with thousands separators."""

        def cell(v: Any) -> str:
            if v is None:
                return ""
            return str(v) if isinstance(v, (int, str)) else f"{v:,.2f}"

        cells = [[cell(v) for v in row] for row in [self.columns, *self.rows, *([self.totals] if self.totals else [])]]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
        return "\n".join([self.title, *lines])


def _purchased(invoices: list[dict[str, Any]], month: str | None = None) -> list[dict[str, Any]]:
    return [inv for inv in invoices if inv["status"] in PURCHASED
            and (month is None or (inv["fields"].get("invoice_date") or "").startswith(month + "-"))]


def _amounts(invoice: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    f = invoice["fields"]
    total, vat = dec(f.get("total")), dec(f.get("vat_amount"))
    return total - vat, vat, total


def monthly_purchases(invoices: list[dict[str, Any]], year: str | None = None) -> Table:
    """Per month (YYYY-MM): invoice count, net purchases, input VAT, total payable."""
    by_month: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    for inv in _purchased(invoices):
        month = (inv["fields"].get("invoice_date") or "")[:7]
        if not month or (year and not month.startswith(year)):
            continue
        net, vat, total = _amounts(inv)
        acc = by_month[month]
        by_month[month] = [acc[0] + 1, acc[1] + net, acc[2] + vat, acc[3] + total]
    rows = [[m, int(v[0]), v[1], v[2], v[3]] for m, v in sorted(by_month.items())]
    return Table("Monthly purchases", ["month", "invoices", "net", "vat", "total"], rows, _sum_row(rows, 1))


def spend_by_supplier(invoices: list[dict[str, Any]], month: str | None = None, top: int | None = None) -> Table:
    """Per supplier (by BIN where known, else name), largest spend first."""
    groups: dict[str, dict[str, Any]] = {}
    for inv in _purchased(invoices, month):
        f = inv["fields"]
        key = (f.get("supplier_bin") or "").split("-")[0] or (f.get("supplier_name") or "").strip().lower() or "?"
        g = groups.setdefault(key, {"name": f.get("supplier_name") or "Unknown supplier",
                                    "bin": f.get("supplier_bin") or "", "n": 0, "net": Decimal(0),
                                    "vat": Decimal(0), "total": Decimal(0)})
        net, vat, total = _amounts(inv)
        g.update(n=g["n"] + 1, net=g["net"] + net, vat=g["vat"] + vat, total=g["total"] + total)
    ordered = sorted(groups.values(), key=lambda g: (-g["total"], g["name"]))
    rows = [[g["name"], g["bin"], g["n"], g["net"], g["vat"], g["total"]] for g in ordered]
    shown = rows[:top] if top else rows
    title = "Spend by supplier" + (f", {month}" if month else "")
    return Table(title, ["supplier", "bin", "invoices", "net", "vat", "total"], shown, _sum_row(rows, 2))


def vat_input_by_rate(invoices: list[dict[str, Any]], month: str | None = None) -> Table:
    """Per VAT rate: invoice count, taxable value and input VAT (for the Mushak-9.1 return)."""
    by_rate: dict[str, list[Any]] = {}
    for inv in _purchased(invoices, month):
        rate = inv["fields"].get("vat_rate")
        key = "unknown" if rate is None else f"{float(rate):g}%"
        net, vat, _ = _amounts(inv)
        acc = by_rate.setdefault(key, [0, Decimal(0), Decimal(0)])
        by_rate[key] = [acc[0] + 1, acc[1] + net, acc[2] + vat]

    def order(key: str) -> float:
        return float(key[:-1]) if key != "unknown" else float("inf")

    rows = [[k, v[0], v[1], v[2]] for k, v in sorted(by_rate.items(), key=lambda kv: order(kv[0]))]
    title = "VAT input by rate" + (f", {month}" if month else "")
    return Table(title, ["vat_rate", "invoices", "taxable_value", "vat"], rows, _sum_row(rows, 1))


def waiting_for_review(invoices: list[dict[str, Any]], today: date | None = None) -> Table:
    """Invoices a person still has to check (extracted with doubts, or failed), oldest first."""
    today = today or date.today()
    waiting = [inv for inv in invoices if inv["status"] in WAITING and (inv.get("needs_review") or inv["status"] == "failed")]
    waiting.sort(key=lambda inv: inv.get("created_hlc") or "")
    rows = []
    for inv in waiting:
        f = inv["fields"]
        age = None
        if f.get("invoice_date"):
            try:
                age = (today - date.fromisoformat(f["invoice_date"])).days
            except ValueError:
                pass
        rows.append([inv["id"], inv["status"], f.get("supplier_name") or "", f.get("invoice_number") or "",
                     f.get("invoice_date") or "", f.get("total"), ", ".join(inv.get("needs_review") or []), age])
    return Table("Waiting for review", ["id", "status", "supplier", "invoice_number", "invoice_date", "total",
                                        "reasons", "days_since_invoice"], rows)


def _sum_row(rows: list[list[Any]], first_numeric: int) -> list[Any] | None:
    if not rows:
        return None
    width = len(rows[0])
    return ["Total"] + [""] * (first_numeric - 1) + [sum(r[i] for r in rows) for i in range(first_numeric, width)]


# -- chart ------------------------------------------------------------------------------------


def _short(value: float) -> str:
    """Compact amount labels in the South Asian way: 1.2L (lakh), 3.4Cr (crore)."""
    for size, suffix in ((1e7, "Cr"), (1e5, "L"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}"
    return f"{value:g}"


def bar_chart_svg(labels: list[str], values: list[float | Decimal], title: str = "", *,
                  width: int = 640, bar_height: int = 22, colour: str = "#2f6f4f") -> str:
    """Horizontal bars, one per label, as a standalone inline <svg> (no JS, no CDN, prints as is).

    Each bar carries a <title> (hover/long-press shows the exact amount) and the SVG an
    aria-label, so screen readers get the same numbers.
    """
    numbers = [float(v or 0) for v in values]
    label_w, value_w, pad = min(220, width // 3), 70, 8
    top = 28 if title else pad
    height = top + len(labels) * (bar_height + 6) + pad
    peak = max([abs(n) for n in numbers] + [1.0])
    usable = width - label_w - value_w - 2 * pad
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" aria-label="{escape(title or "chart")}" '
             f'font-family="sans-serif" font-size="12">']
    if title:
        parts.append(f'<text x="{pad}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>')
    for i, (label, n) in enumerate(zip(labels, numbers, strict=True)):
        y = top + i * (bar_height + 6)
        length = max(1.0, usable * abs(n) / peak) if n else 0.0
        text = escape(str(label))
        shown = text if len(text) <= 32 else text[:31] + "…"
        parts.append(f'<text x="{label_w - 4}" y="{y + bar_height * 0.7:.1f}" text-anchor="end">{shown}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{colour}">'
                     f'<title>{text}: {n:,.2f}</title></rect>')
        parts.append(f'<text x="{label_w + length + 4:.1f}" y="{y + bar_height * 0.7:.1f}">{_short(n)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def chart_for(table: Table, value_column: str = "total", label_column: int = 0) -> str:
    """The bar chart of one column of a report table (e.g. spend per supplier)."""
    index = table.columns.index(value_column)
    return bar_chart_svg([str(r[label_column]) for r in table.rows], [r[index] for r in table.rows], table.title)
