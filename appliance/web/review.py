"""What a person does to one invoice — edit, approve, decide a suggestion, keep a draft.

Shared by the JSON API and the review page so both obey the same rules. Each action is
one journal append guarded by the version the person looked at (a stale version is
refused with 409 inside the journal's write transaction), then the read model catches up.

The review form types text, not JSON: ``typed`` collects it (line items included) exactly
as typed, so a refused form comes back intact, and ``edit_typed`` reads it as a person
writes an invoice (dates day first, "15%", an amount left empty on a line = qty × price),
reports every bad field at once, then hands over to ``edit`` — the API's one write path.
Never parses numbers or dates itself: appliance.ocr.normalise and fields do that.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import zip_longest
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from appliance import invoices
from appliance.ocr.normalise import parse_amount, parse_date
from appliance.queue.journal import Rejected
from appliance.web import fields
from appliance.web.context import WebBox
from appliance.web.errors import ApiError

LOW_CONFIDENCE = 0.8
PENDING = (invoices.RECEIVED, invoices.PROCESSING)
MAX_DRAFT_BYTES = 64 * 1024
LINE_COLUMNS = ("description", "quantity", "unit_price", "amount")
NUMBER_FIELDS = (*invoices.AMOUNT_FIELDS, "quantity", "unit_price", "amount")
UNREADABLE = "document:handwritten_or_unreadable"


def load(box: WebBox, invoice_id: str) -> dict[str, Any]:
    invoice = box.readmodel.invoice(invoice_id)
    if invoice is None:
        box.readmodel.catch_up()
        invoice = box.readmodel.invoice(invoice_id)
    if invoice is None:
        raise ApiError(404, "not_found", _("There is no invoice %(id)s on this box.", id=invoice_id[:40]))
    return invoice


def as_json(invoice: dict[str, Any], history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The API's view of an invoice (DESIGN.md, Interfaces)."""
    body = {
        "id": invoice["id"], "status": invoice["status"], "version": invoice["version"],
        "fields": invoice["fields"], "needs_review": invoice["needs_review"],
        "suggestions": invoice["suggestions"], "confidence": invoice.get("confidence") or {},
        "duplicate_of": invoice.get("duplicate_of"), "error": invoice.get("error"),
        "filename": invoice.get("filename"), "content_type": invoice.get("content_type"),
        "pages": invoice.get("pages", 1), "sha256": invoice.get("sha256"),
        "created_by": invoice.get("created_by"), "exported_to": invoice.get("exported_to", []),
    }
    if history is not None:
        body["history"] = history
    return body


def flagged(invoice: dict[str, Any]) -> dict[str, list[str]]:
    """Field name → reasons a person should look at it (needs_review, or low confidence)."""
    reasons: dict[str, list[str]] = {}
    for reason in invoice.get("needs_review") or []:
        field, _sep, why = reason.partition(":")
        reasons.setdefault(field, []).append(why or reason)
    if invoice["status"] in PENDING or invoice["status"] in (invoices.FAILED, invoices.APPROVED, invoices.EXPORTED):
        return reasons  # low confidence matters only while a person has not yet checked it
    for field, confidence in (invoice.get("confidence") or {}).items():
        if isinstance(confidence, (int, float)) and confidence < LOW_CONFIDENCE and field not in reasons:
            reasons.setdefault(field, []).append("low_confidence")
    return reasons


def parse_version(raw: str | None) -> int:
    """The bare version number of an If-Match header (tolerating quotes and W/)."""
    if raw is None or not raw.strip():
        raise ApiError(428, "version_required",
                       _("Send the version you edited as 'If-Match: <version>' (the number from GET)."))
    text = raw.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ApiError(400, "bad_version", _("If-Match must be the bare version number from GET, e.g. 3."))
    return int(text)


def _rejected(exc: Rejected) -> ApiError:
    status = {"stale_version": 409, "not_found": 404}.get(exc.code, 409)
    return ApiError(status, exc.code, exc.message)


def _guarded_append(box: WebBox, type_: str, payload: dict[str, Any], invoice_id: str, version: int,
                    actor: str) -> None:
    try:
        box.append(type_, payload, invoice_id=invoice_id, actor=actor,
                   guard=invoices.expect_version(invoice_id, version))
    except Rejected as exc:
        box.readmodel.catch_up()
        raise _rejected(exc) from None


def _check_version(invoice: dict[str, Any], version: int) -> None:
    if invoice["version"] != version:
        raise ApiError(409, "stale_version",
                       _("Someone changed this invoice meanwhile (now version %(now)s, you had %(had)s). "
                         "Reload it and make your change again.", now=invoice["version"], had=version))


def edit(box: WebBox, invoice_id: str, submitted: dict[str, Any], version: int, actor: str) -> dict[str, Any]:
    """Apply a person's changed fields; returns the invoice after the edit."""
    invoice = load(box, invoice_id)
    if invoice["status"] == invoices.EXPORTED:
        raise ApiError(409, "already_exported", _("This invoice was already exported; it can no longer be changed."))
    try:
        changed = fields.changes(invoice["fields"], submitted)
    except fields.FieldError as exc:
        raise ApiError(400, "invalid_field", exc.message, field=exc.field) from None
    if not changed:
        _check_version(invoice, version)
        return invoice
    _guarded_append(box, "invoice.edited", {"fields": changed}, invoice_id, version, actor)
    return load(box, invoice_id)


def approve(box: WebBox, invoice_id: str, version: int | None, actor: str) -> dict[str, Any]:
    invoice = load(box, invoice_id)
    if invoice["status"] == invoices.APPROVED and version in (None, invoice["version"]):
        return invoice
    if invoice["status"] != invoices.EXTRACTED:
        raise ApiError(409, "not_ready", {
            invoices.RECEIVED: _("The box has not read this invoice yet. Wait until it is extracted."),
            invoices.PROCESSING: _("The box is still reading this invoice. Wait until it is extracted."),
            invoices.FAILED: _("This invoice could not be read. Enter its fields by hand and save, then approve."),
            invoices.EXPORTED: _("This invoice was already exported."),
        }.get(invoice["status"], _("This invoice cannot be approved now.")))
    _guarded_append(box, "invoice.approved", {}, invoice_id,
                    invoice["version"] if version is None else version, actor)
    return load(box, invoice_id)


def decide_suggestion(box: WebBox, invoice_id: str, field: str, accepted: bool, version: int | None,
                      actor: str) -> dict[str, Any]:
    invoice = load(box, invoice_id)
    suggestion = next((s for s in invoice["suggestions"] if s["field"] == field), None)
    if suggestion is None:
        raise ApiError(404, "no_suggestion", _("There is no open suggestion for %(field)s.", field=field))
    payload = {"field": field, "value": suggestion["value"], "accepted": accepted,
               "source": suggestion.get("source", "hub")}
    _guarded_append(box, "invoice.suggestion_decided", payload, invoice_id,
                    invoice["version"] if version is None else version, actor)
    return load(box, invoice_id)


def save_draft(box: WebBox, invoice_id: str, draft: Any, actor: str) -> None:
    load(box, invoice_id)
    if isinstance(draft, dict) and isinstance(draft.get("fields"), dict):
        draft = draft["fields"]
    if not isinstance(draft, dict):
        raise ApiError(400, "bad_draft", _("A draft is a JSON object of field names to what was typed."))
    kept = {k: v for k, v in draft.items() if k in invoices.EDITABLE}
    if len(json.dumps(kept)) > MAX_DRAFT_BYTES:
        raise ApiError(413, "draft_too_large", _("This draft is too large to keep."))
    if box.readmodel.draft(invoice_id, actor) == kept:
        return
    box.append("draft.saved", {"fields": kept}, invoice_id=invoice_id, actor=actor)


# -- the review form ----------------------------------------------------------------------


def manual_entry(invoice: dict[str, Any]) -> bool:
    """Should the form open empty, for typing the invoice from the photo beside it?

    Yes when the box could not read it at all, or read it as handwritten and nobody has typed
    into it yet: what OCR guessed there is noise a person would otherwise have to delete.
    """
    if invoice["status"] == invoices.FAILED:
        return True
    return (invoice["status"] == invoices.EXTRACTED and UNREADABLE in (invoice.get("needs_review") or [])
            and not invoice.get("edited"))


def typed(form: MultiDict, names: Iterable[str]) -> dict[str, Any]:
    """What a person typed into the review form, kept as typed text (blank line rows dropped).

    Line items count only when the form showed them (``lines_shown``), so a client that never
    sends rows cannot wipe them; each row is the n-th value of line_description, line_quantity…
    """
    values: dict[str, Any] = {k: form.get(k, "") for k in names if k in form}
    if "urgent" in form or "urgent_shown" in form:
        values["urgent"] = form.get("urgent", "")
    if "lines_shown" in form:
        columns = [form.getlist(f"line_{c}") for c in LINE_COLUMNS]
        rows = [dict(zip(LINE_COLUMNS, cells, strict=True)) for cells in zip_longest(*columns, fillvalue="")]
        values["line_items"] = [r for r in rows if any(str(v).strip() for v in r.values())]
    return values


def _form_message(field: str, raw: Any, exc: fields.FieldError) -> str:
    """The error shown under one box of the form: it sits beside its label, so it names no field."""
    if field in fields.DATE_FIELDS:
        return _("Type the date as written on the invoice, day first: 12/03/2024 or ১২/০৩/২০২৪.")
    if field in NUMBER_FIELDS:
        if isinstance(raw, str) and parse_amount(raw.replace("%", "")) is None:
            return _("Type a number, e.g. 1,41,602.00 or ১,৪১,৬০২.০০.")
        if field == "vat_rate":
            return exc.message  # "a percentage between 0 and 100": names nothing else
        return _("This number is too large to be an amount on an invoice.")
    if isinstance(raw, str) and len(raw.strip()) > fields.MAX_TEXT:
        return _("Too long: at most %(n)s characters.", n=fields.MAX_TEXT)
    return exc.message


def _as_written(field: str, raw: Any) -> Any:
    """A typed value as fields.clean takes it: dates day first in any common form, "15%" as 15."""
    if not isinstance(raw, str) or not raw.strip():
        return raw
    if field in fields.DATE_FIELDS:
        return parse_date(raw) or raw
    if field == "vat_rate":
        return raw.replace("%", "")  # "15%" or "১৫ %": the rate; "1515%" stays out of range
    return raw


def _typed_lines(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Line rows as stored (amount not yet filled in), and the error of each bad cell by its key."""
    lines, errors = [], {}
    if len(rows) > fields.MAX_LINES:
        return [], {"line_items": _("At most %(n)s lines on one invoice.", n=fields.MAX_LINES)}
    for n, row in enumerate(rows):
        line: dict[str, Any] = {}
        for column in LINE_COLUMNS:
            raw = row.get(column)
            try:
                line[column] = (fields.text(column, raw) if column == "description"
                                else fields.amount(column, raw))
            except fields.FieldError as exc:
                errors[f"line_items.{n}.{column}"] = _form_message(column, raw, exc)
        lines.append(line)
    return lines, errors


def _stored_lines(invoice: dict[str, Any]) -> list[dict[str, Any]] | None:
    try:
        return fields.line_items("line_items", invoice["fields"].get("line_items") or [])
    except fields.FieldError:
        return None  # something odd was stored: any typed rows replace it


def edit_typed(box: WebBox, invoice_id: str, values: dict[str, Any], version: int, actor: str) -> dict[str, Any]:
    """``edit`` for what the review form sent (see ``typed``); every bad field is reported at once.

    Raises ApiError 400 ``invalid_field`` whose ``errors`` maps each field (a line's cell as
    ``line_items.<n>.<column>``) to what to do; nothing is stored then.
    """
    invoice = load(box, invoice_id)
    submitted: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, raw in values.items():
        if field == "line_items":
            continue
        try:
            submitted[field] = fields.clean(field, _as_written(field, raw))
        except fields.FieldError as exc:
            errors[field] = _form_message(field, raw, exc)
    if "line_items" in values:
        lines, line_errors = _typed_lines(values["line_items"])
        errors.update(line_errors)
        # Rows saved back as they were shown change nothing, even where an amount is missing.
        if not line_errors and lines != _stored_lines(invoice):
            for line in lines:
                if line["amount"] is None and line["quantity"] is not None and line["unit_price"] is not None:
                    line["amount"] = round(line["quantity"] * line["unit_price"], 2)
            submitted["line_items"] = lines
    if errors:
        first = next(iter(errors))
        raise ApiError(400, "invalid_field",
                       _("Some boxes need fixing (marked in red). Nothing was saved, and everything you typed "
                         "is still here."), field=first, errors=errors)
    return edit(box, invoice_id, submitted, version, actor)
