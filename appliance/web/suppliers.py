"""The supplier list (name, BIN, address, usual VAT rate): checking rows, CSV import, pages.

Suppliers are ``supplier.upserted`` events; the worker reads them from the journal to
validate extractions. A CSV import stores every good row in one transaction and reports
each bad row by its line number, so a person can fix the file and import it again
(importing the same row twice changes nothing: suppliers are keyed by BIN, else name).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from appliance.web import fields
from appliance.web.auth import actor, require
from appliance.web.context import WebBox, webbox
from appliance.web.errors import ApiError

bp = Blueprint("suppliers", __name__)
COLUMNS = ("name", "bin", "address", "vat_rate")
MAX_IMPORT_BYTES = 5 * 1024 * 1024


class RowError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = str(message)


def clean(row: dict[str, Any]) -> dict[str, Any]:
    """A supplier as stored, or RowError naming the bad column."""
    name = row.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RowError("name", _("Every supplier needs a name."))
    if len(name.strip()) > 200:
        raise RowError("name", _("A supplier name is at most 200 characters."))
    try:
        bin_ = fields.bin_("bin", row.get("bin"))
        vat_rate = fields.amount("vat_rate", row.get("vat_rate"))
        address = fields.text("address", row.get("address"))
    except fields.FieldError as exc:
        raise RowError(exc.field, exc.message) from None
    return {"name": name.strip(), "bin": bin_, "address": address, "vat_rate": vat_rate}


def store(box: WebBox, rows: list[dict[str, Any]], actor_name: str) -> None:
    if rows:
        box.append_many([("supplier.upserted", row, None, actor_name, None, None) for row in rows])


def import_csv(box: WebBox, raw: bytes, actor_name: str) -> dict[str, Any]:
    """Store the good rows of a CSV file; report the bad ones by line number."""
    if not raw:
        raise ApiError(400, "empty", _("The CSV file is empty. Export it again with a header line "
                                       "name,bin,address,vat_rate."))
    if len(raw) > MAX_IMPORT_BYTES:
        raise ApiError(413, "too_large", _("The CSV file is larger than 5 MB. Split it into smaller files."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "not_utf8", _("Save the CSV file as UTF-8 (in Excel: 'CSV UTF-8') and import it "
                                          "again.")) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "name" not in header:
        raise ApiError(400, "bad_header", _("The first line must name the columns: name,bin,address,vat_rate."))
    reader.fieldnames = header
    good, errors = [], []
    for row in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
        if not any(values.values()):
            continue
        try:
            good.append(clean(values))
        except RowError as exc:
            errors.append({"line": line, "field": exc.field, "error": exc.message})
    store(box, good, actor_name)
    return {"stored": len(good), "errors": errors}


@bp.get("/suppliers")
@login_required
def index():
    q = request.args.get("q") or None
    return render_template("suppliers.html", suppliers=webbox().readmodel.suppliers(q), q=q or "",
                           report=None, form={})


@bp.post("/suppliers")
@require("suppliers")
def add():
    form = {k: request.form.get(k, "") for k in COLUMNS}
    try:
        supplier = clean(form)
    except RowError as exc:
        flash(exc.message, "error")
        return render_template("suppliers.html", suppliers=webbox().readmodel.suppliers(), q="", report=None,
                               form=form, bad_field=exc.field), 400
    store(webbox(), [supplier], actor())
    flash(_("Supplier %(name)s saved.", name=supplier["name"]), "success")
    return redirect(url_for("suppliers.index"))


@bp.post("/suppliers/import")
@require("suppliers")
def import_file():
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("Choose a CSV file to import."), "error")
        return redirect(url_for("suppliers.index"))
    report = import_csv(webbox(), file.read(), actor())
    return render_template("suppliers.html", suppliers=webbox().readmodel.suppliers(), q="", report=report, form={})
