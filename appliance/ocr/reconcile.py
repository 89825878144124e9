"""Arithmetic: pick the amounts that agree with each other, and say when they don't.

Owns: choosing subtotal / discount / SD / VAT / total among the parsers'
candidates so that subtotal − discount + SD + VAT = total (or VAT-inclusive
prices: total = subtotal − discount and VAT = total × r / (100 + r)); the check
that line items sum to the subtotal; VAT = rate × base; and inferring a missing
amount only when two independent relations prove it.

Must never: fill a field from a single relation (that is a guess), or hide a
disagreement: every failed check becomes a needs_review reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

from .parsers import Candidate

STANDARD_VAT_RATES = (15.0, 10.0, 7.5, 5.0, 2.4, 2.0, 3.0, 4.5, 0.0)
FIELDS = ("subtotal", "discount", "sd", "vat_amount", "total")


def close(a: float | None, b: float | None, rel: float = 0.0) -> bool:
    """Equal to the taka (a total rounded to the taka, or per-line rounding); `rel` widens it for
    VAT = rate × base, which per-line rounding moves by a few paisa a line. Wider than that lets a
    misread digit balance (1,73,559 "equals" 1,73,524 within 0.2%)."""
    if a is None or b is None:
        return False
    return abs(a - b) <= max(0.51, rel * max(abs(a), abs(b)))


@dataclass
class Amounts:
    values: dict[str, float | None]
    conf: dict[str, float]  # field → 0..1
    lines: dict[str, int] = field(default_factory=dict)
    review: list[str] = field(default_factory=list)
    balanced: bool = False  # the header arithmetic holds
    items_match: bool = False  # line items sum to the subtotal (or total)
    vat_inclusive: bool = False
    vat_rate: float | None = None
    vat_rate_conf: float = 0.0


def _options(cands: list[Candidate], k: int = 4) -> list[Candidate | None]:
    seen: dict[float, Candidate] = {}
    for c in sorted(cands, key=lambda c: -c.score * (0.5 + 0.5 * c.conf)):
        if isinstance(c.value, (int, float)) and c.value not in seen:
            seen[float(c.value)] = c
    return [*list(seen.values())[:k], None]


def _v(c: Candidate | None) -> float | None:
    return float(c.value) if c is not None else None  # type: ignore[arg-type]


def choose(
    cands: dict[str, list[Candidate]],
    items_sum: float | None,
    rate: Candidate | None,
    vat_mentioned: bool,
    discount_mentioned: bool,
    printed_rates: frozenset[float] = frozenset(),
) -> Amounts:
    """The most plausible, arithmetically consistent set of header amounts."""
    options = [_options(cands.get(f, [])) for f in FIELDS]
    best: tuple[float, tuple[Candidate | None, ...], bool, bool] | None = None
    for combo in product(*options):
        chosen = [c for c in combo if c is not None]
        if len({(c.line, c.value) for c in chosen}) < len(chosen):
            continue  # one printed number cannot be two fields
        sub, disc, sd, vat, tot = (_v(c) for c in combo)
        if combo[4] is not None and combo[4].source == "words" and vat and sub == tot:
            continue  # the amount in words restates the payable: no second printing of a VAT-inclusive gross
        score = sum(c.score * (0.5 + 0.5 * c.conf) for c in chosen)
        if tot is not None and (sub is not None and tot < sub - (disc or 0) - 0.51 or vat is not None and vat > tot):
            score -= 0.5  # VAT and charges only add: a payable below the net, or a VAT above it, is a misreading
        balanced, inclusive = _balanced(sub, disc, sd, vat, tot, rate)
        if balanced:
            # both readings hold when the gross is printed beside the net (net + VAT = gross and
            # VAT = gross × r ÷ (100 + r)); the printed net, read exclusive, wins the tie
            score += 1.4 if inclusive else 1.5
        if items_sum is not None and (close(items_sum, sub) or (sub is None and close(items_sum, tot))):
            score += 0.8
        if rate is not None and vat is not None and sub is not None:
            base = sub - (disc or 0)
            if close(vat, base * float(rate.value) / 100, 0.002) or inclusive:  # type: ignore[arg-type]
                score += 0.5
        if best is None or score > best[0]:
            best = (score, combo, balanced, inclusive)
    assert best is not None
    _, combo, balanced, inclusive = best
    out = Amounts(
        values={f: _v(c) for f, c in zip(FIELDS, combo, strict=False)},
        conf={f: (c.score * (0.5 + 0.5 * c.conf) if c else 0.0) for f, c in zip(FIELDS, combo, strict=False)},
        lines={f: c.line for f, c in zip(FIELDS, combo, strict=False) if c},
        balanced=balanced,
        vat_inclusive=inclusive,
    )
    payable = {float(c.value) for c in cands.get("total", []) if c.score >= 0.95}  # type: ignore[arg-type]
    if out.values["total"] is not None and payable and out.values["total"] not in payable:
        # a "Grand Total / Net Payable" line prints another number: a person decides which
        out.review.append("total:differs_from_payable_line")
        out.conf["total"] = min(out.conf["total"], 0.55)
        vat_mentioned = True  # and the gap between them may be a VAT line OCR lost: never prove it zero
    _settle_absent(out, items_sum, vat_mentioned, discount_mentioned)
    _settle_rate(out, rate, printed_rates)
    # the VAT line says the prices include it ("VAT @ 20% (included)", a Brutto column)
    included = combo[3] is not None and combo[3].source == "included"
    _infer(out, items_sum, included)
    _check(out, items_sum, rate)
    return out


def _balanced(sub, disc, sd, vat, tot, rate) -> tuple[bool, bool]:  # type: ignore[no-untyped-def]
    """(subtotal − discount + SD + VAT = total, VAT-inclusive reading holds)."""
    if sub is None or tot is None:
        return False, False
    net = sub - (disc or 0) + (sd or 0)
    if vat is not None and close(net + vat, tot) and (vat > 0 or disc or sd):
        return True, False
    if vat is not None and vat > 0 and close(net, tot):
        r = float(rate.value) if rate is not None else None
        rates = [r] if r is not None else list(STANDARD_VAT_RATES[:-1])
        if any(close(vat, tot * x / (100 + x), 0.002) for x in rates):
            return True, True
    return False, False


def _settle_absent(out: Amounts, items_sum: float | None, vat_mentioned: bool, discount_mentioned: bool) -> None:
    """A VAT or discount line that is not printed at all is 0 when the other amounts prove it."""
    v = out.values
    if v["discount"] is None and not discount_mentioned:
        v["discount"], out.conf["discount"] = 0.0, 0.8
    if v["sd"] is None:
        v["sd"] = 0.0
    if v["vat_amount"] is None and not vat_mentioned and v["total"] is not None:
        base = v["subtotal"] if v["subtotal"] is not None else items_sum
        if base is not None and close(base - (v["discount"] or 0) + v["sd"], v["total"]):
            v["vat_amount"], out.conf["vat_amount"] = 0.0, 0.8
            out.vat_rate, out.vat_rate_conf = 0.0, 0.8
            if v["subtotal"] is None:
                v["subtotal"], out.conf["subtotal"] = base, 0.8
            out.balanced = True


def _settle_rate(out: Amounts, rate: Candidate | None, printed: frozenset[float]) -> None:
    v = out.values
    if rate is not None:
        out.vat_rate, out.vat_rate_conf = float(rate.value), rate.score * (0.5 + 0.5 * rate.conf)  # type: ignore[arg-type]
        amounts_say = _standard_rate(out)
        if out.balanced and amounts_say is not None and amounts_say != out.vat_rate:
            # a misread rate ("15%" read "96%", "7.5%" read "75%"): closed amounts name the rate
            out.vat_rate, out.vat_rate_conf = amounts_say, 0.55
            out.review.append("vat_rate:differs_from_amounts")
        return
    if out.vat_rate is not None or v["vat_amount"] is None or v["subtotal"] is None:
        return
    base = _vat_base(out)
    if base <= 0:
        return
    computed = v["vat_amount"] / base * 100
    for r in STANDARD_VAT_RATES:
        if abs(computed - r) < 0.05:
            if out.balanced and r in printed:
                # the rate is printed (a table's rate column) and the amounts prove it
                out.vat_rate, out.vat_rate_conf = r, 0.9
                return
            out.vat_rate, out.vat_rate_conf = r, 0.75 if out.balanced else 0.55
            out.review.append("vat_rate:inferred")
            return


def _vat_base(out: Amounts) -> float:
    v = out.values
    if out.vat_inclusive:
        return (v["total"] or 0) - (v["vat_amount"] or 0)
    return (v["subtotal"] or 0) - (v["discount"] or 0)


def _standard_rate(out: Amounts) -> float | None:
    """The standard rate that VAT ÷ base is, to the paisa (0.1% for per-line rounding); None if none is."""
    vat, base = out.values["vat_amount"], _vat_base(out)
    if not vat or out.values["subtotal"] is None or base <= 0:
        return None
    return next((r for r in STANDARD_VAT_RATES if abs(vat - base * r / 100) <= max(0.011, 0.001 * vat)), None)


def _infer(out: Amounts, items_sum: float | None, included: bool = False) -> None:
    """Fill one missing amount only when two independent relations agree on it."""
    v = out.values
    disc, sd = v["discount"] or 0, v["sd"] or 0
    rate = out.vat_rate
    if v["subtotal"] is None and items_sum is not None and v["total"] is not None and v["vat_amount"] is not None:
        if close(items_sum - disc + sd + v["vat_amount"], v["total"]):
            v["subtotal"], out.conf["subtotal"], out.balanced = items_sum, 0.85, True
            out.review.append("subtotal:inferred")
    if v["total"] is None and v["subtotal"] is not None and v["vat_amount"] is not None and rate is not None:
        base = v["subtotal"] - disc
        if close(v["vat_amount"], base * rate / 100, 0.002):
            v["total"], out.conf["total"], out.balanced = round(base + sd + v["vat_amount"], 2), 0.7, True
            out.review.append("total:inferred")
    if v["subtotal"] is None and v["total"] is not None and v["vat_amount"] and rate and items_sum is not None:
        # prices that include VAT, one total printed: the items sum to it and the VAT is its share
        if close(items_sum - disc + sd, v["total"]) and close(v["vat_amount"], v["total"] * rate / (100 + rate), 0.002):
            v["subtotal"], out.conf["subtotal"], out.balanced, out.vat_inclusive = items_sum, 0.85, True, True
            out.review.append("subtotal:inferred")
    if v["subtotal"] is None and included and v["total"] and v["vat_amount"] and not out.balanced:
        # prices that include VAT, one total printed, and the VAT line saying so: the printed words and
        # VAT = total × r ÷ (100 + r) are the two relations; the subtotal is the gross, as on the till
        rates = [rate] if rate is not None else [r for r in STANDARD_VAT_RATES if r > 0]
        gross = v["total"] - sd
        if any(close(v["vat_amount"], gross * r / (100 + r), 0.002) for r in rates):
            v["subtotal"], out.conf["subtotal"] = round(gross + disc, 2), 0.85
            out.balanced, out.vat_inclusive = True, True
            out.review.append("subtotal:inferred")
    misread = v["vat_amount"] is not None and not out.balanced and rate is not None
    if (v["vat_amount"] is None or misread) and v["subtotal"] is not None and v["total"] is not None:
        vat, base = round(v["total"] - (v["subtotal"] - disc + sd), 2), v["subtotal"] - disc
        # the VAT line unread: total − net is the VAT when it is the printed rate (or, none
        # printed, a standard rate) of the base to the paisa; zero VAT is settled elsewhere.
        # Read but not closing ("1.0" for "1,815.00"): the printed rate and total − net, two
        # relations that agree, outweigh one misread number, and a person is told
        rates = [rate] if rate is not None else [r for r in STANDARD_VAT_RATES if r > 0]
        hit = next((r for r in rates if vat > 0 and abs(vat - round(base * r / 100, 2)) <= 0.011), None)
        if hit is not None:
            v["vat_amount"], out.conf["vat_amount"], out.balanced = vat, 0.8, True
            out.review.append("vat_amount:inferred")
            if out.vat_rate is None:
                out.vat_rate, out.vat_rate_conf = hit, 0.6
                out.review.append("vat_rate:inferred")
    if not out.balanced and v["vat_amount"] and v["total"] is not None:
        # the subtotal unread or misread ("08,858.d0" for "৩৪,৪১৪.৯০" in a bold totals row):
        # total − VAT is the net when the VAT is a rate of it to the paisa; the two relations
        # agree only by a misreading's chance of one in thousands, and a person is told
        net = round(v["total"] - v["vat_amount"] - sd, 2)
        rates = [rate] if rate is not None else [r for r in STANDARD_VAT_RATES if r > 0]
        hit = next((r for r in rates if net > 0 and abs(v["vat_amount"] - round(net * r / 100, 2)) <= 0.011), None)
        if hit is not None and (v["subtotal"] is None or not close(v["subtotal"], net + disc)):
            v["subtotal"], out.conf["subtotal"], out.balanced = round(net + disc, 2), 0.8, True
            out.review.append("subtotal:inferred")
            if out.vat_rate is None:
                out.vat_rate, out.vat_rate_conf = hit, 0.6
                out.review.append("vat_rate:inferred")


def _check(out: Amounts, items_sum: float | None, rate: Candidate | None) -> None:
    v = out.values
    if items_sum is not None:
        out.items_match = close(items_sum, v["subtotal"]) or (v["subtotal"] is None and close(items_sum, v["total"]))
    if out.balanced:
        for f in ("subtotal", "vat_amount", "total", "discount"):
            if v[f] is not None:
                out.conf[f] = max(out.conf[f], 0.97 if v[f] != 0 or f == "discount" else out.conf[f])
    elif v["subtotal"] is not None and v["total"] is not None and v["vat_amount"] is not None:
        out.review.append("arithmetic:subtotal_plus_vat_ne_total")
        for f in ("subtotal", "vat_amount", "total"):
            out.conf[f] = min(out.conf[f], 0.55)
    if out.items_match:
        key = "subtotal" if v["subtotal"] is not None else "total"
        out.conf[key] = max(out.conf[key], 0.95)
    elif items_sum is not None and v["subtotal"] is not None and not close(items_sum, v["subtotal"]):
        out.review.append("arithmetic:line_items_ne_subtotal")
    if rate is not None and v["vat_amount"] and v["subtotal"] and not out.vat_inclusive:
        base = v["subtotal"] - (v["discount"] or 0)
        if not close(v["vat_amount"], base * float(rate.value) / 100, 0.002):  # type: ignore[arg-type]
            out.review.append("arithmetic:vat_ne_rate_times_base")
            out.vat_rate_conf = min(out.vat_rate_conf, 0.5)
