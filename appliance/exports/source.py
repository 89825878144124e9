"""Which invoices an export takes, and marking them exported so none goes out twice by accident.

The CLI must not open the read model (DuckDB belongs to `web`), so the month's invoices are
built here by folding journal events with ``invoices.apply`` — the same function the read
model uses, so both see identical invoices. The web may pass read-model rows to ``select``
instead. Marking appends one ``invoice.exported {target, export_id}`` per invoice in a single
journal transaction whose guard refuses an invoice already exported to that target (unless
repeated on purpose) or changed since it was read: two concurrent exports never both win.
This module never renders a file format and never talks to the network.
"""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance import invoices
from appliance.queue.blobs import fsync_dir
from appliance.queue.journal import Journal, Rejected

EXPORTABLE = (invoices.APPROVED, invoices.EXPORTED)
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
BATCH = 5000


def all_invoices(journal: Journal) -> list[dict[str, Any]]:
    """Every invoice the journal knows, folded from its events (oldest first)."""
    folded: dict[str, dict[str, Any]] = {}
    seq = 0
    while True:
        events = journal.read_after(seq, limit=BATCH)
        if not events:
            break
        for event in events:
            if event.invoice_id and event.type.startswith("invoice."):
                after = invoices.apply(folded.get(event.invoice_id), event)
                if after is not None:
                    folded[event.invoice_id] = after
        seq = events[-1].seq
    return list(folded.values())


def in_month(invoice: dict[str, Any], month: str) -> bool:
    return (invoice["fields"].get("invoice_date") or "").startswith(month + "-")


def select(rows: Iterable[dict[str, Any]], month: str, target: str, again: bool = False) -> list[dict[str, Any]]:
    """The approved invoices of ``month`` not yet exported to ``target`` (all of them when ``again``)."""
    check_month(month)
    chosen = [inv for inv in rows
              if inv["status"] in EXPORTABLE and in_month(inv, month)
              and (again or target not in inv.get("exported_to", []))]
    return sorted(chosen, key=lambda inv: (inv["fields"].get("invoice_date") or "", inv["created_hlc"], inv["id"]))


def approved_invoices(journal: Journal, month: str, target: str, again: bool = False) -> list[dict[str, Any]]:
    """``select`` over the journal itself: what the CLI exports without touching the read model."""
    return select(all_invoices(journal), month, target, again)


def check_month(month: str) -> None:
    if not MONTH.match(month or ""):
        raise ValueError(f"Month '{month}' is not in the form YYYY-MM, e.g. 2026-11.")


# -- marking ------------------------------------------------------------------------------


def _exported_already(conn: sqlite3.Connection, ids: list[str], target: str) -> list[str]:
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT DISTINCT invoice_id FROM events WHERE type='invoice.exported' "
        f"AND json_extract(payload, '$.target')=? AND invoice_id IN ({marks})", (target, *ids)).fetchall()
    return [r[0] for r in rows]


def not_exported_meanwhile(chosen: list[dict[str, Any]], target: str, again: bool):
    """Guard: every invoice is as it was read, and (unless ``again``) not yet exported to ``target``."""

    def guard(conn: sqlite3.Connection) -> None:
        ids = [inv["id"] for inv in chosen]
        for start in range(0, len(ids), 500):  # SQLite caps host parameters per statement
            done = [] if again else _exported_already(conn, ids[start:start + 500], target)
            if done:
                raise Rejected("already_exported",
                               f"{len(done)} of these invoices were exported to {target} meanwhile by another "
                               f"export; nothing was written. Run the export again to take what is left.")
        changed = [inv["id"] for inv in chosen if invoices.current_version(conn, inv["id"]) != inv["version"]]
        if changed:
            raise Rejected("changed_meanwhile",
                           f"{len(changed)} invoice(s) changed while exporting (e.g. {changed[0]}); "
                           f"nothing was written. Run the export again.")

    return guard


Companions = Callable[[str, list[dict[str, Any]]], list[tuple]]


def mark_exported(journal: Journal, chosen: list[dict[str, Any]], target: str, *, again: bool = False,
                  actor: str = "system", export_id: str | None = None, extra: dict[str, Any] | None = None,
                  companions: Companions | None = None) -> str:
    """Append ``invoice.exported`` for each invoice in one guarded transaction; returns the export id.

    ``companions(export_id, invoices)`` may add events that must commit with the marks (the
    webhook's pending delivery), as ``append_many`` tuples.
    """
    export_id = export_id or uuid.uuid4().hex
    payload = {"target": target, "export_id": export_id, **({"again": True} if again else {}), **(extra or {})}
    items = [("invoice.exported", payload, inv["id"], actor, f"export-{export_id}-{inv['id']}", None)
             for inv in chosen]
    if companions is not None:
        items += companions(export_id, chosen)
    if chosen:
        journal.append_many(items, guard=not_exported_meanwhile(chosen, target, again))
    return export_id


# -- one export run: file written, invoices marked, in the order that never double-exports ---


@dataclass
class ExportRun:
    target: str
    month: str
    export_id: str | None
    invoices: list[dict[str, Any]] = field(default_factory=list)
    path: Path | None = None
    data: bytes = b""

    @property
    def count(self) -> int:
        return len(self.invoices)


def export_to_file(journal: Journal, target: str, month: str, out: Path | None,
                   render: Callable[[list[dict[str, Any]]], bytes], *, again: bool = False,
                   actor: str = "system", rows: Iterable[dict[str, Any]] | None = None,
                   extra: dict[str, Any] | None = None, companions: Companions | None = None) -> ExportRun:
    """Select, render, mark, publish.

    The file is rendered and fsynced under a temporary name first, then the invoices are
    marked (the guard may refuse: the temp file is removed and nothing is exported), and only
    then is the file renamed into place. A crash between marking and renaming leaves invoices
    marked without a file, which ``--again`` repairs; the reverse order could export twice.
    ``rows`` lets the web pass read-model invoices instead of folding the journal.
    """
    chosen = select(rows, month, target, again) if rows is not None else approved_invoices(journal, month, target, again)
    if not chosen:
        return ExportRun(target, month, None)
    data = render(chosen)
    tmp = None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    try:
        export_id = mark_exported(journal, chosen, target, again=again, actor=actor, extra=extra,
                                  companions=companions)
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
    if tmp is not None and out is not None:
        os.replace(tmp, out)
        fsync_dir(out.parent)
    return ExportRun(target, month, export_id, chosen, out, data)
