"""Who sold and who bought: supplier name, address, buyer name from the header blocks.

Owns: finding the seller block (a label such as "Seller:" / "নিবন্ধিত ব্যক্তির নাম",
or else the prominent company-like line at the top that is not a document title
and not inside the buyer block), its address, and the buyer's name.

Must never: decide between close candidates by itself (it returns them scored;
the caller may ask the LLM), or invent a name that is not printed.
"""

from __future__ import annotations

import re

from . import normalise as nz
from .layout import Line, Word
from .parsers import (
    ADDRESS_HINT,
    BIN_LABEL,
    BUYER_HINT,
    BUYER_LABEL,
    COMPANY_HINT,
    CONTACT,
    DATE,
    DOC_TITLE,
    GRAND_TOTAL,
    INVOICE_NO,
    NAME_LABEL,
    SUBTOTAL,
    Candidate,
    text_of,
)

_TRIM = " :ঃ-–|,.;*#_=\"'"


def _clean_name(text: str) -> str:
    text = nz.clean_text(text).lstrip(_TRIM).rstrip(_TRIM.replace(".", ""))
    text = re.sub(r"^M\s?[I1l|]\s?S\b", "M/S", text)  # OCR reads the slash of "M/S" as I
    return re.sub(r"\s{2,}", " ", text)


def _letters(text: str) -> int:
    return sum(ch.isalpha() or "\u0980" <= ch <= "\u09ff" for ch in text)


def _segments(line: Line) -> list[tuple[str, list[Word]]]:
    return [(" ".join(w.text for w in seg), seg) for seg in (line.segments or [line.words])]


def labelled_names(lines: list[Line], label: re.Pattern[str]) -> list[Candidate]:
    out = []
    for line in lines:
        for seg_text, seg in _segments(line):
            text = re.sub(r"^[^\w\u0980-\u09ff]+", "", nz.clean_text(seg_text))  # OCR specks before a label
            m = label.search(text.lower())
            if not m:
                continue
            value = _clean_name(text[m.end() :])
            conf = sum(w.conf for w in seg) / len(seg)
            if _letters(value) >= 3:
                value_words = seg[len(seg) - len(value.split()) :] if len(value.split()) <= len(seg) else seg
                value += _wrapped_tail(lines, line, value_words, cell_x0=seg[0].x0)
                out.append(Candidate(value, 0.9, line.index, conf, "label"))
                continue
            for nxt in lines[line.index + 1 : line.index + 2]:
                below = [w for w in nxt.words if w.x1 > seg[0].x0 - 5 and w.x0 < seg[-1].x1 + 0.4 * nxt.page_width]
                value = _clean_name(" ".join(w.text for w in below))
                if _letters(value) >= 3 and not CONTACT.search(value.lower()):
                    conf = sum(w.conf for w in below) / len(below)
                    out.append(Candidate(value, 0.8, nxt.index, conf, "label_below"))
    return out


def buyer_lines(lines: list[Line]) -> set[tuple[int, int]]:
    """(line index, segment index) pairs inside the buyer block: a heading and up to 3 lines under it."""
    inside: set[tuple[int, int]] = set()
    for line in lines:
        for s, (seg_text, seg) in enumerate(_segments(line)):
            low = nz.clean_text(seg_text).lower()
            if not (BUYER_LABEL.search(low) or BUYER_HINT.match(low)):
                continue
            inside.add((line.index, s))
            x0 = seg[0].x0
            for nxt in lines[line.index + 1 : line.index + 4]:
                for t, (_, nseg) in enumerate(_segments(nxt)):
                    if abs(nseg[0].x0 - x0) < 0.15 * nxt.page_width:
                        inside.add((nxt.index, t))
    return inside


def supplier_candidates(lines: list[Line]) -> list[Candidate]:
    """Scored supplier names: labelled ones first, then prominent lines at the top of page one."""
    found = labelled_names(lines, NAME_LABEL)
    buyer = buyer_lines(lines)
    top = [ln for ln in lines if ln.page == 0 and ln.rel_y < 0.4][:16]
    if not top:
        return found
    heights = sorted((max(w.height for w in ln.words) for ln in top), reverse=True)
    tallest = heights[0] if heights else 1.0
    unlabelled: list[Candidate] = []
    for line in top:
        for s, (seg_text, seg) in enumerate(_segments(line)):
            if (line.index, s) in buyer:
                continue
            name = _clean_name(seg_text)
            low = name.lower()
            if _letters(name) < 3 or _letters(name) < 0.5 * len(name.replace(" ", "")):
                continue
            if (
                DOC_TITLE.search(low)
                or CONTACT.search(low)
                or BIN_LABEL.search(low)
                or INVOICE_NO.search(low)
                or DATE.search(low)
                or BUYER_LABEL.search(low)
                or BUYER_HINT.search(low)
                or GRAND_TOTAL.search(low)
                or SUBTOTAL.search(low)
                or nz.parse_date(low)
            ):
                continue
            company = bool(COMPANY_HINT.search(low))
            if ADDRESS_HINT.search(low) and not company:
                continue
            if len(name.split()) > 6:
                score_penalty = 0.25  # a tagline or a sentence, not a name
            else:
                score_penalty = 0.0
            height = max(w.height for w in seg)
            score = 0.3 + (0.25 if company else 0.0)
            score += 0.2 if height >= 0.9 * tallest else (0.05 if height >= 0.7 * tallest else -0.1)
            score += 0.1 if not unlabelled else 0.0
            score += 0.1 if _followed_by_address(lines, line) else 0.0
            conf = sum(w.conf for w in seg) / len(seg)
            name += _wrapped_tail(lines, line, seg)
            unlabelled.append(Candidate(name, min(score - score_penalty, 0.85), line.index, conf, "position"))
    return found + sorted(unlabelled, key=lambda c: -c.score)


def _wrapped_tail(lines: list[Line], line: Line, words: list[Word], cell_x0: float | None = None) -> str:
    """ " House" when a name ran onto the next line: a short, label-free, number-free fragment
    starting where the name (or its table cell) starts, or centred under it, in the same size of type."""
    if line.index + 1 >= len(lines) or not words:
        return ""
    nxt = lines[line.index + 1]
    height = sorted(w.height for w in words)[len(words) // 2]
    if nxt.page != line.page or nxt.y0 - line.y1 > 1.2 * height:
        return ""
    x0, cx = words[0].x0, (words[0].x0 + words[-1].x1) / 2
    for _, seg in _segments(nxt):
        seg_cx = (seg[0].x0 + seg[-1].x1) / 2
        starts = [x0] + ([cell_x0] if cell_x0 is not None else [])
        if min(abs(seg[0].x0 - x) for x in starts) > 0.6 * height and abs(seg_cx - cx) > 0.6 * height:
            continue
        text = _clean_name(" ".join(w.text for w in seg))
        low = text.lower()
        if (
            len(text.split()) > 3
            or re.search(r"[\d:ঃ@]", text)
            or _letters(text) < 2
            or max(w.height for w in seg) < 0.75 * height
            or min(w.conf for w in seg) < 0.6
            or any(p.search(low) for p in (BIN_LABEL, CONTACT, DATE, INVOICE_NO, BUYER_LABEL, BUYER_HINT, DOC_TITLE))
            or not COMPANY_HINT.search(low)  # "House", "Store", "Mills Ltd.": the end of a firm's name
        ):
            return ""
        return " " + text
    return ""


def _followed_by_address(lines: list[Line], line: Line) -> bool:
    for nxt in lines[line.index + 1 : line.index + 3]:
        low = text_of(nxt)
        if ADDRESS_HINT.search(low) or CONTACT.search(low) or BIN_LABEL.search(low):
            return True
    return False


def address_after(lines: list[Line], name_line: int) -> str | None:
    """The address lines printed right under the supplier's name."""
    if name_line < 0:
        return None
    parts: list[str] = []
    base = lines[name_line]
    for nxt in lines[name_line + 1 : name_line + 4]:
        if nxt.page != base.page:
            break
        seg_text, _ = min(_segments(nxt), key=lambda s: abs(s[1][0].x0 - base.x0))
        text = _clean_name(seg_text)
        low = text.lower()
        if ADDRESS_HINT.search(low) and not (BIN_LABEL.search(low) or INVOICE_NO.search(low) or DATE.search(low)):
            text = re.sub(r"(?i)^(address|ঠিকানা)\s*[:ঃ-]?\s*", "", text)
            parts.append(CONTACT.split(text)[0].strip(_TRIM))
        elif parts:
            break
    address = ", ".join(p for p in parts if p)
    return address or None


def buyer_names(lines: list[Line]) -> list[Candidate]:
    return labelled_names(lines, BUYER_LABEL)
