"""The HTML pages: list with live search, review form (edit, 409, approve, manual entry),
status card polling, history, suppliers, PWA files, and Bengali."""

from __future__ import annotations

import io
import re

import pytest

from tests.conftest_web import bearer, csrf_token
from tests.test_web_api import RESULT


@pytest.fixture
def uploaded(client, staff_token, invoice_png):
    return client.post("/api/v1/invoices", headers=bearer(staff_token),
                       data={"file": (io.BytesIO(invoice_png), "inv.png")}).json["id"]


@pytest.fixture
def extracted(uploaded, webbox_):
    webbox_.journal.append("invoice.extracted", {"result": RESULT}, invoice_id=uploaded, actor="worker")
    webbox_.readmodel.catch_up()
    return uploaded


def _form(client, invoice_id, **changes):
    html = client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', html))
    data.pop("language", None)
    if not re.search(r'name="urgent" value="1" checked', html):
        data.pop("urgent", None)  # an unchecked box is not sent by a browser
    data.update(changes)
    return data


def test_list_shows_counts_and_live_search_returns_only_the_rows(staff_client, extracted):
    html = staff_client.get("/").get_data(as_text=True)
    assert "Rahman Traders" in html and "To review" in html and 'id="results"' in html
    partial = staff_client.get("/?q=rahman", headers={"HX-Request": "true", "HX-Target": "results"})
    text = partial.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="results">') and "<html" not in text
    assert "Rahman Traders" in text
    assert "Rahman" not in staff_client.get("/?q=zzz", headers={"HX-Request": "true", "HX-Target": "results"}) \
        .get_data(as_text=True)


def test_review_page_highlights_flagged_fields_with_the_reason(staff_client, extracted):
    html = staff_client.get(f"/invoices/{extracted}").get_data(as_text=True)
    flagged = re.search(r'class="field flagged[^"]*" id="field-total"', html)
    assert flagged, "total has confidence 0.55 and a needs_review reason"
    assert "not sure" in html
    assert f'/api/v1/invoices/{extracted}/image' in html
    assert 'name="version" value="2"' in html


def test_status_card_polls_while_pending_and_stops_when_done(staff_client, uploaded, webbox_):
    html = staff_client.get(f"/invoices/{uploaded}").get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in html and 'id="review-form"' not in html
    webbox_.journal.append("invoice.extracted", {"result": RESULT}, invoice_id=uploaded, actor="worker")
    webbox_.readmodel.catch_up()
    card = staff_client.get(f"/invoices/{uploaded}/status", headers={"HX-Request": "true"})
    assert card.headers.get("HX-Refresh") == "true"
    assert "every 2s" not in card.get_data(as_text=True)


def test_save_then_approve_from_the_form(staff_client, extracted, webbox_):
    data = _form(staff_client, extracted, total="14,606.00", action="save")
    r = staff_client.post(f"/invoices/{extracted}", data=data)
    assert r.status_code == 302
    assert webbox_.readmodel.invoice(extracted)["fields"]["total"] == 14606.0
    edits = [e.payload for e in webbox_.journal.events_for(extracted) if e.type == "invoice.edited"]
    assert edits == [{"fields": {"total": 14606.0}}]  # only what changed: an event is a delta
    data = _form(staff_client, extracted, action="approve")
    assert staff_client.post(f"/invoices/{extracted}", data=data).status_code == 302
    inv = webbox_.readmodel.invoice(extracted)
    assert inv["status"] == "approved" and inv["version"] == 4
    html = staff_client.get(f"/invoices/{extracted}").get_data(as_text=True)
    assert "History" in html and "Edited" in html and "14606" in html and "staff" in html


def test_stale_form_shows_someone_changed_this_and_keeps_the_typing(staff_client, extracted, client, staff_token):
    data = _form(staff_client, extracted, invoice_number="MINE-1", action="save")
    client.patch(f"/api/v1/invoices/{extracted}", headers=bearer(staff_token, **{"If-Match": "2"}),
                 json={"invoice_number": "THEIRS-1"})
    r = staff_client.post(f"/invoices/{extracted}", data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "Someone changed this invoice" in html and "MINE-1" in html and "Reload" in html


def test_bad_value_in_the_form_is_shown_on_its_field(staff_client, extracted):
    r = staff_client.post(f"/invoices/{extracted}", data=_form(staff_client, extracted, supplier_bin="12",
                                                               action="save"))
    assert r.status_code == 400
    assert re.search(r'class="field[^"]* invalid[^"]*" id="field-supplier_bin"', r.get_data(as_text=True))


def test_failed_invoice_offers_manual_entry_then_approval(staff_client, uploaded, webbox_):
    webbox_.journal.append("invoice.failed", {"error": "Nothing readable on the page."}, invoice_id=uploaded,
                           actor="worker")
    webbox_.readmodel.catch_up()
    html = staff_client.get(f"/invoices/{uploaded}").get_data(as_text=True)
    assert "by hand" in html and "Nothing readable" in html
    data = _form(staff_client, uploaded, supplier_name="Karim Steel", total="5,000", action="approve")
    assert staff_client.post(f"/invoices/{uploaded}", data=data).status_code == 302
    inv = webbox_.readmodel.invoice(uploaded)
    assert inv["status"] == "approved" and inv["fields"]["supplier_name"] == "Karim Steel"


def test_form_posts_need_the_csrf_token(staff_client, extracted):
    data = _form(staff_client, extracted, action="save")
    data.pop("csrf_token")
    assert staff_client.post(f"/invoices/{extracted}", data=data).status_code == 400


def test_suppliers_page_adds_and_imports(app, people):
    from tests.conftest_web import login

    c = app.test_client()
    login(c, "owner")
    token = csrf_token(c, "/suppliers")
    assert c.post("/suppliers", data={"csrf_token": token, "name": "Rahman Traders", "bin": "000123456",
                                      "vat_rate": "15"}).status_code == 302
    csv_bytes = b"name,bin,address,vat_rate\nKarim Steel,000987654,,7.5\nNo Bin,abc,,15\n"
    r = c.post("/suppliers/import", data={"csrf_token": token, "file": (io.BytesIO(csv_bytes), "s.csv")})
    html = r.get_data(as_text=True)
    assert "Line 3" in html and "Karim Steel" in html and "Rahman Traders" in html


def test_pwa_files_are_served_from_the_root(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.json["start_url"] == "/"
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and "javascript" in sw.headers["Content-Type"]
    assert client.get("/static/htmx.min.js").status_code == 200


def test_bengali_ui_uses_the_catalogue_and_bengali_digits(staff_client, extracted):
    token = csrf_token(staff_client, "/")
    staff_client.post("/language", data={"language": "bn", "csrf_token": token})
    html = staff_client.get("/").get_data(as_text=True)
    assert "চালান" in html  # "Invoices"
    assert "১৪,৬০৫.০০" in html  # the total in Bengali digits with lakh grouping


def test_every_string_a_person_sees_has_a_bengali_translation():
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "appliance" / "web" / "translations"
    catalogue = read_po((root / "bn" / "LC_MESSAGES" / "messages.po").open("rb"), locale="bn")
    template = read_po((root / "messages.pot").open("rb"))
    untranslated = [m.id for m in template if m.id and not (catalogue.get(m.id) and catalogue.get(m.id).string)]
    assert not untranslated
    mo = root / "bn" / "LC_MESSAGES" / "messages.mo"
    assert mo.stat().st_mtime >= (root / "bn" / "LC_MESSAGES" / "messages.po").stat().st_mtime - 1
