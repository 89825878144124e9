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


_BENGALI_DIGIT = re.compile(r"[০-৯]")
_LETTER_HEAD = re.compile(r"^(?:[A-Z]{1,5}[-/]?)*[A-Z]{1,5}[-/]?$")  # "CM-", "TI/DHK/", "D"
_GROUPS = re.compile(r"[-/]")
_LOOKALIKE = {("O", "0"), ("I", "1"), ("S", "5"), ("B", "8"), ("Z", "2"), ("G", "6")}


def settle_id(first: str, latin: str) -> str | None:
    """The identifier two readings of the same word settle on, when they disagree only where
    one of the two models could not see; None when nothing can be settled.

    `first` is the word as the mixed (eng+ben) model printed it, `latin` the Latin-only reading.
    - Bengali digits behind a Latin prefix ("CM-৯৫৭২"): the mixed model garbles or drops the
      prefix ("01/-৯৫৭২") and the Latin model the digits ("CM-AQG2"); each part is taken from the
      model that reads its script, when both readings cut the digits into groups of the same
      lengths (the sign that they are readings of one and the same word).
    - An ASCII id whose letter prefix the mixed model misread ("LVV-2024-31038", "71/51/2980"):
      the Latin reading's prefix, when everything from its first digit on reads the same. A
      letter for a digit that looks like it (O/0, I/1, S/5, B/8) is taken only inside a prefix
      that has letters of its own ("1NV-"), or where the first reading also holds a letter no
      lookalike explains ("59" for "SO"): a bare "50" may as well be fifty.
    """
    latin = nz.clean_text(latin).replace(" ", "").lstrip(":#.-|")
    first = first.replace(" ", "")
    heads = [k for k in range(1, len(latin)) if _LETTER_HEAD.match(latin[:k])]
    bn = _BENGALI_DIGIT.search(first)
    if bn:
        junk, tail = first[: bn.start()], first[bn.start() :]
        if not re.fullmatch(r"[০-৯]+(?:[-/][০-৯]+)*", tail):
            return None
        lengths = [len(g) for g in _GROUPS.split(tail)]
        fits = [k for k in heads if [len(g) for g in _GROUPS.split(latin[k:])] == lengths]
        if len(fits) != 1:
            return None
        head = latin[: fits[0]]
        if head[-1] not in "-/" and junk[-1:] in ("-", "/"):
            head += junk[-1]  # the Latin model dropped a dash it could not tell from the digits
        return head + nz.ascii_digits(tail)
    first = nz.clean_text(first)
    k = next((k for k in reversed(heads) if latin[k].isdigit()), 0)
    head, rest = latin[:k], latin[k:]
    prefix = first[: len(first) - len(rest)]
    if not k or not first.endswith(rest) or sum(ch.isdigit() for ch in rest) < 3 or prefix == head:
        return None
    if not prefix:  # the mixed model dropped a letter prefix ("64923" for "K64923"), unless an O/I/S could be noise
        return latin if re.fullmatch(r"[A-Z]{1,3}", head) and not set(head) <= set("OISBZGL") else None
    if len(prefix) == len(head):
        swaps = [pair for pair in zip(head, prefix, strict=True) if pair[0] != pair[1]]
        if not any(ch.isalpha() for ch in prefix) and all(pair in _LOOKALIKE for pair in swaps):
            return None
    elif abs(len(prefix) - len(head)) > 1 or _LETTER_HEAD.match(prefix):
        return None  # a prefix of another length is a misreading only when it is no prefix itself
    return latin


def same_id(a: str, b: str) -> bool:
    """Two readings of an identifier agree (case, spaces and digit script aside)."""

    def norm(s: str) -> str:
        return re.sub(r"[\s]", "", nz.clean_text(s)).upper()

    return norm(a) == norm(b) or norm(b).endswith(norm(a)) and len(norm(a)) >= 4
