"""Who sold and who bought: supplier name, address, buyer name from the header blocks.

Owns: finding the seller block (a label such as "Seller:" / "নিবন্ধিত ব্যক্তির নাম",
or else the prominent company-like line at the top that is not a document title,
an address, a religious invocation or inside the buyer block), its address, and
the buyer's name. Names are returned as printed ("M/S. Rahman Traders", "লিঃ"
kept): a person keys in what the paper says; only OCR noise is trimmed.

Must never: decide between close candidates by itself (it returns them scored;
the caller may ask the LLM), or invent a name that is not printed.
"""

from __future__ import annotations

import re
import unicodedata
from statistics import median

from . import normalise as nz
from .layout import Line, Word, split_segments
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
    amount_line,
    column_heading,
    text_of,
)

_HEAD_TRIM = " :ঃ-–|,.;*#_=\"'‘’“”[](){}~»«•"
_TAIL_TRIM = " :-–|,;*#_=\"'‘’“”[({~»«•"  # keeps "." of "Ltd." and "ঃ" of "লিঃ"


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(unicodedata.normalize("NFC", pattern), re.IGNORECASE)


# printed above the shop's name on memos, never a name: "বিসমিল্লাহির রাহমানির রাহিম", "৭৮৬"
_INVOCATION = _re(r"বিসমিল্লাহির|রাহমানির|bismillahir|rahmanir|^\W*(?:786|৭৮৬)\W*$|(?:আল্লাহ|এলাহী|allah)\s*(?:ভরসা|bhorosha)")
# the addressee block of a letter ("To, / The Manager / <buyer>")
_LETTER_TO = _re(r"^(?:to|বরাবর)\s*[,:ঃ]?$")
_NOT_A_NAME = _re(
    r"^(?:to|the\s*manager|dear|sub(?:ject)?\s*[:.]|বরাবর|ব্যবস্থাপক|জনাব,|বিষয়|name\b|নাম\b|m/s\s*[:ঃ]|মেসার্স\s*[:ঃ])"
    r"|(?:\bname|নাম)$|[:ঃ]\s*\d"  # a label ("ক্রেতার নাম"), a label with its value ("সময়ঃ 17:20")
    r"|^\W*(?:mushak|musak|মূসক|মুসক)\s*[-–.]?\s*[\d০-৯]"  # the VAT form's number ("Mushak-6.3")
)
# a document title printed on the name's line ("Atelier Lumière SARL   Rechnung / Invoice")
_TITLE_INSIDE = _re(r"\s\W*(?:tax\s*invoice|invoice|rechnung|facture|factura|fattura|receipt|cash\s*memo|bill)\b.*$")
# a title row: "VAT INVOICE", "Sales Receipt", "Cash Memo"
_TITLE_ROW = _re(r"^\W*(?:\w+\s+)?(?:invoice|receipt|bill|memo|challan|folio|statement|চালানপত্র|চালান|মেমো|রসিদ)\W*$")
# a row naming the shop's staff or till ("Cashier: Rakib", "Served by: Mina"), never the seller
_STAFF = _re(
    r"^\W*(?:cashier|served\s*by|sales\s*(?:man|person|rep)|salesman|operator|waiter|attendant|prepared\s*by"
    r"|checked\s*by|counter|till|terminal|pos\s*(?:id|no)|user|ক্যাশিয়ার|বিক্রয়\s*কর্মী|প্রস্তুতকারী)\b"
)
# the label of someone who signs, not of the seller ("দায়িত্বপ্রাপ্ত ব্যক্তির নাম", "Authorised Person")
_SIGNER = _re(r"দায়িত্ব|authori[sz]ed|কর্তৃপক্ষ")


def _clean_name(text: str) -> str:
    text = re.sub(r"(?i)\b(co|ltd|inc|corp|pvt|bros)[,;]$", r"\1.", nz.clean_text(text).strip())  # "Co," = "Co."
    text = text.lstrip(_HEAD_TRIM).rstrip(_TAIL_TRIM)
    text = re.sub(r"(?i)^(?:name|নাম)\s*[:ঃ]\s*", "", text)  # "Name: <firm>" under a "Seller" heading
    text = re.sub(r"^M\s?[I1il|/]\s?[Ss]\b", "M/S", text)  # OCR reads the slash of "M/S" as I (or i)
    text = _TITLE_INSIDE.sub("", text).rstrip(_TAIL_TRIM)
    words = text.split()
    if words and words[-1].endswith(".") and words[-1].count(".") == 1 and _letters(words[-1]) >= 5:
        words[-1] = words[-1][:-1]  # a speck read as a full stop; "Ltd." and "Co." keep theirs
    # a logo's initials read before the name: "HE Hossain Electronics"
    if len(words) >= 3 and 1 < len(words[0]) <= 3 and words[0].isupper():
        initials = "".join(w[0] for w in words[1 : 1 + len(words[0])]).upper()
        if words[0] == initials:
            words = words[1:]
    return " ".join(words)


def _letters(text: str) -> int:
    return sum(ch.isalpha() or "\u0980" <= ch <= "\u09ff" for ch in text)


def _segments(line: Line) -> list[tuple[str, list[Word]]]:
    return [(" ".join(w.text for w in seg), seg) for seg in (line.segments or [line.words])]


def _is_other_label(low: str) -> bool:
    return any(p.search(low) for p in (BIN_LABEL, CONTACT, DATE, INVOICE_NO, BUYER_LABEL, DOC_TITLE)) or bool(
        re.match(r"(?:address|ঠিকানা)\b", low)
    )


def labelled_names(lines: list[Line], label: re.Pattern[str]) -> list[Candidate]:
    """Names printed after a label on its line, or right under it (in the label's column)."""
    out = []
    for line in lines:
        for seg_text, seg in _segments(line):
            text = re.sub(r"^[^\w\u0980-\u09ff]+", "", nz.clean_text(seg_text))  # OCR specks before a label
            m = label.search(text.lower())
            if not m or _SIGNER.search(text[: m.end()]):
                continue
            # the label's last word misread ("নাম:" → "aT:") is not part of the name
            value = _clean_name(re.sub(r"^\s*\S{1,3}\s*[:ঃ;]\s+", "", text[m.end() :]))
            conf = sum(w.conf for w in seg) / len(seg)
            if _letters(value) >= 3:
                if _is_other_label(value.lower()):
                    continue
                value_words = seg[len(seg) - len(value.split()) :] if len(value.split()) <= len(seg) else seg
                value += _wrapped_tail(lines, line, value_words, cell_x0=seg[0].x0)
                out.append(Candidate(value, 0.9, line.index, conf, "label"))
                continue
            for nxt in lines[line.index + 1 : line.index + 2]:
                if nxt.page != line.page:
                    continue
                below = [s for _, s in _segments(nxt) if s[0].x0 < seg[-1].x1 and s[-1].x1 > seg[0].x0 - 5]
                if not below:
                    continue
                cell = below[0]
                value = _clean_name(" ".join(w.text for w in cell))
                if _letters(value) >= 3 and not _is_other_label(value.lower()):
                    conf = sum(w.conf for w in cell) / len(cell)
                    value += _wrapped_tail(lines, nxt, cell)
                    out.append(Candidate(value, 0.8, nxt.index, conf, "label_below"))
    return out


def buyer_lines(lines: list[Line]) -> set[tuple[int, int]]:
    """(line index, segment index) pairs inside the buyer block: a heading and up to 3 lines under it."""
    inside: set[tuple[int, int]] = set()
    for line in lines:
        for s, (seg_text, seg) in enumerate(_segments(line)):
            low = nz.clean_text(seg_text).lower()
            if not (BUYER_LABEL.search(low) or BUYER_HINT.match(low) or _LETTER_TO.match(low)):
                continue
            inside.add((line.index, s))
            x0 = seg[0].x0
            for nxt in lines[line.index + 1 : line.index + 4]:
                for t, (_, nseg) in enumerate(_segments(nxt)):
                    if abs(nseg[0].x0 - x0) < 0.15 * nxt.page_width:
                        inside.add((nxt.index, t))
    return inside


def _rows(lines: list[Line]) -> list[tuple[Line, list[list[Word]]]]:
    """Lines of the page top, with lines that OCR split off the same printed row merged back
    ("ভাই ভাই জেনারেল" + "স্টোর" in large type), re-cut into segments; specks dropped."""
    rows: list[tuple[Line, list[Word]]] = []
    for line in lines:
        solid = [w for w in line.words if not _speck(w, line.words)]
        if not solid:
            continue
        h2 = median(w.height for w in solid)
        for first, words in rows[-2:]:
            top, bottom = median(w.y0 for w in words), median(w.y1 for w in words)
            h = bottom - top
            same_size = 0.6 * h <= h2 <= h / 0.6  # the pieces of one name share its type size
            if first.page == line.page and same_size and min(bottom, line.y1) - max(top, line.y0) > 0.6 * min(h, h2):
                words.extend(solid)
                break
        else:
            rows.append((line, solid))
    out = []
    for first, words in rows:
        words = sorted(words, key=lambda w: w.x0)
        words = [w for w in words if not _speck_inside(w, words)]
        # a name in large type is spaced wider than body text: cut only at a gap of two letters' height
        out.append((first, split_segments(words, 1.5 * median(w.height for w in words))))
    return out


def _speck(w: Word, words: list[Word]) -> bool:
    """A smudge read as a letter or two, or a blot far taller than the line (a logo, a stamp)."""
    if len(w.text.strip()) <= 1 and (w.conf < 0.5 or w.height < 0.5 * max(o.height for o in words)):
        return True
    return w.conf < 0.2 and w.height > 1.6 * median(o.height for o in words)


def _speck_inside(w: Word, words: list[Word]) -> bool:
    if len(w.text.strip()) > 2 and w.conf >= 0.6:
        return False
    return any(o is not w and o.x0 <= w.x0 and w.x1 <= o.x1 and o.height > w.height for o in words)


def supplier_candidates(lines: list[Line]) -> list[Candidate]:
    """Scored supplier names: labelled ones first, then prominent rows at the top of page one."""
    found = labelled_names(lines, NAME_LABEL)
    buyer = buyer_lines(lines)
    buyer_names_ = {str(c.value).casefold() for c in labelled_names(lines, BUYER_LABEL)}
    top = [ln for ln in lines if ln.page == 0 and ln.rel_y < 0.4][:18]
    if not top:
        return found
    meta_y = min((ln.y1 for ln in top if INVOICE_NO.search(text_of(ln)) or DATE.search(text_of(ln))), default=1e9)
    where = {id(w): (ln.index, s) for ln in top for s, (_, seg) in enumerate(_segments(ln)) for w in seg}
    cells = []
    # the item table's heading row: the table and its sums run below it
    table_y = min((ln.y0 for ln in top if column_heading(text_of(ln))), default=1e9)
    for line, segs in _rows(top):
        if line.y0 >= table_y or amount_line(text_of(line)) or _STAFF.search(text_of(line)):
            continue  # "ক্রমিক মালের বিবরণ পরিমাণ দর টাকা", "মোট ২,৩৫০": a table's headings or sums, never the seller
        for seg in segs:
            if any(where.get(id(w)) in buyer for w in seg):
                continue
            raw = nz.clean_text(" ".join(w.text for w in seg))
            name = _clean_name(raw)
            label_like = raw.endswith(":") or raw.endswith("ঃ") and len(raw.split()[-1]) > 4  # "নম্বরঃ", not "লিঃ"
            if label_like or _TITLE_ROW.match(raw.lower()) or name.casefold() in buyer_names_:
                continue
            if _plausible_name(name):
                cells.append((line, seg, name))
    if not cells:
        return found
    tallest = max(_height(seg) for _, seg, _ in cells)
    unlabelled: list[Candidate] = []
    for rank, (line, seg, name) in enumerate(cells):
        low = name.lower()
        height = _height(seg)
        score = 0.3 + (0.25 if COMPANY_HINT.search(low) else 0.0)
        score += 0.2 if height >= 0.9 * tallest else (0.05 if height >= 0.7 * tallest else -0.1)
        score += 0.15 if rank == 0 else (0.05 if rank == 1 else 0.0)
        score += 0.1 if _followed_by_address(lines, line) else 0.0
        score -= 0.25 if len(name.split()) > 6 else 0.0  # a tagline or a sentence, not a name
        score -= 0.2 if re.search(r"\d", name) else 0.0
        score -= 0.2 if seg[0].y0 > meta_y else 0.0  # below the invoice number / date: the body
        conf = sum(w.conf for w in seg) / len(seg)
        name += _wrapped_tail(lines, line, seg)
        unlabelled.append(Candidate(name, round(min(score, 0.85), 3), line.index, conf, "position"))
    return found + sorted(unlabelled, key=lambda c: -c.score)


def _height(seg: list[Word]) -> float:
    return median(w.height for w in seg)


def _plausible_name(name: str) -> bool:
    """Not a title, label, amount line, address or invocation: a row that could be a firm's name."""
    low = name.lower()
    if _letters(name) < 3 or _letters(name) < 0.5 * len(name.replace(" ", "")):
        return False
    if (
        _is_other_label(low)
        or NAME_LABEL.search(low)
        or BUYER_HINT.search(low)
        or GRAND_TOTAL.search(low)
        or SUBTOTAL.search(low)
        or (_INVOCATION.search(low) and not COMPANY_HINT.search(low))
        or _NOT_A_NAME.search(low)
        or nz.parse_date(low)
    ):
        return False
    company = bool(COMPANY_HINT.search(low))
    if re.search(r"\d", name) and (ADDRESS_HINT.search(low) or "," in name):
        return False  # "Shop 242, Banani, Dhaka-1213", "House 41/B, Road 24"
    return not (ADDRESS_HINT.search(low) and not company)


def _wrapped_tail(lines: list[Line], line: Line, words: list[Word], cell_x0: float | None = None) -> str:
    """ " House" when a name ran onto the next line: a short, label-free, number-free fragment
    starting where the name (or its table cell) starts, or centred under it, in the same size of type."""
    bottom = max(w.y1 for w in words)
    # the next line down; a piece of the same row that the OCR split off is not a wrap
    below = [ln for ln in lines[line.index + 1 : line.index + 4] if ln.y0 > bottom - 0.3 * (ln.y1 - ln.y0)]
    if not below or not words:
        return ""
    nxt = below[0]
    height = sorted(w.height for w in words)[len(words) // 2]
    if nxt.page != line.page or nxt.y0 - bottom > 1.2 * height:
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
            or re.search(r"[\d:ঃ@]", text.rstrip("ঃ"))
            or _letters(text) < 2
            or max(w.height for w in seg) < 0.75 * height
            or min(w.conf for w in seg) < 0.6
            or any(p.search(low) for p in (BIN_LABEL, CONTACT, DATE, INVOICE_NO, BUYER_LABEL, BUYER_HINT, DOC_TITLE))
            # "House", "Store", "Mills Ltd.": the end of a firm's name, or whatever follows "Printing &"
            or not (COMPANY_HINT.search(low) or re.search(r"(?:&|\band|এন্ড)$", " ".join(w.text for w in words)))
        ):
            return ""
        return " " + text
    return ""


def _followed_by_address(lines: list[Line], line: Line) -> bool:
    for nxt in lines[line.index + 1 : line.index + 4]:
        low = text_of(nxt)
        if ADDRESS_HINT.search(low) or CONTACT.search(low) or BIN_LABEL.search(low):
            return True
    return False


# "Address:", "ঠিকানা ঃ", "Address of Invoice Issue :" (Mushak-6.3): the label, not the address
_ADDRESS_LABEL = re.compile(r"(?i)^(?:address|ঠিকানা)(?:[^:ঃ\d]{0,30}[:ঃ]|\s*[:ঃ-]|\s+of\b[^:ঃ\d]{0,30})?\s*")


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
        raw = " ".join(seg_text.split())  # not _clean_name: it cuts at "Invoice", a title word
        text = _ADDRESS_LABEL.sub("", raw, count=1)  # "Address of Invoice Issue :" names no invoice number
        low = text.lower()
        labelled = text != raw
        if (labelled or ADDRESS_HINT.search(low)) and not (
            BIN_LABEL.search(low) or INVOICE_NO.search(low) or DATE.search(low)
        ):
            parts.append(CONTACT.split(text)[0].strip(_HEAD_TRIM))
        elif parts:
            break
    address = ", ".join(p for p in parts if p)
    return address or None


def buyer_names(lines: list[Line]) -> list[Candidate]:
    return labelled_names(lines, BUYER_LABEL)
