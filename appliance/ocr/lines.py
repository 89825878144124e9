"""Line items: the table of goods between the header and the totals.

Owns: finding the table header (English and Bengali column names), reading each
row's description and numbers, telling quantity / unit price / amount apart by
arithmetic (qty × price = amount) first, by column position second and by how
the number is printed third (a price has paisa, a count has none), and joining
wrapped descriptions (also a receipt's description printed above its
"qty x price  amount" line). Also rows of receipts without a header. Skips what
repeats on a continued page (the column header, "Page 2").

Must never: make up a number. A cell it cannot read stays None, unless the row's
own arithmetic fixes it: the quantity is amount ÷ price when that is a whole (or
half) count, the price amount ÷ quantity when that is exact to the paisa, the
amount of a printed "qty x price" is their product, and a misread cell whose
digits match the arithmetic (a dropped decimal point) is corrected. A row is only
taken without a header when its own arithmetic holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations
from statistics import median

from . import normalise as nz
from .layout import Line, Word
from .parsers import DISCOUNT, GRAND_TOTAL, SUBTOTAL, TOTAL, VAT, _re, text_of

_H_DESC = _re(r"description|particulars|\bitems?\b|product|goods|services?|details|article|বিবরণ|পণ্য|বর্ণনা|মালের|দ্রব্য")
_H_QTY = _re(r"\bqty\b|quantity|qnty|\bqnt\b|\bpcs\b|পরিমাণ|পরিমান|সংখ্যা")
_H_PRICE = _re(r"\brate\b|price|\bmrp\b|\bu\.?p\b|দর|দাম|একক\s*মূল্য|একক\s*দাম")
_H_AMOUNT = _re(r"amount|\btotal\b|\bvalue\b|\btaka\b|\btk\b|মূল্য|টাকা|মোট")
_STOP = _re(r"in\s*words|কথায়|signature|স্বাক্ষর|authori[sz]ed|terms|payment|note")
_PAGE = _re(r"\bpage\s*\d|পৃষ্ঠা|\bcontinued\b|\bcontd\b|\bc/f\b|\bb/f\b|carried\s*forward|brought\s*forward")
_UNIT = _re(
    r"^(?:pcs?|nos?|units?|kgs?|gm|g|ltr|l|ml|box|boxes|pkt|packets?|dozen|doz|set|sets|bags?|ctn|cartons?|pair|mtr|m|ft|sft|rft|each|ea"
    r"|টি|পিস|কেজি|গ্রাম|লিটার|বস্তা|প্যাকেট|ডজন|সেট|বক্স|মিটার|জোড়া)\.?$"
)
_TIMES = re.compile(r"\d\s*[x×X*]+\s*:?\s*\d")
_SEPARATORS = ("@", "x", "X", "×", "*", "-", "=", "|", "%")
_MAX_QTY = 100_000


@dataclass
class Item:
    description: str | None
    quantity: float | None
    unit_price: float | None
    amount: float | None
    line: int
    conf: float
    arithmetic: bool  # qty × price = amount holds on the row
    extra: list[float] = field(default_factory=list)
    right: float | None = None  # right edge of the row's last number (where the amount column is)

    def as_dict(self) -> dict[str, object]:
        return {
            "description": self.description,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "amount": self.amount,
        }


@dataclass(frozen=True)
class Columns:
    header_line: int
    qty: float | None  # x centre of each header column
    price: float | None
    amount: float | None
    desc_x0: float


def _is_header(text: str) -> bool:
    hits = sum(bool(p.search(text)) for p in (_H_DESC, _H_QTY, _H_PRICE, _H_AMOUNT))
    if hits < 2 or not (_H_QTY.search(text) or _H_PRICE.search(text) or _H_DESC.search(text)):
        return False
    return not re.search(r"\d{3,}", text)  # a data row, not a header


def find_header(lines: list[Line]) -> Columns | None:
    for line in lines:
        if not _is_header(text_of(line)):
            continue
        return Columns(
            line.index,
            _column_x(line, _H_QTY),
            _column_x(line, _H_PRICE),
            _last_column_x(line, _H_AMOUNT),
            _column_x0(line, _H_DESC),
        )
    return None


def _column_x(line: Line, pattern: re.Pattern[str]) -> float | None:
    for seg in line.segments or [line.words]:
        if pattern.search(nz.clean_text(" ".join(w.text for w in seg))):
            return (seg[0].x0 + seg[-1].x1) / 2
    return None


def _column_x0(line: Line, pattern: re.Pattern[str]) -> float:
    for seg in line.segments or [line.words]:
        if pattern.search(nz.clean_text(" ".join(w.text for w in seg))):
            return seg[0].x0
    return line.x0


def _last_column_x(line: Line, pattern: re.Pattern[str]) -> float | None:
    found = None
    for seg in line.segments or [line.words]:
        if pattern.search(nz.clean_text(" ".join(w.text for w in seg))):
            found = (seg[0].x0 + seg[-1].x1) / 2
    return found


def _number(text: str) -> float | None:
    t = nz.clean_text(text).strip("@x×*:").replace("/-", "")
    return nz.parse_amount(t) if t else None


def _is_number(text: str) -> bool:
    return _number(text) is not None


def _join_split_numbers(words: list[Word]) -> list[Word]:
    """Glue a number OCR cut at its separator: "14526 .00" → "14526.00", "13 ,230/-", "108, 464"."""
    out: list[Word] = []
    for w in words:
        if out:
            a, b = nz.clean_text(out[-1].text), nz.clean_text(w.text)
            near = w.x0 - out[-1].x1 < 0.8 * max(1.0, min(w.height, out[-1].height))
            tail = re.fullmatch(r"\d[\d,]*", a) and re.fullmatch(r"[.,]\d+(?:/[-=])?", b)
            head = re.fullmatch(r"\d[\d,]*[.,]", a) and re.fullmatch(r"\d+(?:\.\d+)?(?:/[-=])?", b)
            if near and (tail or head):
                p = out[-1]
                out[-1] = Word(a + b, min(p.conf, w.conf), p.x0, min(p.y0, w.y0), w.x1, max(p.y1, w.y1), p.page)
                continue
        out.append(w)
    return out


def split_row(words: list[Word]) -> tuple[str, list[tuple[float, Word]]]:
    """A row's description and its trailing numbers (with the word each came from)."""
    words = _join_split_numbers(words)
    numbers: list[tuple[float, Word]] = []
    i = len(words)
    if i > 2 and re.search(r"\d", words[-1].text) and not _is_number(words[-1].text) and _is_number(words[-2].text):
        i -= 1  # a last cell OCR garbled ("২১৬৪-৯৪"): the numbers before it still count
    while i > 0:
        w = words[i - 1]
        t = nz.clean_text(w.text)
        value = _number(t)
        if value is not None:
            numbers.insert(0, (value, w))
        elif not (
            _UNIT.match(t)
            or t in _SEPARATORS
            or re.fullmatch(r"[xX×]+", t)
            or re.fullmatch(r"\d+(\.\d+)?%", t)
            or re.fullmatch(r"[.,]\d+", t)  # the torn-off paisa of an amount OCR lost
        ):
            break
        i -= 1
    desc_words = words[:i] if numbers else words  # "Cement 50kg Bag": a unit ends a name too
    # a leading serial number ("1", "1.", "০১") is not part of the description
    if len(desc_words) > 1 and re.fullmatch(r"\d{1,3}[.)]?", nz.clean_text(desc_words[0].text)):
        desc_words = desc_words[1:]
    desc = nz.clean_text(" ".join(w.text for w in desc_words)).strip(" |:-.")
    return desc, numbers


def _close(a: float, b: float, count: float = 0.0) -> bool:
    """Equal to the paisa, plus what a unit price rounded to the paisa moves `count` units by."""
    return abs(a - b) <= 0.011 + 0.005 * count


def _has_paisa(word: Word | None) -> bool:
    return word is not None and bool(re.search(r"[.,]\d{2}(?:/[-=])?$", nz.clean_text(word.text)))


def _count(amount: float, price: float) -> float | None:
    """amount ÷ price when that is a whole or half count that gives the amount to the paisa."""
    if price <= 0 or amount <= 0:
        return None
    q = round(amount / price * 2) / 2
    return q if 0 < q <= _MAX_QTY and abs(round(q * price, 2) - amount) <= 0.011 else None


def _price(amount: float, qty: float) -> float | None:
    if qty <= 0 or amount <= 0 or qty > _MAX_QTY:
        return None
    p = round(amount / qty, 2)
    return p if abs(round(qty * p, 2) - amount) <= 0.011 else None


def _digits(v: float) -> str:
    return re.sub(r"\D", "", f"{v:.4f}".rstrip("0").rstrip(".")).lstrip("0")


def assign(
    numbers: list[float], xs: list[float], cols: Columns | None, words: list[Word] | None = None, times: bool = False
) -> tuple[float | None, float | None, float | None, bool]:
    """(quantity, unit price, amount, proven by arithmetic)."""
    words = words or [None] * len(numbers)  # type: ignore[list-item]
    best = None
    for i, j, k in combinations(range(len(numbers)), 3):
        if _close(numbers[i] * numbers[j], numbers[k], min(numbers[i], numbers[j])) and numbers[k] != 0:
            span = k - i
            if best is None or span < best[0] or (span == best[0] and k > best[3]):
                best = (span, i, j, k)
    if best:
        _, i, j, k = best
        q, p = numbers[i], numbers[j]
        if not times and _price_first(i, j, xs, cols, words):
            q, p = p, q
        return q, p, numbers[k], True
    if not numbers:
        return None, None, None, False
    for i in range(len(numbers) - 2):
        # a VAT table row (Mushak-6.3: price, value, SD, rate, VAT, value incl. taxes) whose count
        # OCR lost: value ÷ price is a count, and the row's VAT or its total closes on the value
        a, q = numbers[i + 1], _count(numbers[i + 1], numbers[i])
        rest = numbers[i + 2 :]
        if q is not None and any(
            any(abs(v - a * r / 100) <= max(0.011, 0.001 * v) for r in (15, 10, 7.5, 5, 2.4, 2))
            or any(_close(a + v, w) for w in rest[k + 1 :])
            for k, v in enumerate(rest)
        ):
            return q, numbers[i], a, False
    if times and len(numbers) == 2:
        # a receipt's "3 x 4,842.00" whose amount OCR lost: the row states the product
        q, p = numbers
        return q, p, round(q * p, 2), False
    if cols and cols.amount is not None and len(numbers) > 1:
        slots: dict[str, tuple[float, Word | None]] = {}
        for value, x, w in zip(numbers, xs, words, strict=False):
            options = {"qty": cols.qty, "price": cols.price, "amount": cols.amount}
            name = min((n for n, cx in options.items() if cx is not None), key=lambda n: abs(x - options[n]))  # type: ignore[operator]
            slots[name] = (value, w)
        if "amount" not in slots:
            return _get(slots, "qty"), _get(slots, "price"), None, False
        return _complete(_get(slots, "qty"), _get(slots, "price"), slots["amount"][0], slots, len(numbers))
    if len(numbers) == 2 and words[0] is not None:
        # no column header to place them: a price printed with paisa, then the amount
        p, a = numbers
        q = _count(a, p) if _has_paisa(words[0]) else None
        if q is not None:
            return q, p, a, False
    return None, None, numbers[-1], False


def _get(slots: dict[str, tuple[float, Word | None]], name: str) -> float | None:
    return slots[name][0] if name in slots else None


def _complete(
    q: float | None, p: float | None, a: float, slots: dict[str, tuple[float, Word | None]], n: int
) -> tuple[float | None, float | None, float | None, bool]:
    """Fill or correct one cell from the other two, when the row's arithmetic settles it."""
    if p is not None and q is None:
        return _count(a, p), p, a, False
    if q is not None and p is None and n == 2:
        return q, _price(a, q), a, False
    if q is not None and p is not None:
        fixed_q = _count(a, p)
        if fixed_q is not None and _digits(fixed_q) == _digits(q):  # "28.5" read as "285"
            return fixed_q, p, a, False
        fixed_p = _price(a, q)
        if fixed_p is not None and _digits(fixed_p) == _digits(p):
            return q, fixed_p, a, False
    return q, p, a, False


def _price_first(i: int, j: int, xs: list[float], cols: Columns | None, words: list[Word]) -> bool:
    """Of the two factors, is the left one the unit price? Header columns first, then how each is printed."""
    if cols and cols.qty is not None and cols.price is not None:
        return abs(xs[i] - cols.price) < abs(xs[i] - cols.qty)
    return _has_paisa(words[i]) and not _has_paisa(words[j])


def _is_totals(text: str) -> bool:
    return bool(
        SUBTOTAL.search(text)
        or GRAND_TOTAL.search(text)
        or TOTAL.search(text)
        or (DISCOUNT.search(text) and re.search(r"\d", text))
        or (VAT.search(text) and re.search(r"\d", text) and not re.search(r"[a-z\u0980-\u09ff]{3,}.*\d.*\d.*\d", text))
        or bool(VAT.match(re.sub(r"^\W*(?:add|plus)?\W*", "", text)) and "%" in text)  # "VAT @ 15%  15 %  6,930.00"
    )


def items(lines: list[Line]) -> list[Item]:
    cols = find_header(lines)
    start = cols.header_line + 1 if cols else 0
    out: list[Item] = []
    pending: list[tuple[Line, str]] = []  # description lines not yet given to a row
    for line in lines[start:]:
        text = text_of(line)
        if cols and (_is_header(text) or _PAGE.search(text)):
            continue  # a continued page repeats the header and names itself
        if cols and (_is_totals(text) or _STOP.search(text)):
            if out or line.index > start + 3:
                break
            continue
        if not cols and (_is_totals(text) and TOTAL.search(text)):
            if out:
                break
            continue
        desc, nums = split_row(line.words)
        values = [v for v, _ in nums]
        xs = [(w.x0 + w.x1) / 2 for _, w in nums]
        if not nums:
            if desc and not _STOP.search(text):
                pending.append((line, desc))
            continue
        times = bool(_TIMES.search(nz.clean_text(line.text)))
        q, p, a, proven = assign(values, xs, cols, [w for _, w in nums], times)
        stated = times and len(values) == 2  # "qty x price", its amount unread
        if not cols and not (proven or stated):
            continue  # without a header only self-consistent rows count
        above = _just_above(pending, line)
        if not desc and above:
            desc, pending = " ".join(d for _, d in above), pending[: len(pending) - len(above)]  # name printed above
        if not desc and not (proven or stated):
            continue
        _attach(out, pending, lines)
        pending = []
        conf = sum(w.conf for _, w in nums) / len(nums)
        right = None if stated else nums[-1][1].x1
        out.append(Item(desc or None, q, p, a, line.index, conf, proven, values, right))
    _attach(out, pending, lines)
    return _in_amount_column(out, lines)


def _just_above(pending: list[tuple[Line, str]], line: Line) -> list[tuple[Line, str]]:
    """The run of description lines right above `line` (a receipt prints an item's name above its numbers)."""
    run: list[tuple[Line, str]] = []
    below = line
    for prev, desc in reversed(pending):
        if prev.page != below.page or below.y0 - prev.y1 > 1.5 * (below.y1 - below.y0):
            break
        run.insert(0, (prev, desc))
        below = prev
    return run


def _attach(out: list[Item], pending: list[tuple[Line, str]], lines: list[Line]) -> None:
    """A wrapped description: the lines right under a row continue its description."""
    for line, desc in pending:
        if (
            out
            and line.y0 - lines[out[-1].line].y1 < 2.5 * (line.y1 - line.y0)
            and line.page == lines[out[-1].line].page
        ):
            out[-1].description = f"{out[-1].description or ''} {desc}".strip()


def _in_amount_column(out: list[Item], lines: list[Line]) -> list[Item]:
    """Drop unproven rows whose last number sits well left of the amounts the proven rows line up on
    (a number inside a description, a price whose amount OCR lost)."""
    proven = [i for i in out if i.arithmetic and i.right is not None]
    if not proven:
        return out
    edge = median(i.right for i in proven)  # type: ignore[misc]
    words = [w for i in proven for w in lines[i.line].words if abs(w.x1 - i.right) < 1]  # type: ignore[operator]
    width = median(w.x1 - w.x0 for w in words) if words else 0.0
    return [
        i
        for i in out
        if i.arithmetic or i.right is None or i.right >= edge - max(width, 0.03 * lines[i.line].page_width)
    ]
