"""The load generator end to end, small: real boxes (journals, relays, own broker accounts) against a real hub."""

from __future__ import annotations

from hub import db, loadtest
from tests.conftest_services import start_ingest


def test_loadtest_of_five_boxes_loses_and_duplicates_nothing_through_drops_and_an_outage(hub_settings, mosquitto):
    plan = loadtest.Plan(boxes=5, invoices=5, bursts=2, spread_s=1.0, drop_share=0.4, outage_s=1.5,
                         outage_invoices=2, telemetry_s=1.0, boxes_per_process=3, timeout_s=60)
    with start_ingest(hub_settings, workers=2):
        result = loadtest.run(hub_settings, plan, accounts=mosquitto.add_users)
    assert result["credentials"] == "per box" and result["connected"] == 5
    assert (result["lost"], result["duplicated"], result["invoices_missing"], result["edits_not_applied"]) == (0, 0, 0, 0)
    assert result["complete"] and result["events"] == 5 * (5 + 2) * 4  # received, extracted, two edits each
    assert result["ack_p95_s"] is not None and result["storm_ack_p95_s"] is not None
    assert result["broker_connections_max"] >= 5 and result["loadgen"]["processes"] == 2
    assert {p["process"].split(" ")[0] for p in result["hub_processes"]} >= {"mosquitto", "postgres"}
    with db.connect(hub_settings.database_url) as conn:  # every box's own account: its telemetry and status arrived
        seen = conn.execute("SELECT count(*) AS n FROM devices WHERE device_id LIKE %s AND telemetry <> '{}'",
                            (result and "lt-%",)).fetchone()["n"]
    assert seen >= 5
