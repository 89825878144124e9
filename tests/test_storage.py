"""The storage guard on a real, small filesystem: a size-limited tmpfs as the data dir.

Filled to the brim, the box refuses uploads and edits with a sentence a person can act on,
keeps serving reads, searches and exports, and leaves read-only by itself when space
returns. At the warning level it replaces only synced, approved originals by thumbnails.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from PIL import Image

from appliance import config, storage, users
from appliance.box import open_box
from tests.conftest_web import bearer, render_invoice

MB = 1024 * 1024


def _mount(path: Path, size_mb: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a size-limited tmpfs here (needs root / CAP_SYS_ADMIN): {done.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path):
    """An 8 MB filesystem; unmounted after the test."""
    mount = tmp_path / "disk"
    _mount(mount, 8)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def web_settings(small_disk):
    # overrides tests/conftest_web.py's: the web box lives on the small disk
    return config.parse({"data_dir": small_disk, "device_id": "box-test", "max_upload_mb": 2,
                         "use_llm": False, "poll_seconds": 0.2, "storage_reserve_mb": 1,
                         "storage_resume_mb": 1, "storage_warn_percent": 80, "storage_readonly_percent": 95})


def fill(data_dir: Path, leave_bytes: int = 0) -> Path:
    """Write a filler file until the disk is full to the brim (or only ``leave_bytes`` remain)."""
    filler = data_dir / f"filler-{uuid.uuid4().hex[:6]}"
    block = os.urandom(64 * 1024)
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            st = os.statvfs(data_dir)
            room = st.f_bavail * st.f_frsize - leave_bytes
            if leave_bytes and room <= 0:
                break
            os.write(fd, block[: max(1, min(len(block), room))] if leave_bytes else block)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def _upload(client, token, data: bytes):
    name = "invoice.jpg" if data[:3] == b"\xff\xd8\xff" else "invoice.png"
    return client.post("/api/v1/invoices", headers=bearer(token), data={"file": (io.BytesIO(data), name)})


def _edit(client, token, invoice_id: str, fields: dict):
    version = client.get(f"/api/v1/invoices/{invoice_id}", headers=bearer(token)).json["version"]
    return client.patch(f"/api/v1/invoices/{invoice_id}", json=fields,
                        headers=bearer(token, **{"If-Match": str(version)}))


def test_full_disk_refuses_uploads_and_edits_keeps_reads_and_exports_and_recovers_by_itself(
        client, staff_token, webbox_, web_settings, tmp_path):
    owner_token = users.create_token(webbox_.journal, "owner", label="tests")
    webbox_.readmodel.catch_up()
    image = render_invoice(fmt="JPEG")
    first = _upload(client, staff_token, image)
    assert first.status_code == 201
    invoice_id = first.json["id"]
    assert _edit(client, staff_token, invoice_id, {"invoice_date": "2024-03-12", "supplier_name": "Rahman Traders",
                                                   "invoice_number": "INV-1", "subtotal": 100.0,
                                                   "vat_amount": 15.0, "total": 115.0}).status_code == 200
    assert client.post(f"/api/v1/invoices/{invoice_id}/approve", headers=bearer(owner_token)).status_code == 200
    assert storage.ensure_reserve(web_settings)

    filler = fill(web_settings.data_dir)
    state = storage.check(web_settings.data_dir, web_settings)
    print(f"\nfull: {state.percent_used}% used, {state.free_bytes} bytes free, level {state.level}")
    assert state.level == storage.READONLY
    assert storage.is_read_only(web_settings)
    seq = webbox_.journal.last_seq()

    refused = _upload(client, staff_token, render_invoice(number="INV-2", fmt="JPEG"))
    assert refused.status_code == 507, refused.json
    assert "read-only" in refused.json["error"] and "exporting still work" in refused.json["error"]
    edit = _edit(client, staff_token, invoice_id, {"note": "typed while the disk was full"})
    assert edit.status_code == 507 and "read-only" in edit.json["error"]
    assert webbox_.journal.last_seq() == seq, "a refused write must store nothing"

    # reads and searches still work
    got = client.get(f"/api/v1/invoices/{invoice_id}", headers=bearer(staff_token))
    assert got.status_code == 200 and got.json["fields"]["total"] == 115.0
    assert client.get(f"/api/v1/invoices/{invoice_id}/image", headers=bearer(staff_token)).data == image
    listed = client.get("/api/v1/invoices?q=rahman", headers=bearer(staff_token))
    assert listed.status_code == 200 and listed.json["total"] == 1
    # exports still work: the file goes off the full disk, the small `exported` mark fits in the reserve
    from click.testing import CliRunner

    from appliance.cli import main

    out = tmp_path / "march.csv"
    ran = CliRunner().invoke(main, ["export", "csv", "--month", "2024-03", "--out", str(out),
                                    "--data-dir", str(web_settings.data_dir)])
    assert ran.exit_code == 0, ran.output
    assert "INV-1" in out.read_text()

    # space returns: the box leaves read-only by itself
    filler.unlink()
    assert not storage.is_read_only(web_settings)
    assert _upload(client, staff_token, render_invoice(number="INV-3", fmt="JPEG")).status_code == 201


def test_a_write_that_hits_enospc_turns_the_box_read_only_until_space_returns(
        client, staff_token, webbox_, web_settings):
    webbox_.readmodel.catch_up()
    settings = web_settings.model_copy(update={"storage_readonly_percent": 100.0, "storage_reserve_mb": 0})
    webbox_.settings = settings
    filler = fill(settings.data_dir, leave_bytes=150 * 1024)
    assert storage.check(settings.data_dir, settings).level == storage.WARNING
    big = _jpeg(1, size=600)  # photo noise: far more than the 150 KB free
    assert len(big) > 300 * 1024
    refused = _upload(client, staff_token, big)
    assert refused.status_code == 507 and "read-only" in refused.json["error"]
    assert not [p for p in settings.blobs_dir.rglob("*") if p.is_file()], "no half-written original left"
    assert storage.is_read_only(settings), "after ENOSPC the box stays read-only, not just that one request"
    small = _upload(client, staff_token, render_invoice(number="INV-S", fmt="JPEG"))
    assert small.status_code == 507
    filler.unlink()
    assert not storage.is_read_only(settings)
    assert _upload(client, staff_token, big).status_code == 201


def _jpeg(seed: int, size: int = 700) -> bytes:
    img = Image.frombytes("RGB", (size, size), os.urandom(size * size * 3))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95)
    return out.getvalue()


def test_warning_level_alerts_once_and_replaces_only_synced_approved_originals(small_disk):
    settings = config.parse({"data_dir": small_disk, "device_id": "box-test", "storage_reserve_mb": 0,
                             "storage_warn_percent": 50, "storage_readonly_percent": 95})
    box = open_box(settings)
    kinds = {}
    for name in ("synced_approved", "synced_exported", "synced_unapproved", "unsynced_approved",
                 "approved_then_edited"):
        data = _jpeg(len(kinds))
        sha = box.blobs.put(data)
        inv = name
        box.journal.append("invoice.received", {"sha256": sha, "size": len(data)}, invoice_id=inv)
        kinds[name] = (sha, data)
    for inv in ("synced_approved", "synced_exported", "approved_then_edited"):
        box.journal.append("invoice.approved", {}, invoice_id=inv)
    box.journal.append("invoice.exported", {"target": "csv"}, invoice_id="synced_exported")
    box.journal.append("invoice.edited", {"fields": {"total": 5}}, invoice_id="approved_then_edited")
    box.journal.set_cursor(storage.RELAY_CURSOR, box.journal.last_seq())
    box.journal.append("invoice.approved", {}, invoice_id="unsynced_approved")  # not yet at the hub

    assert storage.guard(settings, box.journal, box.blobs).level == storage.OK
    filler = fill(small_disk, leave_bytes=int(3.5 * MB))  # above 50 %
    before = storage.check(small_disk, settings)
    assert before.level == storage.WARNING
    after = storage.guard(settings, box.journal, box.blobs)
    print(f"\nwarning: {before.percent_used}% → {after.percent_used}% after cleanup")
    removed = {e.invoice_id for e in box.journal.read_after(0) if e.type == "invoice.original_removed"}
    assert removed == {"synced_approved", "synced_exported"}
    for name, (sha, data) in kinds.items():
        if name in removed:
            assert not box.blobs.exists(sha)
            thumb = storage.thumb_path(settings, sha)
            assert thumb.is_file() and thumb.stat().st_size < len(data) / 4
            assert Image.open(thumb).size[0] <= settings.thumbnail_px
        else:
            assert box.blobs.get(sha) == data, f"{name} must keep its original"
    def alerts() -> list[str]:
        return [e.type for e in box.journal.read_after(0) if e.type.startswith("box.storage")]

    # the cleanup brought the disk back under the line: warned once, then recovered
    assert after.level == storage.OK
    assert alerts() == ["box.storage_warning", "box.storage_recovered"]
    warning = next(e for e in box.journal.read_after(0) if e.type == "box.storage_warning")
    assert "Disk is" in warning.payload["message"] and warning.payload["level"] == "warning"
    storage.guard(settings, box.journal, box.blobs)
    assert len(alerts()) == 2, "no alert while nothing crossed"
    # a second crossing, with nothing left that may be removed: one more warning, then none
    more = fill(small_disk, leave_bytes=int(3 * MB))
    for _ in range(3):
        assert storage.guard(settings, box.journal, box.blobs).level == storage.WARNING
    assert alerts() == ["box.storage_warning", "box.storage_recovered", "box.storage_warning"]
    assert box.blobs.get(kinds["unsynced_approved"][0]) == kinds["unsynced_approved"][1]
    more.unlink()
    filler.unlink()
    box.close()
