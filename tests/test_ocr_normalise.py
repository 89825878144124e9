"""Normalisation of amounts, dates, BINs and Bengali digits, as printed on Bangladeshi invoices."""

from __future__ import annotations

import datetime as dt

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
