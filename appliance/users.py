"""People and API tokens: argon2 password hashes and hashed bearer tokens, kept as events.

Only hashes are ever stored; a token is shown once, when created. Never log a password
or a token.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from appliance.queue.blobs import write_atomic
from appliance.queue.journal import Journal, Rejected

ROLES = ("owner", "staff", "technician")
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user_exists(journal: Journal, name: str) -> bool:
    sql = "SELECT 1 FROM events WHERE type='user.added' AND json_extract(payload,'$.name')=? LIMIT 1"
    return bool(journal.query(sql, (name,)))


def add_user(journal: Journal, name: str, role: str, password: str, actor: str = "cli",
             language: str = "en") -> None:
    name = name.strip()
    if not name or len(name) > 64 or not name.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise Rejected("bad_name", "A user name is 1-64 letters, digits, '.', '-' or '_'.")
    if role not in ROLES:
        raise Rejected("bad_role", f"Role must be one of: {', '.join(ROLES)}.")
    if len(password) < 8:
        raise Rejected("weak_password", "Choose a password of at least 8 characters.")
    if _user_exists(journal, name):
        raise Rejected("user_exists", f"A user named '{name}' already exists.")
    journal.append("user.added", {"name": name, "role": role, "password_hash": hash_password(password),
                                  "language": language}, actor=actor)


def set_password(journal: Journal, name: str, password: str, actor: str) -> None:
    if len(password) < 8:
        raise Rejected("weak_password", "Choose a password of at least 8 characters.")
    journal.append("user.updated", {"name": name, "password_hash": hash_password(password)}, actor=actor)


def create_token(journal: Journal, name: str, label: str = "", actor: str = "cli") -> str:
    if not _user_exists(journal, name):
        raise Rejected("no_user", f"No user named '{name}'. Add it first with: hisab user add {name} --role ...")
    token = "hsb_" + secrets.token_urlsafe(32)
    journal.append("token.created", {"hash": token_hash(token), "user": name, "label": label}, actor=actor)
    return token


def ensure_first_owner(journal: Journal, data_dir: Path) -> str | None:
    """On a box with no users, create 'owner' with a random password; return it (else None).

    The password is also written to ``initial-password.txt`` (mode 0600) in the data dir
    so the person who ran ``make run`` can find it again.
    """
    if journal.query("SELECT 1 FROM events WHERE type='user.added' LIMIT 1"):
        return None
    password = secrets.token_urlsafe(9)
    add_user(journal, "owner", "owner", password, actor="setup")
    write_atomic(data_dir / "initial-password.txt",
                 f"user: owner\npassword: {password}\n".encode(), mode=0o600)
    return password
