"""The `hisab` command as people and systemd use it: safe mode, tokens, rebuild, extract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import requests

from hub.devstack import free_port


def hisab(*args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "appliance", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, input=input, timeout=300)


def test_broken_settings_start_web_in_safe_mode_naming_the_key(tmp_path):
    (tmp_path / "hisab.toml").write_text('max_upload_mb = "lots"\n')
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "appliance", "web", "--data-dir", str(tmp_path), "--port",
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                response = requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stdout.read().decode()
                time.sleep(0.2)
        assert response.status_code == 503
        body = response.json()
        assert body["code"] == "safe_mode" and body["key"] == "max_upload_mb"
        assert "max_upload_mb" in body["error"]
        assert proc.poll() is None  # it stays up: no crash loop
    finally:
        proc.terminate()
        proc.wait(10)


def test_unknown_setting_is_refused_by_check_config(tmp_path):
    (tmp_path / "hisab.toml").write_text('colour = "green"\n')
    result = hisab("--data-dir", str(tmp_path), "check-config")
    assert result.returncode != 0
    assert "colour" in result.stderr


def test_token_create_prints_only_the_token_and_user_add_refuses_weak_password(tmp_path):
    data = str(tmp_path / "d")
    assert hisab("--data-dir", data, "user", "add", "ana", "--role", "staff", "--password-stdin",
                 input="short\n").returncode != 0
    assert hisab("--data-dir", data, "user", "add", "ana", "--role", "staff", "--password-stdin",
                 input="long enough pw\n").returncode == 0
    result = hisab("--data-dir", data, "token", "create", "ana")
    assert result.returncode == 0
    assert result.stdout.strip().startswith("hsb_") and len(result.stdout.strip().splitlines()) == 1
    assert hisab("--data-dir", data, "token", "create", "nobody").returncode != 0


def test_rebuild_replays_the_journal(tmp_path):
    data = str(tmp_path / "d")
    hisab("--data-dir", data, "user", "add", "ana", "--role", "owner", "--password-stdin", input="long enough pw\n")
    result = hisab("--data-dir", data, "rebuild")
    assert result.returncode == 0, result.stderr
    assert "1 events" in result.stderr


def test_extract_prints_json_lines_and_an_error_for_a_bad_file(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not an invoice")
    result = hisab("extract", str(bad), "--json", "--no-llm")
    line = json.loads(result.stdout.strip().splitlines()[0])
    assert line["source"] == str(bad) and line["error"]
    assert line["total"] is None and line["needs_review"]
    assert result.returncode == 2


def test_web_serves_https_when_given_a_certificate(tmp_path):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hisab.local")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    port = free_port()
    env = {**os.environ, "HISAB_TLS_CERTFILE": str(tmp_path / "cert.pem"),
           "HISAB_TLS_KEYFILE": str(tmp_path / "key.pem")}
    proc = subprocess.Popen([sys.executable, "-m", "appliance", "web", "--data-dir", str(tmp_path / "d"),
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(150):
            try:
                response = requests.get(f"https://127.0.0.1:{port}/login", timeout=2,
                                        verify=False)  # self-signed: the point is that TLS is spoken
                break
            except requests.ConnectionError:
                assert proc.poll() is None
                time.sleep(0.2)
        assert response.status_code == 200 and response.url.startswith("https://")
    finally:
        proc.terminate()
        proc.wait(20)
