"""Line items: the table of goods between the header and the totals.

Owns: finding the table header (English and Bengali column names), reading each
row's description and numbers, telling quantity / unit price / amount apart by
arithmetic (qty × price = amount) first and by column position second, and
joining wrapped descriptions. Also rows of receipts without a header.

Must never: make up a number: a cell it cannot place is None, and a row is only
taken without a header when its own arithmetic holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations

from . import normalise as nz
from .layout import Line, Word
from .parsers import DISCOUNT, GRAND_TOTAL, SUBTOTAL, TOTAL, VAT, _re, text_of

_H_DESC = _re(r"description|particulars|\bitems?\b|product|goods|services?|details|article|বিবরণ|পণ্য|বর্ণনা|মালের|দ্রব্য")
_H_QTY = _re(r"\bqty\b|quantity|qnty|\bqnt\b|\bpcs\b|পরিমাণ|পরিমান|সংখ্যা")
_H_PRICE = _re(r"\brate\b|price|\bmrp\b|\bu\.?p\b|দর|একক\s*মূল্য|একক\s*দাম")
_H_AMOUNT = _re(r"amount|\btotal\b|\bvalue\b|\btaka\b|\btk\b|মূল্য|টাকা|মোট")
_STOP = _re(r"in\s*words|কথায়|signature|স্বাক্ষর|authori[sz]ed|terms|payment|note")
_UNIT = _re(
    r"^(?:pcs?|nos?|units?|kgs?|gm|g|ltr|l|ml|box|boxes|pkt|packets?|dozen|doz|set|sets|bags?|ctn|cartons?|pair|mtr|m|ft|sft|rft|each|ea"
    r"|টি|পিস|কেজি|গ্রাম|লিটার|বস্তা|প্যাকেট|ডজন|সেট|বক্স|মিটার|জোড়া)\.?$"
)


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


def find_header(lines: list[Line]) -> Columns | None:
    for line in lines:
        text = text_of(line)
        hits = sum(bool(p.search(text)) for p in (_H_DESC, _H_QTY, _H_PRICE, _H_AMOUNT))
        if hits < 2 or not (_H_QTY.search(text) or _H_PRICE.search(text) or _H_DESC.search(text)):
            continue
        if re.search(r"\d{3,}", text):
            continue  # a data row, not a header
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


def _is_number(text: str) -> bool:
    t = nz.clean_text(text).strip("@x×*:").replace("/-", "")
    return bool(t) and nz.parse_amount(t) is not None


def split_row(words: list[Word]) -> tuple[str, list[tuple[float, Word]]]:
    """A row's description and its trailing numbers (with the word each came from)."""
    numbers: list[tuple[float, Word]] = []
    i = len(words)
    while i > 0:
        w = words[i - 1]
        t = nz.clean_text(w.text)
        value = nz.parse_amount(t.strip("@x×*:").replace("/-", "")) if _is_number(t) else None
        if value is not None:
            numbers.insert(0, (value, w))
        elif not (_UNIT.match(t) or t in ("@", "x", "×", "*", "-", "=", "|", "%") or re.fullmatch(r"\d+(\.\d+)?%", t)):
            break
        i -= 1
    desc_words = words[:i]
    # a leading serial number ("1", "1.", "০১") is not part of the description
    if len(desc_words) > 1 and re.fullmatch(r"\d{1,3}[.)]?", nz.clean_text(desc_words[0].text)):
        desc_words = desc_words[1:]
    desc = nz.clean_text(" ".join(w.text for w in desc_words)).strip(" |:-.")
    # "Rice 25 kg" keeps "25 kg" as description when the row has enough other numbers
    return desc, numbers


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.011, 0.005 * abs(b))


def assign(
    numbers: list[float], xs: list[float], cols: Columns | None
) -> tuple[float | None, float | None, float | None, bool]:
    """(quantity, unit price, amount, proven by arithmetic)."""
    best = None
    for i, j, k in combinations(range(len(numbers)), 3):
        if _close(numbers[i] * numbers[j], numbers[k]) and numbers[k] != 0:
            span = k - i
            if best is None or span < best[0] or (span == best[0] and k > best[3]):
                best = (span, i, j, k)
    if best:
        _, i, j, k = best
        q, p = numbers[i], numbers[j]
        # quantities are usually the smaller, integer-looking number left of the price
        if cols and cols.qty is not None and cols.price is not None and abs(xs[i] - cols.price) < abs(xs[i] - cols.qty):
            q, p = p, q
        return q, p, numbers[k], True
    if not numbers:
        return None, None, None, False
    if cols and cols.amount is not None and len(numbers) > 1:
        slots: dict[str, float] = {}
        for value, x in zip(numbers, xs, strict=False):
            options = {"qty": cols.qty, "price": cols.price, "amount": cols.amount}
            name = min((n for n, cx in options.items() if cx is not None), key=lambda n: abs(x - options[n]))  # type: ignore[operator]
            slots[name] = value
        return slots.get("qty"), slots.get("price"), slots.get("amount"), False
    return None, None, numbers[-1], False


def _is_totals(text: str) -> bool:
    return bool(
        SUBTOTAL.search(text)
        or GRAND_TOTAL.search(text)
        or re.search(r"\btotal\b|মোট", text)
        or (DISCOUNT.search(text) and re.search(r"\d", text))
        or (VAT.search(text) and re.search(r"\d", text) and not re.search(r"[a-z\u0980-\u09ff]{3,}.*\d.*\d.*\d", text))
    )


def items(lines: list[Line]) -> list[Item]:
    cols = find_header(lines)
    start = cols.header_line + 1 if cols else 0
    out: list[Item] = []
    for line in lines[start:]:
        text = text_of(line)
        if cols and (_is_totals(text) or _STOP.search(text)) and (out or line.index > start + 3):
            break
        if not cols and (_is_totals(text) and TOTAL.search(text)):
            if out:
                break
            continue
        desc, nums = split_row(line.words)
        values = [v for v, _ in nums]
        xs = [(w.x0 + w.x1) / 2 for _, w in nums]
        if not nums:
            if (
                cols
                and out
                and desc
                and line.y0 - lines[out[-1].line].y1 < 2.5 * (line.y1 - line.y0)
                and not _STOP.search(text)
            ):
                out[-1].description = f"{out[-1].description or ''} {desc}".strip()
            continue
        q, p, a, proven = assign(values, xs, cols)
        if not cols and not proven:
            continue  # without a header only self-consistent rows count
        if not desc and not proven:
            continue
        conf = sum(w.conf for _, w in nums) / len(nums)
        out.append(Item(desc or None, q, p, a, line.index, conf, proven, values))
    return out
