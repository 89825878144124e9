"""How numbers, amounts, dates and words are *printed* on Bangladeshi invoices.

Owns every surface form the corpus uses for a value: Bengali digits, lakh and
western grouping, European decimals, "/-" endings, amounts in words (English
Indian-system and Bengali), and the many date spellings. Pure functions of their
arguments and an explicit `random.Random`; never touches files or fonts.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from appliance.ocr.normalise import BN_NUMBER_WORDS

BN_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
MONTHS_BN = ["জানুয়ারি", "ফেব্রুয়ারি", "মার্চ", "এপ্রিল", "মে", "জুন", "জুলাই", "আগস্ট", "সেপ্টেম্বর", "অক্টোবর", "নভেম্বর", "ডিসেম্বর"]


def bn_digits(s: str) -> str:
    return s.translate(BN_DIGITS)


@dataclass(frozen=True)
class NumberStyle:
    """One document's consistent way of writing amounts."""

    grouping: str = "lakh"  # lakh | western | none
    decimals: bool = True  # 1,200.00 vs 1,200 (only used when the amount is whole)
    slash_dash: bool = False  # 1,200/- for whole amounts
    bengali: bool = False  # ০-৯
    european: bool = False  # 1.234,56

    @staticmethod
    def pick(rng: random.Random, bengali: bool = False, lakh_bias: float = 0.6) -> NumberStyle:
        grouping = "lakh" if rng.random() < lakh_bias else rng.choice(["western", "none"])
        return NumberStyle(
            grouping=grouping, decimals=rng.random() < 0.75, slash_dash=rng.random() < 0.2, bengali=bengali
        )


def _group(int_part: str, grouping: str, sep: str) -> str:
    if grouping == "none" or len(int_part) <= 3:
        return int_part
    if grouping == "western":
        out = []
        while len(int_part) > 3:
            out.insert(0, int_part[-3:])
            int_part = int_part[:-3]
        return sep.join([int_part, *out])
    head, tail = int_part[:-3], int_part[-3:]
    parts = []
    while len(head) > 2:
        parts.insert(0, head[-2:])
        head = head[:-2]
    return sep.join([head, *parts, tail]) if head else sep.join([*parts, tail])


def fmt_amount(value: float, style: NumberStyle, force_decimals: bool = False) -> str:
    """Format a money amount per `style`; decimals are dropped only for whole amounts."""
    cents = round(value * 100)
    neg = cents < 0
    cents = abs(cents)
    int_part, frac = str(cents // 100), cents % 100
    thousands, point = (".", ",") if style.european else (",", ".")
    s = _group(int_part, style.grouping, thousands)
    if frac or style.decimals or force_decimals:
        s += f"{point}{frac:02d}"
    elif style.slash_dash:
        s += "/-"
    if neg:
        s = "-" + s
    return bn_digits(s) if style.bengali else s


def fmt_qty(q: float, bengali: bool = False) -> str:
    s = f"{q:g}" if q != int(q) else str(int(q))
    return bn_digits(s) if bengali else s


def fmt_rate(rate: float, bengali: bool = False) -> str:
    s = f"{rate:g}%"
    return bn_digits(s) if bengali else s


# --- dates -----------------------------------------------------------------

EN_DATE_FORMATS = [
    "%d/%m/%Y",
    "%Y-%m-%d",
    "%d-%b-%Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d %b %Y",
    "%B %d, %Y",
    "%d/%m/%y",
    "%d-%b-%y",
]


def fmt_date(d: dt.date, rng: random.Random, lang: str, currency: str = "BDT") -> str:
    """A date as a shop would print it; `lang` 'bn' may use Bengali months and digits."""
    if currency == "USD":
        fmt = rng.choice(["%m/%d/%Y", "%b %d, %Y", "%B %d, %Y"])
        if fmt == "%m/%d/%Y" and d.day <= 12:  # keep US dates unambiguous for scoring
            fmt = "%b %d, %Y"
        return d.strftime(fmt)
    if currency == "EUR":
        return d.strftime(rng.choice(["%d.%m.%Y", "%d %B %Y", "%Y-%m-%d"]))
    if lang == "bn" and rng.random() < 0.85:
        kind = rng.choice(["month", "slash", "dash", "khri"])
        if kind == "month":
            s = f"{d.day} {MONTHS_BN[d.month - 1]} {d.year}"
        elif kind == "slash":
            s = f"{d.day:02d}/{d.month:02d}/{d.year}"
        elif kind == "dash":
            s = f"{d.day:02d}-{d.month:02d}-{d.year}"
        else:
            s = f"{d.day:02d}.{d.month:02d}.{d.year} খ্রি."
        return bn_digits(s) if rng.random() < 0.8 else s
    return d.strftime(rng.choice(EN_DATE_FORMATS))


# --- amounts in words --------------------------------------------------------

_ONES = [
    "",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
]
_TENS = ["", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"]


def _en_below_1000(n: int) -> str:
    words = []
    if n >= 100:
        words += [_ONES[n // 100], "Hundred"]
        n %= 100
    if n >= 20:
        words.append(_TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else ""))
    elif n:
        words.append(_ONES[n])
    return " ".join(words)


def en_words(n: int) -> str:
    """Indian-system English words: 141602 -> 'One Lakh Forty-One Thousand Six Hundred Two'."""
    if n == 0:
        return "Zero"
    parts = []
    for size, name in ((10_000_000, "Crore"), (100_000, "Lakh"), (1000, "Thousand")):
        if n >= size:
            parts.append(f"{en_words(n // size) if size == 10_000_000 else _en_below_1000(n // size)} {name}")
            n %= size
    if n:
        parts.append(_en_below_1000(n))
    return " ".join(parts)


_BN_0_99 = BN_NUMBER_WORDS
assert len(_BN_0_99) == 100


def bn_words(n: int) -> str:
    """Bengali words: 141602 -> 'এক লক্ষ একচল্লিশ হাজার ছয় শত দুই'."""
    if n == 0:
        return _BN_0_99[0]
    parts = []
    for size, name in ((10_000_000, "কোটি"), (100_000, "লক্ষ"), (1000, "হাজার"), (100, "শত")):
        if n >= size:
            parts.append(f"{bn_words(n // size)} {name}")
            n %= size
    if n:
        parts.append(_BN_0_99[n])
    return " ".join(parts)


def amount_in_words(value: float, lang: str, currency: str, rng: random.Random) -> str:
    whole, paisa = divmod(round(value * 100), 100)
    if lang == "bn":
        s = f"কথায়: {bn_words(whole)} টাকা"
        if paisa:
            s += f" {bn_words(paisa)} পয়সা"
        return s + " মাত্র"
    unit, sub = {
        "BDT": ("Taka", "Paisa"),
        "INR": ("Rupees", "Paise"),
        "USD": ("Dollars", "Cents"),
        "EUR": ("Euros", "Cents"),
    }[currency]
    words = en_words(whole)
    if currency == "BDT" and rng.random() < 0.5:
        s = f"{unit} {words}"
    else:
        s = f"{words} {unit}"
    if paisa:
        s += f" and {en_words(paisa)} {sub}"
    s += " Only"
    return rng.choice(["In words: ", "Amount in words: ", "Taka in words: " if currency == "BDT" else "Say: ", ""]) + s
