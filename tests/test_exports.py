"""Exports: files the books import, pushed to Tally, and never exported twice by accident."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import subprocess
import threading
import xml.etree.ElementTree as ET
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from appliance.cli import main
from appliance.config import parse
from appliance.exports import erp, mushak, quickbooks, source, tally
from appliance.exports.money import ExportError
from appliance.exports.targets import export
from appliance.queue.journal import Journal, Rejected
from tests.fake_tally import FakeTally

REPO = Path(__file__).resolve().parent.parent
OPTIONS = tally.TallyOptions()


def add_invoice(journal: Journal, invoice_id: str, *, date: str = "2026-11-05", supplier: str = "Rahim Traders",
                bin_: str | None = "001234567-0101", number: str | None = None, subtotal: float = 1000.0,
                vat_rate: float = 15.0, discount: float = 0.0, approve: bool = True, **extra) -> None:
    vat = round((subtotal - discount) * vat_rate / 100, 2)
    result = {"supplier_name": supplier, "supplier_bin": bin_, "supplier_address": "12 Kawran Bazar, Dhaka",
              "invoice_number": number or f"INV-{invoice_id}", "invoice_date": date, "currency": "BDT",
              "subtotal": subtotal, "discount": discount, "vat_rate": vat_rate, "vat_amount": vat,
              "total": round(subtotal - discount + vat, 2), "confidence": {}, "needs_review": [],
              "line_items": [{"description": "Rice 50kg", "quantity": 2, "unit_price": subtotal / 2,
                              "amount": subtotal}], **extra}
    journal.append("invoice.received", {"sha256": hashlib.sha256(invoice_id.encode()).hexdigest()},
                   invoice_id=invoice_id, actor="staff")
    journal.append("invoice.extracted", {"result": result}, invoice_id=invoice_id, actor="worker")
    if approve:
        journal.append("invoice.approved", {}, invoice_id=invoice_id, actor="owner")


def exported_events(journal: Journal, target: str) -> list:
    return [e for e in journal.read_after(0, limit=100000, types=("invoice.exported",))
            if e.payload["target"] == target]


@pytest.fixture
def month(box):
    add_invoice(box.journal, "a1", supplier="Rahim Traders & Sons", subtotal=1000)
    add_invoice(box.journal, "a2", supplier="করিম এন্টারপ্রাইজ", bin_=None, subtotal=2333.33, vat_rate=7.5,
                discount=33.33, date="2026-11-20")
    add_invoice(box.journal, "a3", supplier="Zero VAT Farm", subtotal=500, vat_rate=0, date="2026-11-28")
    add_invoice(box.journal, "other-month", date="2026-10-30")
    add_invoice(box.journal, "not-approved", approve=False)
    return "2026-11"


# -- which invoices ---------------------------------------------------------------------------


def test_folding_the_journal_picks_the_months_approved_invoices(box, month):
    chosen = source.approved_invoices(box.journal, month, "tally")
    assert [i["id"] for i in chosen] == ["a1", "a2", "a3"]
    assert all(i["status"] == "approved" for i in chosen)


def test_bad_month_is_refused_with_the_expected_form(box):
    with pytest.raises(ValueError, match="YYYY-MM"):
        source.approved_invoices(box.journal, "11/2026", "tally")


# -- Tally XML --------------------------------------------------------------------------------


def test_tally_xml_has_the_import_structure_and_every_voucher_balances(month, box):
    chosen = source.approved_invoices(box.journal, month, "tally")
    root = ET.fromstring(tally.envelope(chosen, OPTIONS))
    assert root.tag == "ENVELOPE"
    assert root.findtext("HEADER/TALLYREQUEST") == "Import Data"
    assert root.findtext("BODY/IMPORTDATA/REQUESTDESC/REPORTNAME") == "Vouchers"
    vouchers = root.findall("BODY/IMPORTDATA/REQUESTDATA/TALLYMESSAGE/VOUCHER")
    assert len(vouchers) == 3
    for voucher, invoice in zip(vouchers, chosen, strict=True):
        f = invoice["fields"]
        assert voucher.get("VCHTYPE") == "Purchase" and voucher.get("ACTION") == "Create"
        assert voucher.findtext("DATE") == f["invoice_date"].replace("-", "")
        assert voucher.findtext("VOUCHERNUMBER") == f["invoice_number"]
        assert voucher.findtext("PARTYLEDGERNAME") == f["supplier_name"]
        entries = voucher.findall("ALLLEDGERENTRIES.LIST")
        amounts = {e.findtext("LEDGERNAME"): Decimal(e.findtext("AMOUNT")) for e in entries}
        assert sum(amounts.values()) == 0
        party = entries[0]
        assert party.findtext("ISDEEMEDPOSITIVE") == "No" and party.findtext("ISPARTYLEDGER") == "Yes"
        assert amounts[f["supplier_name"]] == Decimal(str(f["total"]))  # credit: positive
        for debit in entries[1:]:
            assert debit.findtext("ISDEEMEDPOSITIVE") == "Yes" and Decimal(debit.findtext("AMOUNT")) < 0
        assert amounts.get("Input VAT", Decimal(0)) == -Decimal(str(f["vat_amount"]))
    # a zero-VAT invoice has no VAT entry at all; Bengali and '&' survive the round trip
    assert "Input VAT" not in [e.findtext("LEDGERNAME") for e in vouchers[2].findall("ALLLEDGERENTRIES.LIST")]
    assert vouchers[1].findtext("PARTYLEDGERNAME") == "করিম এন্টারপ্রাইজ"
    assert vouchers[0].findtext("PARTYLEDGERNAME") == "Rahim Traders & Sons"


def test_tally_ledger_names_come_from_settings(box, month):
    options = tally.TallyOptions(party_from_supplier=False, party_ledger="Creditors", purchase_ledger="Purchase A/c",
                                 vat_ledger="VAT Current A/c")
    voucher = tally.voucher(source.approved_invoices(box.journal, month, "tally")[0], options)
    names = [e.findtext("LEDGERNAME") for e in voucher.findall("ALLLEDGERENTRIES.LIST")]
    assert names == ["Creditors", "Purchase A/c", "VAT Current A/c"]
    assert "Rahim Traders" in voucher.findtext("NARRATION")


def test_an_invoice_without_total_is_refused_before_anything_is_marked(box):
    add_invoice(box.journal, "nototal")
    box.journal.append("invoice.edited", {"fields": {"total": None}}, invoice_id="nototal")
    box.journal.append("invoice.approved", {}, invoice_id="nototal")
    with pytest.raises(ExportError, match="no total"):
        source.export_to_file(box.journal, "tally", "2026-11", None, tally.render(OPTIONS))
    assert exported_events(box.journal, "tally") == []


# -- pushing to Tally -------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["erp9", "prime"])
def test_push_records_created_and_tallys_error_in_the_invoices_history(box, month, style):
    ledgers = {"Rahim Traders & Sons", "Zero VAT Farm", "Purchase", "Input VAT"}  # not the Bengali supplier
    chosen = source.approved_invoices(box.journal, month, "tally")
    with FakeTally(ledgers, style) as fake:
        results = tally.push_invoices(box.journal, chosen, OPTIONS, fake.url, export_id="e1")
    assert len(fake.requests) == 3
    assert results["a1"].ok and results["a1"].created == 1
    assert results["a3"].ok
    assert not results["a2"].ok and results["a2"].errors == 1
    assert "করিম এন্টারপ্রাইজ" in results["a2"].line_errors[0]
    history = [e for e in box.journal.events_for("a2") if e.type == "invoice.export_result"]
    assert history[-1].payload["ok"] is False and history[-1].payload["target"] == "tally"
    assert "does not exist" in history[-1].payload["line_errors"][0]


def test_pushing_the_same_voucher_again_alters_it_in_tally(box, month):
    chosen = source.approved_invoices(box.journal, month, "tally")[:1]
    with FakeTally({"Rahim Traders & Sons", "Purchase", "Input VAT"}) as fake:
        first = tally.push(tally.envelope(chosen, OPTIONS), fake.url)
        second = tally.push(tally.envelope(chosen, OPTIONS), fake.url)
    assert (first.created, second.created, second.altered) == (1, 0, 1)


def test_unreachable_tally_is_a_result_not_a_crash(box, month):
    with FakeTally(set()) as fake:
        url = fake.url
    result = tally.push(b"<ENVELOPE/>", url, timeout=2)
    assert not result.ok and "not reachable" in result.problem


def test_tally_response_fragment_is_still_read():
    result = tally.parse_response("<RESPONSE><CREATED>2</CREATED><ERRORS>0</ERRORS>")  # unclosed
    assert result.ok and result.created == 2


# -- QuickBooks, ERP, Mushak files ------------------------------------------------------------


def test_iif_bills_credit_payables_and_balance(box, month):
    text = quickbooks.iif(source.approved_invoices(box.journal, month, "quickbooks"))
    lines = [line.split("\t") for line in text.split("\r\n") if line]
    assert lines[0][:3] == ["!TRNS", "TRNSID", "TRNSTYPE"] and lines[1][0] == "!SPL" and lines[2] == ["!ENDTRNS"]
    transactions, current = [], []
    for row in lines[3:]:
        if row[0] == "ENDTRNS":
            transactions.append(current)
            current = []
        else:
            current.append(row)
    assert len(transactions) == 3
    for rows in transactions:
        assert rows[0][0] == "TRNS" and rows[0][2] == "BILL" and rows[0][4] == "Accounts Payable"
        assert all(r[0] == "SPL" for r in rows[1:])
        assert sum(Decimal(r[6]) for r in rows) == 0
    first = transactions[0]
    assert first[0][3] == "11/05/2026" and first[0][6] == "-1150.00" and first[0][7] == "INV-a1"
    assert [(r[4], r[6]) for r in first[1:]] == [("Purchases", "1000.00"), ("Input VAT", "150.00")]


def test_quickbooks_online_csv_has_the_bill_import_columns(box, month):
    text = quickbooks.qbo_csv(source.approved_invoices(box.journal, month, "quickbooks"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:4] == ["Bill No", "Supplier", "Bill Date", "Due Date"]
    assert "Account" in rows[0] and "Line Amount" in rows[0]
    a1 = [r for r in rows if r["Bill No"] == "INV-a1"]
    assert [(r["Account"], r["Line Amount"]) for r in a1] == [("Purchases", "1000.00"), ("Input VAT", "150.00")]
    assert a1[0]["Bill Date"] == "05/11/2026"
    assert len([r for r in rows if r["Bill No"] == "INV-a3"]) == 1  # no VAT line at 0%


def test_erp_csv_json_and_excel_carry_the_same_invoices(box, month):
    chosen = source.approved_invoices(box.journal, month, "csv")
    rows = list(csv.DictReader(io.StringIO(erp.to_csv(chosen).decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == ["a1", "a2", "a3"]
    assert rows[1]["supplier_name"] == "করিম এন্টারপ্রাইজ" and rows[0]["net_amount"] == "1000.00"
    doc = json.loads(erp.to_json(chosen))
    assert doc["invoices"][0]["total"] == 1150.0 and doc["invoices"][0]["line_items"][0]["quantity"] == 2
    book = load_workbook(io.BytesIO(erp.to_xlsx(chosen)))
    sheet = book["Invoices"]
    header = [c.value for c in sheet[1]]
    assert header == erp.COLUMNS and sheet.max_row == 4
    assert sheet.cell(row=2, column=header.index("total") + 1).value == 1150.0
    assert book["Lines"].cell(row=2, column=4).value == "Rice 50kg"


def test_mushak_register_has_the_purchase_book_columns_and_totals(box, month):
    chosen = source.approved_invoices(box.journal, month, "mushak")
    rows = list(csv.reader(io.StringIO(mushak.to_csv(chosen).decode("utf-8-sig"))))
    header = rows[0]
    for column in ("(1) SL No", "(5) Invoice / Bill of Entry No", "(7) Seller Name", "(8) Seller Address",
                   "(9) Seller BIN / Enrolment / NID No", "(10) Description", "(11) Quantity",
                   "(12) Value excl. all taxes", "(14) VAT", "Total (12+13+14)"):
        assert column in header
    body, total = rows[1:-1], rows[-1]
    assert [r[0] for r in body] == ["1", "2", "3"] and total[0] == "Total"
    col = {name: header.index(name) for name in header}
    assert sum(Decimal(r[col["(14) VAT"]]) for r in body) == Decimal(total[col["(14) VAT"]])
    for r in body:
        assert Decimal(r[col["(12) Value excl. all taxes"]]) + Decimal(r[col["(14) VAT"]]) == \
            Decimal(r[col["Total (12+13+14)"]])
    assert body[0][col["(9) Seller BIN / Enrolment / NID No"]] == "001234567-0101"
    bn = mushak.to_xlsx(chosen, month, "bn")
    sheet = load_workbook(io.BytesIO(bn)).active
    assert sheet["A1"].value == "মূসক-৬.১ ক্রয় হিসাব পুস্তক" and sheet.cell(row=3, column=12).value == "(১৪) মূসক"


# -- webhook ----------------------------------------------------------------------------------


class _ERP:
    """A receiver that refuses the first delivery, then acknowledges."""

    def __init__(self, secret: str):
        self.received: list[tuple[bytes, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((body, dict(self.headers)))
                good = erp.verify(body, secret, self.headers.get(erp.SIGNATURE_HEADER))
                self.send_response(204 if good and len(receiver.received) > 1 else 503)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_webhook_is_signed_and_retried_from_the_journal_until_acknowledged(box, month, settings):
    receiver = _ERP("s3cret")
    configured = settings.model_copy(update={"erp_webhook_url": receiver.url, "erp_webhook_secret": "s3cret"})
    try:
        outcome = export(box.journal, configured, "webhook", month)
        assert outcome.run.count == 3 and outcome.webhook.failed  # first try refused (503)
        assert len(erp.pending(box.journal)) == 1
        report = erp.deliver_pending(box.journal, receiver.url, "s3cret")
        assert report.delivered and erp.pending(box.journal) == []
        assert erp.deliver_pending(box.journal, receiver.url, "s3cret").delivered == []  # nothing left
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
    body, headers = receiver.received[-1]
    assert receiver.received[0][0] == body  # the retry signs the very same bytes
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers[erp.SIGNATURE_HEADER] == expected
    assert [i["id"] for i in json.loads(body)["invoices"]] == ["a1", "a2", "a3"]


# -- idempotency ------------------------------------------------------------------------------


def test_exporting_a_month_twice_exports_nothing_the_second_time_and_again_repeats(box, month, tmp_path):
    render = tally.render(OPTIONS)
    first = source.export_to_file(box.journal, "tally", month, tmp_path / "t1.xml", render)
    second = source.export_to_file(box.journal, "tally", month, tmp_path / "t2.xml", render)
    assert first.count == 3 and second.count == 0 and not (tmp_path / "t2.xml").exists()
    again = source.export_to_file(box.journal, "tally", month, tmp_path / "t3.xml", render, again=True)
    assert again.count == 3 and (tmp_path / "t3.xml").read_bytes() == (tmp_path / "t1.xml").read_bytes()
    # another target is independent; a newly approved invoice goes out on the next run alone
    assert source.export_to_file(box.journal, "quickbooks", month, None, quickbooks.render(
        quickbooks.QuickBooksOptions())).count == 3
    add_invoice(box.journal, "late", date="2026-11-30")
    late = source.export_to_file(box.journal, "tally", month, tmp_path / "t4.xml", render)
    assert [i["id"] for i in late.invoices] == ["late"]
    folded = {i["id"]: i for i in source.all_invoices(box.journal)}
    assert folded["a1"]["status"] == "exported" and folded["a1"]["exported_to"] == ["quickbooks", "tally"]


def test_a_stale_selection_is_refused_and_leaves_no_file(box, month, tmp_path):
    stale = source.approved_invoices(box.journal, month, "tally")
    source.mark_exported(box.journal, stale, "tally")
    with pytest.raises(Rejected) as err:
        source.export_to_file(box.journal, "tally", month, tmp_path / "out" / "x.xml", tally.render(OPTIONS),
                              rows=stale)
    assert err.value.code == "already_exported"
    assert list((tmp_path / "out").iterdir()) == []  # temp file removed, nothing published
    assert len(exported_events(box.journal, "tally")) == 3


def test_an_invoice_edited_while_exporting_is_not_exported(box, month):
    chosen = source.approved_invoices(box.journal, month, "csv")
    box.journal.append("invoice.edited", {"fields": {"total": 1.0}}, invoice_id="a1")
    with pytest.raises(Rejected) as err:
        source.mark_exported(box.journal, chosen, "csv")
    assert err.value.code == "changed_meanwhile" and exported_events(box.journal, "csv") == []


def test_concurrent_double_export_exports_each_invoice_once(box, month, settings, tmp_path):
    both_selected = threading.Barrier(2, timeout=10)
    outcomes: dict[str, object] = {}

    def render(chosen):
        both_selected.wait()  # both runs have read the same invoices before either marks them
        return tally.envelope(chosen, OPTIONS)

    def run(name: str) -> None:
        journal = Journal(settings.journal_path, f"box-{name}")  # its own connection, as another process
        try:
            outcomes[name] = source.export_to_file(journal, "tally", month, tmp_path / "out" / f"{name}.xml", render)
        except Rejected as exc:
            outcomes[name] = exc
        finally:
            journal.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in ("p", "q")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    won = [o for o in outcomes.values() if isinstance(o, source.ExportRun)]
    lost = [o for o in outcomes.values() if isinstance(o, Rejected)]
    assert len(won) == 1 and len(lost) == 1 and won[0].count == 3
    events = exported_events(box.journal, "tally")
    assert sorted(e.invoice_id for e in events) == ["a1", "a2", "a3"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == [won[0].path.name]


# -- the command line -------------------------------------------------------------------------


def _hisab(*args: str, data: Path) -> subprocess.CompletedProcess:
    """The installed command in its own process, as a person or cron runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HISAB_")}
    return subprocess.run([str(REPO / ".venv/bin/hisab"), "--data-dir", str(data), *args],
                          capture_output=True, text=True, env=env, timeout=60, cwd=REPO)


def _invoke(*args: str, data: Path):
    """The same command in-process (cheaper: the box shares two cores)."""
    env = {k: None for k in os.environ if k.startswith("HISAB_")}
    return CliRunner().invoke(main, ["--data-dir", str(data), *args], env=env)


@pytest.fixture
def cli_data(tmp_path) -> Path:
    data = tmp_path / "data"
    journal = Journal(data / "journal.sqlite3", "box-cli")
    add_invoice(journal, "c1", supplier="Known Supplier")
    add_invoice(journal, "c2", supplier="Unknown Supplier", date="2026-11-15")
    journal.close()
    return data


def test_cli_exports_a_month_once_then_nothing_then_again(cli_data, tmp_path):
    out = tmp_path / "nov.xml"
    first = _hisab("export", "tally", "--month", "2026-11", "--out", str(out), "--json", data=cli_data)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["exported"] == 2 and "Exported 2 invoice(s)" in first.stderr
    assert len(ET.fromstring(out.read_bytes()).findall(".//VOUCHER")) == 2
    second = _hisab("export", "tally", "--month", "2026-11", "--out", str(tmp_path / "n2.xml"), data=cli_data)
    assert second.returncode == 0 and "Nothing to export" in second.stderr
    assert not (tmp_path / "n2.xml").exists()
    again = _invoke("export", "tally", "--month", "2026-11", "--out", str(tmp_path / "n3.xml"), "--again",
                    data=cli_data)
    assert again.exit_code == 0 and (tmp_path / "n3.xml").read_bytes() == out.read_bytes()


def test_cli_other_targets_and_clear_refusals(cli_data, tmp_path):
    iif = _invoke("export", "quickbooks", "--month", "2026-11", "--out", str(tmp_path / "nov.iif"), data=cli_data)
    assert iif.exit_code == 0 and (tmp_path / "nov.iif").read_text().startswith("!TRNS")
    xlsx = _invoke("export", "mushak", "--month", "2026-11", "--out", str(tmp_path / "m.xlsx"), data=cli_data)
    assert xlsx.exit_code == 0 and load_workbook(tmp_path / "m.xlsx").active.max_row == 6  # title, month, head, 2, total
    bad = _invoke("export", "csv", "--month", "Nov", "--out", str(tmp_path / "x.csv"), data=cli_data)
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output
    no_out = _invoke("export", "csv", "--month", "2026-11", data=cli_data)
    assert no_out.exit_code == 1 and "--out" in no_out.output
    report = _invoke("report", "suppliers", "--month", "2026-11", "--format", "json", data=cli_data)
    assert report.exit_code == 0 and json.loads(report.stdout)["rows"][0][0] in ("Known Supplier", "Unknown Supplier")
    chart = _invoke("report", "purchases", "--format", "svg", data=cli_data)
    assert chart.exit_code == 0 and chart.stdout.startswith("<svg")


def test_cli_push_exit_code_says_tally_refused_some(cli_data):
    with FakeTally({"Known Supplier", "Purchase", "Input VAT"}) as fake:
        (cli_data / "hisab.toml").write_text(f'tally_url = "{fake.url}"\n')
        result = _invoke("export", "tally", "--month", "2026-11", "--push", data=cli_data)
    assert result.exit_code == 3, result.output
    assert "Tally accepted 1 of 2" in result.output and "Unknown Supplier" in result.output


def test_settings_carry_the_tally_ledger_mapping():
    settings = parse({"tally_purchase_ledger": "Purchase A/c", "tally_url": "http://10.0.0.5:9000"})
    options = tally.TallyOptions.from_settings(settings)
    assert options.purchase_ledger == "Purchase A/c" and options.vat_ledger == "Input VAT"
