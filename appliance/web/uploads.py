"""Receiving an invoice file: check it, store the bytes, then record the event — in that order.

Shared by the JSON API and the upload page. A file is inspected completely (magic bytes,
extension, size, pixel and page limits, full decode) before anything is written, so bad
input stores nothing. The answer is given only after the blob is fsynced and the
``invoice.received`` event committed. An ``Idempotency-Key`` makes a retried upload return
the invoice the first attempt created.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass

from flask_babel import gettext as _

from appliance.ocr.document import DocumentError, Limits, inspect
from appliance.web.context import WebBox
from appliance.web.errors import ApiError

log = logging.getLogger(__name__)

# HTTP status for each refusal code of appliance.ocr.document.inspect.
STATUS_FOR = {
    "empty": 400,
    "too_large": 413,
    "not_a_document": 415,
    "extension_mismatch": 415,
    "corrupt": 422,
    "too_many_pixels": 422,
    "too_many_pages": 422,
    "encrypted": 422,
}


@dataclass(frozen=True)
class Stored:
    id: str
    status: str
    replayed: bool


def limits_for(box: WebBox) -> Limits:
    s = box.settings
    return Limits(max_bytes=s.max_upload_mb * 1024 * 1024, max_pixels=s.max_megapixels * 1_000_000,
                  max_pages=s.max_pages)


def receive(box: WebBox, data: bytes, filename: str, actor: str, idempotency_key: str | None = None) -> Stored:
    """Store one uploaded file as a new invoice, or raise ApiError saying why not."""
    filename = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"
    try:
        info = inspect(data, filename, limits_for(box))
    except DocumentError as exc:
        log.info("event=upload_refused code=%s filename=%s size=%d", exc.code, filename, len(data))
        raise ApiError(STATUS_FOR.get(exc.code, 422), exc.code, exc.message, filename=filename) from None
    event_id, replayed = None, False
    if idempotency_key:
        if len(idempotency_key) > 200:
            raise ApiError(400, "bad_idempotency_key", _("The Idempotency-Key header is at most 200 characters."))
        event_id = "upload-" + hashlib.sha256(f"{actor}\x00{idempotency_key}".encode()).hexdigest()[:40]
        replayed = box.journal.get(event_id) is not None
    sha256 = hashlib.sha256(data).hexdigest() if replayed else box.put_blob(data)
    event = box.append("invoice.received",
                       {"sha256": sha256, "filename": filename, "content_type": info.content_type,
                        "size": len(data), "pages": info.pages},
                       invoice_id=uuid.uuid4().hex, actor=actor, event_id=event_id)
    if event.payload.get("sha256") != sha256:
        raise ApiError(422, "idempotency_key_reused",
                       _("This Idempotency-Key was already used for a different file. Use a new key for a new file."))
    invoice = box.readmodel.invoice(event.invoice_id)
    status = invoice["status"] if invoice else "received"
    log.info("event=invoice_received invoice=%s seq=%d sha256=%s", event.invoice_id, event.seq, sha256[:12])
    return Stored(event.invoice_id, status, replayed)


def message_for(code: str, message: str) -> str:
    """The refusal in the UI's language: the reader's own sentence in English, ours in Bengali."""
    from appliance.web.i18n import is_bengali

    if not is_bengali():
        return message
    translated = {
        "empty": _("The file is 0 bytes — nothing was stored. Choose the photo again."),
        "too_large": _("The file is too large — nothing was stored. Take the photo at a lower resolution."),
        "not_a_document": _("This file is not a photo or a PDF. Upload a JPEG, PNG or PDF of the invoice."),
        "extension_mismatch": _("The file's name does not match what it holds. Rename it or export it again."),
        "corrupt": _("The file is damaged and could not be read. Take the photo again."),
        "too_many_pixels": _("The image is too large to read safely. Take the photo at a lower resolution."),
        "too_many_pages": _("The PDF has too many pages. Split it into one file per invoice."),
        "encrypted": _("The PDF is password-protected. Export it again without a password."),
    }
    return translated.get(code, message)
