"""Registering a box: ``POST /api/v1/devices`` makes its broker account and records its key.

The contract is the one provisioning calls (provisioning/hubapi.py)::

    POST /api/v1/devices   Authorization: Bearer <operator or admin token>
    {"device_id": "dhaka-karim-01", "public_key": "ssh-ed25519 AAAA... hisab-dhaka-karim-01", "rotate": false}

    201  a new box: {"device_id", "mqtt_username", "mqtt_password", "mqtt_url", "registered_at", "rotated": false}
    200  a box the hub knows with this key: the same without "mqtt_password" (the hub keeps only the
         broker's hash, so it cannot hand the password out again); with "rotate": true, a new password
         is issued and the old one stops working ("rotated": true)
    409  the device id is registered with another key (an admin may replace it: "rotate": true)

Owns: the box entries of the Mosquitto password file (the hashed line is made by
``mosquitto_passwd -U`` on a private temporary file, so the password never appears on a command
line, then merged into the password file under a lock and renamed into place), the broker's
reload (SIGHUP to HUB_BROKER_PID_FILE), and ``devices.public_key``. The broker's pattern ACL
(``hisab/v1/%u/up/#`` write, ``hisab/v1/%u/down/#`` read) limits the account to the box's own
topics because its user name is its device id.

Must never: log, store or return a password except in the one answer that issues it; let a
box take the hub's own broker account; re-issue credentials without an explicit rotation.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import secrets
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_ssh_public_key

from appliance.relay import Broker
from hub.devstack import HUB_USER
from hub.settings import HubSettings

log = logging.getLogger("hisab.hub.registration")

DEVICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")  # the same rule as provisioning/identity.py


class RegistrationError(Exception):
    """A refusal with its HTTP status and a sentence the operator can act on."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Request:
    device_id: str
    public_key: str  # "ssh-ed25519 <base64>" without the comment: what identifies the box
    comment: str
    rotate: bool


def parse(body: Any, settings: HubSettings) -> Request:
    if not isinstance(body, dict):
        raise RegistrationError(400, "bad_json", "Send a JSON object: {\"device_id\": ..., \"public_key\": ...}.")
    device_id, public_key, rotate = body.get("device_id"), body.get("public_key"), body.get("rotate", False)
    if not isinstance(device_id, str) or not DEVICE_ID.match(device_id):
        raise RegistrationError(400, "bad_device_id", "device_id must be 3–63 lower-case letters, digits and '-', "
                                "starting with a letter or digit (e.g. 'dhaka-karim-01').")
    hub_user = Broker.from_url(settings.mqtt_url).username
    if device_id in {HUB_USER, hub_user}:
        raise RegistrationError(400, "reserved_device_id", f"'{device_id}' is the hub's own broker account; "
                                "choose another device id.")
    if not isinstance(rotate, bool):
        raise RegistrationError(400, "bad_rotate", "rotate must be true or false.")
    if not isinstance(public_key, str):
        raise RegistrationError(400, "bad_public_key", "public_key must be the box's OpenSSH ed25519 public key.")
    parts = public_key.strip().split(None, 2)
    try:
        key = load_ssh_public_key(" ".join(parts[:2]).encode())
    except (ValueError, IndexError):
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise RegistrationError(400, "bad_public_key", "public_key is not an OpenSSH ed25519 public key "
                                "('ssh-ed25519 AAAA...', /etc/hisab/identity/device.pub on the box).")
    return Request(device_id, " ".join(parts[:2]), parts[2] if len(parts) > 2 else "", rotate)


def box_broker_url(settings: HubSettings) -> str:
    """What a box connects to: HUB_BOX_MQTT_URL, else HUB_MQTT_URL without the hub's user and options."""
    if settings.box_mqtt_url:
        return settings.box_mqtt_url
    broker = Broker.from_url(settings.mqtt_url)
    host = broker.host if ":" not in broker.host else f"[{broker.host}]"
    return f"{'mqtts' if broker.tls else 'mqtt'}://{host}:{broker.port}"


def register(conn, settings: HubSettings, req: Request, operator: str, role: str) -> tuple[int, dict[str, Any]]:
    """Register or re-register a box; returns (HTTP status, answer). Call inside a transaction."""
    if settings.broker_passwd_file is None:
        raise RegistrationError(503, "registration_off", "This hub does not register boxes: set "
                                "HUB_BROKER_PASSWD_FILE to the broker's password file (docs/technician.md).")
    conn.execute("INSERT INTO devices (device_id) VALUES (%s) ON CONFLICT DO NOTHING", (req.device_id,))
    row = conn.execute("SELECT public_key, registered_at FROM devices WHERE device_id=%s FOR UPDATE",
                       (req.device_id,)).fetchone()
    new = row["public_key"] is None
    if not new and row["public_key"] != req.public_key:
        if not (req.rotate and role == "admin"):
            raise RegistrationError(409, "other_key", f"The hub already has '{req.device_id}' with another key. If "
                                    "this box was re-identified on purpose, an admin registers it with rotate: true; "
                                    "otherwise choose another device id.")
        log.warning("registration.key_replaced device=%s by=%s", req.device_id, operator)
    answer: dict[str, Any] = {"device_id": req.device_id, "mqtt_username": req.device_id,
                              "mqtt_url": box_broker_url(settings)}
    if new or req.rotate:
        password = secrets.token_urlsafe(24)
        set_broker_password(settings, req.device_id, password)  # before commit: a failure rolls the row back
        row = conn.execute(
            "UPDATE devices SET public_key=%s, key_comment=%s, registered_at=coalesce(registered_at, now()), "
            "registered_by=%s, credentials_at=now() WHERE device_id=%s RETURNING registered_at",
            (req.public_key, req.comment, operator, req.device_id)).fetchone()
        answer["mqtt_password"] = password
        log.info("registration.%s device=%s by=%s", "new" if new else "rotated", req.device_id, operator)
    else:
        answer["message"] = ("Already registered with this key; its MQTT password is not handed out twice. "
                             "Send rotate: true for a new one (the old one stops working).")
    answer.update(registered_at=row["registered_at"].isoformat(), rotated=bool(req.rotate and not new))
    return (201 if new else 200), answer


def set_broker_password(settings: HubSettings, username: str, password: str) -> None:
    """Create or change a broker account in the password file, then make the broker re-read it."""
    passwd = Path(settings.broker_passwd_file)
    passwd.parent.mkdir(parents=True, exist_ok=True)
    with open(passwd.with_name(passwd.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one writer at a time, across threads and hub processes
        line = _hashed_line(passwd.parent, username, password)
        kept = []
        if passwd.exists():
            kept = [x for x in passwd.read_text().splitlines() if x.strip() and x.split(":", 1)[0] != username]
        _replace(passwd, "\n".join([*kept, line]) + "\n")
    _reload_broker(settings)


def _hashed_line(directory: Path, username: str, password: str) -> str:
    fd, name = tempfile.mkstemp(prefix=".register-", dir=directory)  # 0600, beside the password file
    try:
        with os.fdopen(fd, "w") as plain:
            plain.write(f"{username}:{password}\n")
        done = subprocess.run(["mosquitto_passwd", "-U", name], capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise RegistrationError(500, "broker_account", "mosquitto_passwd could not hash the new password "
                                    f"({done.stderr.strip()[:200]}).")
        line = Path(name).read_text().strip()
    except FileNotFoundError:
        raise RegistrationError(500, "broker_account", "mosquitto_passwd is not installed on the hub "
                                "(apt-get install mosquitto).") from None
    finally:
        Path(name).unlink(missing_ok=True)
    if not line.startswith(f"{username}:$"):
        raise RegistrationError(500, "broker_account", "mosquitto_passwd did not produce a hashed entry.")
    return line


def _replace(path: Path, text: str) -> None:
    """Write, fsync, rename, fsync the directory; keep the old file's mode and group (the broker must read it)."""
    old = path.stat() if path.exists() else None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
        if old is not None:
            os.fchmod(fd, old.st_mode & 0o777)
            try:
                os.fchown(fd, -1, old.st_gid)
            except PermissionError:
                log.warning("registration.passwd_group: cannot keep group %d on %s", old.st_gid, path)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dirfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


def _reload_broker(settings: HubSettings) -> None:
    if settings.broker_pid_file is None:
        return  # a systemd path unit (or the operator) reloads the broker when the file changes
    try:
        pid = int(Path(settings.broker_pid_file).read_text().split()[0])
        os.kill(pid, signal.SIGHUP)  # Mosquitto re-reads its password and ACL files
    except (OSError, ValueError, IndexError) as exc:
        raise RegistrationError(503, "broker_reload", f"The account was written but the broker could not be told to "
                                f"reload ({type(exc).__name__} on {settings.broker_pid_file}); reload it and "
                                "register again.") from None
