"""The JSON API under /api/v1, as DESIGN.md's "Interfaces" fixes it; it mirrors the UI.

Authenticated by a bearer token or a logged-in session (session writes need X-CSRFToken).
Errors are always ``{"error", "code"}`` JSON (appliance.web.errors). Writes answer only
after their event committed and the read model caught up.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext as _
from flask_login import login_required

from appliance import invoices
from appliance.web import health as health_report
from appliance.web import review, suppliers, uploads
from appliance.web.auth import actor, require
from appliance.web.context import webbox
from appliance.web.errors import ApiError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _json_body() -> Any:
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(415 if not request.is_json else 400, "bad_json",
                       _("Send a JSON body with Content-Type: application/json."))
    return body


def _with_version(invoice: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(review.as_json(invoice))
    response.status_code = status
    response.headers["ETag"] = f'"{invoice["version"]}"'
    return response


@bp.post("/invoices")
@require("upload")
def upload_invoice():
    file = request.files.get("file")
    if file is None:
        raise ApiError(400, "no_file", _("Send the invoice as a multipart form field named 'file'."))
    stored = uploads.receive(webbox(), file.read(), file.filename or "", actor(),
                             request.headers.get("Idempotency-Key"))
    response = jsonify({"id": stored.id, "status": stored.status})
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/invoices/{stored.id}"
    if stored.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/invoices")
@login_required
def list_invoices():
    status = request.args.get("status") or None
    if status and status not in invoices.STATUSES:
        raise ApiError(400, "bad_status", _("status must be one of: %(statuses)s.",
                                            statuses=", ".join(invoices.STATUSES)))
    page = request.args.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        raise ApiError(400, "bad_page", _("page must be a whole number from 1."))
    review_only = request.args.get("needs_review") in ("1", "true")
    rows, total = webbox().readmodel.list_invoices(status, request.args.get("q") or None, int(page), review_only)
    return jsonify({"invoices": [review.as_json(r) for r in rows], "total": total, "page": int(page),
                    "per_page": 50})


@bp.get("/invoices/<invoice_id>")
@login_required
def get_invoice(invoice_id: str):
    box = webbox()
    invoice = review.load(box, invoice_id)
    response = jsonify(review.as_json(invoice, box.readmodel.history(invoice_id)))
    response.headers["ETag"] = f'"{invoice["version"]}"'
    return response


@bp.get("/invoices/<invoice_id>/history")
@login_required
def invoice_history(invoice_id: str):
    box = webbox()
    review.load(box, invoice_id)
    return jsonify({"id": invoice_id, "history": box.readmodel.history(invoice_id)})


@bp.get("/invoices/<invoice_id>/image")
@login_required
def invoice_image(invoice_id: str):
    box = webbox()
    invoice = review.load(box, invoice_id)
    try:
        data = box.blobs.get(invoice["sha256"])
    except FileNotFoundError:
        raise ApiError(410, "original_missing",
                       _("The original file is no longer on the box (cleaned up after sync).")) from None
    response = Response(data, mimetype=invoice.get("content_type") or "application/octet-stream")
    response.headers["Content-Disposition"] = f'inline; filename="{_ascii_name(invoice.get("filename"))}"'
    response.headers["ETag"] = f'"{invoice["sha256"]}"'
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _ascii_name(name: str | None) -> str:
    cleaned = "".join(c for c in (name or "invoice") if c.isascii() and c.isprintable() and c not in '"\\')
    return cleaned or "invoice"


@bp.patch("/invoices/<invoice_id>")
@require("edit")
def edit_invoice(invoice_id: str):
    version = review.parse_version(request.headers.get("If-Match"))
    body = _json_body()
    if isinstance(body, dict) and set(body) == {"fields"} and isinstance(body["fields"], dict):
        body = body["fields"]
    if not isinstance(body, dict) or not body:
        raise ApiError(400, "bad_json", _("Send a JSON object of the fields to change, e.g. {\"total\": 1200}."))
    return _with_version(review.edit(webbox(), invoice_id, body, version, actor()))


def _optional_version() -> int | None:
    raw = request.headers.get("If-Match")
    return review.parse_version(raw) if raw else None


@bp.post("/invoices/<invoice_id>/approve")
@require("approve")
def approve_invoice(invoice_id: str):
    return _with_version(review.approve(webbox(), invoice_id, _optional_version(), actor()))


@bp.post("/invoices/<invoice_id>/suggestions/<field>/<decision>")
@require("edit")
def decide_suggestion(invoice_id: str, field: str, decision: str):
    if decision not in ("accept", "dismiss"):
        raise ApiError(404, "not_found", _("A suggestion can be accepted or dismissed."))
    invoice = review.decide_suggestion(webbox(), invoice_id, field, decision == "accept", _optional_version(),
                                       actor())
    return _with_version(invoice)


@bp.put("/invoices/<invoice_id>/draft")
@require("edit")
def put_draft(invoice_id: str):
    review.save_draft(webbox(), invoice_id, _json_body(), actor())
    return jsonify({"saved": True})


@bp.get("/invoices/<invoice_id>/draft")
@login_required
def get_draft(invoice_id: str):
    box = webbox()
    review.load(box, invoice_id)
    draft = box.readmodel.draft(invoice_id, actor())
    if draft is None:
        raise ApiError(404, "no_draft", _("There is no saved draft for this invoice."))
    return jsonify({"fields": draft})


@bp.get("/suppliers")
@login_required
def list_suppliers():
    return jsonify({"suppliers": webbox().readmodel.suppliers(request.args.get("q") or None)})


@bp.post("/suppliers")
@require("suppliers")
def add_supplier():
    body = _json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", _("Send a JSON object with name, bin, address and vat_rate."))
    try:
        supplier = suppliers.clean(body)
    except suppliers.RowError as exc:
        raise ApiError(400, "invalid_field", exc.message, field=exc.field) from None
    suppliers.store(webbox(), [supplier], actor())
    return jsonify(supplier), 201


@bp.post("/suppliers/import")
@require("suppliers")
def import_suppliers():
    file = request.files.get("file")
    raw = file.read() if file is not None else request.get_data()
    report = suppliers.import_csv(webbox(), raw, actor())
    return jsonify(report), 200


@bp.get("/health")
def health():
    report = health_report.snapshot(webbox())
    return jsonify(report), 200 if report["ok"] else 503
