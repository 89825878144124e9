"""End-to-end extraction with real Tesseract on invoices drawn here with Pillow.

Each invoice is drawn from a small spec (English trade invoice, Bengali
Mushak-6.3 with the buyer's BIN beside the seller's, a cash memo without VAT,
a foreign receipt), then read back; the result must validate against the shared
schema and the fields the spec printed must come back, or be null and flagged.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from PIL import Image, ImageDraw, ImageFont

from appliance.ocr import ExtractOptions, Extractor, Supplier
from appliance.ocr.layout import Word

FONTS = Path("/usr/share/fonts/truetype/noto")
REPO = Path(__file__).resolve().parent.parent
SCHEMA_PATHS = [
    REPO.parent / "shared" / "schema" / "invoice.schema.json",
    Path("/work/shared/schema/invoice.schema.json"),
]


def schema() -> dict:
    path = next(p for p in SCHEMA_PATHS if p.exists())
    return json.loads(path.read_text())


def font(size: int, bengali: bool = False, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = ("NotoSansBengali" if bengali else "NotoSans") + ("-Bold" if bold else "-Regular") + ".ttf"
    return ImageFont.truetype(str(FONTS / name), size, layout_engine=ImageFont.Layout.RAQM)


class Drawing:
    """An A4 page at 150 dpi; `row` writes cells at x positions (mm-ish units of the page width)."""

    def __init__(self) -> None:
        self.img = Image.new("RGB", (1240, 1754), "white")
        self.d = ImageDraw.Draw(self.img)
        self.y = 70

    def text(self, x: int, s: str, size: int = 22, bold: bool = False, right: bool = False) -> None:
        bn = any("\u0980" <= ch <= "\u09ff" for ch in s)
        f = font(size, bn, bold)
        if right:
            x -= int(self.d.textlength(s, font=f))
        self.d.text((x, self.y), s, font=f, fill="black")

    def row(self, cells: list[tuple[int, str]], size: int = 22, bold: bool = False, gap: int = 40) -> None:
        for x, s in cells:
            self.text(abs(x), s, size, bold, right=x < 0)
        self.y += gap

    def rule(self) -> None:
        self.d.line((70, self.y, 1170, self.y), fill="black", width=2)
        self.y += 14

    def jpeg(self) -> bytes:
        buf = io.BytesIO()
        self.img.save(buf, "JPEG", quality=90)
        return buf.getvalue()


def english_trade_invoice() -> bytes:
    p = Drawing()
    p.row([(70, "Meghna Paper House Ltd.")], 40, True, 60)
    p.row([(70, "House 12, Road 5, Tejgaon I/A, Dhaka-1208")])
    p.row([(70, "Phone: 01711-234567   BIN: 000456789-0101")], gap=60)
    p.row([(70, "TAX INVOICE")], 30, True, 60)
    p.row([(70, "Invoice No: INV-2024-0457"), (760, "Date: 14/03/2024")])
    p.row([(70, "Bill To: Rahman Traders"), (760, "Buyer BIN: 001234567-0202")], gap=60)
    p.rule()
    p.row([(70, "SL"), (130, "Description"), (-720, "Qty"), (-900, "Unit Price"), (-1160, "Amount")], bold=True)
    p.rule()
    p.row([(70, "1"), (130, "A4 Paper 80gsm"), (-720, "20"), (-900, "480.00"), (-1160, "9,600.00")])
    p.row([(70, "2"), (130, "Printer Toner 85A"), (-720, "3"), (-900, "2,150.00"), (-1160, "6,450.00")])
    p.row([(70, "3"), (130, "LED Bulb 12W"), (-720, "12"), (-900, "185.00"), (-1160, "2,220.00")])
    p.rule()
    p.row([(700, "Sub Total"), (-1160, "18,270.00")])
    p.row([(700, "Discount"), (-1160, "270.00")])
    p.row([(700, "VAT 15%"), (-1160, "2,700.00")])
    p.row([(700, "Grand Total"), (-1160, "20,700.00")], bold=True)
    p.row([(70, "In words: Taka Twenty Thousand Seven Hundred only")])
    return p.jpeg()


def bengali_mushak_invoice() -> bytes:
    p = Drawing()
    p.row([(420, "গণপ্রজাতন্ত্রী বাংলাদেশ সরকার")], 24, False, 40)
    p.row([(470, "কর চালানপত্র")], 28, True, 40)
    p.row([(900, "মূসক-৬.৩")], 22, False, 50)
    p.row([(70, "নিবন্ধিত ব্যক্তির নাম: পদ্মা ট্রেডার্স")], 24, False, 44)
    p.row([(70, "নিবন্ধিত ব্যক্তির বিআইএন: ০০০৭৮৯১২৩-০১০১")], 24, False, 44)
    p.row([(70, "ঠিকানা: ৪৫ নবাবপুর রোড, ঢাকা")], 24, False, 56)
    p.row([(70, "ক্রেতার নাম: করিম এন্টারপ্রাইজ")], 24, False, 44)
    p.row([(70, "ক্রেতার বিআইএন: ০০১১২২৩৩৪-০১০১")], 24, False, 56)
    p.row([(70, "চালানপত্র নম্বর: ২৪৫৬"), (700, "ইস্যুর তারিখ: ০৫/০৬/২০২৪")], 24, False, 60)
    p.rule()
    p.row([(70, "ক্রম"), (150, "পণ্যের বিবরণ"), (-720, "পরিমাণ"), (-900, "একক মূল্য"), (-1160, "মোট মূল্য")], bold=True)
    p.rule()
    p.row([(70, "১"), (150, "মিনিকেট চাল"), (-720, "৫০"), (-900, "৭২.০০"), (-1160, "৩,৬০০.০০")], 24)
    p.row([(70, "২"), (150, "সয়াবিন তেল"), (-720, "১০"), (-900, "৮৫০.০০"), (-1160, "৮,৫০০.০০")], 24)
    p.rule()
    p.row([(700, "উপমোট"), (-1160, "১২,১০০.০০")], 24)
    p.row([(700, "মূসক ১৫%"), (-1160, "১,৮১৫.০০")], 24)
    p.row([(700, "সর্বমোট"), (-1160, "১৩,৯১৫.০০")], 24, True)
    return p.jpeg()


def cash_memo_without_vat() -> bytes:
    p = Drawing()
    p.row([(300, "Bhai Bhai General Store")], 40, True, 60)
    p.row([(330, "Zindabazar, Sylhet. Mobile: 01819-555666")], gap=50)
    p.row([(480, "CASH MEMO")], 30, True, 60)
    p.row([(70, "Memo No: 3381"), (760, "Date: 02-Jan-2025")], gap=60)
    p.row([(70, "Item"), (-720, "Qty"), (-900, "Rate"), (-1160, "Total")], bold=True)
    p.rule()
    p.row([(70, "Sugar"), (-720, "5"), (-900, "130.00"), (-1160, "650.00")])
    p.row([(70, "Tea Leaves"), (-720, "2"), (-900, "450.00"), (-1160, "900.00")])
    p.rule()
    p.row([(700, "Total Tk."), (-1160, "1,550.00")], bold=True)
    return p.jpeg()


def foreign_receipt() -> bytes:
    p = Drawing()
    p.row([(70, "Harbor Office Depot")], 40, True, 60)
    p.row([(70, "Newark, NJ 07102")], gap=60)
    p.row([(70, "Receipt #: 77120"), (760, "Date: March 5, 2024")], gap=60)
    p.row([(70, "Description"), (-720, "Qty"), (-900, "Price"), (-1160, "Amount")], bold=True)
    p.row([(70, "Wireless Mouse"), (-720, "2"), (-900, "$25.00"), (-1160, "$50.00")])
    p.row([(70, "USB-C Cable 2m"), (-720, "3"), (-900, "$12.00"), (-1160, "$36.00")])
    p.row([(700, "Subtotal"), (-1160, "$86.00")])
    p.row([(700, "Sales Tax 7%"), (-1160, "$6.02")])
    p.row([(700, "Total USD"), (-1160, "$92.02")], bold=True)
    return p.jpeg()


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(ExtractOptions(use_llm=False))


def check_schema(result: dict) -> None:
    jsonschema.validate(result, schema(), format_checker=jsonschema.FormatChecker())


def assert_read_or_flagged(result: dict, field: str, want: object) -> None:
    """The field is right, or it is null / low-confidence and named in needs_review."""
    got = result[field]
    if got == want or (isinstance(want, float) and isinstance(got, float) and abs(got - want) < 0.01):
        return
    flagged = any(r.startswith(field + ":") or r.startswith("arithmetic:") for r in result["needs_review"])
    assert flagged, f"{field}: got {got!r}, want {want!r}, and it is not flagged: {result['needs_review']}"
    pytest.fail(f"{field}: got {got!r}, want {want!r} (flagged)")


@pytest.mark.slow
def test_english_trade_invoice_reads_every_header_field(extractor):
    r = extractor.extract(english_trade_invoice(), "trade.jpg")
    check_schema(r)
    expected = {
        "supplier_name": "Meghna Paper House Ltd.", "supplier_bin": "000456789-0101",
        "invoice_number": "INV-2024-0457", "invoice_date": "2024-03-14", "currency": "BDT",
        "subtotal": 18270.0, "discount": 270.0, "vat_rate": 15.0, "vat_amount": 2700.0, "total": 20700.0,
    }  # fmt: skip
    for field, want in expected.items():
        assert_read_or_flagged(r, field, want)
    assert [i["amount"] for i in r["line_items"]] == [9600.0, 6450.0, 2220.0]
    assert r["line_items"][1]["quantity"] == 3 and r["line_items"][1]["unit_price"] == 2150.0
    # without master data a name read off the page is right ~88% of the time (calibration
    # table), under the review bar: only doubt about what a page cannot prove is left
    assert all(reason.endswith(":low_confidence") for reason in r["needs_review"]), r["needs_review"]
    assert r["confidence"]["total"] >= 0.9


@pytest.mark.slow
def test_known_supplier_clean_invoice_goes_straight_through():
    meghna = Supplier("Meghna Paper House Ltd.", "000456789-0101", vat_rate=15.0)
    r = Extractor(ExtractOptions(use_llm=False, suppliers=(meghna,))).extract(english_trade_invoice(), "trade.jpg")
    check_schema(r)
    assert r["supplier_name"] == "Meghna Paper House Ltd." and r["confidence"]["supplier_name"] >= 0.96
    assert r["total"] == 20700.0 and r["confidence"]["total"] >= 0.96
    assert not [x for x in r["needs_review"] if not x.startswith(("invoice_number:", "invoice_date:"))], r[
        "needs_review"
    ]


@pytest.mark.slow
def test_bengali_mushak_invoice_tells_seller_bin_from_buyer_bin(extractor):
    r = extractor.extract(bengali_mushak_invoice(), "mushak.jpg")
    check_schema(r)
    assert r["supplier_bin"] == "000789123-0101"
    assert r["language"] == "bn"
    for field, want in {
        "invoice_number": "2456",
        "invoice_date": "2024-06-05",
        "subtotal": 12100.0,
        "vat_amount": 1815.0,
        "total": 13915.0,
        "vat_rate": 15.0,
    }.items():
        assert_read_or_flagged(r, field, want)
    assert r["supplier_name"] is not None and "পদ্মা" in r["supplier_name"]


@pytest.mark.slow
def test_cash_memo_without_vat_is_proven_zero_vat(extractor):
    r = extractor.extract(cash_memo_without_vat(), "memo.jpg")
    check_schema(r)
    assert r["total"] == 1550.0 and r["vat_amount"] == 0.0 and r["vat_rate"] == 0.0
    assert r["invoice_number"] == "3381" and r["invoice_date"] == "2025-01-02"
    assert r["supplier_name"] == "Bhai Bhai General Store"
    # no BIN printed and no VAT charged: an empty BIN is the right answer, not a doubt
    assert r["supplier_bin"] is None and "supplier_bin:missing" not in r["needs_review"]


@pytest.mark.slow
def test_foreign_receipt_keeps_its_currency(extractor):
    r = extractor.extract(foreign_receipt(), "receipt.jpg")
    check_schema(r)
    assert r["currency"] == "USD"
    assert r["invoice_date"] == "2024-03-05"
    assert (r["subtotal"], r["vat_amount"], r["total"]) == (86.0, 6.02, 92.02)
    assert "supplier_bin:missing" not in r["needs_review"]


@pytest.mark.slow
def test_master_data_match_by_bin_confirms_supplier(extractor):
    known = Supplier("Meghna Paper House Limited", bin="000456789-0101", vat_rate=15.0)
    ex = Extractor(ExtractOptions(use_llm=False, suppliers=(known,)))
    r = ex.extract(english_trade_invoice(), "trade.jpg")
    assert r["supplier_name"] == "Meghna Paper House Limited"
    assert r["confidence"]["supplier_bin"] >= 0.95


@pytest.mark.slow
def test_scanned_pdf_is_rendered_and_read(extractor):
    img = Image.open(io.BytesIO(cash_memo_without_vat()))
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=150)
    r = extractor.extract(buf.getvalue(), "memo.pdf")
    check_schema(r)
    assert r["total"] == 1550.0


def test_blank_page_is_unreadable_not_an_exception(extractor):
    buf = io.BytesIO()
    Image.new("RGB", (800, 1100), "white").save(buf, "PNG")
    r = extractor.extract(buf.getvalue(), "blank.png")
    check_schema(r)
    assert r["error"] and r["needs_review"] == ["document:unreadable"]


def test_every_result_has_timings(extractor):
    r = extractor.extract(b"", "empty.jpg")
    check_schema(r)
    assert "total" in r["timings_ms"]


@pytest.mark.slow
def test_llm_settles_an_unsure_supplier_name_within_a_few_seconds():
    """The model only picks among printed lines; its time is reported apart."""
    p = Drawing()
    p.row([(70, "Sabuj Bangla")], 26, False, 40)
    p.row([(70, "Karim Uddin")], 26, False, 60)
    p.row([(70, "Invoice No: 55"), (760, "Date: 01/02/2024")], gap=60)
    p.row([(700, "Total"), (-1160, "500.00")])
    r = Extractor(ExtractOptions(use_llm=True)).extract(p.jpeg(), "unsure.jpg")
    check_schema(r)
    assert "llm" in r["timings_ms"] and r["timings_ms"]["llm"] < 15_000
    assert r["supplier_name"] in ("Sabuj Bangla", "Karim Uddin")
    assert "supplier_name:low_confidence" in r["needs_review"] or r["confidence"]["supplier_name"] >= 0.6


# --- amounts and line items on lines as the layout stage hands them on ---------------------
# (the words Tesseract returns, placed on a 1000 px wide page; the rules alone, no OCR)


def ocr_lines(rows: list[list[tuple[int, str]]]) -> list:
    """One line per row of (x, text) cells, 12 px a character; a negative x is a right edge."""
    from appliance.ocr.layout import Line, Word, split_segments

    out = []
    for i, cells in enumerate(rows):
        words = []
        for x, text in cells:
            x = abs(x) - 12 * len(text) if x < 0 else x
            for w in text.split():
                words.append(Word(w, 0.95, x, 40 * i, x + 12 * len(w), 40 * i + 20))
                x += 12 * (len(w) + 1)
        line = Line(words, page_height=1400, page_width=1000, index=i)
        line.segments = split_segments(words, 20)
        out.append(line)
    return out


def read_amounts(rows: list[list[tuple[int, str]]]) -> dict:
    from appliance.ocr import empty_result

    result, conf, review = empty_result("test"), {}, []
    Extractor()._amounts(ocr_lines(rows), result, conf, review)
    return {**result, "review": review, "conf": conf}


def quantities(rows: list[list[tuple[int, str]]]) -> list[tuple]:
    from appliance.ocr.lines import items

    return [(i.quantity, i.unit_price, i.amount) for i in items(ocr_lines(rows))]


def test_quantity_the_ocr_dropped_is_the_amount_over_the_price():
    rows = [
        [(50, "Description of Goods"), (-700, "Rate (Tk)"), (-950, "Amount (Tk)")],
        [(50, "Laptop Core i5"), (-700, "83,070.98"), (-950, "1,66,141.96")],
        [(50, "LED Bulb 12W"), (-700, "177.00"), (-950, "177.00")],
        [(50, "Poly Bag"), (-700, "236.17"), (-950, "500.00")],  # no whole count: stays unread
    ]
    assert quantities(rows) == [(2.0, 83070.98, 166141.96), (1.0, 177.0, 177.0), (None, 236.17, 500.0)]


def test_price_printed_left_of_the_quantity_is_told_by_its_paisa():
    rows = [[(50, "Item"), (-950, "Amount")], [(50, "Sugar"), (-500, "137.00"), (-700, "22"), (-950, "3,014.00")]]
    assert quantities(rows) == [(22.0, 137.0, 3014.0)]


def test_receipt_line_qty_times_price_whose_amount_ocr_lost_takes_its_name_from_above():
    from appliance.ocr.lines import items

    rows = [
        [(20, "Cement 50kg Bag")],
        [(40, "20 X 528.00"), (-950, ".00")],
        [(20, "Sugar 33 x 123.00"), (-950, "4,059.00")],
        [(20, "Subtotal"), (-950, "14,619.00")],
    ]
    got = items(ocr_lines(rows))
    assert [(i.description, i.quantity, i.amount) for i in got] == [
        ("Cement 50kg Bag", 20.0, 10560.0),
        ("Sugar", 33.0, 4059.0),
    ]


def test_number_inside_a_description_is_not_an_item():
    rows = [
        [(20, "Description"), (-950, "Total")],
        [(20, "Detergent Powder 119")],
        [(40, "10 x 199/-"), (-950, "1,990/-")],
        [(20, "A4 Paper 80gsm 10 x 471/-"), (-950, "4,710/-")],
        [(20, "Net Amount"), (-950, "6,700.00")],
    ]
    assert quantities(rows) == [(10.0, 199.0, 1990.0), (10.0, 471.0, 4710.0)]


def test_continued_page_repeats_the_header_and_names_itself_but_adds_no_item():
    header = [(50, "SL Description of Goods"), (-600, "Qty"), (-750, "Rate"), (-950, "Line Total")]
    rows = [
        header,
        [(50, "1 Potato"), (-600, "12"), (-750, "43.00"), (-950, "516.00")],
        [(50, "Green Valley Enterprise — Inv. No.: INV-2024-03126"), (-950, "Page 2")],
        header,
        [(50, "2 Lungi"), (-600, "3"), (-750, "412.00"), (-950, "1,236.00")],
        [(600, "Sub-Total"), (-950, "1,752.00")],
    ]
    assert quantities(rows) == [(12.0, 43.0, 516.0), (3.0, 412.0, 1236.0)]


def test_mushak_row_whose_quantity_ocr_lost_closes_on_its_vat():
    rows = [
        [(20, "Description"), (-400, "Unit Price"), (-520, "Total Price"), (-640, "VAT Rate"), (-760, "VAT Amount"),
         (-950, "Total incl. Taxes")],
        [(20, "Lungi"), (-400, "671.30"), (-520, "2,013.90"), (-640, "7.5%"), (-760, "151.04"), (-950, "2,164.94")],
    ]  # fmt: skip
    assert quantities(rows) == [(3.0, 671.3, 2013.9)]


def test_cash_tendered_and_change_are_never_the_total():
    r = read_amounts([
        [(20, "Sub-Total"), (-950, "1,97,546.00")],
        [(20, "Total Payable ৳"), (-950, "1,97,546.00")],
        [(20, "Cash Paid"), (-950, "1,98,000.00")],
        [(20, "Change"), (-950, "454.00")],
    ])  # fmt: skip
    assert r["total"] == 197546.0 and r["vat_amount"] == 0.0


def test_amounts_that_differ_in_a_misread_digit_do_not_balance():
    from appliance.ocr.reconcile import close

    assert close(124503.66, 124504.09)  # a total rounded to the taka
    assert not close(173559.0, 173524.0)  # 0.02% apart, one digit misread


def test_a_label_printed_beside_its_value_on_the_next_line_still_finds_it():
    r = read_amounts([
        [(500, "উপমোট"), (-950, "3,80,316.00")],
        [(500, "বাদ ছাড়"), (-950, "19,015.80")],
        [(520, "@ 7.5%"), (-950, "27,097.52")],
        [(500, "মূসক")],
        [(500, "মোট প্রদেয়"), (-950, "3,88,397.72")],
    ])  # fmt: skip
    assert (r["vat_amount"], r["vat_rate"], r["total"]) == (27097.52, 7.5, 388397.72)


def test_vat_label_torn_over_two_lines_is_never_read_as_no_vat():
    r = read_amounts([
        [(500, "মোট টাকা"), (-950, "1,53,873.62")],
        [(500, "সংযোজন @ 15%"), (-950, "23,051.04")],
        [(500, "মূল্য কর")],
        [(500, "&"), (-950, "1,76,724.66")],
    ])  # fmt: skip
    assert r["vat_amount"] != 0.0 and r["vat_rate"] != 0.0


def test_unread_vat_line_is_computed_only_at_a_standard_rate_and_flagged():
    r = read_amounts([[(500, "Sub-Total"), (-950, "97,407.49")], [(500, "Net Payable Tk"), (-950, "1,12,018.61")]])
    assert (r["vat_amount"], r["vat_rate"]) == (14611.12, 15.0)
    assert "vat_amount:inferred" in r["review"] and "vat_rate:inferred" in r["review"]
    odd = read_amounts([[(500, "Sub-Total"), (-950, "97,407.49")], [(500, "Net Payable Tk"), (-950, "1,12,000.00")]])
    assert odd["vat_amount"] is None


def test_misread_vat_rate_is_named_by_amounts_that_close_and_flagged():
    r = read_amounts([
        [(500, "মোট মূল্য"), (-950, "১,১০,৯২৬.২৯")],
        [(500, "ডিসকাউন্ট"), (-950, "৩,৩২৭.৭৯")],
        [(500, "মূল্য সংযোজন কর @ 96%"), (-950, "১৬,১৩৯.৭৮")],
        [(500, "নিট প্রদেয়"), (-950, "১,২৩,৭৩৮.২৮")],
    ])  # fmt: skip
    assert r["vat_rate"] == 15.0 and "vat_rate:differs_from_amounts" in r["review"]


def header_with_other_numbers_and_dates() -> bytes:
    """A bill whose number and date sit among a PO number, a due date and a print date."""
    p = Drawing()
    p.row([(70, "Rupsha Hardware Ltd.")], 40, True, 60)
    p.row([(70, "12 Khan Jahan Ali Road, Khulna. BIN: 000456789-0101")], gap=60)
    p.row([(70, "PO No: PO-19601"), (760, "Due Date: 14/04/2025")])
    p.row([(70, "Bill No: INV-2408/42769"), (760, "Invoice Date: 12-Mar-2025")], gap=60)
    p.row([(70, "Item"), (-720, "Qty"), (-900, "Rate"), (-1160, "Total")], bold=True)
    p.rule()
    p.row([(70, "Door Hinge 4in"), (-720, "10"), (-900, "85.00"), (-1160, "850.00")])
    p.rule()
    p.row([(700, "Total Tk."), (-1160, "850.00")], bold=True)
    p.y = 1600
    p.row([(70, "Printed on 01/04/2025 10:12")], 18)
    return p.jpeg()


@pytest.mark.slow
def test_invoice_number_and_date_are_told_from_po_due_and_print_dates(extractor):
    r = extractor.extract(header_with_other_numbers_and_dates(), "bill.jpg")
    check_schema(r)
    assert_read_or_flagged(r, "invoice_number", "INV-2408/42769")
    assert r["invoice_number"] != "PO-19601"
    assert_read_or_flagged(r, "invoice_date", "2025-03-12")
    assert r["due_date"] == "2025-04-14"


def test_bilingual_label_gloss_and_a_second_label_on_the_line_are_read_through():
    from appliance.ocr.layout import Line, Word
    from appliance.ocr.parsers import dates, invoice_numbers

    def line(text: str, i: int) -> Line:
        words = [Word(t, 0.95, 100 * k, 20 * i, 100 * k + 90, 20 * i + 15) for k, t in enumerate(text.split())]
        return Line(words, page_height=1000, page_width=1000, index=i, segments=[words])

    lines = [line("Inv. No. (চালান নং) : K31885 তাং / Date : 08 Sep 2024", 0), line("_Challan No: K38430", 1),
             line("সূত্র: ০২৭৫৬১ তারিখঃ ২৭/০৮/২০২৬", 2), line("PO No: PO-34828", 3)]  # fmt: skip
    numbers = {c.value for c in invoice_numbers(lines)}
    assert {"K31885", "K38430", "027561"} <= numbers and "PO-34828" not in numbers
    assert {c.value for c in dates(lines) if c.source == "label"} == {"2024-09-08", "2026-08-27"}


# --- supplier identity, from words placed as the OCR returns them (no Tesseract) ---------


def ocr_page(*rows: tuple[float, float, list[tuple[float, str]]]) -> list:
    """Lines of an A4 page at 200 dpi from (y, type height, [(x, cell text), ...]) rows."""
    from appliance.ocr.layout import Word, group_lines, number_lines

    words = []
    for y, h, cells in rows:
        for x, text in cells:
            for token in text.split():
                width = 0.55 * h * len(token)
                words.append(Word(token, 0.95, x, y, x + width, y + h))
                x += width + 0.3 * h
    return number_lines([group_lines(words, 1654.0, 2339.0)])


def test_two_party_bins_belong_to_the_heading_of_their_column():
    from appliance.ocr import parsers

    for seller_x, buyer_x in ((120, 850), (850, 120)):
        lines = ocr_page(
            (100, 50, [(120, "BILL")]),
            (200, 22, [(seller_x, "Supplier:"), (buyer_x, "Buyer:")]),
            (240, 26, [(seller_x, "Jamuna General Store"), (buyer_x, "Nasrin Akter")]),
            (280, 22, [(seller_x, "House 181, Road 1, Dhaka"), (buyer_x, "211, Kandirpar, Cumilla")]),
            (320, 22, [(seller_x, "BIN No.: 003101394"), (buyer_x, "BIN No.: 002633758-0103")]),
        )
        roles = {c.value: c.role for c in parsers.bins(lines)}
        assert roles == {"003101394": "seller", "002633758-0103": "buyer"}


def test_mushak_row_with_both_bins_tells_seller_from_buyer():
    from appliance.ocr import parsers

    lines = ocr_page((300, 22, [(120, "BIN: 000123456-0101     Buyer's BIN: 004567891-0203")]))
    assert [(c.value, c.role) for c in parsers.bins(lines)] == [("000123456-0101", ""), ("004567891-0203", "buyer")]
    lines = ocr_page((300, 22, [(120, "নিবন্ধিত ব্যক্তির বিআইএন: ০০০৭৮৯১২৩-০১০১"), (850, "ক্রেতার বিআইএন: ০০১১২২৩৩৪")]))
    assert [(c.value, c.role) for c in parsers.bins(lines)] == [("000789123-0101", "seller"), ("001122334", "buyer")]


def test_a_shop_tagline_that_says_seller_does_not_make_its_bin_the_buyers():
    from appliance.ocr import parsers

    lines = ocr_page(
        (100, 60, [(500, "গ্রিন ভ্যালি জেনারেল স্টোর")]),
        (180, 24, [(420, "সকল প্রকার ঔষধ ও সার্জিক্যাল সামগ্রী বিক্রেতা")]),
        (220, 22, [(420, "ফোন +8801337874009 বিআইএন: 002173058")]),
    )
    assert [(c.value, c.role) for c in parsers.bins(lines)] == [("002173058", "")]


def test_name_cut_in_two_by_the_ocr_is_joined_and_keeps_its_abbreviation():
    from appliance.ocr import names

    lines = ocr_page(
        (60, 30, [(700, "বিসমিল্লাহির রাহমানির রাহিম")]),
        (120, 80, [(420, "ভাই ভাই ডিস্ট্রিবিউশন")]),
        (123, 80, [(1200, "লিঃ")]),  # a box overlapping its neighbour's: the OCR gave it a line of its own
        (230, 24, [(450, "দোকান ১৩৬, কান্দিরপাড়, কুমিল্লা-৩৫০০")]),
        (270, 24, [(450, "ফোনঃ 01541-200319 বিআইএন: 008560285")]),
    )
    assert names.supplier_candidates(lines)[0].value == "ভাই ভাই ডিস্ট্রিবিউশন লিঃ"


def test_logo_initials_and_the_buyer_column_stay_out_of_the_name():
    from appliance.ocr import names

    lines = ocr_page(
        (100, 70, [(60, "HE"), (260, "Hossain Electronics")]),
        (190, 24, [(260, "Plot 167/3, Holding 44, Banani, Dhaka-1213")]),
        (300, 22, [(120, "Seller:"), (850, "Buyer:")]),
        (340, 26, [(120, "Teesta Motors"), (850, "M/S. Teesta Hardware")]),
    )
    cands = names.supplier_candidates(lines)
    assert cands[0].value == "Teesta Motors" and cands[0].source == "label_below"
    assert "Hossain Electronics" in [c.value for c in cands]
    assert not any("Hardware" in str(c.value) for c in cands)


def test_an_address_line_is_not_a_name():
    from appliance.ocr import names

    lines = ocr_page(
        (100, 40, [(300, "Ananda Bastralaya")]),
        (160, 40, [(280, "Shop 242, Banani, Dhaka-1213")]),
        (230, 22, [(300, "BIN: 367986822-0103")]),
    )
    assert [c.value for c in names.supplier_candidates(lines)] == ["Ananda Bastralaya"]


@pytest.mark.slow
def test_two_equally_plausible_names_without_a_label_are_flagged(extractor):
    p = Drawing()
    p.row([(70, "Sabuj Traders"), (700, "Karim Enterprise")], 36, True, 70)
    p.row([(70, "Invoice No: 55"), (760, "Date: 01/02/2024")], gap=60)
    p.row([(700, "Total"), (-1160, "500.00")])
    r = extractor.extract(p.jpeg(), "two-names.jpg")
    check_schema(r)
    assert r["supplier_name"] in ("Sabuj Traders", "Karim Enterprise")
    assert "supplier_name:ambiguous" in r["needs_review"]


def test_a_date_cell_with_stray_symbols_or_mixed_digit_scripts_is_garbled():
    from appliance.ocr import _garbled

    def cell(text: str) -> Word:
        return Word(text, 0.9, 0, 0, 10, 10, 0)

    for misread in ("$9.08.২০২৫", "1৭/০৪/২০২৫", "12/O3|2025"):
        assert _garbled(cell(misread)), misread
    for printed in ("১৭/০৪/২০২৫", "17-Apr-2025", "2025-04-17", "১৭ এপ্রিল, ২০২৫", "17.04.25"):
        assert not _garbled(cell(printed)), printed


def test_an_invoice_dated_decades_away_is_flagged_not_trusted():
    from appliance.ocr import _plausible_year

    assert _plausible_year("2025-07-14") and _plausible_year("2001-01-01")
    assert not _plausible_year("2075-07-14") and not _plausible_year("1925-07-14")


def test_mushak_address_label_is_stripped_and_the_buyers_column_left_alone():
    from appliance.ocr.names import address_after

    lines = ocr_lines([
        [(20, "Name of Registered Person : New Madina Electronics"), (560, "Name of Buyer : Green Valley")],
        [(20, "BIN of Registered Person : 006688588-0201"), (560, "BIN of Buyer : 375703094")],
        [(20, "Address of Invoice Issue : 132, Satmatha, Bogura-5800"), (700, "Address of Buyer : Plot 22")],
    ])
    assert address_after(lines, 0) == "132, Satmatha, Bogura-5800"
    plain = ocr_lines([[(20, "Rahim Traders")], [(20, "Address: 12 Station Road, Dhaka")]])
    assert address_after(plain, 0) == "12 Station Road, Dhaka"


# --- label vocabulary and arithmetic met on real invoices from other countries (tests/corpus/realistic.py) ------


def test_the_invoice_number_beside_an_order_number_on_one_line_is_the_invoices():
    from appliance.ocr import parsers
    from appliance.ocr.confidence import best

    lines = ocr_page((300, 22, [(120, "Order Number: 405-7781234-5566123"), (850, "Invoice Number : BLR7-118834")]))
    assert best(parsers.invoice_numbers(lines))[0].value == "BLR7-118834"


@pytest.mark.parametrize(
    "printed, want",
    [("Rechnungsnummer: RE-2025-0318", "RE-2025-0318"), ("Facture N° FA-2025-0457", "FA-2025-0457"),
     ("03.11.2025 17:31 Beleg-Nr. 4821", "4821"), ("ST# 0412 OP# 00231 TRANS# 08811", "08811"), ("নং: ৪৫৬", "456")],
)  # fmt: skip
def test_invoice_number_labels_of_other_languages_and_receipts_are_read(printed, want):
    from appliance.ocr import parsers
    from appliance.ocr.confidence import best

    assert best(parsers.invoice_numbers(ocr_page((300, 22, [(120, printed)]))))[0].value == want


def test_invoice_date_labels_abroad_are_read_and_delivery_or_lc_dates_are_not():
    from appliance.ocr import parsers

    def labelled_dates(*texts: str) -> list:
        lines = ocr_page(*[(300 + 40 * i, 22, [(120, t)]) for i, t in enumerate(texts)])
        return [c.value for c in parsers.dates(lines) if c.source == "label"]

    assert labelled_dates("Lieferdatum: 29.10.2025", "Rechnungsdatum: 03.11.2025") == ["2025-11-03"]
    assert labelled_dates("L/C Date: 2025-09-14", "Bill No: 4471 Dt: 03/11/25") == ["2025-11-03"]


def test_vat_included_in_the_prices_is_a_vat_line_and_total_incl_vat_is_not():
    r = read_amounts([[(20, "Total Amount"), (-950, "880.00")], [(20, "VAT 5% (Incl.)"), (-950, "41.90")]])
    assert (r["vat_rate"], r["vat_amount"], r["total"]) == (5.0, 41.9, 880.0)
    r = read_amounts([[(20, "Subtotal"), (-950, "100.00")], [(20, "Total incl. VAT"), (-950, "115.00")]])
    assert r["vat_amount"] != 115.0 and r["total"] == 115.0


def test_a_quantity_with_its_unit_on_the_totals_row_is_not_the_total():
    r = read_amounts(
        [[(500, "VAT @ 15%"), (-950, "6,930.00")], [(100, "Total"), (500, "360 Nos"), (-950, "Tk 53,130.00")]]
    )
    assert r["total"] == 53130.0 and 360.0 not in (r["subtotal"], r["total"])


def test_a_vat_row_under_a_table_is_a_totals_row_not_an_item():
    rows = [
        [(50, "Description of Goods"), (-600, "Quantity"), (-750, "Rate"), (-950, "Amount")],
        [(50, "Offset Paper 80 gsm"), (-600, "300"), (-750, "120.00"), (-950, "36,000.00")],
        [(50, "VAT @ 15%"), (-600, "15 %"), (-950, "6,930.00")],
    ]
    assert quantities(rows) == [(300.0, 120.0, 36000.0)]


def test_a_name_row_under_a_seller_heading_loses_its_label_and_a_market_is_a_shop():
    from appliance.ocr import names

    lines = ocr_page(
        (100, 30, [(600, "Tax Invoice")]),
        (200, 22, [(120, "Seller"), (850, "Buyer")]),
        (240, 22, [(120, "Name: Meghna Polymer Industries Ltd."), (850, "Name: Surma Plastic House")]),
    )
    assert names.supplier_candidates(lines)[0].value == "Meghna Polymer Industries Ltd."
    lines = ocr_page(
        (100, 40, [(500, "FRESHWAY MARKET")]),
        (160, 22, [(420, "1800 W Alameda Ave, Denver CO 80223")]),
        (260, 22, [(120, "BANANAS"), (1300, "1.29 F")]),
    )
    assert names.supplier_candidates(lines)[0].value == "FRESHWAY MARKET"


@pytest.mark.parametrize(
    "printed, want",
    [(["Total (inc GST)", "AUD 1,089.00", "Amount AUD"], "AUD"), (["Amount (S$)", "SGD 1,635.00"], "SGD"),
     (["Total", "$92.02", "$6.02"], "USD")],
)  # fmt: skip
def test_currency_names_australian_dollars_and_a_dollar_sign_after_a_letter_is_not_usd(printed, want):
    from appliance.ocr import parsers

    assert parsers.currency(ocr_page(*[(300 + 40 * i, 22, [(120, t)]) for i, t in enumerate(printed)]))[0] == want


def test_a_us_invoice_date_is_read_month_first():
    from tests.corpus.realistic import Spec, pdf_bytes, row, truth

    spec = Spec("us", "", truth("Acme Supply LLC", None, "1045", "2025-11-03", 100, 0, 0, 100, "USD"), (
        row((40, "Acme Supply LLC"), size=1.5, bold=True),
        row((40, "INVOICE # 1045"), (300, "DATE 11/03/2025"), gap=2.4),
        row((300, "TOTAL"), (-555, "$100.00")),
    ))  # fmt: skip
    r = Extractor().extract(pdf_bytes(spec), "us.pdf")
    assert (r["currency"], r["invoice_date"]) == ("USD", "2025-11-03")
    assert "invoice_date:ambiguous_day_month" in r["needs_review"]  # a Canadian "$" reads day-first


def _pass(items: list, review: list, **amounts) -> dict:
    from appliance.ocr import empty_result

    out = empty_result("x.png")
    out.update(subtotal=100.0, vat_amount=15.0, total=115.0, line_items=items, needs_review=review)
    out.update(amounts)
    return out


def test_second_reading_gives_the_item_rows_a_ruled_table_lost_only_when_they_add_up():
    from appliance.ocr import _merge_passes

    rows = [{"description": "Rice", "quantity": 2.0, "unit_price": 50.0, "amount": 100.0}]
    first = _pass([], [])
    assert _merge_passes(first, _pass(rows, []))["line_items"] == rows
    doubted = _pass(rows, ["arithmetic:line_items_ne_subtotal"])
    assert _merge_passes(first, doubted)["line_items"] == []
    fewer_amounts = _pass(rows, [], total=None)
    assert _merge_passes(first, fewer_amounts)["line_items"] == []
    assert _merge_passes(_pass(rows, []), _pass([], []))["line_items"] == rows


# --- round 2 of the realistic family: general rules behind its misses ------------------------


def _spec_pdf(currency: str, *rows) -> dict:  # type: ignore[no-untyped-def]
    """Extract a one-page text-layer PDF of the given printed rows (tests/corpus/realistic.py notation)."""
    from tests.corpus.realistic import Spec, pdf_bytes, truth

    spec = Spec("t", "", truth("x", None, "1", "2025-11-03", 1, 0, 0, 1, currency), tuple(rows))
    return Extractor().extract(pdf_bytes(spec), "t.pdf")


def test_change_and_cash_lines_never_lend_an_amount_and_a_vat_table_row_is_vat_evidence():
    from tests.corpus.realistic import row

    r = _spec_pdf(
        "EUR",
        row((40, "Frischmarkt Weber"), size=1.4, bold=True),
        row((40, "Vollkornbrot"), (-300, "3,49 A")),
        row((40, "Käse Gouda"), (-300, "8,49 A")),
        row((40, "SUMME EUR"), (-300, "11,98"), bold=True),
        row((40, "BAR"), (-300, "20,00")),
        row((40, "Rückgeld"), (-300, "8,02")),
        row((40, "MwSt   Netto   Steuer   Brutto")),
        row((40, "A 7%   11,20    0,78   11,98")),
    )
    # the table's gross column says the prices include VAT: the one total is the gross subtotal
    assert (r["subtotal"], r["vat_rate"], r["vat_amount"], r["total"]) == (11.98, 7.0, 0.78, 11.98)


def test_a_vat_line_saying_included_makes_the_one_printed_total_the_gross_subtotal():
    from tests.corpus.realistic import row

    r = _spec_pdf(
        "GBP",
        row((40, "Copper Kettle Tearooms Ltd"), size=1.4, bold=True),
        row((40, "TOTAL"), (-300, "£20.25"), bold=True),
        row((40, "Visa Contactless"), (-300, "£20.25")),
        row((40, "VAT @ 20% (included)"), (-300, "£3.38")),
    )
    assert (r["subtotal"], r["vat_amount"], r["total"]) == (20.25, 3.38, 20.25)


def test_an_indian_gstin_or_cgst_line_names_rupees_when_ocr_lost_the_sign():
    from appliance.ocr import parsers

    lines = ocr_page(
        (300, 22, [(120, "GST Registration No: 29AAFCV2231K1Z5")]),
        (340, 22, [(120, "9% CGST %190.68")]),
        (380, 22, [(120, "TOTAL: 381.36 %2,500.00")]),
    )
    assert parsers.currency(lines)[0] == "INR"
    lines = ocr_page((300, 22, [(120, "Total (incl. GST) $$17.90")]), (340, 22, [(120, "Singapore 160056")]))
    assert parsers.currency(lines)[0] == "SGD"  # "S$" read "$$"


@pytest.mark.parametrize("label", ["Invoice No,", "Invoice N0.", "Invoice N0"])
def test_invoice_no_with_its_full_stop_read_as_a_comma_still_labels_the_number(label):
    from appliance.ocr import parsers

    lines = ocr_page(
        (200, 22, [(120, "Order #1047")]),
        (240, 22, [(120, f"{label} PCO-INV-2025-1047"), (900, "Invoice date: November 3, 2025")]),
    )
    from appliance.ocr import confidence

    assert confidence.best(parsers.invoice_numbers(lines))[0].value == "PCO-INV-2025-1047"


@pytest.mark.parametrize("label", ["TOTA1", "T0TAL", "TOTA|", "TOTAI"])
def test_a_total_label_with_a_letter_misread_as_a_digit_or_bar_still_labels_the_total(label):
    from appliance.ocr import parsers

    lines = ocr_page((300, 22, [(120, "Soup of the Day"), (1200, "5.95")]), (340, 22, [(120, label), (1200, "20.25")]))
    assert [c.value for c in parsers.amount_candidates(lines)["total"]] == [20.25]


def test_a_latin_page_naming_no_currency_and_nothing_bangladeshi_asks_for_the_currency():
    from appliance.ocr import parsers

    lines = ocr_page(
        (300, 22, [(120, "Ceramiche Toscane Srl")]),
        (340, 22, [(120, "২২২৬৬ SE উজ, ২ ২২৯) ২৯৯২ ১২৯৯১")]),  # a smudged photo's Bengali "digits"
        (380, 22, [(120, "Totale documento 1.464,00")]),
    )
    assert parsers.currency(lines) == ("BDT", 0.5)  # below the review bar: a person is asked
    lines = ocr_page((300, 22, [(120, "Rahim Traders, Mirpur 1, Dhaka")]), (340, 22, [(120, "Total 1,464.00")]))
    assert parsers.currency(lines) == ("BDT", 0.7)


def test_s_dollar_read_as_five_dollar_glued_to_an_amount_is_singapore_dollars_not_usd():
    from appliance.ocr import parsers

    lines = ocr_page((300, 22, [(120, "Total (incl. GST) 5$17.99")]), (340, 22, [(120, "Singapore 160056")]))
    assert parsers.currency(lines)[0] == "SGD"
    lines = ocr_page((300, 22, [(120, "Qty 5 $17.99")]), (340, 22, [(120, "Total $17.99")]))
    assert parsers.currency(lines)[0] == "USD"  # a "5" with a space after it is a quantity


@pytest.mark.parametrize("form", ['মুসক"৬,৩', "{Mushak 6.3}", "Mushak: 6.10"])
def test_the_mushak_6_3_form_name_with_its_dash_misread_is_never_a_vat_amount(form):
    from appliance.ocr import parsers

    lines = ocr_page(
        (200, 22, [(700, form)]),
        (300, 22, [(120, "মোট মূল্য"), (1200, "৪০,০০০.০০")]),
        (340, 22, [(120, "মূসক ১৫%"), (1200, "৬,০০০.০০")]),
    )
    assert [c.value for c in parsers.amount_candidates(lines)["vat_amount"]] == [6000.0]


def test_a_registered_persons_name_label_misread_by_ocr_is_not_part_of_the_supplier_name():
    from appliance.ocr import names

    lines = ocr_page(
        (200, 30, [(500, "কর চালানপত্র")]),
        (300, 22, [(120, "নিবদ্ধিত ব্যঞক্জির নাম: সোনালী বেভারেজ লিমিটেড")]),
        (340, 22, [(120, "ক্রেতার নাম: নিউ মডেল সুপার শপ")]),
    )
    assert names.supplier_candidates(lines)[0].value == "সোনালী বেভারেজ লিমিটেড"


def test_a_subtotal_printed_with_a_dollar_sign_is_not_the_payable():
    from appliance.ocr import parsers

    for printed in ("Subtotal $860.00", "Sub-Total USD 860.00", "Sub Total $860.00"):
        kinds = dict((k, score) for k, score, _ in parsers._amount_kinds(parsers.nz.clean_text(printed).lower()))
        assert kinds["subtotal"] == 0.9 and kinds.get("total", 0) < 0.5
    assert ("total", 0.95) in [(k, s) for k, s, _ in parsers._amount_kinds("total $955.20")]


def test_a_photo_cut_below_the_subtotal_leaves_the_tax_and_payable_unknown_not_zero():
    from tests.corpus.realistic import row

    r = _spec_pdf(
        "USD",
        row((40, "Great Lakes Janitorial Supply"), size=1.4, bold=True),
        row((40, "Item"), (250, "Qty"), (-300, "Ext. Price")),
        row((40, "Floor cleaner 5 gal"), (250, "8"), (-300, "$520.00")),
        row((40, "Trash liners 55 gal"), (250, "10"), (-300, "$340.00")),
        row((40, "Subtotal"), (-300, "$860.00")),
    )
    assert r["subtotal"] == 860.0
    assert r["total"] is None and r["vat_amount"] is None and r["vat_rate"] is None
    assert {"total:missing", "vat_amount:missing"} <= set(r["needs_review"])


def test_a_total_whose_decimals_were_cut_off_is_left_unread_rather_than_rounded():
    from tests.corpus.realistic import row

    r = _spec_pdf(
        "GBP",
        row((40, "Copper Kettle Tearooms Ltd"), size=1.4, bold=True),
        row((40, "1 x Soup of the Day"), (-300, "£5.")),
        row((40, "TOTAL"), (-300, "£20."), bold=True),
        row((40, "Visa Contactless"), (-300, "£20.")),
    )
    assert r["total"] is None and any(f.startswith("total:") for f in r["needs_review"])


def test_cgst_and_sgst_halves_that_disagree_are_settled_only_when_one_is_a_misread_rupee_sign():
    from appliance.ocr import parsers

    def vat(cgst: str, sgst: str) -> list[float]:
        lines = ocr_page(
            (300, 22, [(120, "GSTIN: 29AAFCV2231K1Z5")]),
            (340, 22, [(120, f"9% CGST {cgst}")]),
            (380, 22, [(120, f"9% SGST {sgst}")]),
        )
        return [c.value for c in parsers.amount_candidates(lines)["vat_amount"] if c.line == -1]

    assert vat("2190.68", "₹190.68") == [381.36]  # "₹" read "2"
    assert vat("190.68", "190.68") == [381.36]
    assert vat("190.68", "196.68") == []  # one of them misread, no telling which: no sum


def test_a_percent_sign_glued_before_a_number_is_a_misread_currency_sign_not_a_rate():
    from appliance.ocr import normalise as nz

    assert nz.parse_percent("sgst %190.68") is None
    assert nz.parse_percent("cgst 190.68 %2,500.00") is None
    assert nz.parse_percent("Sales Tax (8.875%)") == 8.875
    assert nz.parse_percent("VAT 15% 1,500.00") == 15.0


def test_a_column_heading_row_or_a_totals_row_is_never_the_supplier_name():
    from appliance.ocr import names

    lines = ocr_page(
        (100, 22, [(500, "১২ নং দোকান, নিউ মার্কেট, খুলনা")]),
        (200, 22, [(120, "ক্রমিক"), (300, "মালের বিবরণ"), (800, "পরিমাণ"), (1000, "দর"), (1300, "টাকা")]),
        (240, 22, [(120, "১"), (300, "সুতি শাড়ি"), (800, "২"), (1000, "৮৫০"), (1300, "১,৭০০")]),
        (280, 22, [(300, "মোট"), (1300, "১,৭০০")]),
        (320, 22, [(300, "অগ্রিম"), (1300, "১,০০০")]),
    )
    got = [c.value for c in names.supplier_candidates(lines)]
    assert not {"পরিমাণ", "মোট", "অগ্রিম", "দর", "টাকা"} & set(got)


def test_a_gate_pass_or_delivery_number_beside_the_challan_number_loses_to_it():
    from appliance.ocr import confidence, parsers

    lines = ocr_page(
        (300, 22, [(120, "Challan No.: GLA/63/25/03391"), (850, "Issue Date: 03-11-2025")]),
        (340, 22, [(120, "Gate Pass / Receipt No.: 55812"), (850, "Issue Time: 16:05")]),
    )
    cands = parsers.invoice_numbers(lines)
    assert confidence.best(cands)[0].value == "GLA/63/25/03391"
    assert max(c.score for c in cands if c.value == "55812") < max(c.score for c in cands if c.value != "55812")


def test_total_due_after_a_previous_due_line_is_the_running_balance_not_this_bill():
    from tests.corpus.realistic import row

    r = _spec_pdf(
        "BDT",
        row((40, "Karim Rice Agency"), size=1.5, bold=True),
        row((40, "Memo No: 2231"), (-555, "Date: 03/11/2025")),
        row((40, "Description"), (-380, "Qty"), (-460, "Rate"), (-555, "Amount"), bold=True),
        row((40, "Miniket rice (50 kg bag)"), (-380, "10"), (-460, "3,100.00"), (-555, "31,000.00")),
        row((40, "Najirshail rice (50 kg bag)"), (-380, "5"), (-460, "3,600.00"), (-555, "18,000.00")),
        row((360, "Total"), (-555, "49,000.00"), bold=True),
        row((360, "Previous Due"), (-555, "12,500.00")),
        row((360, "Total Due"), (-555, "61,500.00")),
    )
    assert (r["subtotal"], r["vat_amount"], r["total"]) == (49000.0, 0.0, 49000.0)


def test_the_amount_payable_after_the_due_date_and_the_last_date_of_payment_are_not_this_bill():
    from tests.corpus.realistic import row

    r = _spec_pdf(
        "BDT",
        row((40, "Nagar Bidyut Distribution Company Ltd."), size=1.4, bold=True),
        row((40, "Bill No: EB-2510-778120"), (310, "Last Date of Payment: 17/11/2025")),
        row((40, "Issue Date: 03/11/2025")),
        row((40, "Principal Amount"), (-555, "3,654.00")),
        row((40, "VAT 5%"), (-555, "182.70")),
        row((40, "Amount payable within due date"), (-555, "3,836.70")),
        row((40, "Amount payable after due date"), (-555, "3,909.78")),
    )
    assert (r["invoice_date"], r["subtotal"], r["total"]) == ("2025-11-03", 3654.0, 3836.7)


def test_a_booking_date_is_not_the_invoice_date():
    from appliance.ocr import confidence, parsers

    lines = ocr_page((300, 22, [(120, "Booking Date: 02/11/2025"), (850, "Invoice Date: 03/11/2025")]))
    assert confidence.best(parsers.dates(lines))[0].value == "2025-11-03"


def test_iva_is_a_vat_label_only_beside_its_rate_and_total_vat_is_the_vat():
    from appliance.ocr import parsers
    from tests.corpus.realistic import row

    assert not parsers.vat_printed(ocr_page((300, 22, [(120, "122 Tejgaon iva, Dhaka-1208")])))
    r = _spec_pdf(
        "EUR",
        row((40, "Ceramiche Toscane Srl"), size=1.5, bold=True),
        row((40, "P.IVA 01234567890")),
        row((40, "Fattura n. 118/2025"), (310, "Data: 03/11/2025")),
        row((360, "Imponibile"), (-555, "1.200,00 €")),
        row((360, "IVA 22%"), (-555, "264,00 €")),
        row((360, "Totale documento"), (-555, "1.464,00 €"), bold=True),
    )
    assert (r["invoice_number"], r["subtotal"], r["vat_rate"], r["vat_amount"], r["total"]) == (
        "118/2025", 1200.0, 22.0, 264.0, 1464.0,
    )  # fmt: skip
    r = _spec_pdf(
        "BDT",
        row((40, "Meghna Paper Mills Ltd."), size=1.5, bold=True),
        row((330, "Total Taxable Value"), (-555, "330,000.00")),
        row((330, "Total VAT"), (-555, "49,500.00")),
        row((330, "Total Amount with VAT"), (-555, "379,500.00"), bold=True),
    )
    assert (r["subtotal"], r["vat_amount"], r["total"]) == (330000.0, 49500.0, 379500.0)


def test_a_hotel_is_no_telephone_and_a_guest_is_the_buyer():
    from appliance.ocr import names

    lines = ocr_page(
        (100, 40, [(120, "Hotel Kashful Inn")]),
        (160, 22, [(120, "Road 41, Gulshan 2, Dhaka-1212")]),
        (200, 28, [(1100, "GUEST FOLIO")]),
        (260, 22, [(120, "Guest: Mr. Daniel Cho"), (850, "Room No: 507")]),
    )
    assert names.supplier_candidates(lines)[0].value == "Hotel Kashful Inn"


def test_the_printed_net_wins_when_both_vat_readings_hold_and_a_payable_below_the_net_loses():
    from appliance.ocr import reconcile
    from appliance.ocr.parsers import Candidate

    def c(v: float, s: float, line: int) -> Candidate:
        return Candidate(v, s, line, 0.9, "label")

    # the gross printed twice ("Total Amount", "Amount payable"): net + VAT = gross, and VAT = 5/105 of it
    cands = {"subtotal": [c(3836.7, 0.5, 11), c(3654.0, 0.5, 9)], "vat_amount": [c(182.7, 0.9, 10)],
             "total": [c(3836.7, 0.95, 12)]}  # fmt: skip
    assert reconcile.choose(cands, None, None, True, False).values["subtotal"] == 3654.0
    cands = {"subtotal": [c(2500.0, 0.5, 12)], "vat_amount": [c(381.36, 0.95, -1)],
             "total": [c(381.36, 0.675, 12), c(2500.0, 0.75, 12)]}  # fmt: skip
    assert reconcile.choose(cands, None, None, True, False).values["total"] == 2500.0


@pytest.mark.parametrize(
    "first,second,differ",
    [("29-Jan-25", "25-San-25", True), ("22,2025", "22, 2025", False), ("Jan", "San", False), ("12/03", "12/03/24", False)],
)
def test_a_second_reading_disagrees_on_a_date_only_where_its_digits_do(first, second, differ):
    from appliance.ocr import _digits_differ

    assert _digits_differ(first, second) is differ


def test_the_amount_in_words_is_no_second_printing_of_the_gross_as_subtotal():
    from appliance.ocr import reconcile
    from appliance.ocr.parsers import Candidate

    # "46,200.00" unlabelled, "VAT @ 15% 6,930.00", "Total Tk 53,130.00", "Taka Fifty Three Thousand ... Only"
    cands = {"subtotal": [Candidate(53130.0, 0.5, 14, 1.0, "label")], "vat_amount": [Candidate(6930.0, 0.9, 13, 1.0, "label")],
             "total": [Candidate(53130.0, 0.75, 14, 1.0, "label"), Candidate(53130.0, 0.85, 16, 1.0, "words")]}  # fmt: skip
    rate = Candidate(15.0, 0.9, 13, 1.0, "label")
    assert reconcile.choose(cands, None, rate, True, False).values["subtotal"] == 46200.0


def test_cgst_plus_sgst_is_as_sure_as_its_own_lines_not_a_misread_payable_beside_them():
    from appliance.ocr import parsers
    from appliance.ocr.layout import Word, group_lines, number_lines

    rows = [(300, "9% CGST 190.68 %2,500.00"), (340, "9% SGST %190.68"), (380, "TOTAL: 381.36 %2,500.00")]
    words = []
    for y, text in rows:
        x = 120.0
        for token in text.split():
            conf = 0.0 if token == "%2,500.00" else 0.9  # the "₹" misread: OCR is unsure of that word only
            words.append(Word(token, conf, x, y, x + 12.0 * len(token), y + 22))
            x += 12.0 * len(token) + 7
    lines = number_lines([group_lines(words, 1654.0, 2339.0)])
    summed = [c for c in parsers.amount_candidates(lines)["vat_amount"] if c.value == 381.36 and c.line == -1]
    assert summed and summed[0].conf > 0.5


def test_a_cashier_a_form_number_and_an_ocr_mis_are_not_the_sellers_name():
    from appliance.ocr import names

    lines = ocr_page(
        (100, 30, [(300, "Mushak-6.3")]),
        (160, 22, [(300, "Cashier: Rakib")]),
        (230, 22, [(300, "BIN: 367986822-0103")]),
    )
    assert [c.value for c in names.supplier_candidates(lines)] == []
    lines = ocr_page((100, 40, [(300, "Mis Biswas Agro Industries")]), (160, 22, [(300, "Cashier: Rakib")]))
    assert [c.value for c in names.supplier_candidates(lines)] == ["M/S Biswas Agro Industries"]


K = ("subtotal", "vat_rate", "vat_amount", "total")


@pytest.mark.parametrize(
    "rows,want",
    [
        pytest.param([[(600, "Subtotal"), (-950, "34298.42")], [(600, "IGST @18%"), (-950, "6173.72")],
                      [(600, "Total ="), (-950, "40472.14")]], (34298.42, 18.0, 6173.72, 40472.14), id="igst"),
        pytest.param([[(500, "Summe Netto"), (-950, "1.250,00 €")], [(500, "zzgl. 19% MwSt."), (-950, "237,50 €")],
                      [(500, "Gesamtbetrag"), (-950, "1.487,50 €")]], (1250.0, 19.0, 237.5, 1487.5), id="german"),
        pytest.param([[(500, "Total HT"), (-950, "1 840,00 €")], [(500, "TVA 20 %"), (-950, "368,00 €")],
                      [(500, "Total TTC"), (-950, "2 208,00 €")]], (1840.0, 20.0, 368.0, 2208.0), id="french"),
        pytest.param([[(500, "Total (Excluding VAT)"), (-950, "2,600.00 SAR")], [(500, "VAT 15%"), (-950, "390.00 SAR")],
                      [(500, "Total (inc VAT)"), (-950, "2,990.00 SAR")]], (2600.0, 15.0, 390.0, 2990.0),
                     id="tax-in-brackets"),
        pytest.param([[(500, "Sub Total"), (-950, "1,180.00")], [(500, "CGST @ 2.5%"), (-950, "29.50")],
                      [(500, "SGST @ 2.5%"), (-950, "29.50")], [(500, "Net Amount Rs."), (-950, "1,239.00")]],
                     (1180.0, 5.0, 59.0, 1239.0), id="cgst-sgst"),
        pytest.param([[(500, "Sub Total"), (-950, "2,400.00")], [(500, "Service Charge 10%"), (-950, "240.00")],
                      [(500, "VAT 5%"), (-950, "120.00")], [(500, "Grand Total"), (-950, "2,760.00")]],
                     (2400.0, 5.0, 120.0, 2760.0), id="service-charge"),
        pytest.param([[(500, "Items Subtotal"), (-950, "1,450.00")], [(500, "Shipping Fee"), (-950, "60.00")],
                      [(500, "Total"), (-950, "1,510.00")]], (1450.0, 0.0, 0.0, 1510.0), id="shipping"),
    ],
)  # fmt: skip
def test_header_amounts_of_invoices_from_other_countries(rows, want):
    r = read_amounts(rows)
    assert tuple(r[k] for k in K) == want


def test_two_readings_of_a_page_that_disagree_on_the_bin_leave_it_to_a_person():
    from appliance.ocr import _merge_passes

    first = _pass([], [], supplier_bin="000748713", confidence={"supplier_bin": 0.99})
    second = _pass([], [], supplier_bin="386434429-0301", confidence={"supplier_bin": 0.995})
    out = _merge_passes(first, second)
    assert out["confidence"]["supplier_bin"] < 0.9 and "supplier_bin:readings_disagree" in out["needs_review"]
    agree = _merge_passes(first, _pass([], [], supplier_bin="000748713", confidence={"supplier_bin": 0.9}))
    assert agree["confidence"]["supplier_bin"] == 0.99 and not agree["needs_review"]
