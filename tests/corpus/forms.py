"""Formal A4 layouts: Mushak-6.3 VAT invoice, ERP tax invoice, letterhead bill, foreign invoice.

Each `draw_*` takes a `Sheet` and returns the pages it drew. The choices inside
(block positions, column order, table style, header design) are drawn from the
sheet's rng so no two documents share a template.
"""

from __future__ import annotations

from .notation import amount_in_words
from .page import Page
from .sheet import A4, LETTER, Col, Sheet, table, totals_block

MUSHAK_BN = [
    "গণপ্রজাতন্ত্রী বাংলাদেশ সরকার",
    "জাতীয় রাজস্ব বোর্ড",
    "কর চালানপত্র",
    "[বিধি ৪০ এর উপ-বিধি (১) এর দফা (গ) ও দফা (চ) দ্রষ্টব্য]",
]
MUSHAK_EN = [
    "Government of the People's Republic of Bangladesh",
    "National Board of Revenue",
    "Tax Invoice",
    "[See clause (c) and (f) of Sub-Rule (1) of Rule 40]",
]
MUSHAK_FIELDS = {  # key: (bn, en)
    "s_name": ("নিবন্ধিত ব্যক্তির নাম", "Name of Registered Person"),
    "s_bin": ("নিবন্ধিত ব্যক্তির বিআইএন", "BIN of Registered Person"),
    "s_addr": ("চালানপত্র ইস্যুর ঠিকানা", "Address of Invoice Issue"),
    "b_name": ("ক্রেতার নাম", "Name of Buyer"),
    "b_bin": ("ক্রেতার বিআইএন", "BIN of Buyer"),
    "b_addr": ("ক্রেতার ঠিকানা", "Address of Buyer"),
    "dest": ("সরবরাহের গন্তব্যস্থল", "Destination of Supply"),
    "no": ("চালানপত্র নম্বর", "Invoice No"),
    "date": ("ইস্যুর তারিখ", "Date of Issue"),
    "time": ("ইস্যুর সময়", "Time of Issue"),
    "vehicle": ("যানবাহনের প্রকৃতি ও নম্বর", "Vehicle Type and No"),
}
MUSHAK_COLS_BN = [
    "ক্রমিক",
    "পণ্য বা সেবার বর্ণনা (প্রযোজ্য ক্ষেত্রে ব্র্যান্ড নামসহ)",
    "সরবরাহের একক",
    "পরিমাণ",
    "একক মূল্য (টাকায়)",
    "মোট মূল্য (টাকায়)",
    "সম্পূরক শুল্কের পরিমাণ",
    "মূসক হার",
    "মূল্য সংযোজন কর এর পরিমাণ (টাকায়)",
    "সকল প্রকার শুল্ক ও করসহ মূল্য",
]
MUSHAK_COLS_EN = [
    "SL",
    "Description of Goods/Services (with brand name)",
    "Unit of Supply",
    "Quantity",
    "Unit Price (Tk)",
    "Total Price (Tk)",
    "SD Amount",
    "VAT Rate",
    "VAT Amount (Tk)",
    "Total Price incl. all Duties and Taxes",
]


def _party_lines(sh: Sheet, who: str, keys: list[str], bn: bool) -> list[tuple[str, str]]:
    inv = sh.inv
    party = inv.supplier if who == "s" else inv.buyer
    vals = {"name": party.name, "bin": sh.num(party.bin or ""), "addr": party.address}
    return [(MUSHAK_FIELDS[f"{who}_{k}"][0 if bn else 1], vals[k]) for k in keys]


def draw_mushak63(sh: Sheet) -> list[Page]:
    inv, rng = sh.inv, sh.rng
    bn = sh.lang == "bn" or (sh.lang == "mixed" and rng.random() < 0.5)
    p = Page(*A4, sh.family)
    m = rng.uniform(28, 45)
    y = m + 14
    heads = MUSHAK_BN if bn else MUSHAK_EN
    for i, h in enumerate(heads):
        p.text(A4[0] / 2, y, h, sh.st([1.05, 1.05, 1.4, 0.85][i], bold=i == 2), "m")
        y += sh.base * (2.0 if i == 2 else 1.6)
    p.text(A4[0] - m, m + 14, "মূসক-৬.৩" if bn else "Mushak-6.3", sh.st(1.1, bold=True), "r")
    if rng.random() < 0.5:
        p.rect(A4[0] - m - 75, m, A4[0] - m, m + 20)
    y += 8
    colon = rng.choice([":", " :", "ঃ" if bn else ":"])
    seller = _party_lines(sh, "s", ["name", "bin", "addr"], bn)
    buyer = _party_lines(sh, "b", ["name", "bin", "addr"], bn)
    meta = [
        (MUSHAK_FIELDS["no"][0 if bn else 1], sh.num(inv.invoice_number)),
        (MUSHAK_FIELDS["date"][0 if bn else 1], sh.date()),
        (MUSHAK_FIELDS["time"][0 if bn else 1], sh.num(inv.extras.get("time", "10:30"))),
    ]
    dest = [
        (MUSHAK_FIELDS["dest"][0 if bn else 1], inv.buyer.address),
        (
            MUSHAK_FIELDS["vehicle"][0 if bn else 1],
            rng.choice(["", "ট্রাক ঢাকা মেট্রো-ট ১১-২২৩৪" if bn else "Truck DM-T 11-2234"]),
        ),
    ]
    st = sh.st(0.95)
    lw = A4[0] - 2 * m
    arrangement = rng.choice(["stacked", "side"])
    lh = sh.base * 1.65

    def kv(x: float, y: float, k: str, v: str, maxw: float) -> float:
        s = f"{k}{colon} {v}"
        for ln in p.wrap(s, st, maxw):
            p.text(x, y, ln, st)
            y += lh
        return y

    if arrangement == "stacked":
        for k, v in seller:
            y = kv(m, y, k, v, lw)
        y += 4
        y0 = y
        for k, v in buyer + dest:
            y = kv(m, y, k, v, lw * 0.6)
        yr = y0
        for k, v in meta:
            yr = kv(m + lw * 0.64, yr, k, v, lw * 0.36)
        y = max(y, yr)
    else:
        y0 = y
        yl = y
        for k, v in seller:
            yl = kv(m, yl, k, v, lw * 0.48)
        yr = y0
        for k, v in buyer:
            yr = kv(m + lw * 0.52, yr, k, v, lw * 0.48)
        y = max(yl, yr) + 4
        p.line(m, y - lh * 0.7, A4[0] - m, y - lh * 0.7, 0.4)
        for i, (k, v) in enumerate(meta):
            p.text(m + lw * [0, 0.38, 0.76][i], y, f"{k}{colon} {v}", p.fit(f"{k}{colon} {v}", st, lw * 0.36))
        y += lh
        y = kv(m, y, *dest[0], lw)
    y += 6
    heads = MUSHAK_COLS_BN if bn else MUSHAK_COLS_EN
    keys = ["sl", "desc", "unit", "qty", "rate", "amount", "sd", "vat_rate", "vat", "gross"]
    fr = [0.05, 0.22, 0.08, 0.08, 0.1, 0.11, 0.08, 0.07, 0.1, 0.11]
    cols = [
        Col(k, h, f, "l" if k in ("desc", "unit") else "r" if k not in ("sl",) else "m")
        for k, h, f in zip(keys, heads, fr, strict=True)
    ]
    sh.base *= 0.85
    p, y = table(sh, p, m, A4[0] - m, y, cols, grid="grid")
    xs = [m]
    for f in fr:
        xs.append(xs[-1] + lw * f)
    rh = sh.base * 2.1
    tst = sh.st(1.0, bold=True)
    p.text(xs[1] + 3, y + rh * 0.68, "সর্বমোট" if bn else "Total", tst)
    for col, val in ((6, sh.amt(inv.subtotal)), (9, sh.amt(inv.vat_amount)), (10, sh.amt(inv.total))):
        p.text(xs[col] - 3, y + rh * 0.68, val, p.fit(val, tst, xs[col] - xs[col - 1] - 6), "r")
    for x in xs:
        p.line(x, y, x, y + rh)
    p.line(m, y + rh, A4[0] - m, y + rh, 0.8)
    sh.base /= 0.85
    y += rh + 16
    if rng.random() < 0.6:
        p.text(m, y, amount_in_words(inv.total, "bn" if bn else "en", "BDT", rng), sh.st(0.95))
        y += 24
    y = max(y + 30, A4[1] - m - 90)
    sig = [
        ("প্রতিষ্ঠান কর্তৃপক্ষের দায়িত্বপ্রাপ্ত ব্যক্তির নাম", "Name of Authorised Person"),
        ("পদবি", "Designation"),
        ("স্বাক্ষর", "Signature"),
        ("সিল", "Seal"),
    ]
    for b, e in sig:
        p.text(m, y, f"{b if bn else e}{colon} " + ("......................" if rng.random() < 0.5 else ""), sh.st(0.9))
        y += lh
    note = (
        "* উৎসে কর্তনযোগ্য সরবরাহের ক্ষেত্রে ফরমটি সমন্বিত কর চালানপত্র ও উৎসে কর কর্তন সনদপত্র হিসেবে বিবেচিত হইবে।"
        if bn
        else "* In case of supply subject to withholding, this form is treated as a combined tax invoice and withholding certificate."
    )
    p.text(m, A4[1] - m + 6, note, p.fit(note, sh.st(0.75), lw))
    return [p]


def _header(sh: Sheet, p: Page, m: float, y: float, align: str) -> float:
    """Supplier name, address, phone and BIN as a letterhead; returns y below it."""
    inv, rng, L = sh.inv, sh.rng, sh.L
    W = p.w
    x = m if align == "l" else W - m if align == "r" else W / 2
    if align == "l" and rng.random() < 0.6:  # a logo mark
        init = "".join(w[0] for w in inv.supplier.name.replace("M/S. ", "").split()[:2])
        p.rect(m, y - 4, m + 44, y + 40, outline=None, fill=sh.accent)
        p.text(m + 22, y + 26, init, sh.st(1.8, bold=True, color=(255, 255, 255)), "m")
        x = m + 54
    p.text(x, y + 16, inv.supplier.name, sh.st(rng.uniform(1.7, 2.4), bold=True, color=sh.accent), align)
    y += 32
    lines = [inv.supplier.address, f"{L('phone', True)} {sh.num(inv.supplier.phone or '')}"]
    if inv.supplier.bin:
        lines.append(f"{L('bin', True)} {sh.num(inv.supplier.bin)}")
    if rng.random() < 0.5:
        lines[1:] = ["   ".join(lines[1:])]
    for ln in lines:
        p.text(x, y, ln, sh.st(0.9), align)
        y += sh.base * 1.45
    return y + 6


def draw_trade(sh: Sheet) -> list[Page]:
    rng, L = sh.rng, sh.L
    size = rng.choice([A4, A4, LETTER])
    W, H = size
    m = rng.uniform(30, 55)
    pages = [Page(W, H, sh.family)]
    p = pages[0]
    if rng.random() < 0.3:
        return _trade_two_party(sh, pages, W, H, m)
    head_align = rng.choice(["l", "m", "r"])
    y = _header(sh, p, m, m, head_align)
    p.line(m, y, W - m, y, rng.choice([0.6, 1.2, 2.0]), sh.accent)
    y += 22
    title = L("tax_invoice")
    p.text(
        W / 2 if head_align != "m" or rng.random() < 0.5 else W - m,
        y,
        title,
        sh.st(1.5, bold=True),
        "m" if head_align != "m" else "r",
    )
    y += 20
    return _trade_body(sh, pages, W, H, m, y)


def _trade_two_party(sh: Sheet, pages: list[Page], W: float, H: float, m: float) -> list[Page]:
    """Title first, then seller and buyer as equal boxes side by side (either order), each with a BIN."""
    inv, rng, L = sh.inv, sh.rng, sh.L
    p = pages[0]
    p.text(m, m + 24, L("tax_invoice"), sh.st(2.4, bold=True, color=sh.accent))
    y = m + 48
    colw = (W - 2 * m - 16) / 2
    seller_left = rng.random() < 0.6
    for who, party in (("seller", inv.supplier), ("bill_to", inv.buyer)):
        x = m if (who == "seller") == seller_left else m + colw + 16
        yy = y
        p.rect(x, yy, x + colw, yy + 92, outline=sh.accent if rng.random() < 0.5 else (150, 150, 150), w=0.6)
        p.text(x + 6, yy + 14, L(who, True), sh.st(0.9, bold=True, color=sh.accent))
        nst = p.fit(party.name, sh.st(1.15, bold=True), colw - 12)
        p.text(x + 6, yy + 32, party.name, nst)
        lines = p.wrap(party.address, sh.st(0.9), colw - 12)[:2]
        if party.bin and (who == "seller" or rng.random() < 0.7):
            lines.append(f"{L('bin', True)} {sh.num(party.bin)}")
        if party.phone and who == "seller":
            lines.append(f"{L('phone', True)} {sh.num(party.phone)}")
        for i, ln in enumerate(lines[:4]):
            p.text(x + 6, yy + 46 + i * sh.base * 1.35, ln, p.fit(ln, sh.st(0.9), colw - 12))
    return _trade_body(sh, pages, W, H, m, y + 112, buyer_block=False)


def _trade_body(
    sh: Sheet, pages: list[Page], W: float, H: float, m: float, y: float, buyer_block: bool = True
) -> list[Page]:
    inv, rng, L = sh.inv, sh.rng, sh.L
    p = pages[-1]
    meta = [(L("invoice_no", True), sh.num(inv.invoice_number)), (L("date", True), sh.date())]
    if inv.due_date:
        meta.append((L("due", True), sh.date("due")))
    if rng.random() < 0.4:
        meta.append(("PO No:" if sh.lang != "bn" else "ক্রয়াদেশ নং:", sh.num(inv.extras.get("po", ""))))
    buyer = [(L("bill_to", True), "")] + [("", inv.buyer.name), ("", inv.buyer.address)]
    if inv.buyer.bin and rng.random() < 0.6:
        buyer.append(("", f"{L('bin', True, lang='en' if sh.lang != 'bn' else 'bn')} {sh.num(inv.buyer.bin)}"))
    if not buyer_block:
        buyer = []
    meta_right = rng.random() < 0.65
    bx, mx = (m, W * 0.58) if meta_right else (W * 0.5, m)
    yb = ym = y
    for k, v in buyer:
        p.text(bx, yb, k or v, sh.st(1.0, bold=bool(k)))
        yb += sh.base * 1.5
    if rng.random() < 0.4:
        p.rect(mx - 6, ym - sh.base * 1.4, mx + W * 0.4 - m + 2, ym + sh.base * 1.6 * (len(meta) - 0.4), w=0.5)
    for k, v in meta:
        p.text(mx, ym, k, sh.st(1.0, bold=True))
        p.text(mx + max(p.width(k, sh.st(1.0, bold=True)) + 6, 70), ym, v, sh.st(1.0))
        ym += sh.base * 1.6
    y = max(yb, ym) + 12
    orders = [
        ["sl", "desc", "qty", "rate", "amount"],
        ["sl", "desc", "unit", "qty", "rate", "amount"],
        ["desc", "qty", "rate", "amount"],
        ["sl", "desc", "rate", "qty", "amount"],
        ["sl", "desc", "qty", "unit", "rate", "amount"],
    ]
    order = rng.choice(orders)
    fr = {"sl": 0.07, "desc": 0.43, "unit": 0.09, "qty": 0.11, "rate": 0.15, "amount": 0.17}
    tot = sum(fr[k] for k in order)
    cols = [Col(k, L(k), fr[k] / tot, "l" if k in ("desc", "unit") else "m" if k == "sl" else "r") for k in order]
    grid = rng.choice(["grid", "rules", "zebra", "none"])
    head_fill = rng.choice([None, (225, 228, 235), tuple(min(255, c + 170) for c in sh.accent)])

    def new_page() -> tuple[Page, float]:
        np_ = Page(W, H, sh.family)
        pages.append(np_)
        np_.text(m, m + 10, f"{inv.supplier.name} — {L('invoice_no', True)} {sh.num(inv.invoice_number)}", sh.st(0.9))
        np_.text(
            W - m,
            m + 10,
            f"Page {len(pages)}" if sh.lang != "bn" else f"পৃষ্ঠা {sh.num(str(len(pages)))}",
            sh.st(0.9),
            "r",
        )
        return np_, m + 30

    p, y = table(
        sh,
        p,
        m,
        W - m,
        y,
        cols,
        grid=grid,
        head_fill=head_fill,
        bottom=H - m - 60,
        new_page=new_page,
        min_rows=rng.choice([0, 0, len(inv.items) + 3]),
    )
    if y > H - m - 150:
        p, y = new_page()
    y += 18
    y = totals_block(sh, p, W * rng.uniform(0.55, 0.62), W - m - 4, y, boxed=rng.random() < 0.5)
    if rng.random() < 0.7:
        words = amount_in_words(inv.total, "bn" if sh.lang == "bn" else "en", "BDT", rng)
        for ln in p.wrap(words, sh.st(0.95, italic=True), W - 2 * m):
            y += sh.base * 1.5
            p.text(m, y, ln, sh.st(0.95, italic=True))
    if rng.random() < 0.4 and sh.lang != "bn":
        y += sh.base * 3
        p.text(
            m,
            y,
            f"Bank: {rng.choice(['Dutch-Bangla Bank', 'BRAC Bank', 'Islami Bank', 'City Bank'])}, "
            f"A/C {rng.randint(10**12, 10**13 - 1)}",
            sh.st(0.85),
        )
    ys = H - m - 20
    p.line(m, ys, m + 140, ys, 0.5)
    p.text(m, ys + 12, L("signature"), sh.st(0.85))
    p.line(W - m - 140, ys, W - m, ys, 0.5)
    p.text(W - m, ys + 12, L("signature") if rng.random() < 0.5 else L("bill_to"), sh.st(0.85), "r")
    if rng.random() < 0.6:
        p.text(W / 2, H - m / 2, L("thanks"), sh.st(0.8, color=(100, 100, 100)), "m")
    return pages


def draw_letterhead(sh: Sheet) -> list[Page]:
    """Corporate supply bill on a letterhead: Ref/Date line, 'To,' block, subject, table, 'For <supplier>'."""
    inv, rng, L = sh.inv, sh.rng, sh.L
    W, H = A4
    m = rng.uniform(40, 60)
    p = Page(W, H, sh.family)
    y = _header(sh, p, m, m, "m")
    p.line(m, y, W - m, y, 1.5, sh.accent)
    y += 26
    ref = sh.L("invoice_no", True) if rng.random() < 0.6 else "Ref:" if sh.lang != "bn" else "সূত্র:"
    p.text(m, y, f"{ref} {sh.num(inv.invoice_number)}", sh.st())
    p.text(W - m, y, f"{L('date', True)} {sh.date()}", sh.st(), "r")
    y += 30
    bn = sh.lang == "bn"
    for ln in (
        ["বরাবর,", "ব্যবস্থাপক"]
        if bn
        else ["To,", rng.choice(["The Manager", "The Purchase Manager", "The Director (Admin)"])]
    ) + [inv.buyer.name, inv.buyer.address]:
        p.text(m, y, ln, sh.st(1.0, bold=ln == inv.buyer.name))
        y += sh.base * 1.5
    y += 10
    subj = (
        "বিষয়: মালামাল সরবরাহ বাবদ বিল।"
        if bn
        else rng.choice(["Subject: Bill for supply of goods.", "Sub: Submission of bill against work order."])
    )
    p.text(m, y, subj, sh.st(1.0, bold=True))
    y += 20
    para = (
        "জনাব, আপনার কার্যাদেশ অনুযায়ী নিম্নলিখিত মালামাল সরবরাহ করা হয়েছে। বিল পরিশোধের জন্য অনুরোধ করা হলো।"
        if bn
        else "Dear Sir, with reference to your work order, we have supplied the following items. Kindly arrange payment at the earliest."
    )
    for ln in p.wrap(para, sh.st(), W - 2 * m):
        p.text(m, y, ln, sh.st())
        y += sh.base * 1.5
    y += 8
    cols = [
        Col("sl", L("sl"), 0.08, "m"),
        Col("desc", L("desc"), 0.46),
        Col("qty", L("qty"), 0.12, "r"),
        Col("rate", L("rate"), 0.16, "r"),
        Col("amount", L("amount"), 0.18, "r"),
    ]
    p, y = table(sh, p, m, W - m, y, cols, grid=rng.choice(["grid", "rules"]))
    y += 16
    y = totals_block(sh, p, W * 0.56, W - m - 4, y)
    words = amount_in_words(inv.total, "bn" if bn else "en", "BDT", rng)
    for ln in p.wrap(words, sh.st(0.95, bold=True), W - 2 * m):
        p.text(m, y + 4, ln, sh.st(0.95, bold=True))
        y += sh.base * 1.5
    y = max(y + 40, H - m - 90)
    p.text(m, y, "ধন্যবাদান্তে," if bn else "Thanking you,", sh.st())
    p.line(m, y + 40, m + 150, y + 40, 0.5)
    p.text(m, y + 54, ("পক্ষে: " if bn else "For ") + inv.supplier.name, sh.st(0.95, bold=True))
    return [p]


def draw_foreign(sh: Sheet) -> list[Page]:
    """USD / EUR / INR invoices: no BIN, foreign tax names and number conventions."""
    inv, rng = sh.inv, sh.rng
    W, H = LETTER if inv.currency == "USD" else A4
    m = rng.uniform(36, 56)
    p = Page(W, H, sh.family)
    p.text(m, m + 20, inv.supplier.name, sh.st(2.0, bold=True, color=sh.accent))
    y = m + 38
    tax_id = {
        "USD": f"EIN {rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}",
        "EUR": f"USt-IdNr./VAT ID: DE{rng.randint(10**8, 10**9 - 1)}",
        "INR": f"GSTIN: 19AAB{rng.choice('CFP')}{rng.randint(1000, 9999)}K1Z{rng.randint(1, 9)}",
    }[inv.currency]
    for ln in [inv.supplier.address, f"Tel {inv.supplier.phone}", tax_id]:
        p.text(m, y, ln, sh.st(0.9))
        y += sh.base * 1.45
    title = {"USD": "INVOICE", "EUR": rng.choice(["INVOICE", "Rechnung / Invoice"]), "INR": "TAX INVOICE"}[inv.currency]
    p.text(W - m, m + 20, title, sh.st(2.2, bold=True), "r")
    meta = [("Invoice #" if inv.currency == "USD" else "Invoice No.", inv.invoice_number), ("Date", sh.date())]
    if inv.due_date:
        meta.append(("Due Date", sh.date("due")))
    ym = m + 44
    for k, v in meta:
        p.text(W - m - 110, ym, k, sh.st(0.95, bold=True), "r")
        p.text(W - m, ym, v, sh.st(0.95), "r")
        ym += sh.base * 1.6
    y = max(y, ym) + 16
    p.text(m, y, rng.choice(["Bill To", "Billed To", "Customer"]), sh.st(1.0, bold=True))
    for ln in [inv.buyer.name, inv.buyer.address]:
        y += sh.base * 1.5
        p.text(m, y, ln, sh.st())
    y += 20
    cols = [
        Col("desc", "Description", 0.5),
        Col("qty", "Qty", 0.12, "r"),
        Col("rate", "Unit Price", 0.18, "r"),
        Col("amount", "Amount", 0.2, "r"),
    ]
    p, y = table(
        sh,
        p,
        m,
        W - m,
        y,
        cols,
        grid=rng.choice(["rules", "zebra", "none"]),
        head_fill=rng.choice([None, (230, 230, 230)]),
    )
    y += 18
    tax = {"USD": f"Sales Tax ({inv.vat_rate:g}%)", "EUR": f"VAT {inv.vat_rate:g}%", "INR": f"IGST @{inv.vat_rate:g}%"}[
        inv.currency
    ]
    rows = [("Subtotal", sh.amt(inv.subtotal))]
    if inv.discount:
        rows.append(("Discount", "-" + sh.amt(inv.discount)))
    rows += [
        (tax, sh.amt(inv.vat_amount)),
        ("Total" if inv.currency != "USD" else "Balance Due", sh.amt(inv.total, mark=True)),
    ]
    for i, (k, v) in enumerate(rows):
        strong = i == len(rows) - 1
        p.text(W * 0.6, y, k, sh.st(1.05 if strong else 1.0, bold=strong))
        p.text(W - m, y, v, sh.st(1.05 if strong else 1.0, bold=strong), "r")
        y += sh.base * 1.8
    if inv.currency == "INR" and rng.random() < 0.6:
        p.text(m, y + 10, amount_in_words(inv.total, "en", "INR", rng), sh.st(0.9, italic=True))
    p.text(
        W / 2,
        H - m,
        rng.choice(
            ["Thank you for your business.", "Payment due within 30 days.", "All prices in " + inv.currency + "."]
        ),
        sh.st(0.85),
        "m",
    )
    return [p]
