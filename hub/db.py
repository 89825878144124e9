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


def migrate(url: str) -> None:
    with connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK,))
        try:
            conn.execute(SCHEMA.read_text())
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK,))
