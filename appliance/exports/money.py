"""How an invoice's amounts split for the books: net purchase + input VAT = amount payable.

Every destination uses this one split so that a Tally voucher, a QuickBooks bill and the
Mushak register agree to the poisha. Net is derived as total − VAT (rather than read from
the subtotal) so each voucher balances even when a subtotal was left blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


class ExportError(ValueError):
    """An invoice cannot be exported as it stands; the message says which and what to fix."""


def dec(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Split:
    net: Decimal
    vat: Decimal
    total: Decimal


def split(invoice: dict[str, Any]) -> Split:
    f = invoice["fields"]
    if f.get("total") is None:
        raise ExportError(f"Invoice {invoice['id']} ({f.get('invoice_number') or 'no number'}) has no total: "
                          f"enter it in the review form before exporting.")
    total, vat = dec(f["total"]), dec(f.get("vat_amount"))
    return Split(total - vat, vat, total)


def label(invoice: dict[str, Any]) -> str:
    """A short name for an invoice in messages: its number, else its id."""
    return invoice["fields"].get("invoice_number") or invoice["id"]


def fmt(amount: Decimal) -> str:
    return f"{amount:.2f}"
