"""Normalisation of the raw strings OCR reads on Bangladeshi invoices.

Owns: Bengali digits → ASCII, amounts in any grouping (lakh "1,41,602.00",
western "141,602.00", European "1.234,56", "Tk 1,200/-"), dates in any common
form (numeric, English and Bengali month names) → ISO, BINs (9 digits with an
optional 4-digit branch suffix), percentages.

Must never: look at layout, guess a value that is not in the string, raise on
bad input (every parser returns None when the string does not hold a value).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

BENGALI_DIGITS = "০১২৩৪৫৬৭৮৯"
_DIGIT_TABLE = str.maketrans(BENGALI_DIGITS, "0123456789")

# Characters OCR confuses with digits inside a number (only applied to tokens
# that are already mostly digits, never to words).
OCR_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"})
# in an amount: between digits (or a digit and a separator), or leading a run of digits
# ("l,250", "S00"); never at a number's end ("5l" is five litres), never inside words
_CONFUSED = re.compile(r"(?<=[\d,.])[OolI|SB]+(?=[\d,.]*\d)|(?<![\w.,])[lIS](?=[,.]?\d{2})")


def fix_digit_confusions(text: str) -> str:
    """ "1O,5OO.00" → "10,500.00", "l,250" → "1,250"; letters outside numbers are kept."""
    return _CONFUSED.sub(lambda m: m.group(0).translate(OCR_DIGIT_FIX), text)


def ascii_digits(text: str) -> str:
    """Bengali digits ০-৯ → ASCII 0-9; everything else kept."""
    return text.translate(_DIGIT_TABLE)


def clean_text(text: str) -> str:
    """NFC, ASCII digits, unified dashes and spaces."""
    text = unicodedata.normalize("NFC", text)
    text = ascii_digits(text)
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = text.replace("\u00a0", " ").replace("\u200c", "").replace("\u200d", "")
    return re.sub(r"[ \t]+", " ", text).strip()


# --- amounts -----------------------------------------------------------------

_CURRENCY_NOISE = re.compile(r"(?i)(bdt|tk\.?|taka|টাকা|৳|usd|us\$|eur|inr|rs\.?|₹|€|£|\$|/-|=/|/=|=)")
_AMOUNT_TOKEN = re.compile(r"[-(]?\d[\d,.' ]*\d(?:\)?)|[-(]?\d\)?")


def parse_amount(text: str) -> float | None:
    """A money amount in any common grouping, or None.

    "1,41,602.00" → 141602.0, "141,602" → 141602.0, "1.234,56" → 1234.56,
    "Tk. 1,200/-" → 1200.0, "৳১,২০০.৫০" → 1200.5, "(50.00)" → -50.0.
    """
    if not text:
        return None
    s = fix_digit_confusions(clean_text(text))
    s = _CURRENCY_NOISE.sub(" ", s).strip()
    s = s.strip(":;*# ")
    if not s:
        return None
    negative = s.startswith("-") or (s.startswith("(") and s.endswith(")"))
    s = s.strip("-() ")
    s = s.replace("'", ",")
    # a space inside a number is a thousands separator only if followed by 3 digits
    s = re.sub(r"(?<=\d) (?=\d{3}\b)", ",", s)
    if not re.fullmatch(r"\d[\d,.]*", s):
        return None
    value = _ungroup(s)
    if value is None:
        return None
    return -value if negative else value


def _ungroup(s: str) -> float | None:
    s = s.rstrip(".,")
    if not s:
        return None
    last = max(s.rfind("."), s.rfind(","))
    if last < 0:
        return _to_float(s)
    sep, tail = s[last], s[last + 1 :]
    other = "," if sep == "." else "."
    if len(tail) == 3 and (s.count(sep) > 1 or (sep == "," and other not in s)):
        integer, frac = s, ""  # "1,234,567" / "1.234.567" / "1,234": grouping only
    elif sep == "," and len(tail) > 3:
        return None
    else:
        integer, frac = s[:last], tail
    if not integer or not _valid_grouping(integer) or (frac and not frac.isdigit()):
        return None
    integer = integer.replace(",", "").replace(".", "")
    return _to_float(integer + ("." + frac if frac else ""))


def _valid_grouping(integer: str) -> bool:
    """Western (1,234,567), lakh (12,34,567) or no grouping at all."""
    parts = re.split(r"[,.]", integer)
    if len(parts) == 1:
        return parts[0].isdigit()
    if not all(p.isdigit() for p in parts) or len(parts[-1]) != 3:
        return False
    first, middle = parts[0], parts[1:-1]
    if not 1 <= len(first) <= 3 or first.startswith("0"):
        return False  # nobody groups a leading zero: "0,400.00" is "50,400.00" with its first digit misread
    # lakh groups are 2 digits, western 3; mixed is allowed only as lakh style
    return all(len(p) == 3 for p in middle) or all(len(p) == 2 for p in middle)


def _to_float(s: str) -> float | None:
    try:
        return round(float(s), 4)
    except ValueError:
        return None


# French / Swiss grouping with a decimal comma: "1 840,00", "12 500,50"
_SPACE_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u202f]\d{3})+,\d{2}(?![\d,])")


# a separator with nothing after it but the end of the line
_DECIMALS_CUT = re.compile(r"[.,]\s*$")


def find_amounts(text: str) -> list[tuple[float, int, int]]:
    """Every amount-like token in a line as (value, start, end)."""
    # OCR cuts a number at its separator: "1,13 ,462.68", "108, 464.", "16,239. 66"
    s = re.sub(r"(?<=\d) (?=[.,]\d)|(?<=\d[.,]) (?=\d)", "", fix_digit_confusions(ascii_digits(text)))
    s = _SPACE_GROUPED.sub(lambda m: m.group(0).replace(" ", ""), s)
    out: list[tuple[float, int, int]] = []
    for m in re.finditer(r"\d[\d,.]*\d|\d", s):
        token = m.group(0)
        if _DECIMALS_CUT.match(s, m.end()) and not re.search(r"[.,]\d{1,2}$", token):
            continue  # "£20." ending its line: the decimals fell off the page or into the shadow
        value = parse_amount(token)
        if value is not None:
            out.append((value, m.start(), m.end()))
    return out


def format_lakh(value: float, decimals: int = 2) -> str:
    """141602 → "1,41,602.00" (South Asian grouping)."""
    negative = value < 0
    integer, _, frac = f"{abs(value):.{decimals}f}".partition(".")
    head, tail = integer[:-3], integer[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    text = ",".join(groups + [tail]) if groups else tail
    return ("-" if negative else "") + text + ("." + frac if decimals else "")


# --- percentages ---------------------------------------------------------------


def parse_percent(text: str) -> float | None:
    """ "15%" / "15 %" / "7.5 %" / "১৫%" → 15.0 / 7.5; None if no percent sign."""
    # a whole number before the sign ("190.68 %" is no rate), none glued after it ("%2,500.00": a misread "₹")
    m = re.search(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,3})?)\s*%(?!\d)", ascii_digits(text))
    if not m:
        return None
    value = float(m.group(1).replace(",", "."))
    return value if 0 <= value <= 100 else None


# --- BIN -----------------------------------------------------------------------

_BIN = re.compile(r"(?<![\d])(\d{9})(?:\s?[-–/]\s?(\d{4}))?(?![\d])")
_BIN_SPACED = re.compile(r"(?<![\d])(\d[\d -]{7,16}\d)(?![\d])")


def parse_bin(text: str) -> str | None:
    """The first BIN in a string: "000123456-0101" or "000123456", else None.

    Accepts digits split by spaces or dashes as printed ("000-123-456",
    "0001 23456") when they add up to exactly 9 or 13 digits.
    """
    s = clean_text(text)
    m = _BIN.search(s)
    if m:
        return m.group(1) + (f"-{m.group(2)}" if m.group(2) else "")
    for m in _BIN_SPACED.finditer(s):
        digits = re.sub(r"\D", "", m.group(1))
        if len(digits) == 9:
            return digits
        if len(digits) == 13:
            return f"{digits[:9]}-{digits[9:]}"
    return None


def is_bin(value: str) -> bool:
    return bool(re.fullmatch(r"\d{9}(-\d{4})?", value))


# --- dates -----------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    [
        ("jan", "january", "janv", "janvier", "januar", "enero", "জানুয়ারি", "জানুয়ারী", "জানুয়ারি", "জানুয়ারী", "জানু"),
        ("feb", "february", "févr", "février", "februar", "ফেব্রুয়ারি", "ফেব্রুয়ারী", "ফেব্রুয়ারি", "ফেব্রুয়ারী", "ফেব্রু"),
        ("mar", "march", "mars", "märz", "maerz", "marzo", "মার্চ"),
        ("apr", "april", "avr", "avril", "abril", "এপ্রিল"),
        ("may", "mai", "mayo", "মে"),
        ("jun", "june", "juin", "juni", "junio", "জুন"),
        ("jul", "july", "juil", "juillet", "juli", "julio", "জুলাই"),
        ("aug", "august", "août", "aout", "agosto", "আগস্ট", "আগষ্ট"),
        ("sep", "sept", "september", "septembre", "septiembre", "সেপ্টেম্বর", "সেপ্টে"),
        ("oct", "october", "octobre", "okt", "oktober", "octubre", "অক্টোবর", "অক্টো"),
        ("nov", "november", "novembre", "noviembre", "নভেম্বর", "নভে"),
        ("dec", "december", "déc", "décembre", "decembre", "dez", "dezember", "dic", "diciembre", "ডিসেম্বর", "ডিসে"),
    ],
    start=1,
):
    for _n in _names:
        _MONTHS[unicodedata.normalize("NFC", _n)] = _i

_MONTH_ALT = "|".join(sorted((re.escape(k) for k in _MONTHS), key=len, reverse=True))
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,4})\s*([./-])\s*(\d{1,2})\s*\2\s*(\d{2,4})(?!\d)")
_DAY_MONTH_YEAR = re.compile(
    rf"(?i)(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?[\s\-./,]*({_MONTH_ALT})[a-z]*\.?[\s\-./,']*(\d{{2,4}})(?!\d)"
)
_MONTH_DAY_YEAR = re.compile(
    rf"(?i)(?<![a-z])({_MONTH_ALT})[a-z]*\.?[\s\-./]*(\d{{1,2}})(?:st|nd|rd|th)?[\s,\-./]+(\d{{2,4}})(?!\d)"
)


def _year(y: str) -> int:
    n = int(y)
    return n + 2000 if n < 100 else n


def _iso(y: int, m: int, d: int) -> str | None:
    if not 1990 <= y <= 2100:
        return None
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


# a Bengali month name as OCR breaks it ("জলু াই" for জুলাই: a vowel sign on the wrong letter, a
# space inside): compared by its consonants alone, when those name one month only
_BN_SIGNS = re.compile(r"[\u0981-\u0983\u09bc\u09be-\u09cd\u09d7\s\u200c\u200d]")
_BN_SKELETONS: dict[str, int] = {}
for _k, _v in _MONTHS.items():
    _sk = _BN_SIGNS.sub("", _k)
    if not _k.isascii() and len(_sk) >= 3:
        _BN_SKELETONS[_sk] = -1 if _BN_SKELETONS.get(_sk, _v) != _v else _v
_BN_DAY_MONTH_YEAR = re.compile(r"(?<!\d)(\d{1,2})[\s,.-]*([\u0980-\u09ff]+)[\s,.-]*(\d{4})(?!\d)")
_BN_MONTH_DAY_YEAR = re.compile(r"([\u0980-\u09ff]+)[\s.-]*(\d{1,2})[\s,.-]+(\d{4})(?!\d)")


def _bn_month(word: str, glued_before: bool) -> int:
    """The month a Bengali word names by its consonants, or -1; a month-first word may carry
    its label glued in front ("তারিখঃমার্চ" once spaces inside words are closed)."""
    sk = _BN_SIGNS.sub("", word)
    if not glued_before:
        return _BN_SKELETONS.get(sk, -1)
    ends = [k for k in _BN_SKELETONS if sk.endswith(k)]
    return _BN_SKELETONS[max(ends, key=len)] if ends else -1


# day and month cut by different marks ("০৭.০১,২০২৪"): only with a 4-digit year
_MIXED_DATE = re.compile(r"(?<![\d.,])(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[.,/-]\s*(\d{4})(?!\d)")
# letters OCR reads for digits, fixed only between digits and date marks ("12/O3/2024")
_DATE_LETTER = re.compile(r"(?<=[\d./-])[OoIl](?=[\d./-])|(?<![\w|])[OoIl](?=\d[./-]\d)")


def parse_date(text: str, month_first: bool = False) -> str | None:
    """The first date in a string as ISO "YYYY-MM-DD", or None.

    Numeric dates are read day-first (Bangladesh) unless the day-first reading is
    impossible or `month_first` is set (US-style receipts); ISO "2024-03-12" is
    recognised by its 4-digit first part.
    """
    s = clean_text(text)
    s = _DATE_LETTER.sub(lambda m: m.group(0).translate(OCR_DIGIT_FIX), s)
    for m in _NUMERIC_DATE.finditer(s):
        a, _, b, c = m.groups()
        if len(a) == 4:
            iso = _iso(int(a), int(b), int(c))
        elif len(c) in (2, 4) and len(a) <= 2:
            iso = _day_month(int(a), int(b), _year(c), month_first)
        else:
            iso = None
        if iso:
            return iso
    low = s.lower()
    for pattern, day_at, month_at in ((_DAY_MONTH_YEAR, 1, 2), (_MONTH_DAY_YEAR, 2, 1)):
        for m in pattern.finditer(low):
            month = _month(m.group(month_at))
            iso = _iso(_year(m.group(3)), month, int(m.group(day_at))) if month else None
            if iso:
                return iso
    for m in _MIXED_DATE.finditer(s):
        iso = _day_month(int(m.group(1)), int(m.group(2)), int(m.group(3)), month_first)
        if iso:
            return iso
    closed = re.sub(r"(?<=[\u0980-\u09ff]) +(?=[\u0980-\u09ff])", "", s)  # "মা র্চ" → "মার্চ"
    for pattern, day_at, month_at in ((_BN_DAY_MONTH_YEAR, 1, 2), (_BN_MONTH_DAY_YEAR, 2, 1)):
        for m in pattern.finditer(closed):
            month = _bn_month(m.group(month_at), glued_before=month_at == 1)
            iso = _iso(int(m.group(3)), month, int(m.group(day_at))) if month > 0 else None
            if iso:
                return iso
    return None


def _day_month(a: int, b: int, year: int, month_first: bool) -> str | None:
    day, month = (b, a) if month_first else (a, b)
    if month > 12 and day <= 12:
        day, month = month, day
    return _iso(year, month, day)


def _month(name: str) -> int | None:
    name = unicodedata.normalize("NFC", name.lower().rstrip("."))
    if name in _MONTHS:
        return _MONTHS[name]
    return _MONTHS.get(name[:3]) if name.isascii() else None


def date_is_ambiguous(text: str) -> bool:
    """True for a numeric date whose day and month could be swapped (both ≤ 12)."""
    m = _NUMERIC_DATE.search(clean_text(text))
    if not m or len(m.group(1)) == 4:
        return False
    a, b = int(m.group(1)), int(m.group(3))
    return a <= 12 and b <= 12 and a != b


_MONTH_WORD = re.compile(rf"(?i)(?<![a-z])({_MONTH_ALT})")


def month_in_words(text: str) -> bool:
    """Does the text name a month in letters ("12 Mar 2024", "১২ মার্চ ২০২৪")?"""
    return bool(_MONTH_WORD.search(clean_text(text)))


# --- amounts in words ("Taka Thirty-Nine Thousand One Hundred Ninety-Six and Sixty Paisa Only") ---
_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_SMALL = {w: i for i, w in enumerate(_UNITS)} | {
    w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1
}
_SCALE = {"hundred": 100, "thousand": 10**3, "lakh": 10**5, "lakhs": 10**5, "lac": 10**5, "lacs": 10**5, "million": 10**6,
          "crore": 10**7, "crores": 10**7, "billion": 10**9}  # fmt: skip
# 0..99 each have their own word in Bengali
BN_NUMBER_WORDS = (
    "শূন্য এক দুই তিন চার পাঁচ ছয় সাত আট নয় দশ এগারো বারো তেরো চৌদ্দ পনেরো ষোল সতেরো আঠারো উনিশ "
    "বিশ একুশ বাইশ তেইশ চব্বিশ পঁচিশ ছাব্বিশ সাতাশ আটাশ ঊনত্রিশ ত্রিশ একত্রিশ বত্রিশ তেত্রিশ চৌত্রিশ "
    "পঁয়ত্রিশ ছত্রিশ সাঁইত্রিশ আটত্রিশ ঊনচল্লিশ চল্লিশ একচল্লিশ বিয়াল্লিশ তেতাল্লিশ চুয়াল্লিশ পঁয়তাল্লিশ "
    "ছেচল্লিশ সাতচল্লিশ আটচল্লিশ ঊনপঞ্চাশ পঞ্চাশ একান্ন বায়ান্ন তিপ্পান্ন চুয়ান্ন পঞ্চান্ন ছাপ্পান্ন সাতান্ন "
    "আটান্ন ঊনষাট ষাট একষট্টি বাষট্টি তেষট্টি চৌষট্টি পঁয়ষট্টি ছেষট্টি সাতষট্টি আটষট্টি ঊনসত্তর সত্তর "
    "একাত্তর বাহাত্তর তিয়াত্তর চুয়াত্তর পঁচাত্তর ছিয়াত্তর সাতাত্তর আটাত্তর ঊনআশি আশি একাশি বিরাশি তিরাশি "
    "চুরাশি পঁচাশি ছিয়াশি সাতাশি আটাশি ঊননব্বই নব্বই একানব্বই বিরানব্বই তিরানব্বই চুরানব্বই পঁচানব্বই "
    "ছিয়ানব্বই সাতানব্বই আটানব্বই নিরানব্বই"
).split()
_BN_SMALL = {unicodedata.normalize("NFC", w): i for i, w in enumerate(BN_NUMBER_WORDS)} | {
    unicodedata.normalize("NFC", w): i for w, i in (("উনত্রিশ", 29), ("বেয়াল্লিশ", 42), ("উনপঞ্চাশ", 49), ("শুন্য", 0))
}
_BN_SCALE = {unicodedata.normalize("NFC", w): v for w, v in (("শত", 100), ("শো", 100), ("হাজার", 10**3),
             ("লক্ষ", 10**5), ("লাখ", 10**5), ("কোটি", 10**7))}  # fmt: skip
_FRACTION_WORD = re.compile(r"\b(?:paisa|paise|poisha|poysa|cents?|fils|halalas?|pence|sen)\b")
_WORD_TOKEN = re.compile(r"[a-z]+")
_WORDS_LABEL = re.compile(r"(?:in\s+words|say)\s*[:ঃ]?")
_MAIN_UNIT = re.compile(r"\b(?:taka|rupees?|dollars?|euros?|dirhams?|riyals?|pounds?|ringgit)\b")


def _words_number(tokens: list[str]) -> int | None:
    """ "thirty nine thousand one hundred ninety six" → 39196 (and "ছয় শত দুই" → 602); None if
    any word is not a number word."""
    total = current = 0
    seen = False
    for tok in tokens:
        if tok == "and":
            continue
        small, scale = _SMALL.get(tok, _BN_SMALL.get(tok)), _SCALE.get(tok, _BN_SCALE.get(tok))
        if small is not None:
            current += small
        elif scale == 100:
            current = max(current, 1) * 100
        elif scale is not None:
            total += max(current, 1) * scale
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def _bn_amount_in_words(text: str) -> float | None:
    """ "কথায়: তেইশ হাজার বত্রিশ টাকা ষোল পয়সা মাত্র" → 23032.16."""
    text = unicodedata.normalize("NFC", text)
    m = re.search(r"(?:কথায়|কথায়)\s*[:ঃ]?(.*?)টাকা(.*?)(?:(পয়সা|পয়সা)\s*)?মাত্র", text)
    if not m:
        return None
    whole = _words_number(m.group(1).split())
    frac = _words_number(m.group(2).split()) if m.group(3) else 0
    if whole is None or frac is None or frac >= 100 or m.group(2).strip() and not m.group(3):
        return None
    return round(whole + frac / 100, 2)


def amount_in_words(text: str) -> float | None:
    """The amount an English amount-in-words line spells, or None when any word of it is not read.

    "Taka Thirty-Nine Thousand One Hundred Ninety-Six and Sixty Paisa Only" → 39196.60; the
    number words must run unbroken (an OCR-garbled "Ninety-Slx" gives None, never a guess)."""
    if re.search(r"[\u0980-\u09ff]", text) and "টাকা" in unicodedata.normalize("NFC", text):
        return _bn_amount_in_words(text)
    low = text.lower().replace("-", " ")
    label = _WORDS_LABEL.search(low)
    if not (label or _MAIN_UNIT.search(low)) or not re.search(r"\bonly\b", low):
        return None
    body = low[label.end() :] if label else low
    frac = 0
    f = _FRACTION_WORD.search(body)
    if f:  # "... and sixty paisa": the words after the last "and" (or currency word) before it
        head = body[: f.start()]
        cut = max(head.rfind(" and "), *(head.rfind(w) for w in (" taka", " rupees", " dollars", " rupee", " dollar")))
        if cut < 0:
            return None
        frac_tokens = _WORD_TOKEN.findall(head[cut:])
        frac_tokens = [t for t in frac_tokens if t not in ("and", "taka", "rupees", "rupee", "dollars", "dollar")]
        frac = _words_number(frac_tokens)
        if frac is None or frac >= 100:
            return None
        body = head[:cut]
    skip = {"in", "words", "say", "amount", "total", "only", "taka", "rupees", "rupee", "dollars", "dollar", "euros",
            "euro", "dirhams", "dirham", "riyals", "riyal", "pounds", "pound", "ringgit", "us", "bdt", "tk", "inr"}  # fmt: skip
    tokens = [t for t in _WORD_TOKEN.findall(body) if t not in skip]
    whole = _words_number(tokens)
    return None if whole is None else round(whole + frac / 100, 2)
