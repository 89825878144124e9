"""The Reports page: monthly purchases, spend by supplier, VAT input by rate, waiting for review.

Tables and bar charts come from appliance.reports (pure functions; the charts are inline
SVG, so they print and work with the box offline). This module only picks the invoices
from the read model, labels the columns in the reader's language and offers each table
as CSV. It never writes anything.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from markupsafe import Markup

from appliance import reports
from appliance.web.context import webbox
from appliance.web.i18n import digits
from appliance.web.pages import FIELD_LABELS, REASON_LABELS, STATUS_LABELS

bp = Blueprint("reports", __name__)

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
YEAR = re.compile(r"^\d{4}$")
REPORTS = ("monthly", "suppliers", "vat", "waiting")
TITLES = {"monthly": _l("Monthly purchases"), "suppliers": _l("Spend by supplier"),
          "vat": _l("VAT input by rate"), "waiting": _l("Waiting for review")}
COLUMNS = {
    "month": _l("Month"), "invoices": _l("Invoices"), "net": _l("Net"), "vat": _l("VAT"), "total": _l("Total"),
    "supplier": _l("Supplier"), "bin": _l("BIN"), "vat_rate": _l("VAT rate"), "taxable_value": _l("Taxable value"),
    "id": _l("Invoice"), "status": _l("Status"), "invoice_number": _l("Invoice number"),
    "invoice_date": _l("Invoice date"), "reasons": _l("Why"), "days_since_invoice": _l("Days since invoice"),
}
CHART_COLUMN = {"monthly": "total", "suppliers": "total", "vat": "vat"}
TOP_SUPPLIERS = 15
WAITING_SHOWN = 100


def _period() -> tuple[str, str]:
    """(year, month) from the query, defaulting to this month."""
    today = dt.date.today()
    month = request.args.get("month") or f"{today.year:04d}-{today.month:02d}"
    if not MONTH.match(month):
        month = f"{today.year:04d}-{today.month:02d}"
    year = request.args.get("year") or month[:4]
    return (year if YEAR.match(year) else month[:4]), month


def build(name: str, year: str, month: str) -> reports.Table:
    rm = webbox().readmodel
    if name == "monthly":
        return reports.monthly_purchases(rm.all_invoices(reports.PURCHASED, year, slim=True), year)
    if name == "suppliers":
        return reports.spend_by_supplier(rm.all_invoices(reports.PURCHASED, month, slim=True), month, TOP_SUPPLIERS)
    if name == "vat":
        return reports.vat_input_by_rate(rm.all_invoices(reports.PURCHASED, month, slim=True), month)
    if name == "waiting":
        return reports.waiting_for_review(rm.all_invoices(reports.WAITING, slim=True))
    abort(404)


def _chart(name: str, table: reports.Table) -> Markup | None:
    column = CHART_COLUMN.get(name)
    if column is None or not table.rows:
        return None
    index = table.columns.index(column)
    svg = reports.bar_chart_svg([str(r[0]) for r in table.rows], [r[index] for r in table.rows],
                                f"{TITLES[name]} — {COLUMNS[column]}")
    # Bengali digits in the chart's text only (never in its coordinates).
    svg = re.sub(r">([^<]+)<", lambda m: ">" + digits(m.group(1)) + "<", svg)
    return Markup(svg)  # noqa: S704 — appliance.reports escapes every label and title itself


def _readable_reasons(row: list[Any], columns: list[str]) -> list[Any]:
    index = columns.index("reasons")
    said = []
    for code in filter(None, (row[index] or "").split(", ")):
        field, _sep, why = code.partition(":")
        said.append(f"{FIELD_LABELS.get(field, field)}: {REASON_LABELS.get(why, why.replace('_', ' '))}")
    return [*row[:index], "; ".join(said), *row[index + 1:]]


@bp.get("/reports")
@login_required
def index():
    year, month = _period()
    shown = []
    for name in REPORTS:
        table = build(name, year, month)
        more = 0
        if name == "waiting":  # the oldest first, reasons as the review form says them (the CSV keeps all, as codes)
            more = max(0, len(table.rows) - WAITING_SHOWN)
            table = reports.Table(table.title, table.columns,
                                  [_readable_reasons(row, table.columns) for row in table.rows[:WAITING_SHOWN]])
        shown.append({"name": name, "title": TITLES[name], "table": table, "chart": _chart(name, table),
                      "labels": [COLUMNS.get(c, c) for c in table.columns], "more": more})
    return render_template("reports.html", reports=shown, year=year, month=month, STATUS_LABELS=STATUS_LABELS)


@bp.get("/reports/<name>.csv")
@login_required
def download(name: str):
    if name not in REPORTS:
        abort(404)
    year, month = _period()
    table = build(name, year, month)
    period = year if name == "monthly" else ("" if name == "waiting" else month)
    filename = f"hisab-{name}{'-' + period if period else ''}.csv"
    response = Response("\ufeff" + table.as_csv(), mimetype="text/csv; charset=utf-8")  # BOM: Excel reads UTF-8
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def money_or_text(value: Any) -> bool:
    return isinstance(value, (Decimal, float)) and not isinstance(value, bool)


bp.add_app_template_test(money_or_text, "amount")
