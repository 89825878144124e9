"""Reports: pure tables over invoice dicts, and an inline SVG chart with nothing to fetch."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

from appliance import invoices, reports
from appliance.queue.journal import Event

_seq = iter(range(1, 10**6))


def invoice(invoice_id: str, status: str = "approved", *, date_: str = "2026-11-05", supplier: str = "Rahim",
            bin_: str | None = "001234567", net: float = 1000, rate: float = 15, needs_review=()) -> dict:
    """An invoice built with the real event fold, so reports see what the read model holds."""

    def event(type_: str, payload: dict) -> Event:
        n = next(_seq)
        return Event(n, f"e{n}", f"{n:020d}", type_, invoice_id, "t", payload)

    vat = round(net * rate / 100, 2)
    inv = invoices.apply(None, event("invoice.received", {"sha256": "x"}))
    inv = invoices.apply(inv, event("invoice.extracted", {"result": {
        "supplier_name": supplier, "supplier_bin": bin_, "invoice_date": date_, "invoice_number": invoice_id,
        "subtotal": net, "vat_rate": rate, "vat_amount": vat, "total": net + vat,
        "needs_review": list(needs_review)}}))
    if status in ("approved", "exported"):
        inv = invoices.apply(inv, event("invoice.approved", {}))
    if status == "exported":
        inv = invoices.apply(inv, event("invoice.exported", {"target": "tally"}))
    if status == "failed":
        inv = {**inv, "status": "failed", "needs_review": ["document:unreadable"]}
    return inv


SAMPLE = [
    invoice("n1", net=1000), invoice("n2", "exported", supplier="Karim", bin_="009876543", net=3000, rate=7.5),
    invoice("n3", supplier="Rahim", net=500, rate=0, date_="2026-11-20"),
    invoice("o1", date_="2026-10-01", net=200),
    invoice("w1", "extracted", needs_review=["total:low_confidence"], date_="2026-11-25"),
    invoice("w2", "failed"), invoice("clean", "extracted"),
]


def test_monthly_purchases_counts_approved_and_exported_only():
    table = reports.monthly_purchases(SAMPLE)
    assert table.columns == ["month", "invoices", "net", "vat", "total"]
    assert table.rows == [["2026-10", 1, Decimal("200.00"), Decimal("30.00"), Decimal("230.00")],
                          ["2026-11", 3, Decimal("4500.00"), Decimal("375.00"), Decimal("4875.00")]]
    assert table.totals == ["Total", 4, Decimal("4700.00"), Decimal("405.00"), Decimal("5105.00")]


def test_spend_by_supplier_groups_by_bin_largest_first():
    table = reports.spend_by_supplier(SAMPLE, "2026-11")
    assert [(r[0], r[2], r[5]) for r in table.rows] == [("Karim", 1, Decimal("3225.00")),
                                                         ("Rahim", 2, Decimal("1650.00"))]
    assert reports.spend_by_supplier(SAMPLE, "2026-11", top=1).totals[-1] == Decimal("4875.00")  # total of all


def test_vat_input_by_rate_for_the_month():
    table = reports.vat_input_by_rate(SAMPLE, "2026-11")
    assert [r[0] for r in table.rows] == ["0%", "7.5%", "15%"]
    assert table.totals[-1] == Decimal("375.00")


def test_waiting_for_review_lists_doubts_and_failures_not_clean_ones():
    table = reports.waiting_for_review(SAMPLE, today=date(2026, 11, 30))
    assert [r[0] for r in table.rows] == ["w1", "w2"]
    assert table.rows[0][6] == "total:low_confidence" and table.rows[0][7] == 5


def test_bar_chart_is_self_contained_svg_with_escaped_labels():
    svg = reports.bar_chart_svg(["Rahim & Sons", "করিম <Ltd>"], [Decimal("150000"), 5], "Spend <Nov>")
    root = ET.fromstring(svg)  # well-formed: labels escaped
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and len(root.findall(f"{ns}rect")) == 2
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    widths = [float(r.get("width")) for r in root.findall(f"{ns}rect")]
    assert widths[0] > widths[1] > 0
    assert "1.5L" in svg and "করিম &lt;Ltd&gt;" in svg


def test_report_table_exports_as_csv_and_json():
    table = reports.vat_input_by_rate(SAMPLE, "2026-11")
    assert table.as_csv().splitlines()[0] == "vat_rate,invoices,taxable_value,vat"
    assert table.as_dict()["totals"][-1] == 375.0
    assert reports.chart_for(table, "vat").startswith("<svg")
