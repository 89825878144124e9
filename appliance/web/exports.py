"""The Exports page: choose a month and a target, download the file (or push it to Tally).

A thin edge over appliance.exports.targets: that layer picks the month's approved invoices
not yet exported to the target, renders them and marks them exported in one guarded
journal transaction, so pressing the button twice, or two people exporting at once, never
exports an invoice twice. "Export again" repeats an earlier export on purpose. This module
never renders a file format itself and never writes the journal except through that layer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, flash, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from appliance.exports import source, targets
from appliance.queue.journal import Rejected
from appliance.web.auth import actor, require
from appliance.web.context import webbox

bp = Blueprint("exports", __name__)

# What the form offers: (choice, target, format inside the target, label).
CHOICES = (
    ("tally", "tally", None, _l("Tally Prime — XML purchase vouchers")),
    ("quickbooks-iif", "quickbooks", "iif", _l("QuickBooks Desktop — IIF")),
    ("quickbooks-csv", "quickbooks", "csv", _l("QuickBooks Online — bills CSV")),
    ("csv", "csv", None, _l("CSV (for a local ERP or a spreadsheet)")),
    ("json", "json", None, _l("JSON")),
    ("excel", "excel", None, _l("Excel workbook")),
    ("mushak-csv", "mushak", "csv", _l("Mushak purchase register (VAT input) — CSV")),
    ("mushak-xlsx", "mushak", "xlsx", _l("Mushak purchase register (VAT input) — Excel")),
)
BY_CHOICE = {c[0]: c for c in CHOICES}
MIME = {".xml": "application/xml", ".iif": "text/plain", ".csv": "text/csv", ".json": "application/json",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
TARGET_LABELS = {"tally": "Tally", "quickbooks": "QuickBooks", "csv": "CSV", "json": "JSON", "excel": "Excel",
                 "mushak": _l("Mushak register"), "webhook": _l("ERP webhook")}


def _suffix(target: str, kind: str | None) -> str:
    if kind in ("csv", "xlsx"):
        return "." + kind
    return targets.FILE_SUFFIX[target]


def _months() -> list[str]:
    """This month and the eleven before it, newest first (the form's choices)."""
    today = dt.date.today()
    year, month = today.year, today.month
    shown = []
    for _i in range(12):
        shown.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return shown


def _page(status: int = 200, **form: Any):
    box = webbox()
    months = _months()
    chosen_month = form.get("month") or months[0]
    if not source.MONTH.match(chosen_month):
        chosen_month = months[0]
    if chosen_month not in months:
        months.insert(0, chosen_month)
    rows = box.readmodel.invoices_in_month(chosen_month, ("approved", "exported"))
    waiting = {target: len(source.select(rows, chosen_month, target)) for _c, target, _k, _l in CHOICES}
    return render_template("exports.html", choices=CHOICES, months=months, month=chosen_month,
                           choice=form.get("choice") or "tally", again=bool(form.get("again")),
                           push=bool(form.get("push")), tally_url=box.settings.tally_url, waiting=waiting,
                           runs=box.readmodel.export_runs(), TARGET_LABELS=TARGET_LABELS,
                           result=form.get("result")), status


@bp.get("/exports")
@require("export")
def index():
    month = request.args.get("month")
    return _page(month=month if month and source.MONTH.match(month) else None)


@bp.post("/exports")
@require("export")
def run():
    box = webbox()
    form = {k: request.form.get(k, "") for k in ("month", "choice", "again", "push")}
    choice = BY_CHOICE.get(form["choice"])
    if choice is None:
        flash(_("Choose what to export to."), "error")
        return _page(400, **form)
    _key, target, kind, _label = choice
    month = form["month"]
    push = bool(form["push"]) and target == "tally"
    try:
        source.check_month(month)
        outcome = targets.export(
            box.journal, box.settings, target, month, None, again=bool(form["again"]), kind=kind, push=push,
            actor=actor(), rows=box.readmodel.invoices_in_month(month, ("approved", "exported")),
            language=str(get_locale() or "en")[:2])
    except (targets.ExportProblem, ValueError) as exc:
        flash(str(exc), "error")
        return _page(400, **form)
    except Rejected as exc:  # another export took some of these meanwhile: nothing was written
        flash(exc.message, "error")
        return _page(409, **form)
    finally:
        box.readmodel.catch_up()  # the export layer appended to the journal itself
    run_ = outcome.run
    if not run_.count:
        flash(_("Nothing new to export for %(month)s: every approved invoice of that month is already in "
                "%(target)s. Tick 'Export again' to repeat an earlier export on purpose.",
                month=month, target=TARGET_LABELS[target]), "info")
        return _page(200, **{**form, "again": ""})
    if push:
        failures = outcome.push_failures
        result = {"count": run_.count, "ok": run_.count - len(failures),
                  "problems": [r.problem or "; ".join(r.line_errors) or _("Tally reported errors.")
                               for r in failures.values()]}
        if failures:
            flash(_("%(n)s of %(count)s invoices were not accepted by Tally; see each invoice's history.",
                    n=len(failures), count=run_.count), "error")
        else:
            flash(_("%(count)s invoices pushed to Tally.", count=run_.count), "success")
        return _page(200, **{**form, "again": "", "result": result})
    suffix = _suffix(target, kind)
    name = f"hisab-{target}{'-' + kind if kind and target != 'mushak' else ''}-{month}{suffix}"
    response = Response(run_.data, mimetype=MIME.get(suffix, "application/octet-stream"))
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Hisab-Exported"] = str(run_.count)
    response.headers["X-Hisab-Export-Id"] = run_.export_id or ""
    response.headers["Cache-Control"] = "no-store"
    return response
