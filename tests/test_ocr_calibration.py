"""Calibrated doubt and the repairs that feed it: calibration tables, Bengali text-layer debris,
table rules, second readings of invoice numbers, and fields that must never go quietly empty."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from appliance.ocr import calibration, confidence, reread
from appliance.ocr.calibration_table import TABLE
from appliance.ocr.preprocess import remove_rules
from appliance.ocr.textlayer import repair_bengali


def test_calibration_tables_are_monotone_probabilities():
    assert TABLE, "calibration_table.py is empty: run python -m tests.ocr_samples.fit_calibration"
    for field, blocks in TABLE.items():
        raws = [b[0] for b in blocks]
        probs = [b[1] for b in blocks]
        assert raws == sorted(raws), field
        assert probs == sorted(probs), field
        assert all(0 < p < 1 for p in probs), field


@given(st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1))
def test_a_higher_raw_score_never_means_less_confidence(a, b):
    for field in TABLE:
        lo, hi = sorted((a, b))
        assert calibration.calibrate(field, lo) <= calibration.calibrate(field, hi)


@given(st.lists(st.tuples(st.floats(min_value=0, max_value=1), st.booleans()), min_size=1, max_size=300))
def test_fit_is_a_monotone_step_function_that_never_claims_certainty(points):
    blocks = calibration.fit(points, min_count=10)
    probs = [p for _, p, _ in blocks]
    assert probs == sorted(probs)
    assert all(0 < p < 1 for p in probs)
    assert sum(n for _, _, n in blocks) == len(points)


def test_fit_recovers_observed_accuracy():
    points = [(0.3, i % 2 == 0) for i in range(50)] + [(0.9, i % 10 != 0) for i in range(100)]
    blocks = calibration.fit(points)
    assert abs(calibration.fit(points)[0][1] - 0.5) < 0.05
    assert abs(blocks[-1][1] - 0.9) < 0.05


def test_bengali_text_layer_debris_is_dropped():
    assert repair_bengali("নি0বন্ধি2ত ব্যক্তি4র নামঃ") == "নিবন্ধিত ব্যক্তির নামঃ"
    assert repair_bengali("নি(cid:48)বন্ধি(cid:50)ত") == "নিবন্ধিত"
    assert repair_bengali("কেWজিr") == "কেজি"


def test_bengali_repair_keeps_numbers_ids_and_punctuation():
    for text in ("INV-২০২৪-৪০৮৫২", "মূসক-৬.৩", "উপ-বিধি", "৬৯/B,", "(টাকায়)", "১২.৫০", "নামঃ", "৫%"):
        assert repair_bengali(text) == text


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126)))
def test_bengali_repair_never_touches_latin_text(text):
    assert repair_bengali(text) == text


def test_table_rules_are_removed_and_text_kept():
    page = np.full((400, 600), 255, np.uint8)
    page[100, 20:580] = 0  # a horizontal rule
    for x in (60, 200, 300, 420, 540):
        page[50:350, x] = 0  # the column rules of a table
    page[200:220, 100:104] = 0  # a short text stroke
    clean = remove_rules(page)
    assert clean[100, 20:580].min() == 255
    assert clean[50:350, 300].min() == 255
    assert clean[200:220, 100:104].max() == 0


def test_second_reading_agreement_ignores_case_and_digit_script():
    assert reread.same_id("INV-২০২৪-৪০৮৫২", "inv-2024-40852")
    assert not reread.same_id("145/26/74858", "MS/26/74858")


def test_every_empty_header_field_is_named_for_review():
    values = {"supplier_name": "X", "invoice_number": "1", "invoice_date": "2024-01-01", "total": 10.0,
              "subtotal": None, "vat_rate": None, "vat_amount": None, "discount": None, "supplier_bin": "123456789"}  # fmt: skip
    reasons = confidence.reasons(values, {}, "BDT")
    for field in ("subtotal", "vat_rate", "vat_amount", "discount"):
        assert f"{field}:missing" in reasons


def test_page_kind_tells_a_clear_page_from_a_noisy_one():
    assert calibration.page_kind(True, []) == "clear"
    assert calibration.page_kind(False, [0.95] * 90 + [0.5] * 10) == "clear"
    assert calibration.page_kind(False, [0.95] * 50 + [0.5] * 50) == "noisy"
    assert calibration.page_kind(False, []) == "noisy"


def test_evidence_picks_its_own_table_and_rare_evidence_never_passes_unread(monkeypatch):
    from appliance.ocr import evidence

    table = {
        "total": [(0.0, 0.9, 100)],
        "total+balanced": [(0.0, 0.6, 20), (0.9, 0.99, 80)],
        "total+": [(0.0, 0.5, 40)],
    }
    monkeypatch.setattr(calibration, "TABLE", table)
    monkeypatch.setattr(evidence, "CALIBRATED", {"total": ("balanced", "items")})
    assert calibration.calibrate("total", 0.95, evidence={"balanced", "unused_kind"}) == 0.99
    assert calibration.calibrate("total", 0.5, evidence={"balanced"}) == 0.6
    assert calibration.calibrate("total", 0.95) == 0.5
    # "total+balanced+items" was too rare to fit: the pooled table, capped under the review bar
    assert calibration.calibrate("total", 0.95, evidence={"balanced", "items"}) < confidence.REVIEW_BELOW


def test_amounts_that_close_are_tagged_and_inferred_ones_are_not():
    from appliance.ocr import evidence
    from appliance.ocr.reconcile import Amounts

    closed = Amounts(
        values={"subtotal": 1000.0, "discount": 0.0, "sd": 0.0, "vat_amount": 150.0, "total": 1150.0},
        conf={}, balanced=True, items_match=True, vat_rate=15.0,
    )  # fmt: skip
    ev = evidence.of_amounts(closed, 1000.0)
    assert ev["subtotal"] == {"balanced", "items"} and ev["vat_amount"] == {"balanced", "rate"}
    assert ev["total"] == {"balanced"} and ev["vat_rate"] == {"rate"}
    assert evidence.of_amounts(closed, 999.7)["subtotal"] == {"balanced"}  # the reconciler's 0.51 is not exact
    closed.values["total"] = 1150.3
    assert evidence.of_amounts(closed, 1000.0)["total"] == set()
    closed.values["total"], closed.review = 1150.0, ["arithmetic:line_items_ne_subtotal"]
    assert all(not kinds for kinds in evidence.of_amounts(closed, 1000.0).values())
    closed.review = ["total:inferred"]
    assert evidence.of_amounts(closed, 1000.0)["total"] == set()


def test_an_identifier_printed_twice_is_repeated_evidence():
    from appliance.ocr import evidence
    from appliance.ocr.layout import Line, Word

    def line(i: int, text: str) -> Line:
        return Line([Word(t, 0.95, 10.0 * k, 0, 10.0 * k + 9, 10, 0) for k, t in enumerate(text.split())], index=i)

    lines = [line(0, "Invoice No: INV-2024-0457"), line(1, "Ref INV-2024-0457 paid"), line(2, "Total 100")]
    assert evidence.of_id("INV-2024-0457", 0, [], lines) == {"repeated", "shaped"}
    assert evidence.of_id("INV-2024-0457", 0, [], lines[:1] + lines[2:]) == {"shaped"}
    assert evidence.of_name("Rahman Traders", 0, [line(0, "Rahman Traders"), line(1, "For Rahman Traders")]) == {
        "repeated",
        "latin",
    }
    assert evidence.of_name("রহমান ট্রেডার্স লিমিটেড", 0, [line(0, "রহমান ট্রেডার্স লিমিটেড")]) == set()
