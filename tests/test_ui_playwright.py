"""The whole box through a real browser: log in, upload a generated invoice, wait for the
worker to read it, fix a flagged field, approve (Enter), and keep screenshots.

Starts the REAL box (`python -m appliance run`: web under gunicorn, worker, relay) on a free
port and drives headless Debian Chromium with Playwright. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import pytest

from tests.browser import box_answering, log_in, shot
from tests.conftest_web import render_invoice

pytestmark = pytest.mark.slow

TRUE_VALUES = {"supplier_bin": "000123456-0101", "supplier_name": "Rahman Traders",
               "invoice_number": "INV-2024-0042", "invoice_date": "2024-03-12", "subtotal": "12700.00",
               "vat_amount": "1905.00", "total": "14605.00", "vat_rate": "15", "discount": "0"}


@pytest.fixture
def running_box(tmp_path):
    with box_answering(tmp_path / "data", tmp_path / "box.log", env={"HISAB_POLL_SECONDS": "0.5"}) as (box, password):
        yield box.base, password, tmp_path


@pytest.mark.timeout(600)
def test_login_upload_wait_fix_approve_in_a_browser(running_box, browser):
    base, password, tmp = running_box
    invoice = tmp / "rahman-traders.png"
    invoice.write_bytes(render_invoice(bin_=None))  # no BIN printed: the box must flag it, not guess

    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto("/")
    assert "/login" in page.url
    shot(page, "01-login")
    log_in(page, base, password)
    shot(page, "02-empty-list")

    page.click("text=Upload invoices")
    page.set_input_files("#files", str(invoice))
    page.click("#upload-form button[type=submit]")
    link = page.locator("#upload-results .result.ok a")
    link.wait_for(timeout=30_000)
    shot(page, "03-uploaded")
    link.click()

    page.wait_for_selector("#status-card")
    shot(page, "04-reading")
    page.wait_for_selector("#review-form", timeout=400_000)  # the card refreshes the page when read
    flagged = page.locator(".field.flagged input")
    assert flagged.count() >= 1, "the invoice has no BIN printed: at least that must be flagged"
    shot(page, "05-review-flagged")

    field = flagged.first
    name = field.get_attribute("name")
    field.fill(TRUE_VALUES.get(name, "000123456-0101" if name == "supplier_bin" else "x"))
    if page.locator("#f-supplier_bin").input_value() == "":
        page.fill("#f-supplier_bin", TRUE_VALUES["supplier_bin"])
    field.press("Enter")  # Enter approves
    page.wait_for_selector(".status-card.status-approved", timeout=30_000)
    shot(page, "06-approved")

    invoice_id = page.url.rstrip("/").split("/")[-1]
    body = context.request.get(f"/api/v1/invoices/{invoice_id}").json()
    assert body["status"] == "approved"
    kinds = [(h["type"], h["actor"]) for h in body["history"]]
    assert ("invoice.edited", "owner") in kinds and ("invoice.approved", "owner") in kinds
    assert kinds[1:3] == [("invoice.processing", "worker"), ("invoice.extracted", "worker")] or \
        ("invoice.extracted", "worker") in kinds

    page.goto("/")
    shot(page, "07-list")
    phone = browser.new_context(viewport={"width": 360, "height": 740}, base_url=base,
                                storage_state=context.storage_state(), is_mobile=True, has_touch=True)
    small = phone.new_page()
    small.goto("/")
    shot(small, "08-phone-list")
    small.goto(f"/invoices/{invoice_id}")
    shot(small, "09-phone-review")
    small.goto("/upload")
    shot(small, "10-phone-upload")
    small.click("button[name=language][value=bn]")
    small.goto(f"/invoices/{invoice_id}")
    assert "চালান" in small.content()
    shot(small, "11-phone-review-bengali")
    small.goto("/")
    shot(small, "12-phone-list-bengali")
    phone.close()
    context.close()
    assert not [e for e in errors if "favicon" not in e], errors
