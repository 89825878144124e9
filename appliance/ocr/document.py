"""What kind of document a byte string is, whether it is safe to open, and its pages.

Owns: sniffing magic bytes, the size / pixel / page limits, full decoding of
images (a truncated JPEG is caught here, not in Tesseract), EXIF rotation, and
rendering a PDF page locally with pypdfium2.

Must never: touch the file system beyond the bytes given, fetch anything, or let
Pillow decode an image larger than the pixel limit (decompression bombs).
"""

from __future__ import annotations

import io
import os
import threading
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# pypdfium2 wraps one non-thread-safe C library: serialise every call into it.
_PDFIUM_LOCK = threading.Lock()


class DocumentError(Exception):
    """A document that cannot be read, with a machine code and a sentence for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"DocumentError({self.code!r}, {self.message!r})"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 60_000_000
    max_pages: int = 20


@dataclass(frozen=True)
class DocumentInfo:
    kind: str  # "image" | "pdf"
    content_type: str
    pages: int
    width: int | None
    height: int | None


# (magic test, Pillow format, content type, accepted extensions)
_IMAGE_KINDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("JPEG", "image/jpeg", (".jpg", ".jpeg", ".jpe", ".jfif")),
    ("PNG", "image/png", (".png",)),
    ("WEBP", "image/webp", (".webp",)),
    ("TIFF", "image/tiff", (".tif", ".tiff")),
    ("BMP", "image/bmp", (".bmp", ".dib")),
    ("GIF", "image/gif", (".gif",)),
)
_PDF_EXTENSIONS = (".pdf",)


def sniff(data: bytes) -> str | None:
    """The format the magic bytes say ("JPEG", "PNG", …, "PDF"), or None."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[:2] == b"BM":
        return "BMP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    # PDFs may have junk before the header; the spec allows it in the first 1 KiB
    if b"%PDF-" in data[:1024]:
        return "PDF"
    return None


def _content_type(fmt: str) -> str:
    if fmt == "PDF":
        return "application/pdf"
    return next(ct for f, ct, _ in _IMAGE_KINDS if f == fmt)


def _extensions(fmt: str) -> tuple[str, ...]:
    if fmt == "PDF":
        return _PDF_EXTENSIONS
    return next(exts for f, _, exts in _IMAGE_KINDS if f == fmt)


_KNOWN_EXTENSIONS = {e for _, _, exts in _IMAGE_KINDS for e in exts} | set(_PDF_EXTENSIONS)


def inspect(data: bytes, filename: str, limits: Limits = Limits()) -> DocumentInfo:
    """Check that `data` is a readable invoice image or PDF within `limits`.

    Raises DocumentError with a code the UI can translate; never anything else.
    """
    if not data:
        raise DocumentError("empty", "The file is 0 bytes — nothing was stored. Choose the photo again.")
    if len(data) > limits.max_bytes:
        mib = limits.max_bytes // (1024 * 1024)
        raise DocumentError(
            "too_large", f"The file is larger than {mib} MB. Take the photo at a lower resolution or split the PDF."
        )
    fmt = sniff(data)
    ext = os.path.splitext(filename or "")[1].lower()
    if fmt is None:
        raise DocumentError(
            "not_a_document", "This file is not a photo or a PDF. Upload a JPEG, PNG or PDF of the invoice."
        )
    if ext and ext not in _extensions(fmt):
        if ext in _KNOWN_EXTENSIONS:
            raise DocumentError(
                "extension_mismatch",
                f"The file is named {ext} but is really a {fmt} file. Rename it or export it again.",
            )
        raise DocumentError(
            "extension_mismatch",
            f"The file is named {ext} but holds a {fmt} document. Upload it with its proper extension.",
        )
    if fmt == "PDF":
        return _inspect_pdf(data, limits)
    return _inspect_image(data, fmt, limits)


def _open_image(data: bytes, limits: Limits) -> Image.Image:
    """Open and fully decode an image, refusing bombs before decoding them."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if w * h > limits.max_pixels:
                raise DocumentError(
                    "too_many_pixels",
                    f"The image is {w}×{h} pixels, too large to read safely. Take the photo at a lower resolution.",
                )
            n_frames = getattr(img, "n_frames", 1)
            if n_frames > limits.max_pages:
                raise DocumentError(
                    "too_many_pages",
                    f"The image has {n_frames} pages; at most {limits.max_pages} are read. Split it.",
                )
            img.load()
            return img
    except DocumentError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DocumentError(
            "too_many_pixels", "The image is too large to read safely. Take the photo at a lower resolution."
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise DocumentError(
            "corrupt", "The image is damaged or incomplete (the upload may have been cut off). Take the photo again."
        ) from exc
    except Exception as exc:  # Pillow plugins raise a zoo of types on hostile input
        raise DocumentError("corrupt", "The image could not be decoded. Take the photo again.") from exc


def _inspect_image(data: bytes, fmt: str, limits: Limits) -> DocumentInfo:
    img = _open_image(data, limits)
    w, h = img.size
    pages = getattr(img, "n_frames", 1)
    img.close()
    return DocumentInfo("image", _content_type(fmt), pages, w, h)


def _open_pdf(data: bytes):  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text:
            raise DocumentError(
                "encrypted", "The PDF is password-protected. Save it again without a password."
            ) from exc
        raise DocumentError(
            "corrupt", "The PDF is damaged or incomplete (the upload may have been cut off). Export it again."
        ) from exc


def _inspect_pdf(data: bytes, limits: Limits) -> DocumentInfo:
    with _PDFIUM_LOCK:
        pdf = _open_pdf(data)
        try:
            pages = len(pdf)
            if pages == 0:
                raise DocumentError("empty", "The PDF has no pages. Export it again.")
            if pages > limits.max_pages:
                raise DocumentError(
                    "too_many_pages",
                    f"The PDF has {pages} pages; at most {limits.max_pages} are read. Upload the invoice pages only.",
                )
            page = pdf[0]
            w_pt, h_pt = page.get_size()
            page.close()
        finally:
            pdf.close()
    # report the size a 200 dpi render would have, so callers can plan previews
    w, h = round(w_pt / 72 * 200), round(h_pt / 72 * 200)
    if w * h > limits.max_pixels:
        raise DocumentError("too_many_pixels", "The PDF page is too large to render safely. Export it at A4 size.")
    return DocumentInfo("pdf", "application/pdf", pages, w, h)


def render_page(data: bytes, page: int = 0, dpi: int = 200, limits: Limits = Limits()) -> Image.Image:
    """One page as a PIL image: an image upright per its EXIF tag, or a PDF page rendered locally."""
    if sniff(data) == "PDF":
        with _PDFIUM_LOCK:
            pdf = _open_pdf(data)
            try:
                if not 0 <= page < len(pdf):
                    raise DocumentError("no_such_page", f"The PDF has no page {page + 1}.")
                pdf_page = pdf[page]
                w_pt, h_pt = pdf_page.get_size()
                scale = dpi / 72
                if (w_pt * scale) * (h_pt * scale) > limits.max_pixels:
                    scale = (limits.max_pixels / (w_pt * h_pt)) ** 0.5
                bitmap = pdf_page.render(scale=scale)
                img = bitmap.to_pil().convert("RGB")
                bitmap.close()
                pdf_page.close()
                return img
            finally:
                pdf.close()
    img = _open_image(data, limits)
    frames = getattr(img, "n_frames", 1)
    if page:
        if not 0 <= page < frames:
            raise DocumentError("no_such_page", f"The image has no page {page + 1}.")
        img.seek(page)
        img.load()
    img = ImageOps.exif_transpose(img) or img
    if img.mode in ("RGB", "L"):
        return img
    if "A" in img.getbands() or "transparency" in img.info:
        # transparent PNG scans: put them on white paper, not black
        rgba = img.convert("RGBA")
        paper = Image.new("RGB", rgba.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    return img.convert("RGB")


def page_count(data: bytes, limits: Limits = Limits()) -> int:
    """Number of pages (PDF) or frames (TIFF/GIF), capped by `limits`."""
    return min(inspect(data, "", limits).pages, limits.max_pages)
