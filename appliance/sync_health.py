"""The box's health check after an outage or a power cut: published with the relay's telemetry,
shown on /api/v1/health and the status page.

Owns four verdicts: the journal's SQLite quick_check; the read model against the journal; disk
(the storage guard's level); clock sanity (the wall clock must not be behind the newest HLC stamp
in the journal, as it is after a boot without RTC or NTP, nor implausibly far ahead).

The read model is compared two ways. In the web process, which alone holds DuckDB, the read
model's counts at its last applied seq (invoices, sum of versions, history rows) must equal the
same counts taken from the journal up to that seq — what a replay would give. Elsewhere (the
relay) only the seq the web last reported in its heartbeat can be compared with the journal's end.
Reads only; never opens DuckDB itself.
"""

from __future__ import annotations

import time
from typing import Any

from appliance import invoices, storage
from appliance.health import journal_check
from appliance.lifecycle import heartbeats
from appliance.queue.journal import Journal

CLOCK_SLACK_S = 120.0
READMODEL_STALE_S = 180.0
_VERSIONED = ",".join(f"'{t}'" for t in invoices.VERSIONED)
# What invoices.apply makes of the journal up to a seq: an invoice per `invoice.received`, a version per
# versioned event, a history row per invoice event — counting only events from the invoice's receipt on.
JOURNAL_DIGEST_SQL = f"""
WITH r AS (SELECT invoice_id, min(seq) AS first FROM events
           WHERE type = 'invoice.received' AND invoice_id IS NOT NULL AND seq <= :upto GROUP BY invoice_id),
     e AS (SELECT e.type FROM events e JOIN r ON r.invoice_id = e.invoice_id
           WHERE e.seq >= r.first AND e.seq <= :upto AND e.type LIKE 'invoice.%')
SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM e WHERE type IN ({_VERSIONED})), (SELECT count(*) FROM e)
"""


def journal_digest(journal: Journal, upto: int) -> tuple[int, int, int]:
    row = journal.query(JOURNAL_DIGEST_SQL.replace(":upto", "?"), (upto, upto))[0]
    return int(row[0]), int(row[1]), int(row[2])


def _readmodel_direct(journal: Journal, readmodel) -> tuple[str, str | None]:
    """(verdict, problem or None) from the read model itself (the web process)."""
    seq, counts = readmodel.digest()
    last = journal.last_seq()  # read after the digest: events appended meanwhile only make it "behind"
    if seq > last:
        return f"ahead: read model at seq {seq}, journal ends at {last}", \
            "read model is ahead of the journal (rebuild it: hisab rebuild)"
    expected = journal_digest(journal, seq)
    if counts != expected:
        names = ("invoices", "versions", "history")
        diff = ", ".join(f"{n} {c} vs {e}" for n, c, e in zip(names, counts, expected, strict=True) if c != e)
        return f"differs at seq {seq}: read model vs journal {diff}", \
            "read model differs from the journal (rebuild it: hisab rebuild)"
    if seq == last:
        return "ok", None
    return f"equal up to seq {seq}; {last - seq} newer events being applied", None


def _readmodel_by_heartbeat(settings, last: int, now: float) -> tuple[str, str | None]:
    web = heartbeats(settings.data_dir).get("web") or {}
    readmodel_seq = web.get("readmodel_seq")
    if readmodel_seq is None:
        return "unknown: the web process has not reported", None
    if readmodel_seq > last:
        return f"ahead: read model at seq {readmodel_seq}, journal ends at {last}", \
            "read model is ahead of the journal (rebuild it: hisab rebuild)"
    if now - float(web.get("at", 0)) < READMODEL_STALE_S:
        return ("ok" if readmodel_seq == last else f"behind by {last - readmodel_seq} events (catching up)"), None
    return f"stale: web last reported {now - float(web.get('at', 0)):.0f}s ago at seq {readmodel_seq}", None


def check(settings, journal: Journal, now: float | None = None, readmodel=None) -> dict[str, Any]:
    """The four verdicts as plain JSON; ``readmodel`` only from the web process (it owns DuckDB)."""
    now = time.time() if now is None else now
    problems: list[str] = []
    quick = journal_check(journal)  # cached per process: a fresh check after every start
    if quick != "ok":
        problems.append(f"journal: {quick}")
    last = journal.last_seq()
    if readmodel is not None:
        verdict, problem = _readmodel_direct(journal, readmodel)
    else:
        verdict, problem = _readmodel_by_heartbeat(settings, last, now)
    if problem:
        problems.append(problem)
    try:
        disk = storage.check(settings.data_dir, settings)
        disk_state = {"level": disk.level, "percent": disk.percent_used, "free_bytes": disk.free_bytes}
        if disk.level == storage.READONLY:
            problems.append("disk full: the box is read-only")
    except OSError as exc:
        disk_state = {"level": "error", "error": str(exc)}
        problems.append(f"disk: {exc}")
    newest = journal.query("SELECT max(hlc) FROM events")[0][0]
    newest_s = int(newest.split("-", 1)[0]) / 1000 if newest else None
    if newest_s is not None and now + CLOCK_SLACK_S < newest_s:
        clock = f"behind: the wall clock is {newest_s - now:.0f}s behind the newest journal stamp (no RTC/NTP?)"
        problems.append("clock is behind the journal")
    elif now > 4102444800:  # 2100-01-01
        clock = "implausible: the wall clock is past 2100"
        problems.append("clock implausible")
    else:
        clock = "ok"
    return {"at": now, "ok": not problems, "problems": problems, "journal_quick_check": quick, "journal_last_seq": last,
            "readmodel": verdict, "disk": disk_state, "clock": clock}
