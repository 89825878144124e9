"""Turning a root directory into a Hisab box, as one ordered list of idempotent steps.

Each step compares before it writes and reports created / changed / unchanged, so the
second run on the same box reports "unchanged" and touches nothing. A failing step stops
the run (later steps depend on earlier ones); re-running resumes, since every step that
already happened is unchanged the next time.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from provisioning import hubapi, identity, release, settings_file, smoke, units
from provisioning.identity import ProvisionError
from provisioning.report import Report
from provisioning.target import CHANGED, CREATED, CREDENTIALS, FAILED, OK, OPT, SKIPPED, UNCHANGED, Target


@dataclass(frozen=True)
class ProvisionRequest:
    target: Target
    device_id: str
    source: Path
    hub: str | None = None
    hub_token: str | None = None
    reregister: bool = False
    version: str | None = None
    model: Path | None = None
    smoke_url: str | None = None
    smoke_llm: bool = True
    smoke_timeout_s: float = 90.0
    dry_run: bool = False


@contextmanager
def locked(target: Target):
    """One provisioning or update at a time on a box."""
    lock_dir = target.path(OPT)
    lock_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)  # no truncation: a re-run leaves no trace
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ProvisionError("Another hisab-provision run is working on this box; wait for it to finish.") from None
        yield
    finally:
        os.close(fd)


def provision(req: ProvisionRequest) -> Report:
    target = req.target
    version = release.source_version(req.source, req.version)
    report = Report(f"Hisab box provisioning — {req.device_id}", facts={
        "target": str(target.root), "release": version, "source": str(req.source),
        "hub": req.hub or "none (the box works offline; the relay waits)"})
    if req.dry_run:
        return _plan(req, version, report)
    with locked(target):
        try:
            _steps(req, version, report)
        except ProvisionError as exc:
            report.add("stopped", FAILED, str(exc))
    return report


def _steps(req: ProvisionRequest, version: str, report: Report) -> None:
    target = req.target
    ident, outcome = identity.ensure_identity(target, req.device_id)
    report.facts["device key"] = f"ed25519 {ident.fingerprint}"
    report.add("identity", outcome, f"/etc/hisab/identity (0700; files 0600), key {ident.fingerprint}")
    report.add("backup key", identity.ensure_backup_key(target), f"{CREDENTIALS}/backup_key (0600)")
    report.add("hub", *_hub_step(req, ident))
    running = release.current_version(target)
    if running is not None and running != version:
        # Provisioning never changes the release of a box that has one: that is what
        # `update` is for (health check, rollback). An old checkout must not downgrade a box.
        version = running
        report.facts["release"] = f"{running} (kept: the box runs it; change it with `update`)"
        report.add("release", SKIPPED, f"the box runs {running}; to install {req.source}'s release use "
                   f"`hisab-provision update --release {req.source}`")
        model_name = release.model_name_of(release.release_dir(target, running))
    else:
        deployed = release.deploy(target, req.source, version, model=req.model, link_dest_version=running)
        report.add("release", deployed.outcome,
                   f"/opt/hisab/releases/{version}: {_items(deployed)}")
        model_name = deployed.model
    rel = release.release_dir(target, version)
    report.add("user", units.ensure_user(target, rel), "hisab (systemd-sysusers)")
    report.add("data dir", units.ensure_data_dir(target), "/var/lib/hisab (hisab, 0750)")
    report.add("settings", settings_file.ensure_settings(target, req.device_id, model_name, target.owner()),
               "/etc/hisab/hisab.toml (root:hisab 0640, no secrets)")
    report.add("launchers", release.write_wrappers(target), "/opt/hisab/bin/hisab, hisab-hub, hisab-provision")
    report.add("switch", release.switch(target, version), f"/opt/hisab/current -> releases/{version}")
    report.add("units", units.install_units(target, rel), f"{len(units.BOX_UNITS)} units in /etc/systemd/system")
    report.add("enable", units.enable(target), ", ".join(units.ENABLE))
    report.add("verify", *units.verify(target))
    changed = any(s.outcome in (CREATED, CHANGED) for s in report.steps)
    report.add("start", *units.restart(target, changed))
    if req.smoke_url:
        ok, why = smoke.check_health(req.smoke_url, req.smoke_timeout_s, release.app_version(rel))
        report.add("smoke: health", OK if ok else FAILED, why)
        ok, why = smoke.check_extract(target, use_llm=req.smoke_llm)
        report.add("smoke: invoice", OK if ok else FAILED, why)
    else:
        report.add("smoke test", SKIPPED, "not asked (--smoke-url URL of the box's web UI)")


def _items(deployed: release.Deployed) -> str:
    if not deployed.changed:
        return "rsync found nothing to copy"
    sample = ", ".join(deployed.changed[:3]) + (", ..." if len(deployed.changed) > 3 else "")
    return f"{deployed.files_changed} items copied or removed by rsync ({sample})"


def _hub_step(req: ProvisionRequest, ident: identity.Identity) -> tuple[str, str]:
    target = req.target
    if not req.hub:
        outcome = identity.store_mqtt_url(target, None)
        kept = identity.has_mqtt_credentials(target)
        return outcome, ("kept the stored MQTT credentials" if kept else "no hub: empty credential file, relay waits")
    if identity.has_mqtt_credentials(target) and not req.reregister:
        identity.store_mqtt_url(target, None)  # mode repair only
        return UNCHANGED, f"already registered with {req.hub} (credentials stored; --reregister to renew)"
    if not req.hub_token:
        raise ProvisionError("Registering with the hub needs an operator token: --hub-token or HISAB_HUB_TOKEN "
                             "(create one on the hub with `hisab-hub token create NAME`).")
    url = hubapi.register(req.hub, req.hub_token, ident, rotate=req.reregister)
    outcome = identity.store_mqtt_url(target, url)
    return outcome, f"registered with {req.hub}; MQTT credentials in {CREDENTIALS}/mqtt_url (0600)"


def _plan(req: ProvisionRequest, version: str, report: Report) -> Report:
    """--dry-run: check the inputs and say what a real run would do; write nothing."""
    target = req.target
    report.title += " (dry run: nothing written)"
    identity.check_device_id(req.device_id)
    release.check_source(req.source)
    existing = target.path("/etc/hisab/identity/device_id")
    if existing.is_file() and existing.read_text().strip() != req.device_id:
        raise ProvisionError(f"This box is already '{existing.read_text().strip()}', not '{req.device_id}'.")
    has_release = release.release_dir(target, version).is_dir()
    report.add("identity", "planned" if not existing.is_file() else UNCHANGED, "ed25519 key pair, device id")
    report.add("hub", "planned" if req.hub and not identity.has_mqtt_credentials(target) else UNCHANGED,
               req.hub or "no hub")
    report.add("release", "planned", f"rsync {req.source} -> /opt/hisab/releases/{version}"
               + (" (present: only differences move)" if has_release else ""))
    current = release.current_version(target)
    report.add("switch", UNCHANGED if current == version else "planned", f"current: {current or 'none'}")
    report.add("units", "planned", ", ".join(units.BOX_UNITS))
    planned = sum(s.outcome == "planned" for s in report.steps)
    report.summary = f"dry run — {planned} steps would do something; run again without --dry-run."
    return report
