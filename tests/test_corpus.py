"""The synthetic invoice corpus tells the truth: sums add up, files open, plans are balanced."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from tests.corpus.generate import KINDS, QUALITIES, generate, load_truth, plan
from tests.corpus.notation import NumberStyle, bn_digits, bn_words, en_words, fmt_amount

BIN_RE = re.compile(r"^[0-9]{9}(-[0-9]{4})?$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    # 2 of every layout, qualities rotating, so each layout is seen in two qualities
    return generate(tmp_path_factory.mktemp("corpus"), n=2 * len(KINDS), seed=11)


def test_every_document_has_a_truth_file_with_meta(corpus: list[Path]) -> None:
    for doc in corpus:
        truth = load_truth(doc)
        assert truth["source"] == doc.name
        assert truth["meta"]["layout"] in KINDS
        assert truth["meta"]["quality"] in QUALITIES
        assert truth["meta"]["language"] in ("en", "bn", "mixed")


def test_lines_sum_to_subtotal_and_total_adds_up(corpus: list[Path]) -> None:
    for doc in corpus:
        t = load_truth(doc)
        for li in t["line_items"]:
            assert li["amount"] == pytest.approx(round(li["quantity"] * li["unit_price"], 2), abs=0.005), doc
        assert sum(li["amount"] for li in t["line_items"]) == pytest.approx(t["subtotal"], abs=0.005), doc
        assert t["subtotal"] - t["discount"] + t["vat_amount"] == pytest.approx(t["total"], abs=0.005), doc
        assert t["vat_amount"] == pytest.approx(
            round((t["subtotal"] - t["discount"]) * t["vat_rate"] / 100, 2), abs=0.005
        )
        for k in ("subtotal", "discount", "vat_amount", "total"):
            assert round(t[k], 2) == t[k]


def test_truth_fields_follow_the_schema_formats(corpus: list[Path]) -> None:
    for doc in corpus:
        t = load_truth(doc)
        assert t["supplier_bin"] is None or BIN_RE.match(t["supplier_bin"]), t["supplier_bin"]
        assert DATE_RE.match(t["invoice_date"])
        assert t["invoice_number"].isascii() and t["invoice_number"].strip() == t["invoice_number"]
        assert t["currency"] in ("BDT", "USD", "EUR", "INR")
        if t["currency"] != "BDT":
            assert t["supplier_bin"] is None


def test_every_document_opens(corpus: list[Path]) -> None:
    import pypdfium2 as pdfium

    for doc in corpus:
        data = doc.read_bytes()
        meta = load_truth(doc)["meta"]
        if doc.suffix == ".pdf":
            pdf = pdfium.PdfDocument(data)
            assert len(pdf) == meta["pages"]
            assert pdf[0].render(scale=0.3).to_pil().size[0] > 50
        else:
            img = Image.open(io.BytesIO(data))
            img.load()
            assert min(img.size) > 300 and img.mode in ("RGB", "L")


def test_text_layer_pdfs_carry_their_english_text(corpus: list[Path]) -> None:
    import pypdfium2 as pdfium

    for doc in corpus:
        t = load_truth(doc)
        if t["meta"]["format"] == "pdf_text" and t["meta"]["digits"] == "ascii":
            text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(doc.read_bytes()))
            assert t["invoice_number"] in text


def test_same_seed_gives_the_same_truth(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", n=3, seed=5)
    b = generate(tmp_path / "b", n=3, seed=5)
    for x, y in zip(a, b, strict=True):
        assert json.dumps(load_truth(x)) == json.dumps(load_truth(y))


def test_plan_rotates_layouts_and_qualities_evenly() -> None:
    p = plan(len(KINDS) * len(QUALITIES), seed=1)
    assert {(k, q) for k, _, q in p} == {(k, q) for k in KINDS for q in QUALITIES}
    with pytest.raises(ValueError):
        plan(3, seed=1, kinds=["nonsense"])


@pytest.mark.parametrize(
    "value,style,expected",
    [
        (141602, NumberStyle("lakh"), "1,41,602.00"),
        (141602.5, NumberStyle("western"), "141,602.50"),
        (12345678.9, NumberStyle("lakh"), "1,23,45,678.90"),
        (1200, NumberStyle("lakh", decimals=False, slash_dash=True), "1,200/-"),
        (1234.56, NumberStyle("western", european=True), "1.234,56"),
        (999, NumberStyle("lakh", bengali=True), "৯৯৯.০০"),
    ],
)
def test_amounts_are_printed_as_bangladeshi_shops_print_them(value: float, style: NumberStyle, expected: str) -> None:
    assert fmt_amount(value, style) == expected


def test_amounts_in_words() -> None:
    assert en_words(141602) == "One Lakh Forty-One Thousand Six Hundred Two"
    assert bn_words(141602) == "এক লক্ষ একচল্লিশ হাজার ছয় শত দুই"
    assert bn_digits("26/11/2026") == "২৬/১১/২০২৬"
