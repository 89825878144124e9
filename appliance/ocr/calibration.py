"""Calibrated confidence: a field's raw score mapped to how often such a field was right.

Owns: the lookup in the per-field tables of `calibration_table.py`, one per
combination of a field's document-level evidence (evidence.py: amounts that close,
a second reading that agrees, a value printed twice), each fitted (by
`python -m tests.ocr_samples.fit_calibration` on one synthetic corpus seed and
checked on another), and the fitting routine itself (isotonic regression by
pooling adjacent violators, with a minimum block size and a pull towards 50%
so a small block cannot claim certainty).

Must never: fit at runtime, read files, or return a value the table does not
support: a raw score outside the fitted range takes its nearest block's value.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

from . import evidence as _evidence
from .calibration_table import TABLE

# a combination of evidence seen too rarely to fit its own table is never sure enough
# to pass unread: it takes the field's pooled table, capped under the review bar
UNFITTED_CAP = 0.95

Block = tuple[float, float, int]  # (lowest raw score in the block, observed accuracy, count)


def page_kind(text_layer: bool, word_confs: Sequence[float]) -> str:
    """ "clear" (a text layer, or OCR that was sure of nearly every word) or "noisy".

    The same rule score means more on a clear page than on a blurred photo, so each
    field has one table per kind."""
    if text_layer:
        return "clear"
    if not word_confs:
        return "noisy"
    sure = sum(c >= 0.9 for c in word_confs) / len(word_confs)
    return "clear" if sure >= 0.85 else "noisy"


def stratum(field: str, evidence: Iterable[str], used: Iterable[str] | None = None) -> str:
    """The table key for a field with this evidence: "invoice_number+reread+shaped"; "field+" for none.

    Only the kinds of evidence the table was fitted with (`used`, default from the table) count."""
    keep = set(_evidence.CALIBRATED.get(field, ()) if used is None else used)
    return field + "+" + "+".join(sorted(set(evidence) & keep))


def calibrate(field: str, raw: float, kind: str = "", evidence: Iterable[str] = ()) -> float:
    """P(field is right | raw score, independent evidence), from the fitted table.

    Evidence (evidence.CALIBRATED names the kinds per field) is document-level
    agreement the raw score cannot see: amounts that close arithmetically, a second
    reading that agrees, a value printed twice. The raw score is returned if nothing was fitted."""
    if field in _evidence.CALIBRATED:
        blocks = TABLE.get(stratum(field, evidence))
        if blocks:
            return _lookup(blocks, raw)
        if TABLE.get(field):
            return min(UNFITTED_CAP, _lookup(TABLE[field], raw))
    blocks = TABLE.get(f"{field}@{kind}") or TABLE.get(field)
    if not blocks:
        return raw
    return _lookup(blocks, raw)


def _lookup(blocks: Sequence[Block], raw: float) -> float:
    i = bisect_right([b[0] for b in blocks], raw) - 1
    return blocks[max(0, i)][1]


def fit(points: Sequence[tuple[float, bool]], min_count: int = 10, prior: float = 2.0) -> list[Block]:
    """Monotone step function raw → accuracy over (raw score, was right) pairs."""
    pts = sorted(points, key=lambda p: p[0])
    # blocks of [lo, right, n]: runs of at least min_count, never splitting equal scores
    blocks: list[list[float]] = []
    for i, (raw, ok) in enumerate(pts):
        if not blocks or (blocks[-1][2] >= min_count and raw != pts[i - 1][0]):
            blocks.append([raw, 0.0, 0.0])
        blocks[-1][1] += ok
        blocks[-1][2] += 1
    if len(blocks) > 1 and blocks[-1][2] < min_count:
        last = blocks.pop()
        blocks[-1][1] += last[1]
        blocks[-1][2] += last[2]

    def shrunk(b: list[float]) -> float:
        return (b[1] + prior * 0.5) / (b[2] + prior)

    merged = True
    while merged:  # pool adjacent violators until accuracy never drops as the score rises
        merged = False
        for i in range(len(blocks) - 1):
            if shrunk(blocks[i]) >= shrunk(blocks[i + 1]):
                blocks[i][1] += blocks[i + 1][1]
                blocks[i][2] += blocks[i + 1][2]
                del blocks[i + 1]
                merged = True
                break
    return [(round(b[0], 4), round(shrunk(b), 3), int(b[2])) for b in blocks]
