"""The box in a real browser, beyond the first invoice: a capture made while the box is
unreachable waits on the phone and arrives exactly once; review typing survives the box
being unreachable; a month exported to Tally XML and QuickBooks IIF through the page; reports
with their charts; every page in Bengali, on a desktop and on a 360-px phone (screenshots in
test-artifacts/bn-*.png).

Starts the REAL box (`python -m appliance run`) on a journal seeded with a month of approved
invoices, and drives headless Debian Chromium with Playwright.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from appliance.box import open_box
from appliance.config import parse
from tests.browser import box_answering, logged_in, shot
from tests.conftest_web import render_invoice

pytestmark = pytest.mark.slow
SUPPLIERS = (("Meghna Traders", "000123456-0101"), ("নিউ ঢাকা স্টোর", "002468013-0001"),
             ("Padma Stationers", "001987654-0203"))


def last_month() -> str:
    first = dt.date.today().replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def _seed(data_dir, month: str, n: int = 6) -> list[str]:
    box = open_box(parse({"data_dir": data_dir, "device_id": "box-pwa"}))
    ids, items = [], []
    try:
        for i in range(n):
            buffer = io.BytesIO()
            Image.new("RGB", (60, 80), (40 * i % 255, 120, 200)).save(buffer, "PNG")
            sha = box.blobs.put(buffer.getvalue())
            name, bin_ = SUPPLIERS[i % len(SUPPLIERS)]
            subtotal = 1500.0 * (i + 1)
            result = {"supplier_name": name, "supplier_bin": bin_, "invoice_number": f"INV-{i:04d}",
                      "invoice_date": f"{month}-{i + 1:02d}", "currency": "BDT", "subtotal": subtotal,
                      "discount": 0.0, "vat_rate": 15 if i % 3 else 7.5, "vat_amount": subtotal * (0.15 if i % 3 else 0.075),
                      "total": subtotal * (1.15 if i % 3 else 1.075), "line_items": [], "confidence": {},
                      "needs_review": [] if i < n - 1 else ["supplier_bin:low_confidence"]}
            invoice_id = uuid.uuid4().hex
            ids.append(invoice_id)
            items += [("invoice.received", {"sha256": sha, "filename": f"scan-{i}.png", "content_type": "image/png",
                                            "size": len(buffer.getvalue()), "pages": 1}, invoice_id, "staff", None, None),
                      ("invoice.extracted", {"result": result}, invoice_id, "worker", None, None)]
            if i < n - 1:  # the last one still waits for review
                items.append(("invoice.approved", {}, invoice_id, "owner", None, None))
        box.journal.append_many(items)
    finally:
        box.close()
    return ids


@pytest.fixture
def seeded_box(tmp_path):
    data_dir, month = tmp_path / "data", last_month()
    ids = _seed(data_dir, month)
    with box_answering(data_dir, tmp_path / "box.log", env={"HISAB_POLL_SECONDS": "0.5"}) as (box, password):
        yield {"base": box.base, "password": password, "tmp": tmp_path, "ids": ids, "month": month}


def _logged_in(browser, box, **context_args):
    return logged_in(browser, box["base"], box["password"], **context_args)


@pytest.mark.timeout(300)
def test_offline_capture_waits_on_the_phone_and_arrives_exactly_once(seeded_box, browser):
    box = seeded_box
    context, page, errors = _logged_in(browser, box, viewport={"width": 360, "height": 740}, is_mobile=True,
                                       has_touch=True)
    photo = box["tmp"] / "captured-offline.jpg"
    photo.write_bytes(render_invoice(supplier="Offline Traders", number="OFF-1", fmt="JPEG"))
    before = context.request.get("/api/v1/invoices").json()["total"]

    page.goto("/upload")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")
    page.reload()  # now under the service worker, which keeps a copy of the upload page
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.goto("/upload")  # the box is unreachable: the app shell still opens
    assert page.locator("#upload-form").count() == 1
    page.set_input_files("#files", str(photo))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-results .result.queued", timeout=15_000)
    outbox = page.locator("#outbox")
    outbox.wait_for(state="visible", timeout=10_000)
    assert "1 invoice photo waiting" in outbox.inner_text()
    shot(page, "pwa-01-phone-offline-waiting")

    context.set_offline(False)  # the box is back: the `online` event sends it by itself
    outbox.wait_for(state="hidden", timeout=30_000)
    shot(page, "pwa-02-phone-back-online")
    page.evaluate("window.hisabOutbox.flush()")  # a second try, and a reload: still one
    page.reload()
    page.wait_for_timeout(1000)
    listing = context.request.get("/api/v1/invoices?q=captured-offline").json()
    assert listing["total"] == 1, listing
    assert context.request.get("/api/v1/invoices").json()["total"] == before + 1
    assert not errors, errors
    context.close()


@pytest.mark.timeout(300)
def test_review_typing_kept_on_the_phone_while_the_box_is_unreachable(seeded_box, browser):
    box = seeded_box
    waiting = box["ids"][-1]
    context, page, errors = _logged_in(browser, box)
    page.goto(f"/invoices/{waiting}")
    context.set_offline(True)
    page.fill("#f-note", "typed during the power cut")
    page.wait_for_selector(".autosave:has-text('draft kept on this device')", timeout=15_000)
    page.close()
    context.set_offline(False)  # the box has rebooted
    again = context.new_page()
    again.goto(f"/invoices/{waiting}")
    again.click("#draft-offer [data-draft-restore]", timeout=10_000)
    assert again.input_value("#f-note") == "typed during the power cut"
    again.wait_for_selector(".autosave:has-text('Draft saved')", timeout=15_000)  # now on the box too
    assert context.request.get(f"/api/v1/invoices/{waiting}/draft").json()["fields"]["note"] == \
        "typed during the power cut"
    assert not errors, errors
    context.close()


@pytest.mark.timeout(300)
def test_export_month_to_tally_and_quickbooks_then_reports_and_every_page_in_bengali(seeded_box, browser):
    box = seeded_box
    context, page, errors = _logged_in(browser, box, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(f"/exports?month={box['month']}")
    page.check("input[name=choice][value=tally]")
    with page.expect_download() as got:
        page.click("#export-button")
    tally = got.value
    assert tally.suggested_filename == f"hisab-tally-{box['month']}.xml"
    root = ET.fromstring(open(tally.path(), "rb").read())
    vouchers = root.findall(".//VOUCHER")
    assert len(vouchers) == 5  # the approved ones; the one waiting for review stays behind
    assert {v.findtext("PARTYLEDGERNAME") for v in vouchers} >= {"Meghna Traders", "নিউ ঢাকা স্টোর"}

    page.check("input[name=choice][value=quickbooks-iif]")
    with page.expect_download() as got:
        page.click("#export-button")
    iif = open(got.value.path(), encoding="utf-8").read()
    assert iif.startswith("!TRNS") and iif.count("\nTRNS") == 5 and "Padma Stationers" in iif

    page.check("input[name=choice][value=tally]")  # pressed again: nothing goes twice
    page.click("#export-button")
    page.wait_for_selector(".alert-info:has-text('Nothing new to export')")
    page.goto("/exports")
    assert page.locator("#export-runs tbody tr").count() == 2

    page.goto(f"/reports?month={box['month']}")
    assert page.locator(".chart svg").count() >= 3
    assert page.locator("#report-suppliers tbody tr").count() == 3
    shot(page, "pwa-03-reports")

    page.click("button[name=language][value=bn]")
    pages = {"list": "/", "upload": "/upload", "review": f"/invoices/{box['ids'][-1]}", "suppliers": "/suppliers",
             "exports": f"/exports?month={box['month']}", "reports": f"/reports?month={box['month']}",
             "users": "/users", "password": "/account/password"}
    for name, path in pages.items():
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "bn"
        shot(page, f"bn-{name}")
    phone = browser.new_context(base_url=box["base"], viewport={"width": 360, "height": 740}, is_mobile=True,
                                has_touch=True, storage_state=context.storage_state())
    small = phone.new_page()
    small.on("pageerror", lambda exc: errors.append(str(exc)))
    too_wide = {}
    for name, path in pages.items():
        small.goto(path)
        width = small.evaluate("document.documentElement.scrollWidth")
        if width > 362:
            too_wide[name] = width
        shot(small, f"bn-phone-{name}")
    small.goto("/reports")
    small.click("form.logout button")
    small.wait_for_url("**/login")
    shot(small, "bn-phone-login")
    phone.close()
    context.close()
    assert not too_wide, f"wider than a 360-px phone: {too_wide}"
    assert not errors, errors
