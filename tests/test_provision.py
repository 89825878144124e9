"""hisab-provision, run as a technician would, into a temporary root on this machine.

Real rsync copies a real release (this checkout's code and venv, the bundled model), real
systemd-sysusers makes the user, real systemd-analyze verifies the installed units, the
installed release's own `hisab web` answers the smoke test, and updates switch, migrate,
check health and roll back. The hub's registration API is played by a small HTTP server
that keeps to the documented contract (provisioning/hubapi.py).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hub.devstack import free_port

REPO = Path(__file__).resolve().parent.parent
DEVICE = "dhaka-karim-01"
HUB_TOKEN = "op-token-7f3a9c0d1e2b"
MQTT_PASSWORD = "mqtt-pw-5b8e2f61a4c9"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="provisioning sets owners: run as root (CI does)"),
    pytest.mark.skipif(not all(shutil.which(t) for t in ("rsync", "systemd-analyze", "systemd-sysusers")),
                       reason="needs rsync, systemd-analyze and systemd-sysusers"),
    pytest.mark.skipif(not (REPO / ".venv" / "bin" / "python").exists(), reason="needs the project's .venv"),
]


class FakeHubRegistration(BaseHTTPRequestHandler):
    """POST /api/v1/devices {device_id, public_key} -> MQTT credentials, as the hub will answer."""

    registrations: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/api/v1/devices":
            return self._answer(404, {"error": "no such page", "code": "not_found"})
        if self.headers.get("Authorization") != f"Bearer {HUB_TOKEN}":
            return self._answer(401, {"error": "token refused", "code": "unauthorized"})
        self.registrations.append(body)
        self._answer(201, {"mqtt_username": body["device_id"], "mqtt_password": MQTT_PASSWORD,
                           "mqtt_url": "mqtts://hub.test:8883"})

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def hub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHubRegistration)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeHubRegistration.registrations
    server.shutdown()


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A frozen copy of this checkout (others may edit the real one while the tests run).

    The venv is hard-linked, not copied: pip replaces files rather than editing them, so the
    copy cannot change under the test, and it costs no time or disk.
    """
    src = tmp_path_factory.mktemp("source") / "hisab"
    subprocess.run(["rsync", "-a", "--exclude=/.venv", "--exclude=.git", "--exclude=/data", "--exclude=__pycache__",
                    "--exclude=/test-artifacts", f"{REPO}/", f"{src}/"], check=True)
    if subprocess.run(["cp", "-al", str(REPO / ".venv"), str(src / ".venv")]).returncode != 0:
        subprocess.run(["rsync", "-a", f"{REPO}/.venv/", f"{src}/.venv/"], check=True)
    return src


def fresh_root(parent: Path) -> Path:
    """An empty root, plus this machine's systemd units so systemd-analyze can verify against it."""
    root = parent / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    return root


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "provisioning.cli", *args], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=600)


def reprovision(root: Path, source: Path, *args: str) -> subprocess.CompletedProcess:
    """provision again, from the same frozen source (the default would be the live checkout)."""
    return run_cli("provision", "--target", str(root), "--device-id", DEVICE, "--source", str(source), *args)


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory, source, hub):
    root = fresh_root(tmp_path_factory.mktemp("box"))
    hub_url, _ = hub
    first = run_cli("provision", "--target", str(root), "--device-id", DEVICE, "--hub", hub_url,
                    "--source", str(source), env={"HISAB_HUB_TOKEN": HUB_TOKEN})
    assert first.returncode == 0, first.stdout + first.stderr
    yield root, first
    shutil.rmtree(root, ignore_errors=True)  # a real copy of the venv and model: ~1.3 GB


def tree(root: Path, *subdirs: str) -> dict[str, tuple]:
    """Every file's identity and metadata: equal snapshots mean nothing was rewritten."""
    state = {}
    for sub in subdirs:
        for path in sorted((root / sub).rglob("*")):
            st = path.lstat()
            state[str(path.relative_to(root))] = (st.st_ino, st.st_mtime_ns, st.st_size, st.st_mode, st.st_uid,
                                                  st.st_gid, os.readlink(path) if path.is_symlink() else None)
    return state


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_provision_deploys_release_identity_settings_and_units(provisioned):
    root, first = provisioned
    assert "Result: changed" in first.stdout
    assert os.readlink(root / "opt/hisab/current") == "releases/0.1.0"
    current = root / "opt/hisab/current"
    assert (current / "appliance/cli.py").is_file() and (current / ".venv/bin/python").exists()
    assert (current / "model/gemma-3-270m-q4_k_m.gguf").stat().st_size > 100_000_000
    for junk in (".git", "tests", "data", ".pytest_cache", "appliance/__pycache__"):
        assert not (current / junk).exists(), junk
    assert (root / "etc/hisab/identity/device_id").read_text().strip() == DEVICE
    settings = (root / "etc/hisab/hisab.toml").read_text()
    assert f'device_id = "{DEVICE}"' in settings and 'data_dir = "/var/lib/hisab"' in settings
    assert "hisab:x:" in (root / "etc/passwd").read_text()
    assert "verify    " in first.stdout and "units pass systemd-analyze verify" in first.stdout


def test_the_device_key_is_a_real_ed25519_pair(provisioned):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    root, _ = provisioned
    key = serialization.load_pem_private_key((root / "etc/hisab/identity/device.key").read_bytes(), None)
    assert isinstance(key, Ed25519PrivateKey)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    assert (root / "etc/hisab/identity/device.pub").read_text().startswith(public.decode())


def test_the_hub_registration_becomes_the_relays_credential(provisioned, hub):
    root, _ = provisioned
    _, registrations = hub
    assert [r["device_id"] for r in registrations] == [DEVICE]
    assert registrations[0]["public_key"].startswith("ssh-ed25519 ")
    mqtt_url = (root / "etc/hisab/credentials/mqtt_url").read_text().strip()
    assert mqtt_url == f"mqtts://{DEVICE}:{MQTT_PASSWORD}@hub.test:8883"
    # The box's own settings loader accepts it as a systemd credential.
    from appliance.config import load

    settings = load({"CREDENTIALS_DIRECTORY": str(root / "etc/hisab/credentials"),
                     "HISAB_CONFIG": str(root / "etc/hisab/hisab.toml")})
    assert settings.mqtt_url == mqtt_url and settings.device_id == DEVICE and settings.backup_key


def test_secrets_are_0600_never_world_readable_and_never_printed(provisioned, source):
    root, first = provisioned
    backup_key = (root / "etc/hisab/credentials/backup_key").read_text().strip()
    private_key = (root / "etc/hisab/identity/device.key").read_text()
    secrets = [HUB_TOKEN, MQTT_PASSWORD, backup_key, private_key.splitlines()[1]]
    second = reprovision(root, source, "--json")
    for output in (first.stdout, first.stderr, second.stdout, second.stderr):
        for secret in secrets:
            assert secret not in output
    for directory in ("etc/hisab/identity", "etc/hisab/credentials"):
        assert mode(root / directory) == 0o700
        for path in (root / directory).iterdir():
            assert mode(path) == 0o600 and path.stat().st_uid == 0, path
    for path in [*(root / "etc").rglob("*"), *(root / "var").rglob("*"), *(root / "opt/hisab/bin").iterdir()]:
        if path.is_file() and not path.is_symlink():
            text = path.read_bytes()
            if any(s.encode() in text for s in secrets):
                assert mode(path) & 0o077 == 0, f"{path} holds a secret and is readable by others"


def test_a_second_run_changes_nothing(provisioned, source, hub):
    root, _ = provisioned
    hub_url, registrations = hub
    before = tree(root, "etc", "opt", "usr/lib/sysusers.d") | {"var/lib/hisab": (mode(root / "var/lib/hisab"),)}
    again = run_cli("provision", "--target", str(root), "--device-id", DEVICE, "--hub", hub_url,
                    "--source", str(source), env={"HISAB_HUB_TOKEN": HUB_TOKEN})
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Result: unchanged" in again.stdout, again.stdout
    for line in again.stdout.splitlines():
        assert "  created  " not in line and "  changed  " not in line, line
    after = tree(root, "etc", "opt", "usr/lib/sysusers.d") | {"var/lib/hisab": (mode(root / "var/lib/hisab"),)}
    assert after == before
    assert len(registrations) == 1  # not registered twice


def test_units_are_enabled_as_systemctl_would(provisioned):
    root, _ = provisioned
    wants = root / "etc/systemd/system/multi-user.target.wants"
    for name in ("hisab-migrate.service", "hisab-web.service", "hisab-worker.service", "hisab-relay.service"):
        assert os.readlink(wants / name) == f"/etc/systemd/system/{name}"
    assert os.readlink(root / "etc/systemd/system/timers.target.wants/hisab-backup.timer") == \
        "/etc/systemd/system/hisab-backup.timer"
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", f"--root={root}",
                           *[p.name for p in (root / "etc/systemd/system").glob("hisab-*")]],
                          capture_output=True, text=True)
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stderr


def test_smoke_test_checks_the_running_web_and_reads_the_test_invoice(provisioned, source, tmp_path):
    root, _ = provisioned
    from provisioning.smoke import release_environment
    from provisioning.target import Target

    port = free_port()
    env = {**release_environment(Target(root)), "HOME": str(tmp_path), "HISAB_PORT": str(port),
           "HISAB_HOST": "127.0.0.1"}
    log = open(tmp_path / "web.log", "w")
    web = subprocess.Popen([str(root / "opt/hisab/current/.venv/bin/python"), "-m", "appliance", "web"],
                           env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        done = reprovision(root, source, "--smoke-url", f"http://127.0.0.1:{port}", "--smoke-no-llm",
                           "--smoke-timeout", "60")
    finally:
        web.terminate()
        try:
            web.wait(timeout=30)
        except subprocess.TimeoutExpired:
            web.kill()
        log.close()
    assert done.returncode == 0, done.stdout + (tmp_path / "web.log").read_text()[-2000:]
    assert "smoke: health   ok" in done.stdout and "version 0.1.0" in done.stdout
    assert "smoke: invoice  ok" in done.stdout and "MS/26/59703" in done.stdout


def test_smoke_test_fails_when_nothing_answers(provisioned, source):
    root, _ = provisioned
    done = reprovision(root, source, "--smoke-url", f"http://127.0.0.1:{free_port()}", "--smoke-no-llm",
                       "--smoke-timeout", "0")
    assert done.returncode == 1 and "smoke: health   failed" in done.stdout


def test_another_device_id_is_refused_not_silently_reidentified(provisioned, source):
    root, _ = provisioned
    done = run_cli("provision", "--target", str(root), "--device-id", "someone-else-02", "--source", str(source))
    assert done.returncode != 0 and f"already '{DEVICE}'" in done.stdout + done.stderr
    assert (root / "etc/hisab/identity/device_id").read_text().strip() == DEVICE


def test_dry_run_writes_nothing(tmp_path, source):
    root = tmp_path / "empty-root"
    root.mkdir()
    done = run_cli("provision", "--target", str(root), "--device-id", DEVICE, "--source", str(source), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "dry run" in done.stdout and list(root.iterdir()) == []


# ---- updates -------------------------------------------------------------------------------

@pytest.fixture
def box(provisioned, tmp_path) -> Path:
    """A copy of the provisioned box for one update test (releases hard-linked, data copied)."""
    root, _ = provisioned
    copy = tmp_path / "box"
    subprocess.run(["cp", "-al", str(root), str(copy)], check=True)
    shutil.rmtree(copy / "var/lib/hisab")
    shutil.copytree(root / "var/lib/hisab", copy / "var/lib/hisab", symlinks=True)
    return copy


def next_release(box: Path, tmp_path: Path, version: str) -> Path:
    """A new release built from the running one: hard links, with its own version file."""
    rel = tmp_path / f"release-{version}"
    subprocess.run(["cp", "-al", str(box / "opt/hisab/releases/0.1.0"), str(rel)], check=True)
    (rel / "VERSION").write_text(version + "\n")
    return rel


def result_of(box: Path) -> dict:
    return json.loads((box / "var/lib/hisab/update-result.json").read_text())


def test_update_installs_side_by_side_migrates_switches_and_records(box, tmp_path):
    rel = next_release(box, tmp_path, "0.1.1")
    check = ('"$HISAB_ROOT/opt/hisab/current/.venv/bin/python" -m appliance check-config >/dev/null && '
             'test "$(readlink "$HISAB_ROOT/opt/hisab/current")" = "releases/$HISAB_VERSION"')
    done = run_cli("update", "--target", str(box), "--release", str(rel), "--health-cmd", check)
    assert done.returncode == 0, done.stdout + done.stderr
    assert os.readlink(box / "opt/hisab/current") == "releases/0.1.1"
    assert os.readlink(box / "opt/hisab/previous") == "releases/0.1.0"
    assert (box / "opt/hisab/releases/0.1.0/appliance/cli.py").is_file()  # the old one stays beside it
    assert (box / "opt/hisab/releases/0.1.1/appliance/cli.py").stat().st_ino == \
        (box / "opt/hisab/releases/0.1.0/appliance/cli.py").stat().st_ino  # unchanged files hard-linked
    assert (box / "var/lib/hisab/journal.sqlite3").is_file()  # the new release ran `hisab migrate`
    record = result_of(box)
    assert record["result"] == "updated" and record["device_id"] == DEVICE
    assert record["from_version"] == "0.1.0" and record["to_version"] == "0.1.1"
    assert "Result: updated" in done.stdout
    again = run_cli("update", "--target", str(box), "--release", str(rel), "--health-cmd", "true")
    assert again.returncode == 0 and "unchanged" in again.stdout and result_of(box)["result"] == "unchanged"


def test_update_whose_health_check_fails_rolls_back(box, tmp_path):
    rel = next_release(box, tmp_path, "0.2.0")
    done = run_cli("update", "--target", str(box), "--release", str(rel), "--health-timeout", "0",
                   "--health-cmd", "echo 'web answers 503' >&2; exit 1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert os.readlink(box / "opt/hisab/current") == "releases/0.1.0"
    assert "ROLLED BACK" in done.stdout and "web answers 503" in done.stdout
    record = result_of(box)
    assert record["result"] == "rolled_back" and record["running_version"] == "0.1.0"
    assert record["to_version"] == "0.2.0" and "503" in record["reason"]
    history = (box / "var/lib/hisab/update-history.jsonl").read_text().splitlines()
    assert json.loads(history[-1])["result"] == "rolled_back"
    assert mode(box / "var/lib/hisab/update-result.json") & 0o007 == 0


def test_update_of_a_box_never_provisioned_is_refused(tmp_path, source):
    done = run_cli("update", "--target", str(tmp_path), "--release", str(source))
    assert done.returncode != 0 and "provision it first" in done.stdout + done.stderr
