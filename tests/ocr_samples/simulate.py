"""Score a calibration table offline: saved raw extractions → the bench's figures, no OCR.

    python -m tests.ocr_samples.simulate FIT_ROWS.json HELD_OUT_ROWS.json

FIT_ROWS and HELD_OUT_ROWS are `fit_calibration --save-rows` files (raw scores,
`calibrated=False`) of two different corpus seeds. The table is fitted on the
first and applied to the second exactly as the extractor would (calibrate each
header field with its evidence, then re-derive the low-confidence reasons), and
scored with tests/bench_extract.py's rules. For choosing which evidence to split
by without an hour of OCR per try; the real bench still has the last word.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from appliance.ocr import calibration, confidence, evidence
from appliance.ocr.evidence import CALIBRATED
from tests.bench_extract import score
from tests.ocr_samples.fit_calibration import evidence_of, fit_table


def apply(rows: list, table: dict, kinds: dict) -> list:
    """The results the extractor would give with `table` (swapped in for the bundled one)."""
    saved = calibration.TABLE, confidence.TABLE, evidence.CALIBRATED
    calibration.TABLE = confidence.TABLE = table
    evidence.CALIBRATED = kinds
    try:
        out = []
        for truth, got in rows:
            got = dict(got)
            clear = (got.get("timings_ms") or {}).get("page_clear")
            raw = got.get("confidence") or {}
            conf = {
                f: calibration.calibrate(f, c, "clear" if clear else "noisy", evidence_of(got, f)) if f in table else c
                for f, c in raw.items()
            }
            review = [
                r
                for r in got.get("needs_review") or []
                if not (r.endswith(":low_confidence") and r.split(":")[0] in raw)
            ]
            for f, c in conf.items():
                bar = confidence.REVIEW_BELOW if f in table else confidence.RAW_REVIEW_BELOW
                if got.get(f) is not None and c < bar:
                    review.append(f"{f}:low_confidence")
            got["confidence"], got["needs_review"] = conf, review
            out.append((truth, got, 1.0))
        return out
    finally:
        calibration.TABLE, confidence.TABLE, evidence.CALIBRATED = saved


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.ocr_samples.simulate", description=__doc__.split("\n\n")[0])
    ap.add_argument("fit_rows", type=Path)
    ap.add_argument("held_out_rows", type=Path)
    ap.add_argument("--pooled", action="store_true", help="no evidence: the field tables alone (the old way)")
    a = ap.parse_args(argv)
    kinds = {} if a.pooled else CALIBRATED
    table = fit_table(json.loads(a.fit_rows.read_text()), kinds=kinds)
    res = score(apply(json.loads(a.held_out_rows.read_text()), table, kinds), 0)
    keys = ("straight_through_rate", "silent_error_rate", "header_accuracy_clean_scanned", "header_accuracy_photo")
    print(json.dumps({k: round(res[k], 4) for k in keys} | {"calibration": res["calibration"]}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
