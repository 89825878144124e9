"""Typing in an invoice the box could not read, in a real browser, by keyboard alone.

A handwritten invoice opens as an empty form beside its photo; the shop's suppliers are
suggested and fill the BIN; numbers and dates go in with Bengali digits and lakh grouping;
Enter moves from box to box (and from line to line) but never approves half an invoice;
Ctrl+Enter saves and approves. A refused save keeps every typed line and says why in the UI's language.

Starts the REAL box (`python -m appliance run`) on a journal seeded with one handwritten and
one unreadable invoice and a supplier list, and drives headless Debian Chromium with
Playwright. Screenshots go to test-artifacts/manual-*.png (a desktop and a 390-px phone).
"""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image, ImageDraw

from appliance.box import open_box
from appliance.config import parse
from tests.browser import ARTIFACTS, box_answering, logged_in, shot

pytestmark = pytest.mark.slow
SUPPLIER = {"name": "Meghna Traders", "bin": "000123456-0101", "address": "12 Station Road, Narayanganj",
            "vat_rate": 15.0}


def _scrawl() -> bytes:
    """A photo of a handwritten memo, near enough: wavy strokes where the lines of writing are."""
    img = Image.new("RGB", (900, 1200), (250, 248, 240))
    d = ImageDraw.Draw(img)
    for row in range(14):
        y = 90 + row * 75
        x = 70
        while x < 780:
            w = 30 + (x * 7 + row * 13) % 60
            d.arc((x, y, x + w, y + 40), 180 + row * 9 % 60, 360, fill=(30, 40, 120), width=3)
            x += w + 14
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


def _seed(data_dir) -> dict[str, str]:
    box = open_box(parse({"data_dir": data_dir, "device_id": "box-manual"}))
    try:
        photo = _scrawl()
        sha = box.blobs.put(photo)
        guessed = {"supplier_name": "Mcghnn Tr4d", "supplier_bin": None, "invoice_number": "4Z1",
                   "invoice_date": None, "currency": "BDT", "subtotal": None, "discount": None, "vat_rate": None,
                   "vat_amount": None, "total": 1.0, "line_items": [], "confidence": {"total": 0.2},
                   "needs_review": ["document:handwritten_or_unreadable", "total:low_confidence"]}
        ids = {"handwritten": uuid.uuid4().hex, "failed": uuid.uuid4().hex}
        received = {"sha256": sha, "content_type": "image/png", "size": len(photo), "pages": 1}
        box.journal.append_many([
            ("supplier.upserted", SUPPLIER, None, "owner", None, None),
            ("supplier.upserted", {"name": "Padma Stationers", "bin": "001987654-0203", "address": None,
                                   "vat_rate": 7.5}, None, "owner", None, None),
            ("invoice.received", {**received, "filename": "memo.png"}, ids["handwritten"], "staff", None, None),
            ("invoice.extracted", {"result": guessed}, ids["handwritten"], "worker", None, None),
            ("invoice.received", {**received, "filename": "memo-2.png"}, ids["failed"], "staff", None, None),
            ("invoice.failed", {"error": "Nothing readable on the page."}, ids["failed"], "worker", None, None),
        ])
    finally:
        box.close()
    return ids


@pytest.fixture
def manual_box(tmp_path):
    data_dir = tmp_path / "data"
    ids = _seed(data_dir)
    with box_answering(data_dir, tmp_path / "box.log", env={"HISAB_POLL_SECONDS": "0.5"}) as (box, password):
        yield {"base": box.base, "password": password, "ids": ids}


def _view(page, name: str) -> None:
    """What a person sees without scrolling, beside the full-page shot."""
    shot(page, name)
    page.screenshot(path=str(ARTIFACTS / f"{name}-viewport.png"))


def _focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.name")


def _type(page, text: str) -> None:
    """Type into the focused box, then Enter: the keyboard only, as at the shop counter."""
    if text:
        page.keyboard.type(text)
    page.keyboard.press("Enter")


@pytest.mark.timeout(300)
def test_handwritten_invoice_typed_by_keyboard_with_bengali_digits(manual_box, browser):
    invoice_id = manual_box["ids"]["handwritten"]
    context, page, errors = logged_in(browser, manual_box["base"], manual_box["password"],
                                      viewport={"width": 1280, "height": 800})
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"/invoices/{invoice_id}")
    assert "looks handwritten" in page.inner_text("#review-form")
    assert page.input_value("#f-supplier_name") == "" and page.input_value("#f-total") == ""
    assert page.get_attribute("#f-supplier_name", "placeholder") == "Mcghnn Tr4d"  # the guess, faint
    assert _focused(page) == "f-supplier_name"  # straight into typing, beside the photo
    _view(page, "manual-01-handwritten-opens-empty")

    page.keyboard.type("Meghna Traders")  # one of the shop's suppliers: its BIN comes with it
    page.wait_for_function("document.querySelector('#f-supplier_bin').value !== ''", timeout=10_000)
    assert page.input_value("#f-supplier_bin") == SUPPLIER["bin"]
    assert page.input_value("#f-supplier_address") == SUPPLIER["address"]
    page.keyboard.press("Enter")
    assert _focused(page) == "f-supplier_bin", "Enter moves to the next box while typing by hand"
    _type(page, "")  # BIN: filled in already
    _type(page, "")  # address: filled in already
    _type(page, "৪২১")  # invoice number
    _type(page, "১২/০৩/২০২৪")  # invoice date, day first as on the paper
    _type(page, "")  # no due date
    assert _focused(page) == "line_description", "after the dates come the lines"
    _type(page, "চাল ৫০ কেজি")
    _type(page, "২")
    _type(page, "৩,২০০")
    assert page.get_attribute("[data-line]:nth-child(1) [name=line_amount]", "placeholder") == "6,400.00"
    _type(page, "")  # amount left empty: qty × price
    _type(page, "ডাল ২৫ কেজি")  # Enter after an amount started the next line
    _type(page, "৩")
    _type(page, "২,১০০.০০")
    _type(page, "৬,৩০০")
    assert page.locator("[data-line-rows] [data-line]").count() == 3
    _type(page, "")  # Enter on the empty third line leaves the table
    assert _focused(page) == "f-subtotal"
    _type(page, "১২,৭০০")
    sums = page.inner_text("#lines-sum")
    assert "12,700.00" in sums and "the same as the subtotal" in sums, sums
    _type(page, "")  # discount
    _type(page, "১৫%")  # VAT rate
    _type(page, "১,৯০৫")  # VAT amount
    page.keyboard.type("১৪,৬০৫")  # total
    assert f"/invoices/{invoice_id}" in page.url and page.locator(".alert-success").count() == 0
    assert context.request.get(f"/api/v1/invoices/{invoice_id}").json()["version"] == 2, \
        "nothing was submitted by any Enter so far"
    _view(page, "manual-02-typed-desktop")

    page.keyboard.press("Control+Enter")  # save and approve
    page.wait_for_selector(".status-card.status-approved", timeout=30_000)
    page.reload()
    body = context.request.get(f"/api/v1/invoices/{invoice_id}").json()
    f = body["fields"]
    assert body["status"] == "approved"
    assert (f["supplier_name"], f["supplier_bin"], f["invoice_number"], f["invoice_date"]) == \
        ("Meghna Traders", "000123456-0101", "421", "2024-03-12")
    assert (f["subtotal"], f["vat_rate"], f["vat_amount"], f["total"]) == (12700.0, 15.0, 1905.0, 14605.0)
    assert f["line_items"] == [
        {"description": "চাল ৫০ কেজি", "quantity": 2.0, "unit_price": 3200.0, "amount": 6400.0},
        {"description": "ডাল ২৫ কেজি", "quantity": 3.0, "unit_price": 2100.0, "amount": 6300.0}]
    kinds = [(h["type"], h["actor"]) for h in body["history"]]
    assert kinds[-2:] == [("invoice.edited", "owner"), ("invoice.approved", "owner")]  # one edit, the API's
    assert page.input_value("[data-line]:nth-child(2) [name=line_description]") == "ডাল ২৫ কেজি"
    assert page.input_value("#f-invoice_date") == "12/03/2024"
    assert "ডাল ২৫ কেজি · 3 × 2100 = 6300" in page.inner_text(".history")
    assert not errors, errors
    context.close()


@pytest.mark.timeout(300)
def test_a_refused_save_keeps_every_typed_line_then_saves(manual_box, browser):
    invoice_id = manual_box["ids"]["failed"]
    context, page, errors = logged_in(browser, manual_box["base"], manual_box["password"],
                                      viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(f"/invoices/{invoice_id}")
    assert "by hand" in page.inner_text("#review-form")
    page.click("button[name=language][value=bn]")  # the rest in Bengali, as most shops use it
    page.wait_for_selector("html[lang=bn] #review-form")
    photo = page.locator(".doc img").bounding_box()
    assert photo["y"] < 844 - 200, "on a phone the photo comes first, with no keyboard popped up over it"
    assert _focused(page) != "f-supplier_name"
    _view(page, "manual-00-phone-opens-empty")
    page.fill("#f-supplier_name", "Padma Stationers")
    page.fill("#f-invoice_date", "০৫/১১/২০২৬")
    page.fill("[data-line]:nth-child(1) [name=line_description]", "খাতা")
    page.fill("[data-line]:nth-child(1) [name=line_quantity]", "দশ")  # a word, not a number
    page.fill("[data-line]:nth-child(1) [name=line_unit_price]", "৬০")
    page.click("[data-line-add]")
    page.fill("[data-line]:nth-child(2) [name=line_description]", "কলম")
    page.fill("[data-line]:nth-child(2) [name=line_quantity]", "২০")
    page.fill("[data-line]:nth-child(2) [name=line_unit_price]", "১০")
    _view(page, "manual-03-phone-typing")
    page.click("#save")
    page.wait_for_selector(".alert-error")
    _view(page, "manual-04-phone-refused")
    rows = page.locator("[data-line-rows] [data-line]")
    typed = [[rows.nth(i).locator(f"[name=line_{c}]").input_value() for c in ("description", "quantity", "unit_price")]
             for i in range(2)]
    assert typed == [["খাতা", "দশ", "৬০"], ["কলম", "২০", "১০"]]
    assert page.input_value("#f-supplier_name") == "Padma Stationers"
    assert page.input_value("#f-invoice_date") == "০৫/১১/২০২৬"
    bad = rows.nth(0).locator("[name=line_quantity]")
    assert bad.get_attribute("aria-invalid") == "true"
    assert _focused(page) == "line_quantity", "the first box to fix has the cursor"
    assert "সংখ্যা লিখুন" in page.inner_text("#err-line-0-quantity")
    assert context.request.get(f"/api/v1/invoices/{invoice_id}").json()["status"] == "failed"  # nothing stored

    bad.fill("১০")
    page.click("#save")
    page.wait_for_selector(".alert-success")
    f = context.request.get(f"/api/v1/invoices/{invoice_id}").json()["fields"]
    assert f["invoice_date"] == "2026-11-05"
    assert (f["supplier_bin"], f["vat_rate"]) == ("001987654-0203", 7.5)  # from the supplier list, as chosen
    assert [(i["description"], i["quantity"], i["amount"]) for i in f["line_items"]] == \
        [("খাতা", 10.0, 600.0), ("কলম", 20.0, 200.0)]
    shot(page, "manual-05-phone-saved")
    assert not errors, errors
    context.close()
