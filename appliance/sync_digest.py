"""Compact digests of a journal, per month and per invoice version, shared by the relay and the hub.

Owns the one definition both sides compute over their copy of a box's public events with
seq <= an upper bound: a month (UTC, from the event's HLC wall time) → each invoice (or
``-`` for events about no invoice) → the seqs of its events. A month digest is 16 hex of
SHA-256 over its invoices' digests; an invoice's digest is 16 hex over its seq list, so a
lost, extra or different event in any version of any invoice changes its month's digest.
Pure functions: no I/O, no MQTT, no database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

PRIVATE_PREFIXES = ("user.", "token.")  # never uploaded, so never in a digest


def month_of(hlc: str) -> str:
    try:
        ms = int(hlc.split("-", 1)[0])
    except (ValueError, AttributeError):
        return "0000-00"
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m")


def group(rows: Iterable[tuple[int, str, str | None]]) -> dict[str, dict[str, list[int]]]:
    """(seq, hlc, invoice_id) rows → month → invoice key → sorted seqs."""
    out: dict[str, dict[str, list[int]]] = {}
    for seq, hlc, invoice_id in rows:
        out.setdefault(month_of(hlc), {}).setdefault(invoice_id or "-", []).append(int(seq))
    for invoices in out.values():
        for seqs in invoices.values():
            seqs.sort()
    return out


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def invoice_digests(invoices: dict[str, list[int]]) -> dict[str, str]:
    return {key: _h(",".join(map(str, seqs))) for key, seqs in invoices.items()}


def month_digests(grouped: dict[str, dict[str, list[int]]]) -> dict[str, str]:
    return {month: _h("\n".join(f"{k}={d}" for k, d in sorted(invoice_digests(inv).items())))
            for month, inv in grouped.items()}


def differing(mine: dict[str, str], theirs: dict[str, str]) -> list[str]:
    return sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
