"""The unit files in systemd/: they verify with the real systemd-analyze, and they say
what the design asks of every box process (hardening, limits, restart, watchdog, order).

Verification runs against a scratch root holding this machine's own systemd units and
the real launchers hisab-provision writes, so every ExecStart= points at a real file.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from provisioning import release
from provisioning.target import Target

SYSTEMD = Path(__file__).resolve().parent.parent / "systemd"
UNITS = sorted(p.name for p in SYSTEMD.glob("hisab*.service")) + sorted(p.name for p in SYSTEMD.glob("*.timer"))
BOX_DAEMONS = ["hisab-web.service", "hisab-worker.service", "hisab-relay.service"]
MEMORY_MAX = {"hisab-web.service": 512 * 2**20, "hisab-worker.service": 1536 * 2**20,
              "hisab-relay.service": 256 * 2**20}

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None or
                                not Path("/usr/lib/systemd/system/sysinit.target").exists(),
                                reason="needs systemd-analyze and the system's own units")


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, empty_lines_in_values=False)
    parser.optionxform = str  # type: ignore[assignment]
    # Repeated keys (LoadCredential=, Environment=) are legal in units: keep the last, check with text.
    parser.read_string((SYSTEMD / name).read_text())
    return parser


@pytest.fixture(scope="module")
def verify_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("unitroot")
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    release.write_wrappers(Target(root))
    units_dir = root / "etc/systemd/system"
    units_dir.mkdir(parents=True)
    for name in UNITS:
        shutil.copy(SYSTEMD / name, units_dir / name)
    return root


def analyze(root: Path, *names: str) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", "verify", "--man=no", f"--root={root}", *names],
                          capture_output=True, text=True, cwd=root / "etc/systemd/system")


def test_every_unit_passes_systemd_analyze_verify(verify_root):
    names = [n for n in UNITS if not n.endswith("@.service")] + ["hisab-hub-ingest@.service",
                                                                  "hisab-hub-ingest@1.service",
                                                                  "hisab-hub-ingest@2.service"]
    done = analyze(verify_root, *names)
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stdout + done.stderr


def test_verification_catches_a_broken_unit(verify_root):
    units_dir = verify_root / "etc/systemd/system"
    broken = (SYSTEMD / "hisab-web.service").read_text().replace("ProtectSystem=strict", "ProtectSystem=strickt")
    broken = broken.replace("/opt/hisab/bin/hisab web", "/opt/hisab/bin/no-such-program web")
    (units_dir / "hisab-broken.service").write_text(broken)
    try:
        done = analyze(verify_root, "hisab-broken.service")
    finally:
        (units_dir / "hisab-broken.service").unlink()
    assert done.returncode != 0
    assert "strickt" in done.stderr and "no-such-program" in done.stderr


def test_the_expected_units_exist():
    for name in ["hisab-web.service", "hisab-worker.service", "hisab-relay.service", "hisab-migrate.service",
                 "hisab-backup.service", "hisab-backup.timer", "hisab-hub.service", "hisab-hub-ingest@.service"]:
        assert (SYSTEMD / name).is_file(), name


@pytest.mark.parametrize("name", [n for n in UNITS if n.endswith(".service")])
def test_every_service_runs_hardened_as_the_hisab_user(name):
    service = unit(name)["Service"]
    data_dir = "/var/lib/hisab-hub" if "hub" in name else "/var/lib/hisab"
    assert service["User"] == "hisab" and service["Group"] == "hisab"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == data_dir  # the data dir, and nothing else
    for flag in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert service[flag] == "yes", flag
    assert service["CapabilityBoundingSet"] == ""
    assert service["KillSignal"] == "SIGTERM" and "TimeoutStopSec" in service
    assert "MemoryMax" in service


@pytest.mark.parametrize("name", BOX_DAEMONS)
def test_box_processes_are_watched_restarted_and_sized_for_4gb(name):
    parsed = unit(name)
    service, section = parsed["Service"], parsed["Unit"]
    assert service["Type"] == "notify" and int(service["WatchdogSec"]) > 0
    assert service["Restart"] == "always"
    assert int(section["StartLimitBurst"]) > 0 and int(section["StartLimitIntervalSec"]) > 0
    assert section["Requires"] == "hisab-migrate.service" and "hisab-migrate.service" in section["After"]
    assert _bytes(service["MemoryMax"]) == MEMORY_MAX[name]
    assert service["ExecStart"].startswith("/opt/hisab/bin/hisab ")
    assert sum(MEMORY_MAX.values()) < 3 * 2**30  # leaves the OS and page cache room on a 4 GB box


def test_web_is_restarted_never_reloaded_and_its_worker_may_notify():
    service = unit("hisab-web.service")["Service"]
    assert "ExecReload" not in service
    assert service["NotifyAccess"] == "all"  # READY/WATCHDOG come from gunicorn's worker process


def test_secrets_come_from_credential_files():
    relay = (SYSTEMD / "hisab-relay.service").read_text()
    backup = (SYSTEMD / "hisab-backup.service").read_text()
    assert "LoadCredential=mqtt_url:/etc/hisab/credentials/mqtt_url" in relay
    assert "LoadCredential=backup_key:/etc/hisab/credentials/backup_key" in backup
    for name in UNITS:
        text = "\n".join(line for line in (SYSTEMD / name).read_text().lower().splitlines()
                         if not line.startswith("#"))
        assert "password" not in text and "mqtt://" not in text and "mqtts://" not in text, name


def test_migrations_run_once_before_the_box_processes():
    parsed = unit("hisab-migrate.service")
    assert parsed["Service"]["Type"] == "oneshot" and parsed["Service"]["RemainAfterExit"] == "yes"
    assert parsed["Service"]["ExecStart"] == "/opt/hisab/bin/hisab migrate"
    for name in BOX_DAEMONS:
        assert name in parsed["Unit"]["Before"]


def test_backup_runs_daily_and_catches_up_after_a_power_cut():
    timer = unit("hisab-backup.timer")["Timer"]
    assert timer["Persistent"] == "true" and timer["RandomizedDelaySec"] and timer["OnCalendar"]
    assert timer["Unit"] == "hisab-backup.service"
    assert unit("hisab-backup.service")["Service"]["ExecStart"] == "/opt/hisab/bin/hisab backup"


def test_hub_ingest_is_a_template_so_it_scales_out():
    service = unit("hisab-hub-ingest@.service")["Service"]
    assert "%i" in service["ExecStart"]
    assert service["Restart"] == "always"


def _bytes(value: str) -> int:
    units = {"K": 2**10, "M": 2**20, "G": 2**30}
    return int(float(value[:-1]) * units[value[-1]]) if value[-1] in units else int(value)


@pytest.mark.parametrize("name", ["hisab-hub.service", "hisab-hub-ingest@.service"])
def test_hub_processes_notify_are_watched_and_get_secrets_as_credentials(name):
    service = unit(name)["Service"]
    text = (SYSTEMD / name).read_text()
    assert service["Type"] == "notify" and int(service["WatchdogSec"]) > 0  # hub/service.py sends READY/WATCHDOG
    assert service["Restart"] == "always"
    for secret in ("database_url", "mqtt_url"):  # read from $CREDENTIALS_DIRECTORY by hub/settings.py
        assert f"LoadCredential={secret}:/etc/hisab/hub-credentials/{secret}" in text
