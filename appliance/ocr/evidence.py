"""Document-level evidence for a field: facts the field's own raw score cannot see.

Owns: naming, per header field, the independent confirmations found on the page:
amounts that close arithmetically ("balanced": subtotal − discount + VAT = total;
"items": line items sum to it; "rate": VAT = rate × base), a value printed on two
lines and read the same both times ("repeated"), an identifier of a plausible
shape ("shaped"), a date whose month is written in letters ("words"), a BIN under
the seller's own label ("seller"). A second reading that agrees ("reread") is
added by the extractor. Calibration (calibration.py) turns each combination
into an observed accuracy; the tags here only say what was seen.

Must never: change a value or a score, or name evidence that is not independent
of the reading it confirms (the same printed word read twice is not "repeated").
"""

from __future__ import annotations

import re

from . import normalise as nz
from .layout import Line
from .parsers import Candidate
from .reconcile import Amounts

# the kinds each field's calibration tables are split by (keys "field+kind+kind",
# calibration.stratum): few, as every split divides the fitting corpus; changing them
# means refitting (tests/ocr_samples/fit_calibration.py), and until then a missing key
# falls back to the field's pooled table, capped under the review bar
CALIBRATED: dict[str, tuple[str, ...]] = {
    "supplier_name": ("repeated", "latin"),
    "supplier_bin": ("seller",),
    "invoice_number": ("reread", "shaped"),
    "invoice_date": ("reread",),
    "subtotal": ("balanced", "items"),
    "vat_amount": ("balanced", "rate"),
    "total": ("balanced",),
    "vat_rate": ("rate",),
}

# letters-then-digits codes, digit runs with separators: "INV-2024-0457", "CM/24/122", "40852"
_ID_SHAPE = re.compile(r"(?:[A-Z]{1,6}[-/ ]?)*\d[\dA-Z]*(?:[-/][\dA-Z]+)*")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", nz.ascii_digits(nz.clean_text(text))).strip().casefold()


def _repeated(value: str, line: int, lines: list[Line], cands: list[Candidate]) -> bool:
    """The value read again on another line (a second candidate, or printed inside another line)."""
    want = _norm(value)
    if any(_norm(str(c.value)) == want and c.line != line for c in cands):
        return True
    if len(want) < 4:
        return False
    pattern = re.compile(rf"(?<![\w]){re.escape(want)}(?![\w])")
    return any(ln.index != line and pattern.search(_norm(ln.text)) for ln in lines)


def of_id(value: str, line: int, cands: list[Candidate], lines: list[Line]) -> set[str]:
    out = set()
    if _repeated(value, line, lines, cands):
        out.add("repeated")
    plain = nz.ascii_digits(nz.clean_text(value)).upper()
    digits = sum(ch.isdigit() for ch in plain)
    if 4 <= len(plain) <= 24 and digits >= 3 and _ID_SHAPE.fullmatch(plain):
        out.add("shaped")
    return out


def of_date(value: str, cands: list[Candidate], lines: list[Line]) -> set[str]:
    chosen = [c for c in cands if c.value == value]
    out = set()
    if len({c.line for c in chosen}) > 1:
        out.add("repeated")
    if chosen and chosen[0].line >= 0 and nz.month_in_words(lines[chosen[0].line].text):
        out.add("words")
    return out


def of_bin(value: str, cands: list[Candidate]) -> set[str]:
    same = [c for c in cands if c.value == value]
    out = set()
    if len({c.line for c in same}) > 1:
        out.add("repeated")
    if any(c.role == "seller" for c in same):
        out.add("seller")
    return out


def of_name(name: str, line: int, lines: list[Line]) -> set[str]:
    """A supplier name also printed elsewhere ("For <name>" over a signature, a footer), and
    whether it is in Latin script ("latin"): Tesseract confuses Bengali vowel signs (ূ/ু)
    the same way each time it reads a name, so a Bengali name read twice proves less.

    Only a name of two words or more counts as repeated: a lone "Trading" is printed everywhere."""
    found = set() if re.search(r"[\u0980-\u09ff]", name) else {"latin"}
    if len(name.split()) < 2 or sum(ch.isalpha() for ch in name) < 8:
        return found
    return found | {"repeated"} if _repeated(name, line, lines, []) else found


def _exact(a: float, b: float) -> bool:
    # to the paisa: the reconciler's tolerance (close) lets a misread last digit balance
    return abs(a - b) <= 0.011


def of_amounts(chosen: Amounts, items_sum: float | None = None) -> dict[str, set[str]]:
    """Amounts confirmed by arithmetic that closes to the paisa, each relation a kind of evidence."""
    v = chosen.values
    out: dict[str, set[str]] = {f: set() for f in ("subtotal", "vat_amount", "total", "vat_rate", "discount")}
    if any(r.startswith("arithmetic:") for r in chosen.review):
        return out  # one relation fails: the ones that hold may close by coincidence (dropped decimals)
    inferred = {r.split(":", 1)[0] for r in chosen.review if r.endswith(":inferred")}
    sub, disc, sd, vat, tot = (v.get(f) for f in ("subtotal", "discount", "sd", "vat_amount", "total"))
    # an amount computed from the equation closes it by construction: the equation then proves nothing
    if (
        chosen.balanced
        and sub is not None
        and tot is not None
        and vat is not None
        and not inferred & {"subtotal", "vat_amount", "total", "discount"}
    ):
        net = sub - (disc or 0) + (sd or 0)
        if _exact(net + vat, tot) or chosen.vat_inclusive and _exact(net, tot):
            for f in ("subtotal", "vat_amount", "total", "discount"):
                out[f].add("balanced")
    if chosen.items_match and items_sum is not None:
        key = "subtotal" if sub is not None else "total"
        if v[key] is not None and _exact(items_sum, v[key]):
            out[key].add("items")
    rate = chosen.vat_rate
    if rate is not None and vat is not None and sub is not None and "vat_rate" not in inferred:
        base = (tot or 0) - vat if chosen.vat_inclusive else sub - (disc or 0)
        # to the paisa only: VAT rounded to the taka is also what a page with its decimals unread gives
        if vat > 0 and _exact(vat, round(base * rate / 100, 2)):
            out["vat_amount"].add("rate")
            out["vat_rate"].add("rate")
    for f in inferred:  # a value computed from the others confirms nothing by itself
        out.get(f, set()).clear()
    return out
