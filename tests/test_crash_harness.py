"""Power cuts: kill -9 a random box process, again and again, while a person uploads, edits and
approves and the worker extracts; then prove every acknowledged write is there, byte for byte,
once, and that the read model equals a replay of the journal. See tests/crash.py.

HISAB_CRASH_CYCLES sets the number of cycles (200 here, 1000 in `make bench`).
"""

from __future__ import annotations

import json
import os

import pytest

from tests.crash import Harness, report

CYCLES = int(os.environ.get("HISAB_CRASH_CYCLES", "200"))


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_kill_9_at_random_moments_loses_and_duplicates_nothing_acknowledged(tmp_path, mosquitto, artifacts):
    mosquitto.add_user("box-crash", "pw-box-crash")
    harness = Harness(tmp_path, CYCLES, mqtt_url=mosquitto.url("box-crash"), hub_url=mosquitto.url("hub"))
    findings = harness.run()
    print("\n" + report(findings))
    (artifacts / "crash-harness.json").write_text(json.dumps(findings, indent=2))
    assert findings["acknowledged"]["uploads"] > CYCLES // 10, "the client made too little progress to prove much"
    assert findings["ok"], "\n".join(findings["problems"])
