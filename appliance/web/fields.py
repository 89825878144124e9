"""Checking and normalising what a person typed into an invoice before it becomes an event.

Shared by the JSON API (PATCH) and the review form, so both accept the same things:
amounts as numbers or as text in Bengali digits and lakh grouping ("১,৪১,৬০২.০০"),
dates as ISO, BINs as nine digits with an optional four-digit branch. Never writes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from flask_babel import lazy_gettext as _l

from appliance import invoices
from appliance.ocr.normalise import ascii_digits, parse_amount

TEXT_FIELDS = ("supplier_name", "supplier_address", "supplier_phone", "buyer_name", "invoice_number", "note")
DATE_FIELDS = ("invoice_date", "due_date")
MAX_TEXT = 500
MAX_LINES = 500
BIN_RE = re.compile(r"^[0-9]{9}(-[0-9]{4})?$")


class FieldError(ValueError):
    """One field a person must fix; ``field`` names it, the message says how."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = str(message)


def amount(field: str, value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise FieldError(field, _l("%(field)s must be a number, e.g. 1,41,602.00.", field=field))
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        parsed = parse_amount(value)
        if parsed is None:
            raise FieldError(field, _l("%(field)s must be a number, e.g. 1,41,602.00.", field=field))
        number = parsed
    else:
        raise FieldError(field, _l("%(field)s must be a number, e.g. 1,41,602.00.", field=field))
    if not math.isfinite(number) or abs(number) > 1e13:
        raise FieldError(field, _l("%(field)s is not a sensible amount.", field=field))
    if field == "vat_rate" and not 0 <= number <= 100:
        raise FieldError(field, _l("VAT rate is a percentage between 0 and 100, e.g. 15 or 7.5."))
    return round(number, 4)


def date(field: str, value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise FieldError(field, _l("%(field)s must be a date written YYYY-MM-DD.", field=field))
    text = ascii_digits(value.strip())
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise FieldError(field, _l("%(field)s must be a date written YYYY-MM-DD.", field=field))


def bin_(field: str, value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise FieldError(field, _l("The BIN is 9 digits, with an optional 4-digit branch: 000123456-0101."))
    text = re.sub(r"[\u2010-\u2015]", "-", ascii_digits(value)).replace(" ", "").strip()
    if re.fullmatch(r"\d{13}", text):
        text = f"{text[:9]}-{text[9:]}"
    if not BIN_RE.match(text):
        raise FieldError(field, _l("The BIN is 9 digits, with an optional 4-digit branch: 000123456-0101."))
    return text


def text(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and field == "invoice_number":
        value = str(value)
    if not isinstance(value, str):
        raise FieldError(field, _l("%(field)s must be text.", field=field))
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise FieldError(field, _l("%(field)s is too long (at most 500 characters).", field=field))
    if field == "invoice_number":
        value = ascii_digits(value)
    return value or None


def currency(field: str, value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "BDT"
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        raise FieldError(field, _l("Currency is a three-letter code such as BDT or USD."))
    return value.strip().upper()


def line_items(field: str, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_LINES:
        raise FieldError(field, _l("line_items must be a list of at most 500 lines."))
    lines = []
    for n, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise FieldError(field, _l("Line %(n)s must be an object with description, quantity, unit_price, amount.",
                                       n=n))
        lines.append({"description": text("description", item.get("description")),
                      "quantity": amount("quantity", item.get("quantity")),
                      "unit_price": amount("unit_price", item.get("unit_price")),
                      "amount": amount("amount", item.get("amount"))})
    return lines


def flag(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", "0", "false", "off", "no"):
        return False
    if value in ("1", "true", "on", "yes"):
        return True
    raise FieldError(field, _l("%(field)s must be true or false.", field=field))


def clean(field: str, value: Any) -> Any:
    """The stored form of one field's value, or FieldError naming it."""
    if field not in invoices.EDITABLE:
        raise FieldError(field, _l("%(field)s is not a field of an invoice that can be changed.", field=field))
    if field in invoices.AMOUNT_FIELDS:
        return amount(field, value)
    if field in DATE_FIELDS:
        return date(field, value)
    if field == "supplier_bin":
        return bin_(field, value)
    if field == "currency":
        return currency(field, value)
    if field == "line_items":
        return line_items(field, value)
    if field == "urgent":
        return flag(field, value)
    return text(field, value)


def _blank(value: Any) -> bool:
    return value is None or value is False or value == "" or value == []


def changes(current: dict[str, Any], submitted: dict[str, Any]) -> dict[str, Any]:
    """Validated fields from ``submitted`` whose value differs from ``current``."""
    changed = {}
    for field, raw in submitted.items():
        value = clean(field, raw)
        before = current.get(field)
        if value == before or (_blank(value) and _blank(before)):
            continue  # an empty box saved over an empty field changes nothing
        changed[field] = value
    return changed
