"""The DuckDB read model follows the journal exactly and can always be rebuilt from it."""

from __future__ import annotations

from appliance import invoices
from appliance.readmodel import ReadModel
from appliance.users import add_user, create_token, token_hash

RESULT = {"supplier_name": "Meghna Traders", "supplier_bin": "000123456-0101", "invoice_number": "INV-7",
          "invoice_date": "2026-11-02", "currency": "BDT", "subtotal": 100.0, "discount": 0.0, "vat_rate": 15.0,
          "vat_amount": 15.0, "total": 115.0, "line_items": [], "confidence": {"total": 0.95},
          "needs_review": ["supplier_name:low_confidence"]}


def _receive(journal, invoice_id, sha="a" * 64, actor="ana"):
    journal.append("invoice.received", {"sha256": sha, "filename": f"{invoice_id}.jpg", "content_type": "image/jpeg",
                                        "size": 10, "pages": 1}, invoice_id=invoice_id, actor=actor)


def test_invoice_life_is_projected_with_versions_and_history(box, settings):
    j = box.journal
    _receive(j, "i1")
    j.append("invoice.processing", {"attempt": 1}, invoice_id="i1", actor="worker")
    j.append("invoice.extracted", {"result": RESULT}, invoice_id="i1", actor="worker")
    j.append("invoice.edited", {"fields": {"supplier_name": "Meghna Traders Ltd"}}, invoice_id="i1", actor="ana")
    model = ReadModel(settings.readmodel_path, j)
    model.catch_up()
    inv = model.invoice("i1")
    assert inv["status"] == invoices.EXTRACTED
    assert inv["version"] == 3  # received, extracted, edited
    assert inv["fields"]["supplier_name"] == "Meghna Traders Ltd"
    assert inv["needs_review"] == []  # the person fixed the flagged field
    assert [h["type"] for h in model.history("i1")][-1] == "invoice.edited"
    assert model.history("i1")[-1]["actor"] == "ana"
    j.append("invoice.approved", {}, invoice_id="i1", actor="ana")
    model.catch_up()
    assert model.invoice("i1")["status"] == invoices.APPROVED
    model.close()


def test_edit_that_breaks_arithmetic_is_flagged(box, settings):
    _receive(box.journal, "i1")
    box.journal.append("invoice.extracted", {"result": {**RESULT, "needs_review": []}}, invoice_id="i1")
    box.journal.append("invoice.edited", {"fields": {"total": 999.0}}, invoice_id="i1", actor="ana")
    model = ReadModel(settings.readmodel_path, box.journal)
    model.catch_up()
    assert "arithmetic:subtotal_plus_vat_ne_total" in model.invoice("i1")["needs_review"]
    model.close()


def test_duplicates_are_flagged_by_image_and_by_supplier_and_number(box, settings):
    _receive(box.journal, "i1", sha="a" * 64)
    _receive(box.journal, "i2", sha="a" * 64)
    _receive(box.journal, "i3", sha="b" * 64)
    box.journal.append("invoice.extracted", {"result": RESULT}, invoice_id="i1")
    box.journal.append("invoice.extracted", {"result": RESULT}, invoice_id="i3")
    model = ReadModel(settings.readmodel_path, box.journal)
    model.catch_up()
    assert "duplicate:image" in model.invoice("i2")["needs_review"]
    assert model.invoice("i2")["duplicate_of"] == "i1"
    assert "duplicate:invoice_number" in model.invoice("i3")["needs_review"]
    assert not any(r.startswith("duplicate") for r in model.invoice("i1")["needs_review"])
    model.close()


def test_manual_entry_before_extraction_is_kept(box, settings):
    _receive(box.journal, "i1")
    box.journal.append("invoice.edited", {"fields": {"total": 50.0}}, invoice_id="i1", actor="ana")
    box.journal.append("invoice.extracted", {"result": RESULT}, invoice_id="i1")
    model = ReadModel(settings.readmodel_path, box.journal)
    model.catch_up()
    assert model.invoice("i1")["fields"]["total"] == 50.0
    model.close()


def test_search_filter_and_paging(box, settings):
    for i in range(60):
        _receive(box.journal, f"i{i:02d}", sha=f"{i:064x}")
    box.journal.append("invoice.extracted", {"result": RESULT}, invoice_id="i07")
    model = ReadModel(settings.readmodel_path, box.journal)
    model.catch_up()
    rows, total = model.list_invoices(q="meghna")
    assert total == 1 and rows[0]["id"] == "i07"
    rows, total = model.list_invoices(status="received")
    assert total == 59 and len(rows) == 50
    rows, _ = model.list_invoices(status="received", page=2)
    assert len(rows) == 9
    model.close()


def test_users_and_tokens_are_projected_as_hashes(box, settings):
    add_user(box.journal, "ana", "staff", "correct horse")
    token = create_token(box.journal, "ana")
    model = ReadModel(settings.readmodel_path, box.journal)
    model.catch_up()
    assert model.user("ana")["role"] == "staff"
    assert "correct horse" not in model.user("ana")["password_hash"]
    assert model.token_user(token_hash(token)) == "ana"
    assert model.token_user(token_hash("hsb_wrong")) is None
    model.close()


def test_deleting_the_read_model_rebuilds_identical_data(box, settings):
    add_user(box.journal, "ana", "owner", "correct horse")
    for i in range(30):
        _receive(box.journal, f"i{i}", sha=f"{i % 7:064x}")
        box.journal.append("invoice.extracted", {"result": {**RESULT, "invoice_number": f"N{i % 11}"}},
                           invoice_id=f"i{i}")
        if i % 3 == 0:
            box.journal.append("invoice.edited", {"fields": {"total": float(i)}}, invoice_id=f"i{i}", actor="ana")
        box.journal.append("supplier.upserted", {"name": f"S{i % 4}", "bin": f"{i % 4:09d}"})
    model = ReadModel(settings.readmodel_path, box.journal)
    model.catch_up(batch=7)  # small transactions, as a running web process applies them
    before = model.fingerprint()
    model.close()
    settings.readmodel_path.unlink()
    rebuilt = ReadModel(settings.readmodel_path, box.journal)
    rebuilt.catch_up()
    assert rebuilt.fingerprint() == before
    assert rebuilt.last_seq() == box.journal.last_seq()
    rebuilt.close()


def test_edits_apply_per_field_by_latest_clock_not_arrival(box, settings):
    _receive(box.journal, "i1")
    box.journal.append("invoice.extracted", {"result": RESULT}, invoice_id="i1")
    box.journal.append("invoice.edited", {"fields": {"total": 200.0}}, invoice_id="i1", actor="ana",
                       hlc="9000000000000-0000-box-test")
    # a hub edit stamped earlier arrives later: it must not overwrite the newer local value
    box.journal.append("invoice.edited", {"fields": {"total": 150.0, "invoice_number": "X-1"}}, invoice_id="i1",
                       actor="hub:op", hlc="8000000000000-0000-hub", event_id="hub-e1")
    model = ReadModel(settings.readmodel_path, box.journal)
    model.catch_up()
    fields = model.invoice("i1")["fields"]
    assert fields["total"] == 200.0
    assert fields["invoice_number"] == "X-1"
    model.close()
