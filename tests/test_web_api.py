"""The JSON API as DESIGN.md's Interfaces fix it: read, edit with If-Match, approve, suggestions,
drafts, list and search, history, suppliers, health."""

from __future__ import annotations

import io
import json
import time

import pytest

from tests.conftest_web import bearer

RESULT = {
    "supplier_name": "Rahman Traders", "supplier_bin": "000123456-0101", "invoice_number": "INV-2024-0042",
    "invoice_date": "2024-03-12", "currency": "BDT", "subtotal": 12700.0, "discount": 0.0, "vat_rate": 15.0,
    "vat_amount": 1905.0, "total": 14605.0, "line_items": [],
    "confidence": {"supplier_name": 0.97, "total": 0.55, "invoice_date": 0.9},
    "needs_review": ["total:low_confidence"],
}


@pytest.fixture
def extracted(client, staff_token, webbox_, invoice_png):
    """An uploaded invoice the worker has read (its result appended as the worker appends it)."""
    invoice_id = client.post("/api/v1/invoices", headers=bearer(staff_token),
                             data={"file": (io.BytesIO(invoice_png), "inv.png")}).json["id"]
    webbox_.journal.append("invoice.extracted", {"result": RESULT}, invoice_id=invoice_id, actor="worker")
    webbox_.readmodel.catch_up()
    return invoice_id


def _get(client, token, invoice_id):
    return client.get(f"/api/v1/invoices/{invoice_id}", headers=bearer(token))


def test_get_invoice_has_the_documented_shape(client, staff_token, extracted):
    body = _get(client, staff_token, extracted).json
    assert {"id", "status", "version", "fields", "needs_review", "suggestions", "confidence", "history"} <= set(body)
    assert body["status"] == "extracted" and body["version"] == 2
    assert body["fields"]["total"] == 14605.0 and body["needs_review"] == ["total:low_confidence"]


def test_patch_edits_fields_and_bumps_the_version(client, staff_token, extracted):
    r = client.patch(f"/api/v1/invoices/{extracted}", headers=bearer(staff_token, **{"If-Match": "2"}),
                     json={"total": "১৪,৬০৬.০০", "invoice_date": "২০২৪-০৩-১৩", "supplier_bin": "000123456-0102"})
    assert r.status_code == 200, r.json
    assert r.json["version"] == 3 and r.headers["ETag"] == '"3"'
    assert r.json["fields"]["total"] == 14606.0 and r.json["fields"]["invoice_date"] == "2024-03-13"
    assert r.json["fields"]["supplier_bin"] == "000123456-0102"
    assert "total:low_confidence" not in r.json["needs_review"]


def test_lakh_grouped_amounts_are_understood(client, staff_token, extracted):
    r = client.patch(f"/api/v1/invoices/{extracted}", headers=bearer(staff_token, **{"If-Match": "2"}),
                     json={"subtotal": "1,41,602.00", "vat_amount": 0, "total": 141602})
    assert r.json["fields"]["subtotal"] == 141602.0


def test_patch_with_a_stale_version_is_409(client, staff_token, extracted):
    ok = client.patch(f"/api/v1/invoices/{extracted}", headers=bearer(staff_token, **{"If-Match": "2"}),
                      json={"invoice_number": "INV-1"})
    assert ok.status_code == 200
    stale = client.patch(f"/api/v1/invoices/{extracted}", headers=bearer(staff_token, **{"If-Match": "2"}),
                         json={"invoice_number": "INV-2"})
    assert stale.status_code == 409 and stale.json["code"] == "stale_version"
    assert _get(client, staff_token, extracted).json["fields"]["invoice_number"] == "INV-1"


def test_patch_without_if_match_is_428(client, staff_token, extracted):
    r = client.patch(f"/api/v1/invoices/{extracted}", headers=bearer(staff_token), json={"total": 1})
    assert r.status_code == 428 and r.json["code"] == "version_required"


@pytest.mark.parametrize("field,value", [
    ("total", "twelve"), ("total", True), ("invoice_date", "12/03/2024"), ("invoice_date", "2024-02-30"),
    ("supplier_bin", "12345"), ("vat_rate", 150), ("currency", "taka"), ("colour", "red"),
])
def test_patch_with_a_bad_value_is_400_naming_the_field(client, staff_token, extracted, field, value):
    r = client.patch(f"/api/v1/invoices/{extracted}", headers=bearer(staff_token, **{"If-Match": "2"}),
                     json={field: value})
    assert r.status_code == 400
    assert r.json["code"] == "invalid_field" and r.json["field"] == field
    assert _get(client, staff_token, extracted).json["version"] == 2


def test_approve_then_history_lists_every_version_with_its_actor(client, staff_token, extracted):
    client.patch(f"/api/v1/invoices/{extracted}", headers=bearer(staff_token, **{"If-Match": "2"}),
                 json={"total": 14605.5})
    r = client.post(f"/api/v1/invoices/{extracted}/approve", headers=bearer(staff_token))
    assert r.status_code == 200 and r.json["status"] == "approved"
    history = _get(client, staff_token, extracted).json["history"]
    assert [(h["type"], h["actor"]) for h in history] == [
        ("invoice.received", "staff"), ("invoice.extracted", "worker"),
        ("invoice.edited", "staff"), ("invoice.approved", "staff")]
    assert history[2]["payload"] == {"fields": {"total": 14605.5}}


def test_approve_before_extraction_is_refused(client, staff_token, invoice_png):
    invoice_id = client.post("/api/v1/invoices", headers=bearer(staff_token),
                             data={"file": (io.BytesIO(invoice_png), "inv.png")}).json["id"]
    r = client.post(f"/api/v1/invoices/{invoice_id}/approve", headers=bearer(staff_token))
    assert r.status_code == 409 and r.json["code"] == "not_ready"


def test_hub_suggestion_is_applied_only_when_a_person_accepts(client, staff_token, webbox_, extracted):
    webbox_.journal.append("invoice.suggested", {"field": "total", "value": 14650.0, "confidence": 0.93,
                                                 "source": "hub"}, invoice_id=extracted, actor="hub")
    webbox_.readmodel.catch_up()  # as the projector does within poll_seconds
    body = _get(client, staff_token, extracted).json
    assert body["suggestions"] == [{"field": "total", "value": 14650.0, "confidence": 0.93, "source": "hub"}]
    assert body["fields"]["total"] == 14605.0
    r = client.post(f"/api/v1/invoices/{extracted}/suggestions/total/accept", headers=bearer(staff_token))
    assert r.status_code == 200 and r.json["fields"]["total"] == 14650.0 and r.json["suggestions"] == []
    decided = [h for h in r.json.get("history", []) or _get(client, staff_token, extracted).json["history"]
               if h["type"] == "invoice.suggestion_decided"]
    assert decided[0]["payload"]["accepted"] is True and decided[0]["actor"] == "staff"


def test_dismissing_a_suggestion_keeps_the_value(client, staff_token, webbox_, extracted):
    webbox_.journal.append("invoice.suggested", {"field": "total", "value": 1.0, "source": "hub"},
                           invoice_id=extracted, actor="hub")
    webbox_.readmodel.catch_up()
    r = client.post(f"/api/v1/invoices/{extracted}/suggestions/total/dismiss", headers=bearer(staff_token))
    assert r.json["fields"]["total"] == 14605.0 and r.json["suggestions"] == []
    r = client.post(f"/api/v1/invoices/{extracted}/suggestions/total/accept", headers=bearer(staff_token))
    assert r.status_code == 404 and r.json["code"] == "no_suggestion"


def test_draft_is_kept_per_user_until_the_next_version(client, staff_token, extracted):
    url = f"/api/v1/invoices/{extracted}/draft"
    assert client.get(url, headers=bearer(staff_token)).status_code == 404
    assert client.put(url, headers=bearer(staff_token), json={"fields": {"total": "146"}}).status_code == 200
    assert client.get(url, headers=bearer(staff_token)).json == {"fields": {"total": "146"}}
    client.patch(f"/api/v1/invoices/{extracted}", headers=bearer(staff_token, **{"If-Match": "2"}),
                 json={"total": 146})
    assert client.get(url, headers=bearer(staff_token)).status_code == 404


def test_list_search_filter_and_page(client, staff_token, extracted, invoice_png):
    client.post("/api/v1/invoices", headers=bearer(staff_token), data={"file": (io.BytesIO(b"x" + invoice_png[1:]), "b.png")})
    body = client.get("/api/v1/invoices", headers=bearer(staff_token)).json
    assert body["total"] == 1 and body["invoices"][0]["id"] == extracted
    assert client.get("/api/v1/invoices?q=rahman", headers=bearer(staff_token)).json["total"] == 1
    assert client.get("/api/v1/invoices?q=nobody", headers=bearer(staff_token)).json["total"] == 0
    assert client.get("/api/v1/invoices?status=approved", headers=bearer(staff_token)).json["total"] == 0
    r = client.get("/api/v1/invoices?status=bogus", headers=bearer(staff_token))
    assert r.status_code == 400 and r.json["code"] == "bad_status"
    assert client.get("/api/v1/invoices?page=0", headers=bearer(staff_token)).status_code == 400


def test_unknown_invoice_is_404_json(client, staff_token):
    r = _get(client, staff_token, "does-not-exist")
    assert r.status_code == 404 and r.json["code"] == "not_found"


def test_suppliers_add_list_and_csv_import_reports_bad_lines(client, webbox_, people):
    from appliance import users

    owner = users.create_token(webbox_.journal, "owner")
    r = client.post("/api/v1/suppliers", headers=bearer(owner),
                    json={"name": "Rahman Traders", "bin": "০০০১২৩৪৫৬-০১০১", "vat_rate": "15"})
    assert r.status_code == 201 and r.json["bin"] == "000123456-0101"
    csv_text = ("name,bin,address,vat_rate\n"
                "Karim Steel,000987654,Chattogram,7.5\n"
                ",000111222,,15\n"
                "Bad Bin Ltd,12-34,,15\n"
                "Dhaka Paper,000555666-0001,Tejgaon,15\n")
    r = client.post("/api/v1/suppliers/import", headers=bearer(owner),
                    data={"file": (io.BytesIO(csv_text.encode()), "suppliers.csv")})
    assert r.status_code == 200
    assert r.json["stored"] == 2
    assert [(e["line"], e["field"]) for e in r.json["errors"]] == [(3, "name"), (4, "bin")]
    names = [s["name"] for s in client.get("/api/v1/suppliers", headers=bearer(owner)).json["suppliers"]]
    assert names == ["Dhaka Paper", "Karim Steel", "Rahman Traders"]
    assert webbox_.journal.query("SELECT count(*) FROM events WHERE type='supplier.upserted'")[0][0] == 3


def test_health_reports_heartbeats_backlog_and_lag(client, webbox_, web_settings, extracted):
    deadline = time.time() + 5
    while "web" not in json.dumps(client.get("/api/v1/health").json["processes"].get("web", {})) \
            and time.time() < deadline:
        time.sleep(0.1)
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json["ok"] is True
    body = r.json
    assert body["processes"]["web"]["state"] == "ok"
    assert body["backlog"] == 0 and body["journal"]["last_seq"] >= body["readmodel"]["last_seq"] > 0
    assert body["disk"]["free_bytes"] > 0 and body["version"]


def test_health_is_503_when_a_heartbeat_is_stale(client, web_settings):
    run = web_settings.data_dir / "run"
    run.mkdir(parents=True, exist_ok=True)
    (run / "worker.json").write_text(json.dumps({"process": "worker", "pid": 1, "at": time.time() - 3600}))
    r = client.get("/api/v1/health")
    assert r.status_code == 503 and r.json["ok"] is False
    assert r.json["processes"]["worker"]["state"] == "stale"
