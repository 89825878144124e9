"""A hub suggestion is shown beside a field and applied only by a person; it never reaches a value
a person typed, decided or approved (appliance.invoices.apply, shared by the read model and rebuild)."""

from __future__ import annotations

from appliance import invoices
from appliance.queue.journal import Event


def fold(*steps: tuple[str, dict, str]) -> dict:
    inv = None
    for seq, (type_, payload, actor) in enumerate(steps, 1):
        inv = invoices.apply(inv, Event(seq, f"e{seq}", f"{seq:013d}-0000-box", type_, "inv-1", actor, payload))
    return inv


RECEIVED = ("invoice.received", {"sha256": "ab" * 32}, "staff")
EXTRACTED = ("invoice.extracted", {"result": {"total": 3801.7, "vat_amount": 500.0,
                                              "needs_review": ["total:low_confidence"]}}, "worker")


def suggest(field: str, value) -> tuple[str, dict, str]:
    return ("invoice.suggested", {"field": field, "value": value, "confidence": 0.9, "source": "hub"},
            "hub:second-opinion")


def test_a_suggestion_is_shown_not_applied_until_a_person_accepts_it():
    inv = fold(RECEIVED, EXTRACTED, suggest("total", 3861.7))
    assert inv["fields"]["total"] == 3801.7 and inv["suggestions"][0]["value"] == 3861.7
    inv = fold(RECEIVED, EXTRACTED, suggest("total", 3861.7),
               ("invoice.suggestion_decided", {"field": "total", "value": 3861.7, "accepted": True}, "rina"))
    assert inv["fields"]["total"] == 3861.7 and inv["suggestions"] == [] and inv["needs_review"] == []


def test_a_decided_typed_or_approved_value_never_gets_a_suggestion_again():
    decided = fold(RECEIVED, EXTRACTED, suggest("total", 3861.7),
                   ("invoice.suggestion_decided", {"field": "total", "value": 3861.7, "accepted": False}, "rina"),
                   suggest("total", 3999.0), suggest("vat_amount", 503.7))
    assert [s["field"] for s in decided["suggestions"]] == ["vat_amount"] and decided["fields"]["total"] == 3801.7
    typed = fold(RECEIVED, EXTRACTED, ("invoice.edited", {"fields": {"total": 3861.7}}, "rina"), suggest("total", 1.0))
    assert typed["suggestions"] == [] and typed["fields"]["total"] == 3861.7
    approved = fold(RECEIVED, EXTRACTED, ("invoice.approved", {}, "owner"), suggest("vat_amount", 503.7))
    assert approved["suggestions"] == [] and approved["fields"]["vat_amount"] == 500.0


def test_the_hub_learns_a_persons_decision_on_its_suggestion(hub_settings):
    """hub.merge: an accepted suggestion is the person's edit at the hub too, and the suggestion is closed."""
    import uuid

    from hub import db
    from hub.merge import Merge

    device, inv = "box-" + uuid.uuid4().hex[:8], uuid.uuid4().hex

    def event(seq: int, type_: str, payload: dict, actor: str) -> dict:
        return {"seq": seq, "id": f"{device}-{seq}", "hlc": f"{1_700_000_000_000 + seq:013d}-0000-{device}",
                "type": type_, "invoice_id": inv, "actor": actor, "payload": payload}

    with db.connect(hub_settings.database_url) as conn, conn.transaction():
        Merge(conn, device, 1.0).apply([
            event(1, *RECEIVED), event(2, *EXTRACTED), event(3, *suggest("total", 3861.7)), event(4, *suggest("vat_amount", 503.7)),
            event(5, "invoice.suggestion_decided", {"field": "total", "value": 3861.7, "accepted": True}, "rina"),
            event(6, "invoice.suggestion_decided", {"field": "vat_amount", "value": 503.7, "accepted": False}, "rina")])
        row = conn.execute("SELECT fields, suggestions FROM invoices WHERE device_id=%s AND invoice_id=%s",
                           (device, inv)).fetchone()
        versions = conn.execute("SELECT actor, changes FROM invoice_versions WHERE device_id=%s AND invoice_id=%s "
                                "AND type='invoice.suggestion_decided' ORDER BY version", (device, inv)).fetchall()
    assert row["fields"]["total"] == 3861.7 and row["fields"]["vat_amount"] == 500.0 and row["suggestions"] == []
    assert [v["actor"] for v in versions] == ["rina", "rina"] and versions[0]["changes"]["total"] == 3861.7
