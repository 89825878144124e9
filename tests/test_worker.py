"""The worker turns received invoices into exactly one result each, and gives up after 3 tries."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import pytest
from PIL import Image, ImageDraw, ImageFont

from appliance import invoices
from appliance.worker import Worker, backlog, boot_id

FONT = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"


def invoice_png() -> bytes:
    image = Image.new("RGB", (1240, 900), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 30)
    lines = ["Rupsha Electric Co.", "BIN: 003135792-0402", "Invoice No: RE-2291", "Date: 14/11/2026", "",
             "Subtotal 1,20,000.00", "VAT 15% 18,000.00", "Total 1,38,000.00"]
    for i, text in enumerate(lines):
        draw.text((80, 60 + i * 60), text, fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def receive(box, invoice_id: str, data: bytes) -> None:
    sha = box.blobs.put(data)
    box.journal.append("invoice.received", {"sha256": sha, "filename": f"{invoice_id}.png",
                                            "content_type": "image/png", "size": len(data), "pages": 1},
                       invoice_id=invoice_id, actor="ana")


def results(box, invoice_id: str) -> list[str]:
    return [e.type for e in box.journal.events_for(invoice_id) if e.type in invoices.RESULT_TYPES]


def test_received_invoice_is_extracted_once_with_real_ocr(box):
    receive(box, "i1", invoice_png())
    worker = Worker(box.settings.model_copy(update={"use_llm": False}), box.journal, box.blobs)
    assert worker.drain() == 1
    assert results(box, "i1") == ["invoice.extracted"]
    result = [e for e in box.journal.events_for("i1") if e.type == "invoice.extracted"][0].payload["result"]
    assert result["supplier_bin"] == "003135792-0402"
    assert result["total"] == 138000.0
    assert backlog(box.journal) == []
    assert worker.drain() == 0  # nothing is extracted a second time


def test_unreadable_file_fails_with_a_reason_for_manual_entry(box):
    receive(box, "i1", b"%PDF-1.4 this is not really a pdf")
    Worker(box.settings.model_copy(update={"use_llm": False}), box.journal, box.blobs).drain()
    failed = [e for e in box.journal.events_for("i1") if e.type == "invoice.failed"]
    assert len(failed) == 1 and failed[0].payload["error"]


def test_invoice_that_crashed_the_worker_three_times_is_failed_not_retried(box):
    receive(box, "i1", invoice_png())
    for attempt in (1, 2, 3):  # three attempts that never finished (the worker died mid-way)
        box.journal.append("invoice.processing", {"attempt": attempt}, invoice_id="i1", actor="worker")
    [(invoice_id, sha, name, attempts)] = backlog(box.journal)
    assert attempts == 3
    status = Worker(box.settings, box.journal, box.blobs).process(invoice_id, sha, name, attempts)
    assert status == invoices.FAILED
    assert "3 attempts" in box.journal.events_for("i1")[-1].payload["error"]


def test_attempts_cut_short_by_a_power_cut_are_not_held_against_the_file(box):
    receive(box, "i1", invoice_png())
    for attempt in (1, 2, 3):  # three attempts, each ended by a power cut (a new boot id followed)
        box.journal.append("invoice.processing", {"attempt": attempt, "boot": f"earlier-boot-{attempt}"},
                           invoice_id="i1", actor="worker")
    [(_, _, _, attempts)] = backlog(box.journal)
    assert attempts == 0
    box.journal.append("invoice.processing", {"attempt": 4, "boot": boot_id()}, invoice_id="i1", actor="worker")
    assert backlog(box.journal)[0][3] == 1  # a crash in this boot counts
    worker = Worker(box.settings.model_copy(update={"use_llm": False}), box.journal, box.blobs)
    assert worker.drain() == 1
    assert results(box, "i1") == ["invoice.extracted"]


@pytest.mark.slow
def test_worker_process_exits_cleanly_on_sigterm_and_resumes_backlog(box, tmp_path):
    for i in range(3):
        receive(box, f"i{i}", invoice_png()[:-1] + bytes([i]))
    env = {**os.environ, "HISAB_DATA_DIR": str(box.settings.data_dir), "HISAB_DEVICE_ID": "box-test",
           "HISAB_USE_LLM": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "appliance", "worker"], env=env)
    deadline = time.time() + 120
    while time.time() < deadline and not any(results(box, f"i{i}") for i in range(3)):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    subprocess.run([sys.executable, "-m", "appliance", "worker", "--once"], env=env, check=True, timeout=300)
    assert all(len(results(box, f"i{i}")) == 1 for i in range(3))
