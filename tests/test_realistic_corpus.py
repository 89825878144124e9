"""The extractor reads the hand-written realistic family (tests/corpus/realistic.py) it was never fitted to.

The text-layer PDFs of every spec (no OCR: seconds), and the 300-dpi PNGs of a few through
Tesseract. Thresholds sit a little below what the rules reach, so a change that loses a
general rule (a label synonym, a decoy number, a date form) fails here;
tests/ocr_samples/realistic_report.py names every wrong field.
"""

from __future__ import annotations

import pytest

from appliance.ocr import ExtractOptions, Extractor
from tests.bench_extract import HEADER, field_ok
from tests.corpus.realistic import BY_NAME, SPECS, pdf_bytes, png_bytes

FIELDS = (*HEADER, "currency")
# measured (45 specs): PDF 100% of header fields; PNG 96.4%; the nine PNGs below read all 9 fields
PDF_HEADER_AT_LEAST = 0.98
PDF_FIELD_AT_LEAST = 0.93
PNG_SPECS = (
    "mushak63-two-column",
    "german-rechnung",
    "india-restaurant-gst",
    "quickbooks-us-date",
    "bd-export-zero-vat",
    "german-kassenbon",
    "mushak63-erp-seller-buyer-bins",
    "singapore-gst-inclusive-receipt",
    "bd-utility-bill",
)


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(ExtractOptions())


def _wrong(extractor: Extractor, names: list[str], kind: str) -> tuple[dict[str, int], list[str]]:
    ok = dict.fromkeys(FIELDS, 0)
    wrong = []
    for name in names:
        spec = BY_NAME[name]
        got = extractor.extract(pdf_bytes(spec) if kind == "pdf" else png_bytes(spec), f"{name}.{kind}")
        for f in FIELDS:
            if field_ok(f, spec.truth[f], got.get(f)):
                ok[f] += 1
            else:
                wrong.append(f"{name}.{f}: want {spec.truth[f]!r}, got {got.get(f)!r}")
    return ok, wrong


def test_every_spec_is_a_distinct_style_whose_truth_adds_up():
    assert len(SPECS) >= 45 and len(BY_NAME) == len(SPECS) and len({s.style for s in SPECS}) == len(SPECS)
    for s in SPECS:
        t = s.truth
        assert 0 <= t["vat_amount"] <= t["total"] and 0 < t["subtotal"], s.name
        assert t["vat_rate"] == 0 or t["vat_amount"] > 0, s.name


def test_text_layer_pdfs_of_the_realistic_family_are_read(extractor):
    ok, wrong = _wrong(extractor, [s.name for s in SPECS], "pdf")
    header = sum(ok[f] for f in HEADER) / (len(HEADER) * len(SPECS))
    assert header >= PDF_HEADER_AT_LEAST, "\n".join(wrong)
    for f in FIELDS:
        assert ok[f] / len(SPECS) >= PDF_FIELD_AT_LEAST, f"{f}: " + "\n".join(w for w in wrong if f".{f}:" in w)


@pytest.mark.slow
def test_scanned_pngs_of_a_few_realistic_styles_are_read_through_ocr(extractor):
    ok, wrong = _wrong(extractor, list(PNG_SPECS), "png")
    assert sum(ok.values()) >= len(FIELDS) * len(PNG_SPECS) - 2, "\n".join(wrong)
