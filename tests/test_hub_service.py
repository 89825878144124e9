"""The hub's processes as systemd runs them: secrets from $CREDENTIALS_DIRECTORY (LoadCredential=),
READY=1 then WATCHDOG=1 on $NOTIFY_SOCKET (Type=notify + WatchdogSec=), STOPPING=1 and exit 0 on
SIGTERM. Real `python -m hub.cli` subprocesses against the real Mosquitto and PostgreSQL; the
notify socket is a real unix datagram socket, as systemd's is."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from hub.devstack import free_port
from hub.settings import load

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def notify_socket():
    directory = tempfile.mkdtemp(prefix="hisab-notify-")  # short: a unix socket path has ~100 bytes
    path = os.path.join(directory, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.5)
    yield sock, path
    sock.close()
    os.unlink(path)
    os.rmdir(directory)


@pytest.fixture
def credentials(tmp_path, hub_settings):
    """What LoadCredential= puts in $CREDENTIALS_DIRECTORY: one file per secret, readable by the service only."""
    directory = tmp_path / "credentials"
    directory.mkdir(mode=0o700)
    for name, value in (("database_url", hub_settings.database_url), ("mqtt_url", hub_settings.mqtt_url),
                        ("secret_key", "k" * 64)):
        (directory / name).write_text(value + "\n")
        (directory / name).chmod(0o400)
    return directory


def hub_environment(credentials: Path, notify: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}  # secrets only from the credentials
    return {**env, "CREDENTIALS_DIRECTORY": str(credentials), "NOTIFY_SOCKET": notify,
            "WATCHDOG_USEC": "1500000", "PYTHONUNBUFFERED": "1", **extra}


def messages(sock: socket.socket, until, timeout: float, proc: subprocess.Popen) -> list[str]:
    """Datagrams sent to the notify socket, until ``until(got)``, the timeout, or the process is gone."""
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not until(got):
        try:
            got.extend(sock.recv(4096).decode().split("\n"))
        except TimeoutError:
            if proc.poll() is not None:
                break  # exited, and nothing more is queued
    return got


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


def test_settings_take_secrets_from_credential_files_and_variables_win(tmp_path):
    (tmp_path / "database_url").write_text("postgresql://hub:from-credential@db/hub\n")
    (tmp_path / "mqtt_url").write_text("mqtts://hub:pw@broker:8883\n")
    settings = load({"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert settings.database_url == "postgresql://hub:from-credential@db/hub"
    assert settings.mqtt_url == "mqtts://hub:pw@broker:8883"
    assert load({"CREDENTIALS_DIRECTORY": str(tmp_path), "HUB_MQTT_URL": "mqtt://other@h:1"}).mqtt_url == \
        "mqtt://other@h:1"


def test_hub_run_reads_credentials_says_ready_pats_the_watchdog_and_stops_cleanly(credentials, notify_socket):
    sock, path = notify_socket
    port = free_port()
    env = hub_environment(credentials, path, HUB_PORT=str(port), HUB_SECOND_OPINION_WORKERS="0",
                          HUB_INGEST_WORKERS="1")
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "run"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        got = messages(sock, lambda m: "READY=1" in m and m.count("WATCHDOG=1") >= 2, 60, proc)
        log.seek(0)
        assert "READY=1" in got and got.count("WATCHDOG=1") >= 2, log.read().decode()[-3000:]
        assert got.index("READY=1") < got.index("WATCHDOG=1")
        # the dashboard answers: PostgreSQL was reached with the URL from the credential file
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as page:
            assert page.status == 200
    finally:
        code = stop(proc)
    assert code == 0
    assert "STOPPING=1" in messages(sock, lambda m: "STOPPING=1" in m, 5, proc)
    log.seek(0)
    output = log.read().decode()
    assert "ingest.connected" in output  # the broker accepted the hub account from the credential file
    assert "hub-secret" not in output and "from-credential" not in output  # no secret in the log


def test_hub_ingest_worker_is_a_notify_service_too(credentials, notify_socket):
    sock, path = notify_socket
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "ingest", "--name", "svc-test"], cwd=ROOT,
                            env=hub_environment(credentials, path), stdout=log, stderr=subprocess.STDOUT)
    try:
        got = messages(sock, lambda m: "READY=1" in m and "WATCHDOG=1" in m, 60, proc)
        log.seek(0)
        assert "READY=1" in got and "WATCHDOG=1" in got, log.read().decode()[-3000:]
    finally:
        assert stop(proc) == 0
    assert "STOPPING=1" in messages(sock, lambda m: "STOPPING=1" in m, 5, proc)


def test_a_dead_loop_ends_the_hub_and_a_wedged_one_stops_the_watchdog(notify_socket, hub_settings, monkeypatch):
    import threading

    import sdnotify

    from hub import service
    from hub.ingest import IngestWorker

    sock, path = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", "600000")  # a pat every 0.2 s
    dead = threading.Thread(target=lambda: None, name="alerts")
    dead.start()
    dead.join()
    stop = threading.Event()
    assert service.supervise(stop, [dead], notifier=sdnotify.SystemdNotifier()) is False and stop.is_set()

    wedged = IngestWorker(hub_settings, "w1")
    wedged.beat -= service.STALE_LOOP_S + 1
    alive = threading.Thread(target=threading.Event().wait, args=(2,), daemon=True)
    alive.start()
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    while True:  # drain what the first call sent
        try:
            sock.recv(4096)
        except TimeoutError:
            break
    assert service.supervise(stop, [alive], [wedged], notifier=sdnotify.SystemdNotifier()) is True
    got = []
    while True:
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            break
    assert "READY=1" in got and "WATCHDOG=1" not in got and any("w1 wedged" in m for m in got)
