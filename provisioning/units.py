"""The systemd side of a box: the `hisab` user, the unit files, enabling and (re)starting them.

Unit files come from the release being installed (``<release>/systemd``), so units and
code always change together, and a rollback brings back the units of its release too.
Into a root that is not this running system (a mounted SD card, a test directory),
enabling means writing the same ``*.wants/`` symlinks ``systemctl enable`` would; on the
box itself, systemctl does it and starts the services.
"""

from __future__ import annotations

import configparser
import os
import subprocess
from pathlib import Path

from provisioning.identity import ProvisionError
from provisioning.target import (
    DATA,
    OK,
    SKIPPED,
    SYSUSERS,
    UNCHANGED,
    UNITS,
    USER,
    Target,
    ensure_dir,
    ensure_symlink,
    merge,
    write_file,
)

SERVICES = ["hisab-migrate.service", "hisab-web.service", "hisab-worker.service", "hisab-relay.service"]
BOX_UNITS = SERVICES + ["hisab-backup.service", "hisab-backup.timer"]
ENABLE = SERVICES + ["hisab-backup.timer"]  # hisab-backup.service is started by its timer
RUNNING = ["hisab-web.service", "hisab-worker.service", "hisab-relay.service"]
HUB_UNITS = ["hisab-hub.service", "hisab-hub-ingest@.service"]


def systemctl(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(["systemctl", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise ProvisionError(f"`systemctl {' '.join(args)}` failed: {done.stderr.strip()[-300:]} "
                             f"— see `journalctl -u {args[-1]}`.")
    return done


def ensure_user(target: Target, release: Path) -> str:
    """The dedicated `hisab` user and group, made by systemd-sysusers (also into an offline root)."""
    existed = target.owner() is not None
    outcomes = [write_file(target.path(SYSUSERS), (release / "systemd" / "hisab.sysusers").read_text(), 0o644)]
    command = ["systemd-sysusers"] if target.root == Path("/") else ["systemd-sysusers", f"--root={target.root}"]
    done = subprocess.run([*command, "-"], input=target.path(SYSUSERS).read_text(), capture_output=True, text=True)
    if done.returncode != 0 or target.owner() is None:
        raise ProvisionError(f"Could not create the user '{USER}': {done.stderr.strip()[-300:]}")
    outcomes.append(UNCHANGED if existed else "created")
    return merge(outcomes)


def ensure_data_dir(target: Target) -> str:
    return ensure_dir(target.path(DATA), 0o750, target.owner())


def own_data(target: Target) -> None:
    """Give the data dir back to `hisab` after a maintenance command ran in it as root."""
    owner = target.owner()
    data = target.path(DATA)
    if owner is None or not data.is_dir():
        return
    for path in [data, *data.rglob("*")]:
        try:
            st = path.lstat()
            if (st.st_uid, st.st_gid) != owner:
                os.lchown(path, *owner)
        except OSError:
            continue


def install_units(target: Target, release: Path, names: list[str] = BOX_UNITS) -> str:
    directory = target.path(UNITS)
    outcomes = [ensure_dir(directory, 0o755)]
    for name in names:
        outcomes.append(write_file(directory / name, (release / "systemd" / name).read_bytes(), 0o644))
    return merge(outcomes)


def wanted_by(unit_file: Path) -> list[str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment]
    parser.read_string(unit_file.read_text())
    return parser.get("Install", "WantedBy", fallback="").split()


def enable(target: Target, names: list[str] = ENABLE) -> str:
    if target.is_live:
        before = [subprocess.run(["systemctl", "is-enabled", n], capture_output=True).returncode for n in names]
        systemctl("enable", *names)
        return UNCHANGED if all(code == 0 for code in before) else "changed"
    outcomes = []
    for name in names:
        for wants in wanted_by(target.path(UNITS) / name):
            outcomes.append(ensure_symlink(target.path(UNITS / f"{wants}.wants" / name), str(UNITS / name)))
    return merge(outcomes)


def verify(target: Target, names: list[str] = BOX_UNITS) -> tuple[str, str]:
    """systemd-analyze verify on the installed units (needs the root's own systemd units)."""
    if not target.path("/usr/lib/systemd/system/sysinit.target").exists():
        return SKIPPED, "this root has no systemd of its own to verify against"
    command = ["systemd-analyze", "verify", "--man=no"]
    if target.root != Path("/"):
        command.append(f"--root={target.root}")
    done = subprocess.run([*command, *names], capture_output=True, text=True, cwd=target.path(UNITS))
    problems = (done.stderr + done.stdout).strip()
    if done.returncode != 0 or problems:
        raise ProvisionError(f"The unit files do not verify: {problems[-600:]}")
    return OK, f"{len(names)} units pass systemd-analyze verify"


def restart(target: Target, changed: bool) -> tuple[str, str]:
    """Start the box (restart it when anything changed); offline roots start at next boot."""
    if not target.is_live:
        return SKIPPED, "not this running system: the services start at the box's next boot"
    systemctl("daemon-reload")
    if changed:
        systemctl("restart", "hisab-migrate.service")
        systemctl("restart", *RUNNING, "hisab-backup.timer")
        return "changed", "restarted " + ", ".join(RUNNING)
    systemctl("start", *RUNNING, "hisab-backup.timer")
    return UNCHANGED, "already running"


def stop_running(target: Target) -> None:
    if target.is_live:
        systemctl("stop", *RUNNING)


def start_running(target: Target, rerun_migrate: bool) -> None:
    if target.is_live:
        systemctl("daemon-reload")
        if rerun_migrate:
            # Restarting the one-shot re-runs the migration with the current release.
            subprocess.run(["systemctl", "restart", "hisab-migrate.service"], capture_output=True)
        subprocess.run(["systemctl", "start", *RUNNING], capture_output=True)
