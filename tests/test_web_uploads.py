"""Uploads: stored durably before 201, idempotent retries, and every kind of bad input refused
with a 4xx JSON error a person can act on, storing nothing."""

from __future__ import annotations

import io
import struct
import zlib

import pypdfium2 as pdfium
import pytest

from tests.conftest_web import bearer, csrf_token, render_invoice


def _post(client, token, data: bytes, name: str, **headers):
    return client.post("/api/v1/invoices", headers=bearer(token, **headers),
                       data={"file": (io.BytesIO(data), name)})


def _stored_nothing(box) -> bool:
    rows = box.journal.query("SELECT count(*) FROM events WHERE type='invoice.received'")
    blobs = [p for p in box.blobs.root.rglob("*") if p.is_file()]
    return rows[0][0] == 0 and not blobs


def test_upload_is_durable_before_the_201(client, staff_token, webbox_, invoice_png):
    response = _post(client, staff_token, invoice_png, "invoice.png")
    assert response.status_code == 201
    body = response.json
    assert set(body) == {"id", "status"} and body["status"] == "received"
    events = webbox_.journal.events_for(body["id"])
    assert [e.type for e in events] == ["invoice.received"]
    payload = events[0].payload
    assert payload["content_type"] == "image/png" and payload["size"] == len(invoice_png)
    assert webbox_.blobs.get(payload["sha256"]) == invoice_png
    image = client.get(f"/api/v1/invoices/{body['id']}/image", headers=bearer(staff_token))
    assert image.status_code == 200 and image.data == invoice_png and image.mimetype == "image/png"


def test_retry_with_the_same_idempotency_key_returns_the_same_invoice(client, staff_token, webbox_, invoice_png):
    first = _post(client, staff_token, invoice_png, "a.png", **{"Idempotency-Key": "k-1"})
    again = _post(client, staff_token, invoice_png, "a.png", **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert webbox_.journal.query("SELECT count(*) FROM events WHERE type='invoice.received'")[0][0] == 1
    other = _post(client, staff_token, invoice_png, "a.png", **{"Idempotency-Key": "k-2"})
    assert other.json["id"] != first.json["id"]


def test_same_key_for_a_different_file_is_refused(client, staff_token, invoice_png):
    _post(client, staff_token, invoice_png, "a.png", **{"Idempotency-Key": "k-1"})
    r = _post(client, staff_token, render_invoice(number="INV-9"), "b.png", **{"Idempotency-Key": "k-1"})
    assert r.status_code == 422 and r.json["code"] == "idempotency_key_reused"


def test_uploading_the_same_image_twice_flags_a_duplicate(client, staff_token, invoice_png):
    first = _post(client, staff_token, invoice_png, "a.png").json["id"]
    second = _post(client, staff_token, invoice_png, "a.png").json["id"]
    body = client.get(f"/api/v1/invoices/{second}", headers=bearer(staff_token)).json
    assert "duplicate:image" in body["needs_review"] and body["duplicate_of"] == first


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    idat = zlib.compress(row * min(height, 64), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _png_real(width: int, height: int) -> bytes:
    """A complete, valid 1-bit PNG: tiny on disk, huge in memory (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _pdf(pages: int) -> bytes:
    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842)
    buffer = io.BytesIO()
    pdf.save(buffer)
    pdf.close()
    return buffer.getvalue()


BAD_INPUTS = {
    "zero_bytes": (lambda png: b"", "empty.jpg", 400, "empty"),
    "text_file": (lambda png: b"Invoice 42\nTotal: 1200\n", "invoice.txt", 415, "not_a_document"),
    "truncated_jpeg": (lambda png: render_invoice(fmt="JPEG")[:4000], "photo.jpg", 422, "corrupt"),
    "decompression_bomb": (lambda png: _png_header_only(60000, 60000), "bomb.png", 422, "too_many_pixels"),
    "20000x20000_png": (lambda png: _png_real(20000, 20000), "huge.png", 422, "too_many_pixels"),
    "wrong_extension": (lambda png: png, "invoice.pdf", 415, "extension_mismatch"),
    "300_page_pdf": (lambda png: _pdf(300), "statement.pdf", 422, "too_many_pages"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gets_a_4xx_json_error_and_stores_nothing(case, client, staff_token, webbox_, invoice_png):
    make, name, status, code = BAD_INPUTS[case]
    response = _post(client, staff_token, make(invoice_png), name)
    assert response.status_code == status, response.json
    assert response.mimetype == "application/json"
    assert response.json["code"] == code
    assert len(response.json["error"]) > 20  # a sentence, not a code
    assert _stored_nothing(webbox_)
    # the process keeps serving
    assert _post(client, staff_token, invoice_png, "fine.png").status_code == 201


def test_oversize_upload_gets_413_json_and_stores_nothing(client, staff_token, webbox_):
    big = b"\xff\xd8\xff" + b"\x00" * (3 * 1024 * 1024)  # over the 2 MB limit of the test box
    response = _post(client, staff_token, big, "big.jpg")
    assert response.status_code == 413, response.json
    assert response.json["code"] == "too_large" and "MB" in response.json["error"]
    assert _stored_nothing(webbox_)


def test_upload_without_a_file_field(client, staff_token):
    r = client.post("/api/v1/invoices", headers=bearer(staff_token), data={"other": "x"})
    assert r.status_code == 400 and r.json["code"] == "no_file"


def test_upload_page_takes_many_files_and_reports_each(staff_client, webbox_, invoice_png):
    token = csrf_token(staff_client, "/upload")
    response = staff_client.post("/upload", data={
        "csrf_token": token,
        "file": [(io.BytesIO(invoice_png), "good.png"), (io.BytesIO(b"hello"), "notes.txt")],
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    assert "good.png" in html and "notes.txt" in html and "not a photo or a PDF" in html
    assert webbox_.journal.query("SELECT count(*) FROM events WHERE type='invoice.received'")[0][0] == 1


def test_upload_page_form_has_camera_capture(staff_client):
    html = staff_client.get("/upload").get_data(as_text=True)
    assert 'capture="environment"' in html and 'accept="image/*,application/pdf"' in html
    assert 'multiple' in html


def test_pdf_invoice_pages_are_rendered_locally(client, staff_client, staff_token):
    pdf = _pdf(2)
    invoice_id = _post(client, staff_token, pdf, "two.pdf").json["id"]
    page = staff_client.get(f"/invoices/{invoice_id}/page/2.png")
    assert page.status_code == 200 and page.data.startswith(b"\x89PNG")
    assert staff_client.get(f"/invoices/{invoice_id}/page/3.png").status_code == 404
