"""The Exports and Reports pages: download a month once, 'again' on purpose, history, Tally push,
permissions and CSRF; reports with inline SVG charts and CSV downloads."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import pytest

from tests.conftest_web import csrf_token, login
from tests.fake_tally import FakeTally

MONTH = "2026-03"


def approved_invoices(webbox_, n: int = 3, month: str = MONTH, status: str = "approved") -> list[str]:
    """n invoices dated in ``month``, read and approved (as the worker and a person leave them)."""
    ids, items = [], []
    for i in range(n):
        invoice_id = uuid.uuid4().hex
        ids.append(invoice_id)
        subtotal = 1000.0 * (i + 1)
        result = {"supplier_name": ["Meghna Traders", "Padma Stationers"][i % 2],
                  "supplier_bin": ["000123456-0101", "001987654-0203"][i % 2], "invoice_number": f"INV-{i:04d}",
                  "invoice_date": f"{month}-{i % 28 + 1:02d}", "currency": "BDT", "subtotal": subtotal,
                  "discount": 0.0, "vat_rate": 15, "vat_amount": subtotal * 0.15, "total": subtotal * 1.15,
                  "line_items": [], "confidence": {}, "needs_review": []}
        items += [("invoice.received", {"sha256": f"{i:064x}", "filename": f"s{i}.jpg", "content_type": "image/jpeg",
                                        "size": 10, "pages": 1}, invoice_id, "staff", None, None),
                  ("invoice.extracted", {"result": result}, invoice_id, "worker", None, None)]
        if status == "approved":
            items.append(("invoice.approved", {}, invoice_id, "owner", None, None))
    webbox_.journal.append_many(items)
    webbox_.readmodel.catch_up()
    return ids


def export(client, choice: str, month: str = MONTH, token: str | None = None, **extra):
    data = {"month": month, "choice": choice, "csrf_token": token or csrf_token(client, "/exports"), **extra}
    return client.post("/exports", data=data)


def test_tally_export_downloads_the_month_once_and_shows_it_in_recent_exports(owner_client, webbox_):
    ids = approved_invoices(webbox_, 3)
    response = export(owner_client, "tally")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="hisab-tally-{MONTH}.xml"'
    root = ET.fromstring(response.data)
    assert len(root.findall(".//VOUCHER")) == 3
    assert all(webbox_.readmodel.invoice(i)["status"] == "exported" for i in ids)

    again = export(owner_client, "tally")  # a second press, or a second person: nothing twice
    assert again.status_code == 200 and again.mimetype == "text/html"
    assert "Nothing new to export" in again.get_data(as_text=True)

    page = owner_client.get("/exports").get_data(as_text=True)
    assert 'id="export-runs"' in page and "Tally" in page and MONTH in page


def test_export_again_repeats_on_purpose_and_is_marked(owner_client, webbox_):
    approved_invoices(webbox_, 2)
    assert export(owner_client, "quickbooks-iif").status_code == 200
    repeated = export(owner_client, "quickbooks-iif", again="1")
    assert repeated.status_code == 200 and repeated.data.startswith(b"!TRNS")
    assert repeated.headers["X-Hisab-Exported"] == "2"
    runs = webbox_.readmodel.export_runs()
    assert [r["again"] for r in runs] == [True, False]
    assert "again" in owner_client.get("/exports").get_data(as_text=True)


@pytest.mark.parametrize("choice,suffix,start", [
    ("quickbooks-csv", ".csv", b""), ("csv", ".csv", b""), ("json", ".json", b"{"),
    ("excel", ".xlsx", b"PK"), ("mushak-csv", ".csv", b""), ("mushak-xlsx", ".xlsx", b"PK")])
def test_every_target_downloads_a_file(staff_client, webbox_, choice, suffix, start):
    approved_invoices(webbox_, 2)
    response = export(staff_client, choice)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Disposition"].endswith(f'{suffix}"')
    assert response.data.startswith(start) and len(response.data) > 20


def test_only_approved_invoices_of_the_month_go(owner_client, webbox_):
    approved_invoices(webbox_, 2)
    approved_invoices(webbox_, 1, status="extracted")  # not checked yet
    approved_invoices(webbox_, 1, month="2026-04")
    assert export(owner_client, "json").headers["X-Hisab-Exported"] == "2"


def test_bad_month_is_refused_with_a_sentence(owner_client, webbox_):
    response = export(owner_client, "tally", month="March")
    assert response.status_code == 400 and "YYYY-MM" in response.get_data(as_text=True)


def test_push_to_tally_records_tallys_answer(owner_client, webbox_, monkeypatch):
    ids = approved_invoices(webbox_, 2)
    ledgers = {"Meghna Traders", "Padma Stationers", "Purchase", "Input VAT"}
    with FakeTally(ledgers) as tally:
        monkeypatch.setattr(webbox_, "settings", webbox_.settings.model_copy(update={"tally_url": tally.url}))
        assert 'name="push"' in owner_client.get("/exports").get_data(as_text=True)
        response = export(owner_client, "tally", push="1")
    assert response.status_code == 200 and "2 invoices pushed to Tally" in response.get_data(as_text=True)
    assert len(tally.vouchers) == 2
    kinds = [h["type"] for h in webbox_.readmodel.history(ids[0])]
    assert kinds[-2:] == ["invoice.exported", "invoice.export_result"]


def test_exports_need_a_role_and_csrf(app, people, webbox_):
    approved_invoices(webbox_, 1)
    tech = app.test_client()
    login(tech, "tech")
    assert tech.get("/exports").status_code == 403
    assert export(tech, "tally", token=csrf_token(tech, "/")).status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/exports").status_code == 302
    owner = app.test_client()
    login(owner, "owner")
    refused = owner.post("/exports", data={"month": MONTH, "choice": "tally"})
    assert refused.status_code == 400
    assert webbox_.readmodel.export_runs() == []


# -- reports -----------------------------------------------------------------------------------


def test_reports_show_tables_and_svg_charts(staff_client, webbox_):
    approved_invoices(webbox_, 4)
    approved_invoices(webbox_, 1, status="extracted")
    html = staff_client.get(f"/reports?month={MONTH}").get_data(as_text=True)
    for section in ("monthly", "suppliers", "vat", "waiting"):
        assert f'id="report-{section}"' in html
    assert html.count("<svg") >= 3 and "Meghna Traders" in html and "<script" not in html.split("<svg", 1)[1]
    assert "@media print" in staff_client.get("/static/app.css").get_data(as_text=True)


def test_report_csv_download(staff_client, webbox_):
    approved_invoices(webbox_, 3)
    response = staff_client.get(f"/reports/vat.csv?month={MONTH}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "vat_rate,invoices,taxable_value,vat" and lines[1].startswith("15%,3,")
    assert staff_client.get("/reports/nothing.csv").status_code == 404


def test_reports_in_bengali_use_bengali_digits(staff_client, webbox_):
    approved_invoices(webbox_, 2)
    staff_client.post("/language", data={"language": "bn", "csrf_token": csrf_token(staff_client, "/")})
    html = staff_client.get(f"/reports?month={MONTH}").get_data(as_text=True)
    assert "২০২৬" in html


def test_slim_report_rows_give_the_same_reports_as_full_documents(webbox_):
    from appliance import reports

    approved_invoices(webbox_, 4)
    approved_invoices(webbox_, 2, status="extracted")
    rm = webbox_.readmodel
    for build in (lambda rows: reports.monthly_purchases(rows, "2026"),
                  lambda rows: reports.spend_by_supplier(rows, MONTH),
                  lambda rows: reports.vat_input_by_rate(rows, MONTH),
                  lambda rows: reports.waiting_for_review(rows)):
        assert build(rm.all_invoices(slim=True)).as_csv() == build(rm.all_invoices()).as_csv()
