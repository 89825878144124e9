"""The HTML pages people use: invoice list, upload, review (edit, approve, history), language.

Server-rendered Jinja, made lively with htmx: the list returns its results partial alone
to live search, the status card re-polls itself while the worker reads an invoice. Every
form also works without JavaScript. Reads come from the read model; writes go through
appliance.web.review / uploads, shared with the JSON API.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from appliance import invoices, storage
from appliance.ocr.document import DocumentError, render_page
from appliance.web import review, uploads
from appliance.web.auth import actor, require
from appliance.web.context import webbox
from appliance.web.errors import ApiError
from appliance.web.i18n import LANGUAGES

bp = Blueprint("pages", __name__)

# The review form, in the order a person reads a Bangladeshi VAT invoice.
FORM_FIELDS = ("supplier_name", "supplier_bin", "supplier_address", "invoice_number", "invoice_date",
               "due_date", "subtotal", "discount", "vat_rate", "vat_amount", "total", "currency",
               "buyer_name", "supplier_phone", "note")
FIELD_LABELS = {
    "supplier_name": _l("Supplier"), "supplier_bin": _l("Supplier BIN"), "supplier_address": _l("Supplier address"),
    "supplier_phone": _l("Supplier phone"), "buyer_name": _l("Buyer"), "invoice_number": _l("Invoice number"),
    "invoice_date": _l("Invoice date"), "due_date": _l("Due date"), "currency": _l("Currency"),
    "subtotal": _l("Subtotal"), "discount": _l("Discount"), "vat_rate": _l("VAT rate (%)"),
    "vat_amount": _l("VAT amount"), "total": _l("Total payable"), "line_items": _l("Line items"),
    "urgent": _l("Urgent"), "note": _l("Note"),
}
STATUS_LABELS = {
    "received": _l("Waiting"), "processing": _l("Reading"), "extracted": _l("To review"),
    "failed": _l("Unreadable"), "approved": _l("Approved"), "exported": _l("Exported"),
}
REASON_LABELS = {
    "missing": _l("Could not be read — please enter it."),
    "low_confidence": _l("The box is not sure of this — please check."),
    "inferred": _l("Calculated, not read from the paper — please check."),
    "ambiguous": _l("Could be read more than one way — please check."),
    "ambiguous_day_month": _l("Day and month could be swapped — please check."),
    "differs_from_master": _l("Differs from your supplier list."),
    "differs_from_supplier_usual": _l("Differs from this supplier's usual VAT rate."),
    "unknown": _l("This supplier is not in your supplier list yet."),
    "subtotal_plus_vat_ne_total": _l("Subtotal − discount + VAT does not equal the total."),
    "vat_ne_rate_times_base": _l("VAT amount does not equal rate × subtotal."),
    "line_items_ne_subtotal": _l("The lines do not add up to the subtotal."),
    "llm_disagrees": _l("The box's second reading picked another name — please check."),
    "differs_from_payable_line": _l("The paper prints another payable amount too — please check."),
    "payable_line_unread": _l("The payable amount on the paper could not be read — please check."),
    "implausible": _l("This date is too far in the past or future to be right — please check."),
    "differs_from_amounts": _l("The printed rate does not fit the amounts; the rate that fits is shown."),
}
# Reasons about the whole invoice, shown on the field they most concern.
REASON_FIELD = {"arithmetic": {"subtotal_plus_vat_ne_total": "total", "vat_ne_rate_times_base": "vat_amount",
                               "line_items_ne_subtotal": "subtotal"},
                "supplier": {"unknown": "supplier_name"}}
PAGE_DPI = 150


def _field_flags(invoice: dict[str, Any]) -> dict[str, list[str]]:
    flags: dict[str, list[str]] = {}
    for field, reasons in review.flagged(invoice).items():
        for why in reasons:
            target = REASON_FIELD.get(field, {}).get(why, field)
            if target in FIELD_LABELS:
                flags.setdefault(target, []).append(str(REASON_LABELS.get(why, why.replace("_", " "))))
    return flags


def _render_list(template: str):
    rm = webbox().readmodel
    status = request.args.get("status") or None
    status = status if status in invoices.STATUSES else None
    q = (request.args.get("q") or "").strip()
    review_only = request.args.get("review") == "1"
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    rows, total = rm.list_invoices(status, q or None, page, review_only)
    pages = max(1, -(-total // 50))
    # Labels resolved once per page, not once per row (lazy strings look up the catalogue each time).
    labels = {k: str(v) for k, v in STATUS_LABELS.items()}
    return render_template(template, rows=rows, total=total, page=page, pages=pages, status=status, q=q,
                           review_only=review_only, counts=rm.status_counts(), STATUS_LABELS=labels)


@bp.get("/")
@login_required
def index():
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return _render_list("_results.html")
    return _render_list("index.html")


@bp.get("/upload")
@require("upload")
def upload_form():
    return render_template("upload.html", results=None)


@bp.post("/upload")
@require("upload")
def upload():
    s = current_app.config
    request.max_content_length = s["HISAB_MAX_UPLOAD_MB"] * 1024 * 1024 * 10 + 1024 * 1024
    files = [f for f in request.files.getlist("file") if f and (f.filename or f.content_length)]
    if not files:
        flash(_("Choose at least one photo or PDF of an invoice."), "error")
        return render_template("upload.html", results=None), 400
    results = []
    for file in files:
        try:
            stored = uploads.receive(webbox(), file.read(), file.filename or "", actor())
            results.append({"filename": file.filename, "id": stored.id, "ok": True})
        except ApiError as exc:
            results.append({"filename": file.filename, "ok": False,
                            "error": uploads.message_for(exc.code, exc.message)})
    if len(results) == 1 and results[0]["ok"]:
        return redirect(url_for("pages.invoice", invoice_id=results[0]["id"]))
    status = 201 if any(r["ok"] for r in results) else 400
    return render_template("upload.html", results=results), status


def _review_context(invoice: dict[str, Any], form: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    box = webbox()
    values = {k: invoice["fields"].get(k) for k in (*FORM_FIELDS, "line_items")}
    if form:
        values.update({k: form.get(k) for k in (*FORM_FIELDS, "line_items") if k in form})
    draft = box.readmodel.draft(invoice["id"], actor()) if form is None else None
    suggestions = {s["field"]: s for s in invoice.get("suggestions") or []}
    return dict(invoice=invoice, values=values, flags=_field_flags(invoice), FORM_FIELDS=FORM_FIELDS,
                FIELD_LABELS=FIELD_LABELS, STATUS_LABELS=STATUS_LABELS, suggestions=suggestions,
                history=_history(box.readmodel.history(invoice["id"])), draft=draft,
                pending=invoice["status"] in review.PENDING, manual=review.manual_entry(invoice),
                original=bool(invoice.get("sha256")) and box.blobs.exists(invoice["sha256"]), **extra)


def _history(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    titles = {
        "invoice.received": _l("Uploaded"), "invoice.processing": _l("Reading started"),
        "invoice.extracted": _l("Read by the box"), "invoice.failed": _l("Could not be read"),
        "invoice.edited": _l("Edited"), "invoice.approved": _l("Approved"), "invoice.exported": _l("Exported"),
        "invoice.suggested": _l("Suggestion from the hub"), "invoice.suggestion_decided": _l("Suggestion decided"),
    }
    shown = []
    decided, typed = False, set()  # as invoices.apply sees it: a suggestion never reaches these
    for e in events:
        p = e["payload"]
        changes: list[tuple[str, Any]] = []
        if e["type"] in ("invoice.approved", "invoice.exported"):
            decided = True
        elif e["type"] == "invoice.edited":
            decided = False
            typed |= set(p.get("fields") or {})
        elif e["type"] == "invoice.suggestion_decided":
            typed.add(p.get("field"))
        if e["type"] == "invoice.suggested" and (decided or p.get("field") in typed):
            why = _("not offered: already approved") if decided else _("not offered: a person already decided it")
            changes = [(str(FIELD_LABELS.get(p.get("field"), p.get("field"))), f"{p.get('value')} ({why})")]
        elif e["type"] == "invoice.edited":
            changes = [(str(FIELD_LABELS.get(k, k)), v) for k, v in (p.get("fields") or {}).items()]
        elif e["type"] == "invoice.received":
            changes = [(_("File"), p.get("filename"))]
        elif e["type"] == "invoice.failed":
            changes = [(_("Reason"), p.get("error"))]
        elif e["type"] in ("invoice.suggested", "invoice.suggestion_decided"):
            verdict = "" if "accepted" not in p else (_("accepted") if p["accepted"] else _("dismissed"))
            changes = [(str(FIELD_LABELS.get(p.get("field"), p.get("field"))), f"{p.get('value')} {verdict}".strip())]
        elif e["type"] == "invoice.exported":
            changes = [(_("Target"), p.get("target"))]
        shown.append({"title": titles.get(e["type"], e["type"]), "actor": e["actor"], "hlc": e["hlc"],
                      "changes": changes, "type": e["type"]})
    return list(reversed(shown))


@bp.get("/invoices/<invoice_id>")
@login_required
def invoice(invoice_id: str):
    return render_template("review.html", **_review_context(review.load(webbox(), invoice_id)))


@bp.get("/invoices/<invoice_id>/status")
@login_required
def invoice_status(invoice_id: str):
    inv = review.load(webbox(), invoice_id)
    response = Response(render_template("_status_card.html", invoice=inv, STATUS_LABELS=STATUS_LABELS,
                                        pending=inv["status"] in review.PENDING))
    if request.headers.get("HX-Request") and inv["status"] not in review.PENDING:
        response.headers["HX-Refresh"] = "true"  # the fields are ready: show the whole review form
    return response


@bp.post("/invoices/<invoice_id>")
@require("edit")
def save_invoice(invoice_id: str):
    box = webbox()
    current = review.load(box, invoice_id)
    form = review.typed(request.form, FORM_FIELDS)
    wants_approval = request.form.get("action") == "approve"
    try:
        version = review.parse_version(request.form.get("version"))
        saved = review.edit_typed(box, invoice_id, form, version, actor())
        if wants_approval:
            if not current_user.can("approve"):
                raise ApiError(403, "forbidden", _("Your role may not approve invoices. Your changes were saved."))
            saved = review.approve(box, invoice_id, saved["version"], actor())
            flash(_("Invoice approved."), "success")
        else:
            flash(_("Changes saved."), "success")
    except ApiError as exc:
        latest = review.load(box, invoice_id)
        if exc.code == "stale_version":
            message = _("Someone changed this invoice while you were editing. Your typing is kept below; "
                        "reload to see their version, then make your change again.")
        else:
            message = exc.message
        context = _review_context(latest if exc.code != "stale_version" else current, form=form,
                                  error=message, bad_field=exc.details.get("field"),
                                  field_errors=exc.details.get("errors") or {},
                                  stale=exc.code == "stale_version")
        if exc.code == "stale_version":
            context["invoice"] = {**current, "version": int(request.form.get("version") or 0)}
        return render_template("review.html", **context), exc.status
    return redirect(url_for("pages.invoice", invoice_id=invoice_id))


@bp.post("/invoices/<invoice_id>/suggestions/<field>/<decision>")
@require("edit")
def decide_suggestion(invoice_id: str, field: str, decision: str):
    if decision not in ("accept", "dismiss"):
        abort(404)
    version = request.form.get("version")
    review.decide_suggestion(webbox(), invoice_id, field, decision == "accept",
                             int(version) if version and version.isdigit() else None, actor())
    return redirect(url_for("pages.invoice", invoice_id=invoice_id))


@bp.get("/invoices/<invoice_id>/page/<int:page>.png")
@login_required
def invoice_page(invoice_id: str, page: int):
    """One page of the original, rendered locally (PDFs) and cached on disk by content hash."""
    box = webbox()
    inv = review.load(box, invoice_id)
    if page < 1 or page > int(inv.get("pages") or 1):
        abort(404)
    if not box.blobs.exists(inv["sha256"]):  # original removed after sync: show the thumbnail kept
        thumb = storage.thumb_path(box.settings, inv["sha256"])
        if page != 1 or not thumb.is_file():
            abort(404)
        return Response(thumb.read_bytes(), mimetype="image/jpeg")
    cache = box.settings.data_dir / "cache" / "pages" / f"{inv['sha256']}-{page}-{PAGE_DPI}.png"
    if not cache.is_file():
        try:
            image = render_page(box.blobs.get(inv["sha256"]), page - 1, PAGE_DPI, uploads.limits_for(box))
        except FileNotFoundError:
            abort(404)
        except DocumentError as exc:
            raise ApiError(422, exc.code, exc.message) from None
        image.thumbnail((1800, 2600))
        buffer = io.BytesIO()
        image.save(buffer, "PNG", optimize=True)
        _write_cache(cache, buffer.getvalue())
    response = Response(cache.read_bytes(), mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


def _write_cache(path: Path, data: bytes) -> None:
    # A cache, not a record: no fsync; a torn file is replaced because the rename is atomic.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@bp.post("/language")
def language():
    chosen = request.form.get("language", "")
    if chosen not in LANGUAGES:
        abort(400)
    session["language"] = chosen
    if current_user.is_authenticated and current_user.language != chosen:
        webbox().append("user.updated", {"name": current_user.name, "language": chosen}, actor=actor())
    target = request.form.get("next") or url_for("pages.index")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("pages.index"))


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": "Hisab", "short_name": "Hisab", "start_url": "/", "scope": "/", "display": "standalone",
        "background_color": "#f5f6f8", "theme_color": "#0f5132",
        "description": _("Read, check and approve the shop's invoices."),
        "icons": [{"src": url_for("static", filename="icon-192.png"), "sizes": "192x192", "type": "image/png"},
                  {"src": url_for("static", filename="icon-512.png"), "sizes": "512x512", "type": "image/png"}],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")


@bp.get("/sw.js")
def service_worker():
    response = current_app.send_static_file("sw.js")
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.app_template_filter("field_value")
def field_value(value: Any, field: str | None = None) -> str:
    """A stored value as the review form shows it, so saving it unchanged changes nothing."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and field in invoices.AMOUNT_FIELDS \
            and field != "vat_rate":
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:.2f}" if value != int(value) else f"{int(value)}"
    return str(value)
