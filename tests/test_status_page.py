"""The box's health check after a start (journal, read model against the journal, disk, clock) on
GET /api/v1/health and the status page, with a real journal and DuckDB read model. The kill -9 of
the whole box is in test_box_kill.py."""

from __future__ import annotations

import uuid

from appliance import health, sync_health
from appliance.lifecycle import Process
from appliance.web import health as web_health


def _invoices(webbox_, n: int) -> list[str]:
    ids, items = [], []
    for i in range(n):
        inv = uuid.uuid4().hex
        ids.append(inv)
        items.append(("invoice.received", {"sha256": inv, "filename": f"{i}.jpg"}, inv, "staff", None, None))
        items.append(("invoice.extracted", {"result": {"total": 100.0 + i, "confidence": {}, "needs_review": []}},
                      inv, "worker", None, None))
    webbox_.append_many(items)
    webbox_.append("invoice.edited", {"fields": {"total": 5.0}}, invoice_id=ids[0], actor="owner")
    webbox_.append("invoice.suggested", {"field": "total", "value": 6.0}, invoice_id=ids[1], actor="hub")
    return ids


def test_health_api_carries_the_check_and_the_read_model_equals_the_journal(owner_client, webbox_, staff_token):
    _invoices(webbox_, 5)
    body = owner_client.get("/api/v1/health").get_json()
    check = body["check"]
    assert check["ok"] and check["journal_quick_check"] == "ok" and check["clock"] == "ok"
    assert check["readmodel"] == "ok" and check["disk"]["level"] == "ok"
    seq, counts = webbox_.readmodel.digest()
    assert counts == sync_health.journal_digest(webbox_.journal, seq) == (5, 11, 12)


def test_a_read_model_that_differs_from_the_journal_is_reported(webbox_, people):
    ids = _invoices(webbox_, 3)
    webbox_.readmodel._cur().execute("DELETE FROM history WHERE invoice_id=?", [ids[2]])  # damage, as a bug would
    check = sync_health.check(webbox_.settings, webbox_.journal, readmodel=webbox_.readmodel)
    assert not check["ok"] and check["readmodel"].startswith("differs")
    assert "history 6 vs 8" in check["readmodel"]
    assert any("rebuild" in p for p in check["problems"])


def test_status_page_shows_the_snapshot_readably(owner_client, webbox_, web_settings):
    _invoices(webbox_, 2)
    Process("worker", web_settings.data_dir, install_signals=False).beat(backlog=0)
    (web_settings.data_dir / health.UPDATE_RESULT_FILE).write_text(
        '{"result": "updated", "from_version": "0.1.0", "to_version": "0.1.1"}')
    web_health._checks.clear()
    index = owner_client.get("/").get_data(as_text=True)
    assert 'href="/status"' in index  # linked from the nav
    html = owner_client.get("/status").get_data(as_text=True)
    for text in ("Box status", "Health check after start", "Journal integrity", "matches the journal", "Clock",
                 "used,", "free", "Memory", "CPU temperature", "Journal", "Hub",
                 "none configured", "Last backup", "never", "Read-only", "Processes", "process-web",
                 "process-worker", "running", "last update", "updated 0.1.1"):
        assert text in html, text


def test_status_page_speaks_bengali(owner_client, webbox_):
    from tests.conftest_web import csrf_token

    owner_client.post("/language", data={"language": "bn", "next": "/status",
                                         "csrf_token": csrf_token(owner_client, "/status")})
    html = owner_client.get("/status").get_data(as_text=True)
    assert "বক্সের অবস্থা" in html and "চালুর পরে স্বাস্থ্য পরীক্ষা" in html and "জার্নালের সাথে মেলে" in html
