"""Shop-counter layouts: printed cash memo, hand-filled memo form, thermal receipt.

Each `draw_*` takes a `Sheet` and returns its pages. Small shops often print no
BIN; callers clear `inv.supplier.bin` before drawing when the rng says so, so
the truth stays what the paper shows.
"""

from __future__ import annotations

from .notation import amount_in_words
from .page import Page, Style
from .sheet import A5, Col, Sheet, table

TAGLINES_BN = [
    "এখানে সকল প্রকার হার্ডওয়্যার সামগ্রী পাইকারি ও খুচরা বিক্রয় করা হয়",
    "এখানে উন্নতমানের চাল, ডাল, তেল ও মুদি মালামাল পাওয়া যায়",
    "সকল প্রকার ঔষধ ও সার্জিক্যাল সামগ্রী বিক্রেতা",
    "আধুনিক রুচিসম্মত পোশাকের বিশ্বস্ত প্রতিষ্ঠান",
]
TAGLINES_EN = [
    "Dealer of all kinds of hardware & sanitary goods",
    "Wholesale & retail grocery",
    "Importer, supplier & general order supplier",
    "Quality you can trust",
]


def draw_memo(sh: Sheet, hand: bool = False) -> list[Page]:
    """Cash memo on an A5 form. With `hand`, the form is printed in one ink and the entries pen-written."""
    inv, rng, L = sh.inv, sh.rng, sh.L
    W, H = A5 if rng.random() < 0.7 else (A5[0] * 1.1, A5[1] * 1.05)
    m = rng.uniform(18, 30)
    form_ink = sh.accent if hand or rng.random() < 0.4 else sh.ink
    pen = rng.choice([(20, 40, 140), (15, 15, 30), (30, 30, 110)])
    bn = sh.lang != "en"
    p = Page(W, H, sh.family, background=rng.choice([(255, 255, 255), (252, 250, 240), (245, 248, 255)]))

    def f(rel: float = 1.0, bold: bool = False) -> Style:
        return sh.st(rel, bold=bold, color=form_ink)

    def w(rel: float = 1.0) -> Style:  # entry: pen or printer
        return sh.st(rel, color=pen if hand else sh.ink, hand=hand)

    y = m + 8
    if bn and rng.random() < 0.5:
        p.text(W / 2, y, "বিসমিল্লাহির রাহমানির রাহিম", f(0.8), "m")
        y += 12
    name_st = p.fit(inv.supplier.name, f(2.2, bold=True), W - 2 * m)
    p.text(W / 2, y + name_st.size, inv.supplier.name, name_st, "m")
    y += name_st.size + 14
    tag = rng.choice(TAGLINES_BN if bn else TAGLINES_EN)
    p.text(W / 2, y, tag, p.fit(tag, f(0.85), W - 2 * m), "m")
    y += 13
    for ln in p.wrap(inv.supplier.address, f(0.85), W - 2 * m):
        p.text(W / 2, y, ln, f(0.85), "m")
        y += 12
    contact = f"{L('phone', True)} {sh.num(inv.supplier.phone or '')}"
    if inv.supplier.bin:
        contact += f"    {L('bin', True)} {sh.num(inv.supplier.bin)}"
    p.text(W / 2, y, contact, p.fit(contact, f(0.85), W - 2 * m), "m")
    y += 10
    title = L("cash_memo")
    tw = p.width(title, f(1.1, bold=True))
    p.rect(W / 2 - tw / 2 - 10, y, W / 2 + tw / 2 + 10, y + 20, outline=None, fill=form_ink)
    p.text(W / 2, y + 15, title, sh.st(1.1, bold=True, color=(255, 255, 255)), "m")
    y += 36
    no_label = L("invoice_no", True)
    p.text(m, y, no_label, f())
    serial_st = sh.st(1.2, bold=True, color=(190, 20, 20)) if hand and rng.random() < 0.6 else w()
    p.text(m + p.width(no_label, f()) + 6, y, sh.num(inv.invoice_number), serial_st)
    dl = L("date", True)
    date = sh.date()
    dx = min(W - m - 110, W - m - p.width(dl, f()) - p.width(date, w()) - 12)
    p.text(dx, y, dl, f())
    p.text(dx + p.width(dl, f()) + 6, y, date, w())
    if hand:
        p.line(dx + p.width(dl, f()) + 3, y + 2, W - m, y + 2, 0.4, form_ink, dash=True)
    y += 20
    for lab, val in ((L("bill_to", True), inv.buyer.name), (L("address", True), inv.buyer.address)):
        p.text(m, y, lab, f())
        x = m + p.width(lab, f()) + 6
        p.line(x - 3, y + 2, W - m, y + 2, 0.4, form_ink, dash=True)
        if val and (rng.random() < 0.85 or lab.startswith(L("bill_to"))):
            p.text(x, y - 1, val, p.fit(val, w(), W - m - x))
        y += 18
    cols = [
        Col("sl", L("sl"), 0.09, "m"),
        Col("desc", L("desc"), 0.45),
        Col("qty", L("qty"), 0.13, "r"),
        Col("rate", L("rate"), 0.15, "r"),
        Col("amount", L("amount"), 0.18, "r"),
    ]
    if rng.random() < 0.3:
        cols[2], cols[3] = cols[3], cols[2]
    saved = sh.ink
    sh.ink, sh.form_ink = (pen if hand else sh.ink), form_ink
    rows = max(len(inv.items) + 2, rng.choice([6, 8, 10])) if rng.random() < 0.7 else 0
    p, y = table(sh, p, m, W - m, y, cols, grid="grid", row_h=sh.base * 2.4, min_rows=rows, hand=hand)
    sh.ink = saved
    y += 4
    xl, xr = m + (W - 2 * m) * 0.52, W - m - 3
    for label, value, strong in sh.totals_rows(mark_total=not hand):
        p.text(xl, y + 12, label, f(1.0, bold=strong))
        p.text(xr, y + 12, value, w(1.05 if strong else 1.0), "r")
        p.line(xl - 3, y + 16, W - m, y + 16, 0.4, form_ink)
        y += 18
    if rng.random() < 0.7:
        words = amount_in_words(inv.total, "bn" if bn else "en", "BDT", rng)
        for ln in p.wrap(words, w(0.9), W - 2 * m)[:2]:
            y += 15
            p.text(m, y, ln, w(0.9))
    ys = max(H - m - 6, y + 60)
    p.h = max(H, ys + m + 6)  # a long memo is printed on a taller slip, never overprinted
    p.line(m, ys - 10, m + 100, ys - 10, 0.5, form_ink)
    p.text(m, ys, "ক্রেতার স্বাক্ষর" if bn else "Customer's Signature", f(0.8))
    p.line(W - m - 100, ys - 10, W - m, ys - 10, 0.5, form_ink)
    p.text(W - m, ys, "বিক্রেতার স্বাক্ষর" if bn else "For " + inv.supplier.name[:22], f(0.8), "r")
    if rng.random() < 0.5:
        p.text(W / 2, ys - 24, L("thanks"), f(0.75), "m")
    return [p]


def draw_thermal(sh: Sheet) -> list[Page]:
    """Narrow POS receipt (58 or 80 mm) in a monospace face; page height fits the content."""
    inv, rng, L = sh.inv, sh.rng, sh.L
    W = rng.choice([164.0, 204.0, 227.0])
    m = 8.0
    sh.base = rng.choice([6.5, 7, 7.5]) if W < 200 else rng.choice([7.5, 8, 8.5])
    p = Page(W, 3000, sh.family)
    y = m + 14
    st = sh.st()
    lh = sh.base * 1.45

    def center(s: str, stl: Style = st) -> None:
        nonlocal y
        for ln in p.wrap(s, stl, W - 2 * m):
            p.text(W / 2, y, ln, stl, "m")
            y += stl.size * 1.4

    def lr(a: str, b: str, stl: Style = st) -> None:
        nonlocal y
        p.text(m, y, a, stl)
        p.text(W - m, y, b, stl, "r")
        y += lh

    def rule() -> None:
        nonlocal y
        p.line(m, y - lh * 0.35, W - m, y - lh * 0.35, 0.6, dash=rng.random() < 0.7)
        y += lh * 0.6

    center(inv.supplier.name, sh.st(1.5, bold=True))
    center(inv.supplier.address)
    center(f"{L('phone', True)} {inv.supplier.phone}")
    if inv.supplier.bin:
        center(f"{L('bin', True)} {sh.num(inv.supplier.bin)}")
    if rng.random() < 0.4:
        center("Mushak-6.3" if sh.lang != "bn" else "মূসক-৬.৩")
    rule()
    lr(L("invoice_no", True), sh.num(inv.invoice_number))
    lr(L("date", True), sh.date() + ("" if rng.random() < 0.5 else " " + sh.num(inv.extras.get("time", ""))))
    if rng.random() < 0.5:
        lr("Cashier:" if sh.lang != "bn" else "ক্যাশিয়ার:", inv.extras.get("cashier", ""))
    rule()
    inline = rng.random() < 0.5
    lr(L("desc"), L("amount"), sh.st(bold=True))
    for li in inv.items:
        line2 = f"{sh.qty(li.quantity)} x {sh.amt(li.unit_price)}"
        if inline and p.width(f"{li.description} {line2}  {sh.amt(li.amount)}", st) < W - 2 * m:
            lr(f"{li.description} {line2}", sh.amt(li.amount))
        else:
            p.text(m, y, li.description, p.fit(li.description, st, W - 2 * m))
            y += lh
            lr("  " + line2, sh.amt(li.amount))
    rule()
    for label, value, strong in sh.totals_rows():
        lr(label, value, sh.st(1.15 if strong else 1.0, bold=strong))
    if rng.random() < 0.6:
        paid = float((int(inv.total) // 500 + 1) * 500)
        lr("Cash Paid" if sh.lang != "bn" else "নগদ প্রদান", sh.amt(paid))
        lr("Change" if sh.lang != "bn" else "ফেরত", sh.amt(round(paid - inv.total, 2)))
    rule()
    center(L("thanks"))
    if rng.random() < 0.6:
        y += 4
        x = m + 12
        while x < W - m - 12:
            bw = rng.choice([0.8, 1.2, 2.0])
            p.rect(x, y, x + bw, y + 28, outline=None, fill=(0, 0, 0))
            x += bw + rng.choice([0.8, 1.2, 2.0])
        y += 40
    p.h = y + m
    return [p]
