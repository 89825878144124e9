"""Over-the-air update with automatic rollback: a shop is never left with a broken box.

Order: copy the new release beside the running one (hard links for what did not change)
→ stop web/worker/relay → switch `current` → run the migration with the new release →
start → health check (retried until a deadline). If anything from the switch on fails,
`current` goes back to the release that ran before and the box is started again.

Migrations must be additive (old code keeps working on a migrated journal): a rollback
does not downgrade the journal; `hisab migrate` left its copy in backups/pre-migrate.sqlite3.

The outcome is written to /var/lib/hisab/update-result.json (and appended to
update-history.jsonl) for the relay to publish, so the hub shows each box's version and
last update result.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from provisioning import release, smoke, units
from provisioning.identity import ProvisionError
from provisioning.provision import locked
from provisioning.report import Report
from provisioning.target import CHANGED, DATA, FAILED, IDENTITY, OK, SKIPPED, UNCHANGED, Target, write_file

RESULT_FILE = "update-result.json"
HISTORY_FILE = "update-history.jsonl"
UPDATED, ROLLED_BACK = "updated", "rolled_back"


@dataclass(frozen=True)
class UpdateRequest:
    target: Target
    release: Path
    version: str | None = None
    model: Path | None = None
    health_cmd: str | None = None
    health_url: str = "http://127.0.0.1:8080"
    health_timeout_s: float = 90.0
    keep: int = 3


def update(req: UpdateRequest) -> tuple[Report, dict]:
    target = req.target
    new = release.source_version(req.release, req.version)
    with locked(target):
        old = release.current_version(target)
        if old is None:
            raise ProvisionError("This box has no current release: provision it first (hisab-provision provision).")
        report = Report(f"Hisab update — {old} -> {new}", facts={"target": str(target.root), "from": old, "to": new})
        record = {"device_id": _device_id(target), "from_version": old, "to_version": new,
                  "started_at": _now()}
        if new == old:
            report.add("release", UNCHANGED, f"{new} is already running")
            return report, _finish(target, record, UNCHANGED, f"{new} is already running", report)
        deployed = release.deploy(target, req.release, new, model=req.model, link_dest_version=old)
        report.add("release", deployed.outcome,
                   f"/opt/hisab/releases/{new}: {deployed.files_changed} items (unchanged files hard-linked)")
        before_previous = release.previous_version(target)
        ok, why = _switch_and_check(req, new, report)
        if ok:
            removed = release.prune(target, req.keep)
            report.add("prune", CHANGED if removed else UNCHANGED, ", ".join(removed) or f"keeping {req.keep}")
            return report, _finish(target, record, UPDATED, why, report)
        _rollback(req, old, before_previous, report)
        return report, _finish(target, record, ROLLED_BACK, why, report)


def _switch_and_check(req: UpdateRequest, new: str, report: Report) -> tuple[bool, str]:
    target = req.target
    rel = release.release_dir(target, new)
    try:
        units.stop_running(target)
        report.add("stop", CHANGED if target.is_live else SKIPPED, ", ".join(units.RUNNING))
        report.add("switch", release.switch(target, new), f"/opt/hisab/current -> releases/{new}")
        report.add("units", units.install_units(target, rel), "units of the new release")
        report.add("verify", *units.verify(target))
        if target.is_live:
            units.start_running(target, rerun_migrate=True)
            report.add("migrate + start", CHANGED, "hisab-migrate.service, then " + ", ".join(units.RUNNING))
        else:
            done = smoke.run_hisab(target, "migrate", timeout_s=3600)
            units.own_data(target)
            if done.returncode != 0:
                raise ProvisionError(f"migration failed: {done.stderr.strip()[-300:]}")
            report.add("migrate", CHANGED, "journal migrated by the new release")
    except (ProvisionError, OSError, subprocess.SubprocessError) as exc:
        report.add("switch", FAILED, str(exc))
        return False, str(exc)
    ok, why = _health(req, new, release.app_version(rel))
    report.add("health", OK if ok else FAILED, why)
    return ok, why


def _health(req: UpdateRequest, version: str, app_version: str) -> tuple[bool, str]:
    if req.health_cmd is None:
        return smoke.check_health(req.health_url, req.health_timeout_s, app_version)
    target = req.target
    env = {**smoke.release_environment(target), "HISAB_ROOT": str(target.root), "HISAB_VERSION": version,
           "HISAB_RELEASE": str(release.release_dir(target, version)), "HISAB_APP_VERSION": app_version}
    deadline = time.monotonic() + req.health_timeout_s
    while True:
        done = subprocess.run(req.health_cmd, shell=True, env=env, capture_output=True, text=True)
        if done.returncode == 0:
            return True, f"health command passed ({req.health_cmd})"
        if time.monotonic() >= deadline:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
            return False, f"health command failed (exit {done.returncode}) {tail[0][:200]}".rstrip()
        time.sleep(2)


def _rollback(req: UpdateRequest, old: str, old_previous: str | None, report: Report) -> None:
    target = req.target
    units.stop_running(target)
    release.switch(target, old, previous=old_previous)
    report.add("rollback", CHANGED, f"/opt/hisab/current -> releases/{old} again")
    old_rel = release.release_dir(target, old)
    units.install_units(target, old_rel)
    if target.is_live:
        units.start_running(target, rerun_migrate=False)
        ok, why = smoke.check_health(req.health_url, req.health_timeout_s, release.app_version(old_rel))
        report.add("health after rollback", OK if ok else FAILED, why)


def _finish(target: Target, record: dict, result: str, reason: str, report: Report) -> dict:
    record = {**record, "result": result, "reason": reason, "running_version": release.current_version(target),
              "finished_at": _now()}
    data = target.path(DATA)
    if data.is_dir():
        owner = target.owner()
        write_file(data / RESULT_FILE, json.dumps(record, indent=2) + "\n", 0o640, owner)
        with open(data / HISTORY_FILE, "a") as history:
            history.write(json.dumps(record) + "\n")
            history.flush()
            os.fsync(history.fileno())
        units.own_data(target)
        report.add("result", CHANGED if result != UNCHANGED else UNCHANGED,
                   f"{result}: written to /var/lib/hisab/{RESULT_FILE}")
    report.facts["result"] = result
    report.summary = {UPDATED: f"updated — {record['to_version']} is running and healthy.",
                      ROLLED_BACK: f"ROLLED BACK — {record['from_version']} runs again; the update failed: {reason}",
                      UNCHANGED: f"unchanged — {reason}."}[result]
    return record


def _device_id(target: Target) -> str | None:
    path = target.path(IDENTITY) / "device_id"
    return path.read_text().strip() if path.is_file() else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_result(target: Target) -> dict | None:
    path = target.path(DATA) / RESULT_FILE
    return json.loads(path.read_text()) if path.is_file() else None


