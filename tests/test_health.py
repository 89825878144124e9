"""One health snapshot: disk, memory, temperature, journal, backlog, last backup, processes."""

from __future__ import annotations

import json

from appliance import backup, health
from appliance.lifecycle import Process


def test_snapshot_reports_every_part_of_the_box(box, settings):
    for i in range(5):
        box.journal.append("invoice.received", {"sha256": f"{i:064x}"}, invoice_id=f"i{i}")
    box.journal.set_cursor("relay-acked", 2)
    Process("worker", settings.data_dir, install_signals=False).beat(backlog=0)
    snap = health.snapshot(settings, box.journal)
    json.dumps(snap)  # plain JSON for the API and MQTT alike
    assert snap["ok"] and not snap["read_only"]
    assert snap["disk"]["level"] == "ok" and snap["disk"]["free_bytes"] > 0
    assert 0 < snap["memory"]["percent_used"] < 100
    assert "temperature_c" in snap["cpu"]  # None where the hardware has no sensor
    assert snap["journal"]["last_seq"] == 5 and snap["journal"]["quick_check"] == "ok"
    assert snap["journal"]["size_bytes"] > 0
    assert snap["sync"]["backlog"] == 3 and snap["sync"]["acked_seq"] == 2
    assert snap["backup"]["last_at"] is None
    assert snap["processes"]["worker"]["state"] == "ok" and snap["processes"]["worker"]["age_s"] < 5


def test_snapshot_shows_the_last_backup(box, settings):
    keyed = settings.model_copy(update={"backup_key": "k" * 32})
    box.journal.append("note", {})
    result, _ = backup.create(keyed)
    snap = health.snapshot(keyed, box.journal)
    assert snap["backup"]["file"] == result.path.name and snap["backup"]["age_s"] < 60


def test_cli_status_prints_a_readable_summary(box, settings):
    from click.testing import CliRunner

    from appliance.cli import main

    box.close()
    out = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "status"])
    assert out.exit_code == 0, out.output
    assert "disk" in out.output and "journal" in out.output and "backup     never" in out.output
    out = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "status", "--json"])
    assert json.loads(out.output)["journal"]["quick_check"] == "ok"
