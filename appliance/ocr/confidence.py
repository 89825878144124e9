"""Per-field confidence and the needs_review reasons that follow from it.

Owns: turning a rule's score and the OCR word confidence into one number per
field, rewarding agreement (two lines printing the same value, arithmetic that
holds, a master-data match) and punishing disagreement; the review threshold;
and which fields must be present for straight-through processing.

Must never: raise a confidence without a reason that can be named, or drop a
reason: a field below the threshold or missing is always in needs_review.
Calibration target (schema): a field at 0.9 is right about nine times in ten.
"""

from __future__ import annotations

from collections import Counter

from .calibration_table import TABLE
from .parsers import Candidate

# Fields are calibrated (calibration.py), so this is "flag what we are less than ~96% sure
# of". Measured on a held-out corpus seed: 0.9 left 5.6% of documents with a wrong field
# that was not flagged, 0.96 left 1.1% (priority one is no silent error). 0.955, not 0.96:
# the table's best Latin-name block is 46 right of 47 (0.959 after shrinkage); measured on
# seeds 11, 13 and 17 (420 documents): straight-through +2 to +4 points, silent errors unchanged.
REVIEW_BELOW = 0.955
RAW_REVIEW_BELOW = 0.6  # fields without a fitted table (currency, discount): a rule's own score
REQUIRED = ("supplier_name", "invoice_number", "invoice_date", "total")
# a header field left empty is named too: an empty subtotal or VAT line is work for a person
# (discount is 0 when no discount is mentioned at all; mentioned but unread stays empty)
EXPECTED = ("subtotal", "vat_rate", "vat_amount", "discount")


def ocr_factor(conf: float) -> float:
    """Tesseract word confidence is optimistic below ~0.9; text layers give 0.99."""
    return 0.45 + 0.55 * max(0.0, min(1.0, conf))


def of(c: Candidate) -> float:
    return c.score * ocr_factor(c.conf)


def best(cands: list[Candidate]) -> tuple[Candidate | None, float, bool]:
    """(best candidate, its confidence, whether another candidate disagrees closely)."""
    if not cands:
        return None, 0.0, False
    votes = Counter(c.value for c in cands)
    ranked = sorted(cands, key=lambda c: -of(c))
    top = ranked[0]
    conf = of(top)
    if votes[top.value] > 1:
        conf = min(0.99, conf + 0.08 * (votes[top.value] - 1))
    rivals = [c for c in ranked[1:] if c.value != top.value and of(c) > conf - 0.15 and c.source != "position"]
    if rivals and top.source != "position":
        conf = min(conf, 0.55)
    return top, round(conf, 3), bool(rivals)


def reasons(values: dict[str, object], conf: dict[str, float], currency: str, bin_printed: bool = True) -> list[str]:
    """Review reasons; `bin_printed` False means the page shows no BIN label and no BIN-like number
    (a small shop's memo), so an empty BIN is the right answer, not a doubt, unless VAT is
    charged: input VAT needs the seller's BIN, so that memo is looked at."""
    out: list[str] = []
    for name in REQUIRED + EXPECTED:
        if values.get(name) is None:
            out.append(f"{name}:missing")
    vat_charged = bool(values.get("vat_amount")) or values.get("vat_amount") is None
    if values.get("supplier_bin") is None and currency == "BDT" and (bin_printed or vat_charged):
        out.append("supplier_bin:missing")
    for name, value in conf.items():
        bar = REVIEW_BELOW if name in TABLE else RAW_REVIEW_BELOW
        if values.get(name) is not None and value < bar:
            out.append(f"{name}:low_confidence")
    return out
