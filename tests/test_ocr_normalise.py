"""Normalisation of amounts, dates, BINs and Bengali digits, as printed on Bangladeshi invoices."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.ocr import normalise as nz

BN = "০১২৩৪৫৬৭৮৯"
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
MONTHS_BN = ["জানুয়ারি", "ফেব্রুয়ারি", "মার্চ", "এপ্রিল", "মে", "জুন", "জুলাই", "আগস্ট", "সেপ্টেম্বর", "অক্টোবর", "নভেম্বর", "ডিসেম্বর"]


def to_bengali(s: str) -> str:
    return "".join(BN[int(c)] if c.isdigit() else c for c in s)


def western(value: float) -> str:
    return f"{value:,.2f}"


cents = st.integers(min_value=0, max_value=99_999_999_99)
dates = st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2090, 12, 31))


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_bengali_digits_become_ascii_one_for_one(digits):
    assert nz.ascii_digits(to_bengali(digits)) == digits


@given(cents)
def test_lakh_grouped_amount_reads_back_exactly(c):
    value = c / 100
    assert nz.parse_amount(nz.format_lakh(value)) == pytest.approx(value)


@given(cents)
def test_western_grouped_amount_reads_back_exactly(c):
    value = c / 100
    assert nz.parse_amount(western(value)) == pytest.approx(value)


@given(cents, st.sampled_from(["Tk. {}", "৳{}", "{} /-", "BDT {}", "{} টাকা", "Tk {}/="]))
def test_amount_in_bengali_digits_with_currency_marks(c, template):
    value = c / 100
    assert nz.parse_amount(template.format(to_bengali(nz.format_lakh(value)))) == pytest.approx(value)


@given(st.integers(min_value=1000, max_value=99_999_999), st.integers(min_value=0, max_value=99))
def test_european_grouping_reads_comma_as_decimal(whole, frac):
    text = f"{whole:,}".replace(",", ".") + f",{frac:02d}"
    assert nz.parse_amount(text) == pytest.approx(whole + frac / 100)


@pytest.mark.parametrize("text", ["", "abc", "12/03/2024", "14,1602", "1,2,3", "Total", "--"])
def test_text_that_is_no_amount_gives_none(text):
    assert nz.parse_amount(text) is None


def test_bracketed_amount_is_negative():
    assert nz.parse_amount("(1,250.00)") == -1250.0


@given(dates, st.sampled_from(["{d:02d}/{m:02d}/{y}", "{d}-{m}-{y}", "{d:02d}.{m:02d}.{y}", "{y}-{m:02d}-{d:02d}"]))
def test_numeric_dates_are_day_first(day, fmt):
    text = fmt.format(d=day.day, m=day.month, y=day.year)
    assert nz.parse_date(text) == day.isoformat()


@given(dates)
def test_english_month_names_in_any_order(day):
    name = MONTHS_EN[day.month - 1]
    assert nz.parse_date(f"{day.day} {name} {day.year}") == day.isoformat()
    assert nz.parse_date(f"{name[:3]} {day.day}, {day.year}") == day.isoformat()
    assert nz.parse_date(f"{day.day:02d}-{name[:3]}-{day.year}") == day.isoformat()


@given(dates)
def test_bengali_month_names_and_digits(day):
    text = to_bengali(f"{day.day} ") + MONTHS_BN[day.month - 1] + to_bengali(f", {day.year}")
    assert nz.parse_date("তারিখ: " + text) == day.isoformat()


def test_us_style_date_is_read_when_day_first_is_impossible():
    assert nz.parse_date("03/25/2024") == "2024-03-25"
    assert nz.parse_date("03/04/2024", month_first=True) == "2024-03-04"
    assert nz.date_is_ambiguous("03/04/2024") and not nz.date_is_ambiguous("25/04/2024")


@pytest.mark.parametrize("text", ["31/02/2024", "Invoice 2024", "12345", ""])
def test_impossible_dates_give_none(text):
    assert nz.parse_date(text) is None


@given(
    st.text(alphabet="0123456789", min_size=9, max_size=9),
    st.one_of(st.none(), st.text(alphabet="0123456789", min_size=4, max_size=4)),
)
def test_bin_with_and_without_branch_suffix(nine, branch):
    printed = nine + (f"-{branch}" if branch else "")
    want = printed
    assert nz.parse_bin(f"BIN: {printed}") == want
    assert nz.parse_bin("বিআইএন: " + to_bengali(printed)) == want
    assert nz.is_bin(want)


def test_bin_printed_in_groups_is_joined():
    assert nz.parse_bin("BIN 000-123-456") == "000123456"
    assert nz.parse_bin("BIN 0001 2345 6 0101") == "000123456-0101"


@pytest.mark.parametrize("text", ["Phone 01712345678", "BIN 12345678", "no digits"])
def test_numbers_that_are_not_bins(text):
    assert nz.parse_bin(text) is None


@pytest.mark.parametrize("text,rate", [("VAT 15%", 15.0), ("মূসক ৭.৫%", 7.5), ("VAT @ 5 %", 5.0), ("VAT", None)])
def test_percentages(text, rate):
    assert nz.parse_percent(text) == rate


def test_invoice_number_split_by_an_ocr_space_is_joined():
    from appliance.ocr.parsers import read_invoice_number

    assert read_invoice_number("CM- 24122") == "CM-24122"
    assert read_invoice_number("INV-2024-0457 Date: 14.03.2024") == "INV-2024-0457"


# --- dates in every printed shape, and identifiers ------------------------------------------

PRINTED_DATE_FORMATS = [
    "{d:02d}/{m:02d}/{Y}", "{d}-{m}-{Y}", "{d:02d}.{m:02d}.{y:02d}", "{Y}-{m:02d}-{d:02d}", "{d:02d}-{b}-{Y}",
    "{d} {B} {Y}", "{b} {d}, {Y}", "{B} {d}, {Y}", "{d}{th} {B}, {Y}", "{d:02d}/{m:02d}/{y:02d}",
]  # fmt: skip


def _th(day: int) -> str:
    return "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


@given(dates.filter(lambda d: d.year >= 2000), st.sampled_from(PRINTED_DATE_FORMATS), st.booleans(),
       st.sampled_from(["", "Date: ", "Invoice Date : ", "তারিখঃ ", "Dated "]))  # fmt: skip
def test_every_printed_date_shape_reads_back(day, fmt, bengali_digits, label):
    name = MONTHS_EN[day.month - 1]
    text = fmt.format(d=day.day, m=day.month, Y=day.year, y=day.year % 100, b=name[:3], B=name, th=_th(day.day))
    if bengali_digits:
        text = to_bengali(text)
    assert nz.parse_date(label + text) == day.isoformat()


@given(dates, st.booleans(), st.booleans())
def test_bengali_month_name_either_side_of_the_day(day, month_first, bengali_digits):
    num = (lambda n: to_bengali(str(n))) if bengali_digits else str
    month = MONTHS_BN[day.month - 1]
    text = f"{month} {num(day.day)}, {num(day.year)}" if month_first else f"{num(day.day)} {month} {num(day.year)} খ্রি."
    assert nz.parse_date(text) == day.isoformat()


@pytest.mark.parametrize(
    "text,want",
    [("১০ জলু াই ২০২৫", "2025-07-10"), ("০৩ মা র্চ ২০২৪", "2024-03-03"), ("২১ ডিসে ম্বর ২০২৪", "2024-12-21"),
     ("সেপ্টেম্ বর ৯, ২০২৫", "2025-09-09")],
)  # fmt: skip
def test_bengali_month_broken_by_ocr_still_reads(text, want):
    """OCR puts a vowel sign after the next letter, or a space before a sign ("জুলাই" → "জলু াই")."""
    assert nz.parse_date(text) == want


def test_date_with_ocr_slips_in_its_marks_or_digits():
    assert nz.parse_date("০৭.০১,২০২৪ খ্রি.") == "2024-01-07"  # day and month cut by different marks
    assert nz.parse_date("12/O3/2024") == "2024-03-12"
    assert nz.parse_date("l2.03.2024") == "2024-03-12"
    assert nz.parse_date("Tk 1,234.56, 2024") is None
    assert nz.parse_date("INV-2024-31038") is None


ID_SHAPES = st.one_of(
    st.builds(lambda p, y, n: f"{p}-{y}-{n:05d}", st.sampled_from(["INV", "SI", "BL"]), st.integers(2020, 2030),
              st.integers(0, 99999)),
    st.builds(lambda p, n: f"{p}/{n}", st.sampled_from(["MS/24", "TI/DHK", "CM"]), st.integers(1, 99999)),
    st.builds(lambda p, n: f"{p}{n:05d}", st.sampled_from(["K", "D", "A"]), st.integers(0, 99999)),
    st.builds(str, st.integers(10, 999999)),
)  # fmt: skip


@given(ID_SHAPES, st.sampled_from(["", " ", ": ", " # "]), st.sampled_from(["", "  Date: 12/03/2024", " ."]))
def test_invoice_number_reads_back_from_its_cell(value, lead, trail):
    from appliance.ocr.parsers import read_invoice_number

    assert read_invoice_number(lead + value + trail) == value
    assert read_invoice_number(nz.clean_text(lead + to_bengali(value) + trail)) == value


@given(st.sampled_from(["CM", "INV", "MS", "K"]), st.sampled_from(["-", "/", ""]),
       st.sampled_from(["", "2024", "24"]), st.integers(100, 99999))  # fmt: skip
def test_latin_prefix_of_a_bengali_digit_id_is_settled_from_two_readings(letters, sep, middle, n):
    """The mixed model garbles the Latin prefix, the Latin model the Bengali digits; lengths align them."""
    from appliance.ocr.reread import settle_id

    digits = (f"{middle}{sep or '-'}" if middle else "") + str(n)
    want = letters + sep + digits
    garbled = letters.translate(str.maketrans("CMINSK", "011151"))  # what eng+ben prints for the letters
    first = garbled + sep + to_bengali(digits)
    latin = letters + sep + "".join("-" if ch in "-/" else "x" for ch in digits)  # what eng prints
    assert settle_id(first, latin) == want
    assert settle_id(first, latin + "x") is None  # not readings of one word


@pytest.mark.parametrize(
    "first,latin,want",
    [
        ("LVV-2024-31038", "INV-2024-31038", "INV-2024-31038"),  # letters misread by the mixed model
        ("11//-2025-82022", "INV-2025-82022", "INV-2025-82022"),
        ("71/51/2980", "TI/SYL/2980", "TI/SYL/2980"),
        ("078834", "O78834", None),  # O or 0: the shape cannot tell
        ("502411-82112", "SO2411-82112", None),  # "50" or "SO": each digit a letter's lookalike
        ("592411-82112", "SO2411-82112", "SO2411-82112"),  # no lookalike reads an O as a 9
        ("64923", "K64923", "K64923"),  # the mixed model dropped the letter
        ("64923", "O64923", None),  # an O before digits may be a stray mark
        ("TI/CTG/81309", "THCTG/81309", None),  # the first prefix is a prefix in its own right
        ("058102", "O4ESOR", None),
        ("INV-2024-1", "INV-2024-1", None),
    ],
)
def test_ascii_id_settles_only_where_the_readings_agree_on_the_digits(first, latin, want):
    from appliance.ocr.reread import settle_id

    assert settle_id(first, latin) == want


@given(cents, st.sampled_from(["lakh", "western"]), st.data())
def test_amount_ocr_cut_at_a_separator_reads_back_whole(c, grouping, data):
    value = c / 100
    printed = nz.format_lakh(value) if grouping == "lakh" else western(value)
    seps = [i for i, ch in enumerate(printed) if ch in ",."]
    i = data.draw(st.sampled_from(seps))
    torn = printed[:i] + " " + printed[i:] if data.draw(st.booleans()) else printed[: i + 1] + " " + printed[i + 1 :]
    assert [v for v, _, _ in nz.find_amounts(f"Net Payable {torn}")] == [pytest.approx(value)]


@given(st.integers(min_value=1000, max_value=99_999_999), st.data())
def test_letters_ocr_confuses_with_digits_inside_an_amount_are_read_as_digits(whole, data):
    printed = f"{whole:,}.00"
    inner = [i for i, ch in enumerate(printed[:-1]) if ch in "015" and i > 0]
    if not inner:
        return
    i = data.draw(st.sampled_from(inner))
    letter = data.draw(st.sampled_from({"0": "Oo", "1": "lI", "5": "S"}[printed[i]]))
    misread = printed[:i] + letter + printed[i + 1 :]
    assert nz.parse_amount(misread) == pytest.approx(whole)
    assert [v for v, _, _ in nz.find_amounts(f"Total Tk. {misread}")] == [pytest.approx(whole)]


@pytest.mark.parametrize("text", ["5l", "10l", "SD", "Sales", "BIN", "Total"])
def test_letters_outside_a_number_stay_letters(text):
    assert nz.parse_amount(text) is None
    assert nz.fix_digit_confusions(f"{text} 1,200") == f"{text} 1,200"


def _line(text: str) -> list:
    """One printed line as the OCR gives it: words with boxes, gaps of 3+ spaces cut into cells."""
    from appliance.ocr.layout import Word, group_lines

    words, x = [], 50.0
    for token in re.split(r"( {3,}| )", text):
        if token.strip():
            words.append(Word(token, 0.95, x, 100.0, x + 12.0 * len(token), 120.0))
        x += 12.0 * len(token) + (40.0 if len(token) >= 3 and not token.strip() else 0.0)
    return group_lines(words, 2000.0, 2800.0)


_mobile = st.builds(
    lambda op, rest, style: [f"+8801{op}{rest}", f"01{op}{rest[:2]}-{rest[2:]}", f"+880 1{op}{rest[:2]}-{rest[2:]}"][style],
    st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=8, max_size=8), st.integers(0, 2),
)  # fmt: skip


@given(
    st.text(alphabet="0123456789", min_size=9, max_size=9),
    st.one_of(st.none(), st.text(alphabet="0123456789", min_size=4, max_size=4)),
    _mobile,
    st.sampled_from(["Phone:", "Mobile", "Cell :", "মোবাইল:", "ফোনঃ"]),
    st.sampled_from(["BIN:", "BIN/VAT Reg:", "VAT Reg. No", "বিআইএন:", "বিন"]),
)
def test_a_phone_printed_beside_a_bin_is_never_read_as_the_bin(nine, branch, phone, phone_label, bin_label):
    from appliance.ocr.parsers import bins

    printed = nine + (f"-{branch}" if branch else "")
    for text in (f"{phone_label} {phone}   {bin_label} {printed}", f"{bin_label} {printed}   {phone_label} {phone}"):
        assert [c.value for c in bins(_line(text))] == [printed]
    # the BIN itself unreadable: the phone after it must not stand in for it
    assert bins(_line(f"{bin_label} 00x1   {phone_label} {phone}")) == []


@pytest.mark.parametrize("text", ["VAT No: GB123456789", "USt-IdNr./VAT ID: DE123456789", "TIN: 123456789012"])
def test_foreign_tax_ids_are_not_bins(text):
    from appliance.ocr.parsers import bins

    assert bins(_line(text)) == []


@pytest.mark.parametrize(
    "text", ["VAT No: GB 284 7731 06", "VAT Registration No: GB 402 1189 27", "USt-IdNr. DE 318 445 902"]
)
def test_a_european_vat_number_spaced_after_its_country_code_is_not_a_bin(text):
    from appliance.ocr.parsers import bins

    assert bins(_line(text)) == []


MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre"]  # fmt: skip
MONTHS_DE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember"]  # fmt: skip


@given(dates.filter(lambda d: d.year >= 2000), st.sampled_from(["{d} {M} {Y}", "{d}. {M} {Y}", "le {d} {M} {Y}"]),
       st.booleans())  # fmt: skip
def test_french_and_german_month_names_read_back(day, fmt, german):
    month = (MONTHS_DE if german else MONTHS_FR)[day.month - 1]
    assert nz.parse_date(fmt.format(d=day.day, M=month, Y=day.year)) == day.isoformat()


@given(cents)
def test_french_amount_grouped_by_spaces_with_a_decimal_comma_reads_whole(c):
    value = c / 100
    printed = f"{value:,.2f}".replace(",", " ").replace(".", ",")  # "1 840,00"
    assert [v for v, _, _ in nz.find_amounts(f"Total TTC {printed} €")] == [value]


@pytest.mark.parametrize(
    "text,want",
    [
        ("Taka Thirty-Nine Thousand One Hundred Ninety-Six and Sixty Paisa Only", 39196.60),
        ("Amount in words: Forty Thousand Four Hundred Seventy-Two Rupees and Fourteen Paise Only", 40472.14),
        ("Seven Lakh Ninety-Two Thousand Two Hundred Seventy-Four Taka and Seventy-Four Paisa Only", 792274.74),
        ("In Words: Taka One Crore Two Lakh Five Thousand Only", 10205000.0),
        ("Say: US Dollars Twelve Thousand Three Hundred and Forty-Five Only", 12345.0),
        ("Taka Ninety-Slx Only", None),  # a garbled word: no guess
        ("Thank you for your business", None),
        ("Taka One Hundred", None),  # not the closing "Only" of an amount in words
    ],
)
def test_amount_in_words_is_read_only_when_every_word_is_a_number_word(text, want):
    from appliance.ocr.normalise import amount_in_words

    assert amount_in_words(text) == want


@given(st.integers(min_value=1, max_value=99_999_999), st.integers(min_value=0, max_value=99))
def test_amount_in_words_reads_back_what_the_corpus_spells(taka, paisa):
    from appliance.ocr.normalise import amount_in_words
    from tests.corpus.notation import en_words

    text = f"Taka {en_words(taka)}" + (f" and {en_words(paisa)} Paisa" if paisa else "") + " Only"
    assert amount_in_words(text) == round(taka + paisa / 100, 2)


@given(st.integers(min_value=0, max_value=99_999_999), st.integers(min_value=0, max_value=99))
def test_bengali_amount_in_words_reads_back_what_the_corpus_spells(taka, paisa):
    import random

    from appliance.ocr.normalise import amount_in_words
    from tests.corpus.notation import amount_in_words as spell

    text = spell(taka + paisa / 100, "bn", "BDT", random.Random(0))
    assert amount_in_words(text) == round(taka + paisa / 100, 2)
    assert amount_in_words(text.replace("হাজার", "হাজর")) in (None, round(taka + paisa / 100, 2))  # misread: no guess


@pytest.mark.parametrize("text", ["0,400.00", "০,৪০০.০০", "Total 0,400.00", "05,000", "0,12,500.00"])
def test_a_grouped_amount_that_starts_with_a_zero_is_a_misread_not_a_number(text):
    # "50,400.00" with its first digit lost: reading 400 would be a silent error
    assert nz.parse_amount(text) is None
    assert nz.find_amounts(text) == []
    assert nz.parse_amount("0.40") == 0.4 and nz.parse_amount("1,050.00") == 1050.0


@pytest.mark.parametrize("line", ["TOTAL £20.", "Total Amount 1,250.", "Net Bill Tk 880, "])
def test_an_amount_whose_decimals_were_cut_off_at_the_line_end_is_not_read(line):
    # the page's right edge or a shadow ate ".25": reading 20.00 would be a silent error
    assert nz.find_amounts(line) == []


@pytest.mark.parametrize(
    "line,want",
    [
        ("TOTAL £20.25", [20.25]),
        ("Total 880. 00", [880.0]),
        ("Total 1,200/-", [1200.0]),
        ("1 Toast 11.60.", [1.0, 11.6]),
    ],
)
def test_an_amount_with_its_decimals_or_a_whole_amount_mark_still_reads(line, want):
    assert [v for v, _, _ in nz.find_amounts(line)] == want
