"""A second reading of one short field: its word re-OCRed alone, Latin script only.

Owns: cropping a word's box out of the prepared page and reading it with
Tesseract `eng` as a single line (psm 7), and saying whether that reading
agrees with the first one. Mixed pages are read `eng+ben`, which confuses
Latin letters with Bengali digits that look alike ("C" and "০", "SO" and "৫০");
a Latin-only reading of the same pixels is an independent check.

Must never: change a value by itself (the caller decides what an agreement or
a disagreement means), or run without the page's timeout.
"""

from __future__ import annotations

import re

import numpy as np

from . import normalise as nz
from .layout import Word
from .tesseract import OcrError, ocr_words


def latin_reading(image: np.ndarray, word: Word, timeout_s: float) -> str | None:
    """The word's text as read by the Latin-only model, or None if nothing was read."""
    h, w = image.shape
    pad = max(4, int(0.25 * word.height))
    crop = image[
        max(0, int(word.y0) - pad) : min(h, int(word.y1) + pad), max(0, int(word.x0) - pad) : min(w, int(word.x1) + pad)
    ]
    if crop.size == 0:
        return None
    crop = np.pad(crop, 12, constant_values=255)
    try:
        words = ocr_words(crop, "eng", min(timeout_s, 10.0), psm=7)
    except OcrError:
        return None
    text = " ".join(x.text for x in words).strip()
    return text or None


def same_id(a: str, b: str) -> bool:
    """Two readings of an identifier agree (case, spaces and digit script aside)."""

    def norm(s: str) -> str:
        return re.sub(r"[\s]", "", nz.clean_text(s)).upper()

    return norm(a) == norm(b) or norm(b).endswith(norm(a)) and len(norm(a)) >= 4
