"""The hub's second opinion, seen and decided by a person in a real browser.

The REAL box (`python -m appliance run`: web, worker, relay) syncs over the real Mosquitto with the
real hub ingest and PostgreSQL. A flagged invoice (total read 3,801.70; the paper says 3,861.70) is
on the box; the hub queues an ``invoice.suggested`` downlink event exactly as hub/second_opinion.py
does (the heavy reading itself is tested with the llama.cpp server in test_second_opinion.py); the
relay brings it down; the review page shows "Hub suggests: 3,861.70 (box read 3,801.70)"; a person
accepts it with one click; the value is applied, in the history, and back at the hub. Once approved,
a later suggestion changes nothing. Headless Debian Chromium; screenshots in test-artifacts/.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from appliance.queue.blobs import BlobStore
from appliance.queue.hlc import Clock
from appliance.queue.journal import Journal
from hub import db, merge
from tests.browser import box_answering, logged_in, shot
from tests.conftest_services import start_ingest, wait_for
from tests.conftest_web import render_invoice

pytestmark = pytest.mark.slow
READ, TRUE, LATER = 3801.70, 3861.70, 3999.00


def flagged_invoice(data: Path, device: str) -> str:
    """A photographed invoice the box read with a doubtful total, as the worker would have left it."""
    image = render_invoice(supplier="Karim Stores", number="KS-7781", lines=(("Soybean oil 5L", 2, 1679.0),))
    sha = BlobStore(data / "blobs").put(image)
    inv = uuid.uuid4().hex
    journal = Journal(data / "journal.sqlite3", device)
    journal.append_many([
        ("invoice.received", {"sha256": sha, "filename": "karim.png", "content_type": "image/png",
                              "size": len(image), "pages": 1}, inv, "staff", None, None),
        ("invoice.extracted", {"result": {
            "supplier_name": "Karim Stores", "supplier_bin": "000123456-0101", "invoice_number": "KS-7781",
            "invoice_date": "2024-03-12", "subtotal": 3358.0, "vat_rate": 15.0, "vat_amount": 503.7, "total": READ,
            "confidence": {"total": 0.41}, "needs_review": ["total:low_confidence"]}}, inv, "worker", None, None),
    ])
    journal.close()
    return inv


def hub_suggests(settings, device: str, inv: str, value: float) -> str:
    """What hub/second_opinion.py queues for a flagged field: an `invoice.suggested` downlink event."""
    with db.connect(settings.database_url) as conn, conn.transaction():
        return merge.queue_downlink(conn, device, "invoice.suggested",
                                    {"field": "total", "value": value, "confidence": 0.91, "source": "hub",
                                     "box_value": READ}, actor="hub:second-opinion", hlc=Clock("hub").now(),
                                    invoice_id=inv)


def hub_row(settings, device: str, inv: str):
    with db.connect(settings.database_url) as conn:
        return conn.execute("SELECT status, fields, suggestions FROM invoices WHERE device_id=%s AND invoice_id=%s",
                            (device, inv)).fetchone()


@pytest.mark.timeout(300)
def test_a_person_accepts_the_hubs_suggestion_and_an_approved_value_never_changes(
        tmp_path, mosquitto, hub_settings, browser):
    device = "box-" + uuid.uuid4().hex[:8]
    mosquitto.add_user(device, "pw-" + device)
    data = tmp_path / "data"
    inv = flagged_invoice(data, device)
    with start_ingest(hub_settings):
        with box_answering(data, tmp_path / "box.log", timeout=120,
                           env={"HISAB_DEVICE_ID": device, "HISAB_MQTT_URL": mosquitto.url(device)}) as (box, password):
            wait_for(lambda: hub_row(hub_settings, device, inv), 60, what="the invoice at the hub")
            context, page, errors = logged_in(browser, box.base, password, viewport={"width": 1280, "height": 1000})

            page.goto(f"/invoices/{inv}")
            assert page.locator("#field-total.flagged").count() == 1 and page.locator(".suggestion").count() == 0
            shot(page, "suggest-01-flagged")

            # the hub's second opinion comes down through the broker and the relay
            first = hub_suggests(hub_settings, device, inv, TRUE)

            def shown():
                page.goto(f"/invoices/{inv}")
                return page.locator("#field-total .suggestion").count() == 1
            wait_for(shown, 60, 0.5, what="the suggestion on the review page")
            line = page.locator("#field-total .suggestion").inner_text()
            assert "Hub suggests: 3,861.70" in line and "(box read 3,801.70)" in line, line
            api = context.request.get(f"/api/v1/invoices/{inv}").json()
            assert api["suggestions"] == [{"field": "total", "value": TRUE, "confidence": 0.91, "source": "hub"}]
            assert api["fields"]["total"] == READ  # shown, never applied without a person
            assert page.input_value("#f-total") == "3801.70"
            shot(page, "suggest-02-hub-suggests")

            # one click
            page.locator("#field-total .suggestion button", has_text="Accept").click()
            page.wait_for_load_state()
            assert page.input_value("#f-total") == "3861.70" and page.locator(".suggestion").count() == 0
            history = page.locator(".history .timeline").text_content()
            assert "Suggestion decided" in history and "3861.7 accepted" in history
            shot(page, "suggest-03-accepted")
            api = context.request.get(f"/api/v1/invoices/{inv}").json()
            assert api["fields"]["total"] == TRUE and api["suggestions"] == []
            decided = [h for h in api["history"] if h["type"] == "invoice.suggestion_decided"]
            assert decided and decided[0]["actor"] == "owner" and decided[0]["payload"]["accepted"] is True
            assert any(h["type"] == "invoice.suggested" and h["actor"] == "hub:second-opinion" for h in api["history"])
            # the person's decision goes up: the hub's copy holds the accepted value, the suggestion is closed
            wait_for(lambda: (row := hub_row(hub_settings, device, inv)) and row["fields"].get("total") == TRUE
                     and row["suggestions"] == [], 60, 0.5, what="the accepted value at the hub")

            page.click("#approve")
            page.wait_for_selector(".status-card.status-approved")
            shot(page, "suggest-04-approved")

            # a later suggestion (it crossed the approval on the way) reaches the box and changes nothing
            later = hub_suggests(hub_settings, device, inv, LATER)
            assert later != first
            wait_for(lambda: any(h["type"] == "invoice.suggested" and h["payload"]["value"] == LATER
                                 for h in context.request.get(f"/api/v1/invoices/{inv}").json()["history"]),
                     60, 0.5, what="the later suggestion at the box")
            page.goto(f"/invoices/{inv}")
            assert page.locator(".suggestion").count() == 0 and page.input_value("#f-total") == "3861.70"
            assert "3999.0 (not offered: already approved)" in page.locator(".history .timeline").text_content()
            api = context.request.get(f"/api/v1/invoices/{inv}").json()
            assert api["status"] == "approved" and api["fields"]["total"] == TRUE and api["suggestions"] == []
            shot(page, "suggest-05-approved-later-suggestion-ignored")

            page.goto("/status")  # the box's status page, online with its hub
            assert "connected" in page.locator("#sync").inner_text()
            shot(page, "suggest-06-status")
            context.close()
            assert not [e for e in errors if "favicon" not in e], errors
