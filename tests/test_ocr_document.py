"""Every bad upload is refused with a code and a sentence a shop person can act on."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from appliance.ocr import ExtractOptions, extract
from appliance.ocr.document import DocumentError, Limits, inspect, render_page
from appliance.ocr.preprocess import prepare
from appliance.ocr.tesseract import command, ocr_words


def jpeg(w: int = 400, h: int = 300) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), "white").save(buf, "JPEG")
    return buf.getvalue()


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def bomb_png(w: int, h: int) -> bytes:
    """A tiny PNG whose header claims w×h pixels: compressed zeros decode to gigabytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"\x00" * ((w + 7) // 8)
    comp = zlib.compressobj(9)
    raw = b"".join(comp.compress(row) for _ in range(min(h, 2000))) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)  # 1-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def minimal_pdf(pages: int) -> bytes:
    """A valid hand-written PDF with `pages` empty A4 pages (xref offsets computed)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def code_of(data: bytes, name: str, limits: Limits | None = None) -> str:
    with pytest.raises(DocumentError) as err:
        inspect(data, name, limits or Limits())
    assert err.value.message and err.value.message.endswith(".")
    return err.value.code


def test_zero_bytes_is_empty():
    assert code_of(b"", "photo.jpg") == "empty"


def test_text_file_is_not_a_document():
    assert code_of(b"Invoice 123 total 500 taka\n" * 10, "notes.txt") == "not_a_document"


def test_truncated_jpeg_is_corrupt():
    data = jpeg(1200, 900)
    assert code_of(data[: len(data) // 2], "cut.jpg") == "corrupt"


def test_decompression_bomb_png_is_refused_before_decoding():
    data = bomb_png(100_000, 100_000)
    assert len(data) < 2_000_000
    assert code_of(data, "bomb.png") == "too_many_pixels"


def test_20000_square_image_is_too_many_pixels():
    data = png(Image.new("1", (20_000, 20_000), 1))
    assert code_of(data, "huge.png") == "too_many_pixels"


def test_oversize_file_is_too_large():
    assert code_of(jpeg() + b"\0" * 2048, "big.jpg", Limits(max_bytes=1024)) == "too_large"


def test_jpeg_named_pdf_is_extension_mismatch():
    assert code_of(jpeg(), "invoice.pdf") == "extension_mismatch"


def test_pdf_named_png_is_extension_mismatch():
    assert code_of(minimal_pdf(1), "scan.png") == "extension_mismatch"


def test_jpeg_named_txt_is_extension_mismatch():
    assert code_of(jpeg(), "invoice.txt") == "extension_mismatch"


def test_no_extension_is_fine():
    info = inspect(jpeg(640, 480), "upload")
    assert (info.kind, info.content_type, info.pages, info.width, info.height) == ("image", "image/jpeg", 1, 640, 480)


def test_300_page_pdf_is_too_many_pages():
    assert code_of(minimal_pdf(300), "ledger.pdf") == "too_many_pages"


def test_damaged_pdf_is_corrupt():
    assert code_of(b"%PDF-1.4\n1 0 obj << /Type /Catalog", "cut.pdf") == "corrupt"


def test_pdf_page_count_and_render():
    data = minimal_pdf(3)
    info = inspect(data, "three.pdf")
    assert (info.kind, info.pages) == ("pdf", 3)
    img = render_page(data, 2, dpi=72)
    assert img.size == (595, 842)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF", "BMP", "GIF"])
def test_each_image_format_is_recognised(fmt):
    buf = io.BytesIO()
    Image.new("RGB", (50, 40), "white").save(buf, fmt)
    info = inspect(buf.getvalue(), f"x.{fmt.lower()}")
    assert info.kind == "image" and info.width == 50


def test_render_page_applies_exif_rotation():
    img = Image.new("RGB", (300, 100), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    assert render_page(buf.getvalue()).size == (100, 300)


def test_transparent_png_renders_on_white():
    img = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    assert render_page(png(img)).getpixel((5, 5)) == (255, 255, 255)


@pytest.mark.parametrize("data,name", [(b"", "a.jpg"), (b"hello", "a.txt"), (jpeg()[:300], "a.jpg")])
def test_extract_never_raises_on_a_bad_document(data, name):
    result = extract(data, name, ExtractOptions(use_llm=False))
    assert result["error"] and result["needs_review"] == ["document:unreadable"]
    assert result["total"] is None and result["supplier_name"] is None and result["line_items"] == []


# --- preparing a phone photo for OCR ------------------------------------------------------


def sheet_photo(background: int, fold: int = 0, shadow: float = 0.0) -> tuple[np.ndarray, tuple[int, int]]:
    """A 600×850 sheet with invoice text, tilted in perspective onto a `background`-grey table;
    `fold`: width of a dark crease across the photo; `shadow`: light lost towards one corner."""
    page = np.full((850, 600), 235, np.uint8)
    for i, text in enumerate(["TAX INVOICE", "Invoice No: INV-2041", "Total 12,500.00"]):
        cv2.putText(page, text, (40, 90 + 60 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 30, 2, cv2.LINE_AA)
    src = np.float32([[0, 0], [600, 0], [600, 850], [0, 850]])
    m = cv2.getPerspectiveTransform(src, np.float32([[130, 110], [720, 140], [700, 1010], [110, 980]]))
    photo = np.full((1100, 850), background, np.float32)
    mask = cv2.warpPerspective(np.ones_like(page), m, photo.shape[::-1]).astype(bool)
    photo[mask] = cv2.warpPerspective(page, m, photo.shape[::-1])[mask]
    if fold:
        band = np.zeros_like(photo)
        cv2.line(band, (0, 560), (850, 580), 1.0, fold)
        band = cv2.GaussianBlur(band, (0, 0), fold / 2)
        photo *= 1 - 0.35 * band / band.max()
    if shadow:
        gx, gy = np.meshgrid(np.linspace(0, 1, photo.shape[1]), np.linspace(0, 1, photo.shape[0]))
        photo *= 1 - shadow * (gx + gy) / 2
    return np.clip(photo, 0, 255).astype(np.uint8), (600, 850)


@pytest.mark.parametrize("background,shadow", [(60, 0.0), (200, 0.3), (170, 0.5)])
def test_a_sheet_on_a_dark_or_light_table_is_found_and_flattened(background, shadow):
    photo, (w, h) = sheet_photo(background, shadow=shadow)
    prepared = prepare(Image.fromarray(photo))
    assert prepared.dewarped
    ph, pw = prepared.image.shape
    assert abs(ph / pw - h / w) < 0.15  # the whole sheet (half of it would be ~0.7)


@pytest.mark.parametrize("background", [170, 200])
def test_a_fold_line_is_not_taken_for_the_edge_of_the_sheet(background):
    photo, (w, h) = sheet_photo(background, fold=16)
    prepared = prepare(Image.fromarray(photo))
    ph, pw = prepared.image.shape
    assert prepared.dewarped and abs(ph / pw - h / w) < 0.15  # the whole sheet, never half of it


def test_a_scan_that_fills_the_frame_is_not_warped():
    page = np.full((1100, 800), 240, np.uint8)
    cv2.putText(page, "INVOICE 42", (60, 120), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 20, 2)
    assert not prepare(Image.fromarray(page)).dewarped


def test_a_shadowed_photo_reads_like_a_clean_page():
    photo, _ = sheet_photo(170, shadow=0.5)
    prepared = prepare(Image.fromarray(photo))
    text = " ".join(w.text for w in ocr_words(prepared.image, "eng", 30.0, flat=prepared.flattened))
    assert "INV-2041" in text and "12,500.00" in text


def test_a_flattened_page_is_thresholded_globally_and_an_untouched_one_locally():
    assert "thresholding_method=0" in command("eng", flat=True)  # Otsu: light already even
    assert "thresholding_method=2" in command("eng")  # Sauvola
