"""The worker process: turns received invoices into extraction results in the journal.

Repair, drain, then wait: on start it settles what a crash left (attempts are journal
events, so an invoice that killed the worker three times is marked failed instead of
retried forever; only attempts of the running boot count, so the shop's power cuts
are not blamed on a file), takes the backlog oldest first, then re-scans on a timer. Extraction
itself is a pure function (appliance.ocr); this loop only moves bytes and events.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from pathlib import Path

from appliance import invoices, storage
from appliance.box import open_box
from appliance.config import Settings
from appliance.lifecycle import Process
from appliance.queue.blobs import BlobStore
from appliance.queue.journal import Journal, Rejected

log = logging.getLogger(__name__)

BACKLOG_SQL = """
SELECT r.invoice_id, json_extract(r.payload, '$.sha256'), json_extract(r.payload, '$.filename'),
       (SELECT count(*) FROM events p WHERE p.invoice_id = r.invoice_id AND p.type = 'invoice.processing'
        AND coalesce(json_extract(p.payload, '$.boot'), ?1) = ?1)
FROM events r
WHERE r.type = 'invoice.received'
  AND NOT EXISTS (SELECT 1 FROM events x WHERE x.invoice_id = r.invoice_id
                  AND x.type IN ('invoice.extracted', 'invoice.failed'))
ORDER BY r.seq
"""


@functools.cache
def boot_id() -> str:
    """This boot of the machine (a power cut starts a new one); "" where the kernel does not say."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def backlog(journal: Journal, boot: str | None = None) -> list[tuple[str, str, str, int]]:
    """Invoices received and still without a result: (id, sha256, filename, attempts this boot)."""
    return journal.query(BACKLOG_SQL, (boot_id() if boot is None else boot,))


def known_suppliers(journal: Journal) -> tuple:
    """The supplier list as the journal has it (the worker never opens the read model)."""
    from appliance.ocr import Supplier
    from appliance.readmodel import supplier_key

    table: dict[str, dict] = {}
    for (type_, payload) in journal.query(
            "SELECT type, payload FROM events WHERE type LIKE 'supplier.%' ORDER BY seq"):
        p = json.loads(payload)
        if type_ == "supplier.upserted":
            table[supplier_key(p.get("name"), p.get("bin"))] = p
        elif type_ == "supplier.deleted":
            table.pop(p.get("key"), None)
    return tuple(Supplier(name=p.get("name") or "", bin=p.get("bin"), address=p.get("address"),
                          vat_rate=p.get("vat_rate")) for p in table.values())


class Worker:
    def __init__(self, settings: Settings, journal: Journal, blobs: BlobStore):
        self.settings = settings
        self.journal = journal
        self.blobs = blobs
        self._extractor = None
        self._suppliers_seq = -1

    def _extractor_for_now(self):
        from appliance.ocr import ExtractOptions, Extractor

        latest = self.journal.query("SELECT coalesce(max(seq), 0) FROM events WHERE type LIKE 'supplier.%'")[0][0]
        if self._extractor is None or latest != self._suppliers_seq:
            options = ExtractOptions(use_llm=self.settings.use_llm, model_path=self.settings.model_path,
                                     tesseract_timeout_s=self.settings.tesseract_timeout_s,
                                     suppliers=known_suppliers(self.journal), threads=self.settings.worker_threads)
            previous = self._extractor
            self._extractor = Extractor(options)
            if previous is not None and hasattr(previous, "share_model_with"):
                previous.share_model_with(self._extractor)
            self._suppliers_seq = latest
        return self._extractor

    def process(self, invoice_id: str, sha256: str, filename: str, attempts: int) -> str:
        """Run one invoice; returns the status it ended in."""
        if attempts >= self.settings.max_attempts:
            return self._fail(invoice_id, f"Gave up after {attempts} attempts: reading this file crashed or "
                                          "hung the reader. Enter the invoice by hand.", attempts)
        attempt = attempts + 1
        self.journal.append("invoice.processing", {"attempt": attempt, "boot": boot_id()}, invoice_id=invoice_id, actor="worker")
        started = time.monotonic()
        try:
            data = self.blobs.get(sha256)
        except FileNotFoundError:
            return self._fail(invoice_id, "The original file is missing from the box; upload it again.", attempt)
        result = self._extractor_for_now().extract(data, filename or invoice_id)
        if result.get("error"):
            return self._fail(invoice_id, result["error"], attempt, result)
        try:
            self.journal.append("invoice.extracted", {"result": result}, invoice_id=invoice_id, actor="worker",
                                guard=invoices.no_result_yet(invoice_id))
        except Rejected:
            return "duplicate-result-refused"
        log.info("event=extracted invoice=%s seconds=%.1f review=%s", invoice_id,
                 time.monotonic() - started, result.get("needs_review"))
        return invoices.EXTRACTED

    def _fail(self, invoice_id: str, error: str, attempts: int, result: dict | None = None) -> str:
        try:
            self.journal.append("invoice.failed", {"error": error, "attempts": attempts, "result": result},
                                invoice_id=invoice_id, actor="worker", guard=invoices.no_result_yet(invoice_id))
        except Rejected:
            return "duplicate-result-refused"
        log.warning("event=failed invoice=%s error=%s", invoice_id, error)
        return invoices.FAILED

    def drain(self, process: Process | None = None) -> int:
        done = 0
        pending = backlog(self.journal)
        for invoice_id, sha256, filename, attempts in pending:
            if process and process.stop.is_set():
                break
            self.process(invoice_id, sha256, filename, attempts)
            done += 1
            if process:  # what is left of this scan; the next scan counts new arrivals
                process.beat(backlog=len(pending) - done)
        return done


def main(settings: Settings, once: bool = False) -> None:
    process = Process("worker", settings.data_dir, nice=5)
    box = open_box(settings)
    journal, blobs = box.journal, box.blobs
    removed = blobs.clean_temp()
    if removed:
        log.info("event=repair temp_files_removed=%d", removed)
    worker = Worker(box.settings, journal, blobs)
    process.ready()
    next_storage_check = 0.0
    while not process.stop.is_set():
        if time.monotonic() >= next_storage_check:  # the storage guard rides on the worker's timer
            next_storage_check = time.monotonic() + settings.storage_check_seconds
            try:
                storage.guard(box.settings, journal, blobs, should_stop=process.stop.is_set)
            except Exception:  # noqa: BLE001 - a failed check must never stop extraction
                log.exception("event=storage_guard_failed")
        worker.drain(process)
        process.beat(backlog=len(backlog(journal)))
        if once:
            break
        process.stop.wait(settings.poll_seconds)
    journal.close()
    log.info("process=worker stopped")
