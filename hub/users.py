"""Hub operators and API tokens: argon2 password hashes, tokens stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("operator", "admin")
_hasher = PasswordHasher()


def add_user(conn, name: str, role: str, password: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValueError("the password is shorter than 8 characters")
    conn.execute("INSERT INTO hub_users (name, role, password_hash) VALUES (%s,%s,%s) "
                 "ON CONFLICT (name) DO UPDATE SET role=excluded.role, password_hash=excluded.password_hash",
                 (name, role, _hasher.hash(password)))


def check_password(conn, name: str, password: str) -> dict | None:
    row = conn.execute("SELECT name, role, password_hash FROM hub_users WHERE name=%s", (name,)).fetchone()
    if row is None:
        _hasher.hash(password)  # same time whether or not the user exists
        return None
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    return {"name": row["name"], "role": row["role"]}


def create_token(conn, name: str) -> str:
    if conn.execute("SELECT 1 FROM hub_users WHERE name=%s", (name,)).fetchone() is None:
        raise LookupError(f"no hub user named {name!r}: add it first with `hisab-hub user add`")
    token = secrets.token_urlsafe(32)
    conn.execute("INSERT INTO hub_tokens (token_sha256, name) VALUES (%s,%s)",
                 (hashlib.sha256(token.encode()).hexdigest(), name))
    return token


def user_for_token(conn, token: str) -> dict | None:
    return conn.execute("SELECT u.name, u.role FROM hub_tokens t JOIN hub_users u ON u.name=t.name "
                        "WHERE t.token_sha256=%s", (hashlib.sha256(token.encode()).hexdigest(),)).fetchone()
