"""PostgreSQL access for the hub: connections and the schema. Only hub/ code talks to this database."""

from __future__ import annotations

from pathlib import Path

import psycopg
from psycopg.rows import dict_row

SCHEMA = Path(__file__).with_name("schema.sql")
MIGRATE_LOCK = 0x48495341  # advisory lock: two processes starting together migrate one after the other


CONNECT_TIMEOUT_S = 10  # a blackholed server must not hang a loop past the watchdog (hub.service)


def connect(url: str, autocommit: bool = False) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=autocommit, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT_S)


def migrate(url: str, *, partitions_ahead: int = 3, retention_months: int = 0) -> list[str]:
    """Bring the schema up to date, then make the coming months' partitions; returns what changed in them."""
    with connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK,))
        try:
            conn.execute(SCHEMA.read_text())
            return maintain_partitions(conn, partitions_ahead, retention_months)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK,))


def maintain_partitions(conn: psycopg.Connection, ahead: int = 3, retention_months: int = 0) -> list[str]:
    """Create `events` partitions up to ``ahead`` months ahead; drop those past ``retention_months`` (0 = keep all)."""
    row = conn.execute("SELECT hisab_maintain_partitions(%s, %s) AS done", (ahead, retention_months)).fetchone()
    return list(row["done"] or [])
