"""The box's identity and secrets: device id, an ed25519 key pair, the backup key, the MQTT URL.

Everything here lives under /etc/hisab/identity and /etc/hisab/credentials, directories
of mode 0700 owned by root holding files of mode 0600. The services never read these
files directly: systemd hands them the ones they need (``LoadCredential=``), so the
`hisab` user cannot read the device's private key or another service's secret.

Created once: a second run finds them and changes nothing. Returned details are safe to
print (a key fingerprint, never a key).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provisioning.target import CREDENTIALS, IDENTITY, Target, ensure_dir, merge, write_file

DEVICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")


class ProvisionError(Exception):
    """Something a technician must fix; the message says what."""


@dataclass(frozen=True)
class Identity:
    device_id: str
    public_key: str  # OpenSSH format, safe to print and to send to the hub
    fingerprint: str


def check_device_id(device_id: str) -> str:
    if not DEVICE_ID.match(device_id):
        raise ProvisionError(f"Device id {device_id!r} is not usable: use 3–63 lower-case letters, digits "
                             "and '-', starting with a letter or digit (e.g. 'dhaka-karim-01').")
    return device_id


def fingerprint(public_openssh: str) -> str:
    blob = base64.b64decode(public_openssh.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def ensure_identity(target: Target, device_id: str) -> tuple[Identity, str]:
    """The box's identity, created on the first run; refuses to silently re-identify a box."""
    check_device_id(device_id)
    directory = target.path(IDENTITY)
    outcomes = [ensure_dir(target.path("/etc/hisab"), 0o755), ensure_dir(directory, 0o700)]
    id_file, key_file, pub_file = directory / "device_id", directory / "device.key", directory / "device.pub"
    if id_file.is_file():
        existing = id_file.read_text().strip()
        if existing != device_id:
            raise ProvisionError(f"This box is already '{existing}', not '{device_id}'. Re-run with "
                                 f"--device-id {existing}, or wipe {IDENTITY} on purpose to re-identify it.")
    outcomes.append(write_file(id_file, device_id + "\n", 0o600))
    if not key_file.is_file():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        outcomes.append(write_file(key_file, pem, 0o600))
    else:
        outcomes.append(write_file(key_file, key_file.read_bytes(), 0o600))  # mode repair only
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    public = f"{public} hisab-{device_id}"
    outcomes.append(write_file(pub_file, public + "\n", 0o600))
    return Identity(device_id, public, fingerprint(public)), merge(outcomes)


def ensure_backup_key(target: Target) -> str:
    """A 32-byte key (urlsafe base64, Fernet-compatible) for encrypted backups; made once."""
    directory = target.path(CREDENTIALS)
    outcomes = [ensure_dir(directory, 0o700)]
    path = directory / "backup_key"
    if path.is_file() and path.read_text().strip():
        outcomes.append(write_file(path, path.read_bytes(), 0o600))
    else:
        outcomes.append(write_file(path, base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n", 0o600))
    return merge(outcomes)


def has_mqtt_credentials(target: Target) -> bool:
    path = target.path(CREDENTIALS) / "mqtt_url"
    return path.is_file() and bool(path.read_text().strip())


def store_mqtt_url(target: Target, url: str | None) -> str:
    """The relay's credential file: the full mqtt[s]://user:pass@host URL, or empty (no hub).

    Always present, because the unit's ``LoadCredential=`` needs the file to exist.
    """
    directory = target.path(CREDENTIALS)
    outcomes = [ensure_dir(directory, 0o700)]
    path = directory / "mqtt_url"
    if url is None:
        url = path.read_text().strip() if path.is_file() else ""
    outcomes.append(write_file(path, (url + "\n") if url else "", 0o600))
    return merge(outcomes)
