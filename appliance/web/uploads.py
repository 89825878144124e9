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

import psutil
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
DISK_FULL_PERCENT = 97.0


@dataclass(frozen=True)
class Stored:
    id: str
    status: str
    replayed: bool


def limits_for(box: WebBox) -> Limits:
    s = box.settings
    return Limits(max_bytes=s.max_upload_mb * 1024 * 1024, max_pixels=s.max_megapixels * 1_000_000,
                  max_pages=s.max_pages)


def _refuse_when_disk_full(box: WebBox) -> None:
    usage = psutil.disk_usage(str(box.settings.data_dir))
    if usage.percent >= DISK_FULL_PERCENT:
        raise ApiError(507, "disk_full", _("The disk is %(percent)d%% full: the box accepts no new invoices until "
                                           "space is freed. Reading and exporting still work.",
                                           percent=usage.percent))


def receive(box: WebBox, data: bytes, filename: str, actor: str, idempotency_key: str | None = None) -> Stored:
    """Store one uploaded file as a new invoice, or raise ApiError saying why not."""
    filename = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"
    try:
        info = inspect(data, filename, limits_for(box))
    except DocumentError as exc:
        log.info("event=upload_refused code=%s filename=%s size=%d", exc.code, filename, len(data))
        raise ApiError(STATUS_FOR.get(exc.code, 422), exc.code, exc.message, filename=filename) from None
    _refuse_when_disk_full(box)
    event_id = None
    if idempotency_key:
        if len(idempotency_key) > 200:
            raise ApiError(400, "bad_idempotency_key", _("The Idempotency-Key header is at most 200 characters."))
        event_id = "upload-" + hashlib.sha256(f"{actor}\x00{idempotency_key}".encode()).hexdigest()[:40]
    sha256 = box.blobs.put(data)
    event = box.append("invoice.received",
                       {"sha256": sha256, "filename": filename, "content_type": info.content_type,
                        "size": len(data), "pages": info.pages},
                       invoice_id=uuid.uuid4().hex, actor=actor, event_id=event_id)
    replayed = event.actor != actor or event.payload.get("sha256") != sha256 or event.seq < box.journal.last_seq()
    if event_id and event.payload.get("sha256") != sha256:
        raise ApiError(422, "idempotency_key_reused",
                       _("This Idempotency-Key was already used for a different file. Use a new key for a new file."))
    invoice = box.readmodel.invoice(event.invoice_id)
    status = invoice["status"] if invoice else "received"
    log.info("event=invoice_received invoice=%s seq=%d sha256=%s", event.invoice_id, event.seq, sha256[:12])
    return Stored(event.invoice_id, status, replayed and bool(event_id))
