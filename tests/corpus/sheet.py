"""What every layout shares: one document's printing choices and a table drawer.

`Sheet` holds the invoice, the rng, the labeler and the choices that must stay
consistent within a document (family, digits, number style, currency mark),
and knows how to print each value. `table` draws line items with a header,
in grid / rules / zebra / bare styles, and flows onto new pages when asked.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .labels import Labeler
from .notation import NumberStyle, bn_digits, fmt_amount, fmt_date, fmt_qty, fmt_rate
from .page import Page, Style, available_families
from .world import Invoice

A4 = (595.0, 842.0)
A5 = (420.0, 595.0)
LETTER = (612.0, 792.0)
INK = [(20, 20, 20), (10, 10, 60), (40, 20, 20), (0, 0, 0)]
ACCENTS = [(20, 60, 130), (150, 30, 30), (10, 100, 60), (90, 40, 120), (200, 90, 10), (60, 60, 60)]


@dataclass
class Col:
    key: str  # sl | desc | unit | qty | rate | amount | vat_rate | vat | gross | sd
    header: str
    frac: float
    align: str = "l"


class Sheet:
    def __init__(
        self,
        inv: Invoice,
        rng: random.Random,
        *,
        mono: bool = False,
        bengali_digits: bool | None = None,
        family: str | None = None,
    ) -> None:
        self.inv, self.rng, self.lang = inv, rng, inv.language
        self.L = Labeler(rng, self.lang)
        self.family = family or rng.choice(available_families(mono=mono))
        if bengali_digits is None:
            bengali_digits = {"bn": rng.random() < 0.6, "mixed": rng.random() < 0.15}.get(self.lang, False)
        self.bd = bengali_digits
        european = inv.currency == "EUR" and rng.random() < 0.6
        ns = NumberStyle.pick(rng, bengali=self.bd, lakh_bias=0.6 if inv.currency in ("BDT", "INR") else 0.0)
        self.ns = NumberStyle(
            ns.grouping if not european else "western",
            ns.decimals or inv.currency != "BDT",
            ns.slash_dash and inv.currency == "BDT",
            self.bd,
            european,
        )
        self.cur = self._currency_mark()
        self.ink = rng.choice(INK)
        self.accent = rng.choice(ACCENTS)
        self.base = rng.choice([8, 8.5, 9, 9.5, 10, 10.5])
        self.form_ink = self.ink  # colour of printed labels and rules (memo forms differ from entries)

    def _currency_mark(self) -> str:
        c = self.inv.currency
        if c == "BDT":
            opts = ["Tk. ", "BDT ", "৳ ", "", "Tk "] if self.lang != "bn" else ["৳ ", "", "টাকা "]
        else:
            opts = {"USD": ["$", "USD "], "EUR": ["€ ", "EUR "], "INR": ["₹ ", "Rs. ", "INR "]}[c]
        return self.rng.choice(opts)

    def st(self, rel: float = 1.0, bold: bool = False, color: tuple | None = None, **kw) -> Style:
        return Style(
            self.base * rel * (1.2 if kw.get("hand") else 1.0),
            bold,
            kw.get("italic", False),
            color or self.ink,
            kw.get("hand", False),
        )

    def num(self, s: str) -> str:
        return bn_digits(s) if self.bd else s

    def amt(self, v: float, mark: bool = False) -> str:
        s = fmt_amount(v, self.ns)
        if mark and self.cur:
            return f"{self.cur}{s}" if self.cur != "টাকা " else f"{s} টাকা"
        return s

    def qty(self, q: float) -> str:
        return fmt_qty(q, self.bd)

    def rate(self, r: float) -> str:
        return fmt_rate(r, self.bd)

    def date(self, which: str = "invoice") -> str:
        d = self.inv.invoice_date if which == "invoice" else self.inv.due_date
        s = fmt_date(d, self.rng, self.lang, self.inv.currency)
        return bn_digits(s) if self.bd else s

    def vat_label(self) -> str:
        v = self.L("vat")
        r = self.rate(self.inv.vat_rate)
        return self.rng.choice([f"{v} @ {r}", f"{v} ({r})", f"{v} {r}"]) if "Tax" not in v else f"{v} ({r})"

    def totals_rows(self, mark_total: bool = True) -> list[tuple[str, str, bool]]:
        """(label, value, emphasise) rows for subtotal, discount, VAT and total."""
        inv, L = self.inv, self.L
        rows = [(L("subtotal"), self.amt(inv.subtotal), False)]
        if inv.discount:
            rows.append((L("discount"), self.amt(inv.discount), False))
        if inv.vat_rate or self.rng.random() < 0.5:
            rows.append((self.vat_label(), self.amt(inv.vat_amount), False))
        rows.append((L("total"), self.amt(inv.total, mark=mark_total), True))
        return rows

    def cell(self, col: Col, i: int, li) -> str:
        inv = self.inv
        if col.key == "sl":
            return self.num(f"{i + 1}" + self.rng.choice(["", ""]))
        if col.key == "desc":
            return li.description
        if col.key == "unit":
            return li.unit
        if col.key == "qty":
            return self.qty(li.quantity) + (f" {li.unit}" if col.header.endswith(" ") else "")
        if col.key == "rate":
            return self.amt(li.unit_price)
        if col.key == "amount":
            return self.amt(li.amount)
        if col.key == "vat_rate":
            return self.rate(inv.vat_rate)
        if col.key == "sd":
            return self.num("0.00")
        line_vat = round(li.amount * inv.vat_rate / 100, 2)
        if col.key == "vat":
            return self.amt(line_vat)
        return self.amt(round(li.amount + line_vat, 2))  # gross


def table(
    sh: Sheet,
    page: Page,
    x0: float,
    x1: float,
    y: float,
    cols: list[Col],
    *,
    grid: str = "grid",
    head_fill: tuple | None = None,
    row_h: float | None = None,
    bottom: float | None = None,
    new_page: Callable[[], tuple[Page, float]] | None = None,
    min_rows: int = 0,
    hand: bool = False,
) -> tuple[Page, float]:
    """Draw header + one row per line item from `y` (top); return (page, y below the table)."""
    st, hst = sh.st(0.95, hand=hand), sh.st(0.95, bold=True, color=sh.form_ink)
    rh = row_h or sh.base * 2.1
    xs = [x0]
    for c in cols:
        xs.append(xs[-1] + (x1 - x0) * c.frac)
    pad = 3

    def header(p: Page, y: float) -> float:
        lines = [p.wrap(c.header, hst, (xs[i + 1] - xs[i]) - 2 * pad) or [""] for i, c in enumerate(cols)]
        hh = rh * max(1, max(len(w) for w in lines) * 0.8)
        if head_fill:
            p.rect(x0, y, x1, y + hh, outline=None, fill=head_fill)
        for i, (c, ls) in enumerate(zip(cols, lines, strict=True)):
            for j, ln in enumerate(ls):
                yy = y + (hh - len(ls) * hst.size * 1.2) / 2 + hst.size * (1.0 + 1.2 * j)
                xa = xs[i] + pad if c.align == "l" else xs[i + 1] - pad if c.align == "r" else (xs[i] + xs[i + 1]) / 2
                p.text(xa, yy, ln, hst, c.align)
        if grid != "none":
            p.line(x0, y, x1, y, 0.8, sh.form_ink)
            p.line(x0, y + hh, x1, y + hh, 0.8, sh.form_ink)
        return y + hh

    top = y
    y = header(page, y)
    items = list(sh.inv.items) + [None] * max(0, min_rows - len(sh.inv.items))
    for i, li in enumerate(items):
        if bottom and new_page and y + rh > bottom:
            _close(page, xs, top, y, grid, sh.form_ink)
            page, y = new_page()
            top = y
            y = header(page, y)
        if grid == "zebra" and i % 2:
            page.rect(x0, y, x1, y + rh, outline=None, fill=(238, 240, 244))
        if li is not None:
            for c, xa, xb in zip(cols, xs, xs[1:], strict=False):
                s = sh.cell(c, i, li)
                cst = page.fit(s, st, xb - xa - 2 * pad)
                xt = xa + pad if c.align == "l" else xb - pad if c.align == "r" else (xa + xb) / 2
                page.text(xt, y + rh * 0.68, s, cst, c.align)
        y += rh
        if grid in ("grid", "rules"):
            page.line(x0, y, x1, y, 0.4, sh.form_ink if sh.form_ink != sh.ink else (90, 90, 90))
    _close(page, xs, top, y, grid, sh.form_ink)
    return page, y


def _close(page: Page, xs: list[float], top: float, y: float, grid: str, ink: tuple) -> None:
    if grid == "grid":
        for x in xs:
            page.line(x, top, x, y, 0.6, ink)
    if grid != "none":
        page.line(xs[0], y, xs[-1], y, 0.8, ink)


def totals_block(
    sh: Sheet, page: Page, x_label: float, x_value: float, y: float, *, boxed: bool = False, gap: float = 1.7
) -> float:
    for label, value, strong in sh.totals_rows():
        st = sh.st(1.05 if strong else 1.0, bold=strong)
        page.text(x_label, y, label, st)
        page.text(x_value, y, value, st, "r")
        if strong and boxed:
            page.rect(x_label - 4, y - st.size * 1.2, x_value + 4, y + st.size * 0.5, w=0.8)
        y += sh.base * gap
    return y
