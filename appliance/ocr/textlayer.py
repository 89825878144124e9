"""Words of a PDF's own text layer, when it has a trustworthy one.

Owns: reading words with positions through pdfplumber, and deciding whether the
text layer can be trusted (present, not "(cid:…)" glyph ids, not a legacy
Bijoy/SutonnyMJ encoding where Bengali is stored as Latin-1 gibberish).

Also repairs a common Bengali text-layer fault: a font whose ToUnicode map
sends some glyph pieces (reordered vowel signs, conjunct parts) to stray ASCII
characters or unmapped glyph ids, so "নিবন্ধিত" comes out as "নি0বন্ধি2ত" or
"নি(cid:48)বন্ধি(cid:50)ত". A glyph id or a lone ASCII character
wedged between Bengali letters, or hanging off the end of a Bengali word, is
dropped; Bengali digits and real punctuation ("-", "/", ":") are left alone.

Must never: render or OCR (that is the scanned-PDF path), or fetch fonts.
"""

from __future__ import annotations

import io
import logging
import re

from .layout import Line, Word, group_lines

log = logging.getLogger(__name__)

# Latin-1 / Windows-1252 symbols that Bijoy-encoded Bengali fonts use for glyphs;
# real English invoices almost never contain them in quantity.
_LEGACY_GLYPHS = re.compile(
    r"[\u00a1-\u00bf\u00c0-\u00ff\u2020-\u2030\u0152\u0153\u0160\u0161\u0178\u0192\u02c6\u02dc]"
)


_BN_LETTER = "\u0980-\u09e5\u09f0-\u09ff"  # Bengali block without its digits
_WEDGED = re.compile(f"(?<=[{_BN_LETTER}])[!-~](?<![-/:,()\\[\\]])(?=[{_BN_LETTER}])")
_HANGING = re.compile(f"(?<=[{_BN_LETTER}])[A-Za-z0-9#%`\\\\+^_~@$&*=<>?!](?=$|[\\s.,;:)\\]/-])")


_CID_IN_WORD = re.compile(f"(?<=[{_BN_LETTER}])(?:\\(cid:\\d+\\))+")


def repair_bengali(text: str) -> str:
    """Drop unmapped glyph pieces inside Bengali words (see module docstring)."""
    if not any("\u0980" <= ch <= "\u09ff" for ch in text):
        return text
    return _HANGING.sub("", _WEDGED.sub("", _CID_IN_WORD.sub("", text)))


def read_pages(data: bytes, max_pages: int) -> list[list[Line]] | None:
    """Lines per page from the text layer, or None if the PDF needs OCR instead."""
    import pdfplumber

    pages: list[list[Line]] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for number, page in enumerate(pdf.pages[:max_pages]):
                raw = page.extract_words(keep_blank_chars=False, use_text_flow=True, x_tolerance=1.5)
                words = [
                    Word(
                        repair_bengali(str(w["text"])),
                        0.99,
                        float(w["x0"]),
                        float(w["top"]),
                        float(w["x1"]),
                        float(w["bottom"]),
                        number,
                    )
                    for w in raw
                ]
                pages.append(group_lines(words, float(page.width), float(page.height)))
    except Exception as exc:  # pdfminer raises many types on odd files; OCR is the fallback
        log.info("text layer unreadable, falling back to OCR: %s", exc)
        return None
    text = " ".join(line.text for page_lines in pages for line in page_lines)
    return pages if trustworthy(text) else None


def trustworthy(text: str) -> bool:
    """Enough real characters to be an invoice, and not glyph ids or a legacy encoding."""
    letters = sum(ch.isalnum() for ch in text)
    if letters < 40:
        return False
    if text.count("(cid:") > 3:
        return False
    return len(_LEGACY_GLYPHS.findall(text)) / max(1, len(text)) < 0.02
