"""The HTML pages: list with live search, review form (edit, 409, approve, manual entry),
status card polling, history, suppliers, PWA files, and Bengali."""

from __future__ import annotations

import io
import re
from html import unescape as html_unescape

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
    """What a browser would send for the review form as shown, with ``changes`` typed over it.

    Line rows repeat their names (line_description, …), so those values are lists, one per row.
    """
    html = client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    html = re.sub(r"<template.*?</template>", "", html, flags=re.S)  # a row to copy, not part of the form
    data: dict = {}
    for name, value in re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', html):
        if name.startswith("line_"):
            data.setdefault(name, []).append(html_unescape(value))
        else:
            data[name] = html_unescape(value)
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


# -- manual entry: line items, Bengali digits, dates as written, every error at once ------------------------


def _lines(*rows):
    """Form values for line rows typed as (description, quantity, unit price, amount), plus the empty row shown."""
    rows = [*rows, ("", "", "", "")]
    return {f"line_{c}": [r[i] for r in rows] for i, c in enumerate(("description", "quantity", "unit_price", "amount"))}


@pytest.fixture
def handwritten(uploaded, webbox_):
    """An invoice the box read as handwritten: its guesses are noise."""
    result = {**RESULT, "supplier_name": "Rshmn Tr4ders", "total": 1.0, "subtotal": None, "vat_amount": None,
              "line_items": [{"description": "R1ce", "quantity": 7.0, "unit_price": None, "amount": None}],
              "needs_review": ["document:handwritten_or_unreadable", "total:low_confidence"]}
    webbox_.journal.append("invoice.extracted", {"result": result}, invoice_id=uploaded, actor="worker")
    webbox_.readmodel.catch_up()
    return uploaded


def test_line_items_typed_in_the_form_are_saved_through_the_edit_event(staff_client, extracted, webbox_):
    data = _form(staff_client, extracted, action="save", invoice_date="১৩/০৩/২০২৪", vat_rate="১৫%",
                 subtotal="১২,৭০০.০০", **_lines(("Rice 50kg", "২", "৩,২০০", ""), ("Lentils 25kg", "3", "2,100.00", "")))
    r = staff_client.post(f"/invoices/{extracted}", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)
    fields = webbox_.readmodel.invoice(extracted)["fields"]
    assert fields["line_items"] == [
        {"description": "Rice 50kg", "quantity": 2.0, "unit_price": 3200.0, "amount": 6400.0},  # qty × price
        {"description": "Lentils 25kg", "quantity": 3.0, "unit_price": 2100.0, "amount": 6300.0}]
    assert fields["invoice_date"] == "2024-03-13" and fields["vat_rate"] == 15.0  # day first, as on the paper
    edits = [e.payload for e in webbox_.journal.events_for(extracted) if e.type == "invoice.edited"]
    assert edits == [{"fields": {"invoice_date": "2024-03-13", "line_items": fields["line_items"]}}]

    html = staff_client.get(f"/invoices/{extracted}").get_data(as_text=True)
    assert 'value="Lentils 25kg"' in html and 'value="13/03/2024"' in html
    assert "Lines add up to 12,700.00 — the same as the subtotal." in html
    # saved again unchanged: nothing to store
    assert staff_client.post(f"/invoices/{extracted}", data=_form(staff_client, extracted, action="save")) \
        .status_code == 302
    assert len([e for e in webbox_.journal.events_for(extracted) if e.type == "invoice.edited"]) == 1


def test_a_refused_form_shows_every_bad_box_and_keeps_every_typed_row(staff_client, extracted, webbox_):
    before = webbox_.readmodel.invoice(extracted)["version"]
    data = _form(staff_client, extracted, action="approve", invoice_date="31/02/2024", total="lots",
                 supplier_name="Karim Steel",
                 **_lines(("Rod 10mm", "৪", "৯৫০", ""), ("Cement", "two bags", "৫৫০", ""), ("Sand", "", "", "1,200")))
    r = staff_client.post(f"/invoices/{extracted}", data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert webbox_.readmodel.invoice(extracted)["version"] == before  # nothing stored, not even the good boxes
    for field in ("invoice_date", "total"):
        assert re.search(rf'class="field[^"]* invalid[^"]*" id="field-{field}"', html), field
    assert 'id="err-line-1-quantity"' in html and "Type a number" in html
    assert 'id="err-line-0-quantity"' not in html
    for typed in ("Rod 10mm", "৪", "৯৫০", "Cement", "two bags", "Sand", "1,200", "31/02/2024", "lots", "Karim Steel"):
        assert f'value="{typed}"' in html, typed


def test_form_errors_are_in_bengali_when_the_ui_is(staff_client, extracted):
    staff_client.post("/language", data={"language": "bn", "csrf_token": csrf_token(staff_client, "/")})
    data = _form(staff_client, extracted, action="save", **_lines(("চাল", "দুই", "১০০", "")))
    html = staff_client.post(f"/invoices/{extracted}", data=data).get_data(as_text=True)
    assert 'id="err-line-0-quantity"' in html
    message = re.search(r'id="err-line-0-quantity">([^<]*)<', html).group(1)
    assert "সংখ্যা" in message and "Type a number" not in message, message


def test_handwritten_invoice_opens_as_an_empty_form_and_enter_does_not_approve(staff_client, handwritten,
                                                                                 webbox_):
    html = staff_client.get(f"/invoices/{handwritten}").get_data(as_text=True)
    assert "looks handwritten" in html and 'data-manual="1"' in html
    name = re.search(r'<input id="f-supplier_name"[^>]*>', html).group(0)
    assert 'value=""' in name and 'placeholder="Rshmn Tr4ders"' in name and "data-autofocus" in name
    assert 'value="R1ce"' not in html  # the guessed lines are not in the way either
    assert re.search(r'<button type="submit" name="action" value="save" class="sr-only"', html)
    assert "Ctrl+Enter" in html

    data = _form(staff_client, handwritten, action="approve", supplier_name="Rahman Traders", total="১,২০০",
                 subtotal="১,২০০", vat_amount="0", **_lines(("Rice", "২", "৬০০", "")))
    assert staff_client.post(f"/invoices/{handwritten}", data=data).status_code == 302
    inv = webbox_.readmodel.invoice(handwritten)
    assert inv["status"] == "approved" and inv["fields"]["supplier_name"] == "Rahman Traders"
    assert inv["fields"]["line_items"] == [{"description": "Rice", "quantity": 2.0, "unit_price": 600.0,
                                            "amount": 1200.0}]
    again = staff_client.get(f"/invoices/{handwritten}").get_data(as_text=True)
    assert 'data-manual="0"' in again and 'value="Rahman Traders"' in again  # typed once: a normal review now


def test_a_client_that_sends_no_line_rows_leaves_the_lines_alone(staff_client, extracted, client, staff_token,
                                                                  webbox_):
    lines = [{"description": "Rice", "quantity": 2, "unit_price": 3200, "amount": None}]
    client.patch(f"/api/v1/invoices/{extracted}", headers=bearer(staff_token, **{"If-Match": "2"}),
                 json={"line_items": lines})
    data = {k: v for k, v in _form(staff_client, extracted, total="14,606.00", action="save").items()
            if not k.startswith("line") and k != "lines_shown"}
    assert staff_client.post(f"/invoices/{extracted}", data=data).status_code == 302
    assert webbox_.readmodel.invoice(extracted)["fields"]["line_items"][0]["amount"] is None
    # shown and saved back unchanged: the missing amount is not filled in behind anyone's back
    assert staff_client.post(f"/invoices/{extracted}", data=_form(staff_client, extracted, action="save")) \
        .status_code == 302
    assert webbox_.readmodel.invoice(extracted)["fields"]["line_items"][0]["amount"] is None
