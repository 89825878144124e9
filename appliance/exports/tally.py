"""Tally Prime: purchase vouchers as import XML, and pushing them to Tally's HTTP port.

Structure (Tally's "Import Data" envelope): ENVELOPE/HEADER/TALLYREQUEST = Import Data,
BODY/IMPORTDATA/REQUESTDESC/REPORTNAME = Vouchers, REQUESTDATA/TALLYMESSAGE/VOUCHER
VCHTYPE="Purchase" ACTION="Create". Each voucher credits the party (supplier) with the
amount payable and debits the purchase ledger (net) and the input VAT ledger. Tally's sign
convention: a debit is ISDEEMEDPOSITIVE=Yes with a negative AMOUNT, a credit is
ISDEEMEDPOSITIVE=No with a positive AMOUNT, so the AMOUNTs of a voucher sum to zero.
REMOTEID is Hisab's invoice id, so Tally recognises a voucher it already has.

Building XML is pure. ``push`` is the only network I/O; ``push_invoices`` records Tally's
answer per invoice as an ``invoice.export_result`` event (its history). Never marks invoices
exported: ``source`` does.
"""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from typing import Any

from appliance.config import Settings
from appliance.exports.money import fmt, label, split
from appliance.queue.journal import Journal

log = logging.getLogger(__name__)

TARGET = "tally"
COUNTERS = ("CREATED", "ALTERED", "DELETED", "COMBINED", "IGNORED", "ERRORS", "CANCELLED", "EXCEPTIONS")


@dataclass(frozen=True)
class TallyOptions:
    """Ledger names in the shop's Tally company (from settings)."""

    party_from_supplier: bool = True
    party_ledger: str = "Sundry Creditors"
    purchase_ledger: str = "Purchase"
    vat_ledger: str = "Input VAT"

    @classmethod
    def from_settings(cls, settings: Settings) -> TallyOptions:
        return cls(settings.tally_party_ledger_from_supplier, settings.tally_party_ledger,
                   settings.tally_purchase_ledger, settings.tally_vat_ledger)

    def party(self, invoice: dict[str, Any]) -> str:
        name = (invoice["fields"].get("supplier_name") or "").strip()
        return name if self.party_from_supplier and name else self.party_ledger


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = text
    return node


def _ledger_entry(voucher: ET.Element, ledger: str, amount_debit: bool, amount: str,
                  is_party: bool = False, bill: str | None = None) -> None:
    entry = _sub(voucher, "ALLLEDGERENTRIES.LIST")
    _sub(entry, "LEDGERNAME", ledger)
    _sub(entry, "ISDEEMEDPOSITIVE", "Yes" if amount_debit else "No")
    _sub(entry, "ISPARTYLEDGER", "Yes" if is_party else "No")
    _sub(entry, "AMOUNT", amount)
    if bill:  # bill-wise details, so the supplier's outstanding shows per invoice in Tally
        alloc = _sub(entry, "BILLALLOCATIONS.LIST")
        _sub(alloc, "NAME", bill)
        _sub(alloc, "BILLTYPE", "New Ref")
        _sub(alloc, "AMOUNT", amount)


def voucher(invoice: dict[str, Any], options: TallyOptions) -> ET.Element:
    """One Purchase voucher for one invoice."""
    f = invoice["fields"]
    money = split(invoice)
    party = options.party(invoice)
    number = label(invoice)
    v = ET.Element("VOUCHER", {"REMOTEID": f"hisab-{invoice['id']}", "VCHTYPE": "Purchase", "ACTION": "Create"})
    date = (f.get("invoice_date") or "").replace("-", "")
    _sub(v, "DATE", date)
    _sub(v, "VOUCHERTYPENAME", "Purchase")
    _sub(v, "VOUCHERNUMBER", number)
    _sub(v, "REFERENCE", number)
    _sub(v, "REFERENCEDATE", date)
    _sub(v, "PARTYLEDGERNAME", party)
    narration = f"Supplier invoice {number}"
    if f.get("supplier_bin"):
        narration += f", BIN {f['supplier_bin']}"
    if not options.party_from_supplier and f.get("supplier_name"):
        narration += f", {f['supplier_name']}"
    _sub(v, "NARRATION", narration + f" (Hisab {invoice['id']})")
    _sub(v, "ISINVOICE", "No")
    _ledger_entry(v, party, False, fmt(money.total), is_party=True, bill=number)
    _ledger_entry(v, options.purchase_ledger, True, fmt(-money.net))
    if money.vat:
        _ledger_entry(v, options.vat_ledger, True, fmt(-money.vat))
    return v


def envelope(invoices: list[dict[str, Any]], options: TallyOptions, company: str | None = None) -> bytes:
    """The import file for Tally (Gateway → Import → Transactions), UTF-8 XML."""
    env = ET.Element("ENVELOPE")
    _sub(_sub(env, "HEADER"), "TALLYREQUEST", "Import Data")
    importdata = _sub(_sub(env, "BODY"), "IMPORTDATA")
    desc = _sub(importdata, "REQUESTDESC")
    _sub(desc, "REPORTNAME", "Vouchers")
    if company:
        _sub(_sub(desc, "STATICVARIABLES"), "SVCURRENTCOMPANY", company)
    data = _sub(importdata, "REQUESTDATA")
    for invoice in invoices:
        message = _sub(data, "TALLYMESSAGE", **{"xmlns:UDF": "TallyUDF"})
        message.append(voucher(invoice, options))
    ET.indent(env)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(env, encoding="unicode").encode("utf-8")


def render(options: TallyOptions):
    """A renderer for ``source.export_to_file``."""
    return lambda invoices: envelope(invoices, options)


# -- pushing to Tally's HTTP port ------------------------------------------------------------


@dataclass
class TallyResult:
    """What Tally said about one import request."""

    ok: bool
    created: int = 0
    altered: int = 0
    errors: int = 0
    exceptions: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    line_errors: list[str] = field(default_factory=list)
    last_voucher_id: str | None = None
    problem: str | None = None  # transport or parse failure, said for a person

    def as_payload(self) -> dict[str, Any]:
        return asdict(self)


def parse_response(body: bytes | str) -> TallyResult:
    """Parse Tally's RESPONSE (ERP 9 style, or Prime's ENVELOPE/.../IMPORTRESULT) into a result."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    counts: dict[str, int] = {}
    line_errors: list[str] = []
    last_vch = None
    try:
        root = ET.fromstring(text.strip())
        for node in root.iter():
            tag, value = node.tag.upper(), (node.text or "").strip()
            if tag in COUNTERS and value.lstrip("-").isdigit():
                counts[tag] = counts.get(tag, 0) + int(value)
            elif tag == "LINEERROR" and value:
                line_errors.append(value)
            elif tag == "LASTVCHID" and value:
                last_vch = value
    except ET.ParseError:
        # Tally sometimes answers with a fragment; fall back to reading the tags by pattern.
        for tag in COUNTERS:
            found = re.findall(rf"<{tag}>\s*(-?\d+)\s*</{tag}>", text, re.I)
            if found:
                counts[tag] = sum(int(x) for x in found)
        line_errors = [m.strip() for m in re.findall(r"<LINEERROR>(.*?)</LINEERROR>", text, re.I | re.S) if m.strip()]
        if not counts and not line_errors:
            return TallyResult(False, problem=f"Tally's answer could not be read: {text[:200]!r}")
    created, altered = counts.get("CREATED", 0), counts.get("ALTERED", 0)
    errors, exceptions = counts.get("ERRORS", 0), counts.get("EXCEPTIONS", 0)
    ok = not line_errors and errors == 0 and exceptions == 0 and (created + altered) > 0
    return TallyResult(ok, created, altered, errors, exceptions, counts, line_errors, last_vch)


def push(xml: bytes, url: str, timeout: float = 30.0) -> TallyResult:
    """POST an import envelope to Tally's HTTP port and parse what it answers."""
    request = urllib.request.Request(url, data=xml, method="POST",
                                     headers={"Content-Type": "text/xml; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return parse_response(response.read())
    except urllib.error.HTTPError as exc:
        return TallyResult(False, problem=f"Tally at {url} answered HTTP {exc.code}.")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return TallyResult(False, problem=f"Tally is not reachable at {url} ({reason}): is Tally running "
                                          f"with its HTTP port (F1 → Settings → Connectivity) enabled?")


def push_invoices(journal: Journal, invoices: list[dict[str, Any]], options: TallyOptions, url: str, *,
                  export_id: str | None = None, actor: str = "system",
                  timeout: float = 30.0) -> dict[str, TallyResult]:
    """Push each invoice as its own voucher and record Tally's answer in the invoice's history.

    One request per voucher, so each invoice gets its own created/error result (Tally's
    counters are per request). Returns the result per invoice id.
    """
    results: dict[str, TallyResult] = {}
    for invoice in invoices:
        result = push(envelope([invoice], options), url, timeout)
        results[invoice["id"]] = result
        journal.append("invoice.export_result",
                       {"target": TARGET, "export_id": export_id, "url": url, **result.as_payload()},
                       invoice_id=invoice["id"], actor=actor)
        log.info("event=tally_push invoice=%s ok=%s created=%s altered=%s errors=%s",
                 invoice["id"], result.ok, result.created, result.altered, result.line_errors or result.problem)
    return results
