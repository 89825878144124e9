"""The hub's second opinion end to end: real Mosquitto, PostgreSQL, llama.cpp server (llama_cpp.server,
bundled model) and Tesseract. A flagged invoice goes up with its original, the hub reads it heavier and
sends suggestions down; the box shows them and applies one only when a person accepts; a value a person
typed is never the subject of a suggestion."""

from __future__ import annotations

import threading

import psycopg
import pytest

from appliance import invoices
from appliance.queue.blobs import BlobStore
from appliance.sync_blobs import CURSOR as BLOBS_CURSOR
from hub.second_opinion import Reader, SecondOpinion, flagged_fields, suggestions_for
from tests.conftest_services import running_relay, start_ingest, wait_for
from tests.corpus.generate import generate, load_truth


@pytest.fixture(scope="session")
def llm_url():
    from hub.llm_server import LocalLlmServer

    server = LocalLlmServer(threads=1)
    yield server.start()
    server.stop()


def test_suggestions_never_target_what_a_person_decided():
    reading = {"total": {"value": 3861.7, "confidence": 0.9, "votes": ["a", "b"]},
               "invoice_number": {"value": "A-1", "confidence": 0.9, "votes": ["a", "b", "llm"]},
               "vat_amount": {"value": 10.0, "confidence": 0.9, "votes": ["a"]}}
    box = {"total": 3801.7, "invoice_number": "A-7", "vat_amount": 12.0}
    out = suggestions_for(reading, box, {"total", "invoice_number", "vat_amount"}, locked={"invoice_number"})
    assert [s["field"] for s in out] == ["total"]  # typed field skipped; a lone reader never suggests
    assert out[0] == {"field": "total", "value": 3861.7, "confidence": 0.9, "source": "hub", "box_value": 3801.7}
    assert flagged_fields({"needs_review": ["document:handwritten_or_unreadable"]}, False) >= {"total"}


@pytest.mark.slow
def _opinion_state(database_url: str, device: str, invoice_id: str) -> str | None:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT state FROM second_opinions WHERE device_id=%s AND invoice_id=%s",
                           (device, invoice_id)).fetchone()
    return row[0] if row else None


def test_flagged_invoice_comes_back_with_suggestions_a_person_accepts(make_box, hub_settings, llm_url, tmp_path):
    doc = generate(tmp_path / "corpus", 1, 5, kinds=["trade"], qualities=["scanned"])[0]
    truth = load_truth(doc)
    box = make_box()
    sha = BlobStore(box.settings.blobs_dir).put(doc.read_bytes())
    inv = "inv-hard-1"
    wrong_total = round(truth["total"] + 60, 2)
    box.journal.append_many([
        ("invoice.received", {"sha256": sha, "filename": doc.name, "content_type": "image/png",
                              "size": doc.stat().st_size}, inv, "staff", None, None),
        ("invoice.extracted", {"result": {"total": wrong_total, "invoice_number": "TYPO", "supplier_name": None,
                                          "confidence": {"total": 0.4, "invoice_number": 0.3},
                                          "needs_review": ["total:low_confidence", "invoice_number:low_confidence"]}},
         inv, "worker", None, None),
        # a person already typed the invoice number: the hub must leave it alone
        ("invoice.edited", {"fields": {"invoice_number": "PERSON-TYPED"}}, inv, "staff:rina", None, None),
    ])
    stop = threading.Event()
    loop = SecondOpinion(hub_settings.database_url, Reader(llm_url, threads=1), poll_s=0.3)
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    try:
        with start_ingest(hub_settings), running_relay(box):
            wait_for(lambda: box.journal.cursor(BLOBS_CURSOR) >= 1, 30, what="original at the hub")
            # this invoice's own second opinion: the hub's database may hold other tests' invoices too
            wait_for(lambda: _opinion_state(hub_settings.database_url, box.device, inv) in ("done", "failed", "skipped"),
                     400, 0.5, what="second opinion")
            wait_for(lambda: any(e.type == "invoice.suggested" for e in box.journal.events_for(inv)), 30,
                     what="suggestions down at the box")
    finally:
        stop.set()
        thread.join(30)
    with psycopg.connect(hub_settings.database_url) as conn:
        state, suggested, result = conn.execute(
            "SELECT state, suggested, result FROM second_opinions WHERE device_id=%s AND invoice_id=%s",
            (box.device, inv)).fetchone()
    assert state == "done" and "llm" in result["readers"]
    assert "invoice_number" not in {s["field"] for s in suggested}
    folded = None
    for event in box.journal.events_for(inv):
        folded = invoices.apply(folded, event)
    by_field = {s["field"]: s for s in folded["suggestions"]}
    assert by_field["total"]["value"] == truth["total"] and by_field["total"]["source"] == "hub"
    assert folded["fields"]["total"] == wrong_total  # not applied until a person says so
    assert folded["fields"]["invoice_number"] == "PERSON-TYPED"
    decided = box.journal.append("invoice.suggestion_decided", {"field": "total", "value": truth["total"],
                                                                 "accepted": True}, invoice_id=inv, actor="staff:rina")
    folded = invoices.apply(folded, decided)
    assert folded["fields"]["total"] == truth["total"] and "total" not in {s["field"] for s in folded["suggestions"]}


def test_an_original_that_is_no_image_is_read_once_and_says_why():
    reader = Reader(None)
    assert [name for name, _, _ in reader.variants(b"not an image")] == ["original-psm3"]
    reading = reader.read(b"not an image", "hub:x.png", {"total"})
    assert not reading["fields"].get("total")
