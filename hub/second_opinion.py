"""The hub's second opinion: re-read what a box doubted, with more compute, and suggest — never edit.

Owns table ``second_opinions`` and the ``invoice.suggested`` downlink events it queues.
For an invoice that arrived flagged (``needs_review`` reasons, a field below 0.8 confidence,
failed or unreadable) whose original is at the hub: the same pipeline (``appliance.ocr``)
runs in several variants — higher resolution, other Tesseract page-segmentation modes,
other preprocessing (upscaled, contrast-equalised) — and a larger LLM behind an
OpenAI-compatible endpoint reads the OCR text; per field, the values vote (weighted by each
reader's confidence). A winner backed by at least two readers that differs from what the
box has becomes a suggestion for a flagged field. Never for an approved/exported invoice,
nor a field a person typed, accepted or dismissed: a person's value is never touched.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from collections import defaultdict
from typing import Any

import cv2
import numpy as np
import psycopg
import requests
from PIL import Image
from psycopg.types.json import Jsonb

from appliance.ocr import ExtractOptions, Extractor
from appliance.queue.hlc import Clock
from hub import blobs, db
from hub.merge import queue_downlink

log = logging.getLogger("hisab.hub.second_opinion")

FIELDS = ("supplier_name", "supplier_bin", "invoice_number", "invoice_date", "due_date", "subtotal", "vat_rate",
          "vat_amount", "total")
AMOUNTS = {"subtotal", "vat_rate", "vat_amount", "total"}
DOC_REASONS = ("document:", "arithmetic:")
LOW = 0.8
MACHINE_ACTORS = ("worker", "system")


# -- flagged? ------------------------------------------------------------------------------


def flagged_fields(result: dict[str, Any] | None, failed: bool) -> set[str]:
    """The fields the box doubted; a document-level doubt flags every field."""
    if failed or result is None:
        return set(FIELDS)
    out: set[str] = set()
    for reason in result.get("needs_review") or []:
        head = reason.split(":", 1)[0]
        if reason.startswith(DOC_REASONS) or head not in FIELDS + ("line_items", "supplier", "discount", "currency"):
            return set(FIELDS)
        if head in FIELDS:
            out.add(head)
        elif head == "supplier":
            out |= {"supplier_name", "supplier_bin"}
        elif head in ("line_items", "discount"):
            out |= {"subtotal", "total"}
    for name, conf in (result.get("confidence") or {}).items():
        if name in FIELDS and isinstance(conf, (int, float)) and conf < LOW:
            out.add(name)
    for name in FIELDS:  # a field the box left empty is a doubt too
        if result.get(name) is None and name not in ("due_date",):
            out.add(name)
    return out


# -- reading, heavier ----------------------------------------------------------------------


def _norm(name: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if name in AMOUNTS:
        try:
            return round(float(str(value).replace(",", "")), 2)
        except ValueError:
            return None
    return " ".join(str(value).split())


def _key(name: str, value: Any) -> Any:
    v = _norm(name, value)
    return v.casefold() if isinstance(v, str) and name == "supplier_name" else v


def _image_variant(data: bytes, kind: str) -> bytes:
    img = Image.open(io.BytesIO(data))
    img.load()
    gray = np.asarray(img.convert("L"))
    if kind == "upscale":
        gray = cv2.resize(gray, None, fx=1.6, fy=1.6, interpolation=cv2.INTER_CUBIC)
    elif kind == "clahe":
        gray = cv2.createCLAHE(clipLimit=2.5, tileGridSize=(8, 8)).apply(gray)
    ok, png = cv2.imencode(".png", gray)
    return png.tobytes() if ok else data


def _is_pdf(data: bytes) -> bool:
    return data[:5] == b"%PDF-"


class Reader:
    """The heavier configuration: several pipeline variants plus the LLM, voting per field."""

    def __init__(self, llm_url: str | None, llm_model: str = "local", threads: int = 2, llm_timeout_s: float = 180.0):
        self.llm_url = llm_url
        self.llm_model = llm_model
        self.threads = threads
        self.llm_timeout_s = llm_timeout_s

    def variants(self, data: bytes) -> list[tuple[str, bytes, ExtractOptions]]:
        base = dict(use_llm=False, threads=self.threads, tesseract_timeout_s=120.0)
        if _is_pdf(data):
            return [("dpi400-psm3", data, ExtractOptions(dpi=400, psm=3, **base)),
                    ("dpi400-psm6", data, ExtractOptions(dpi=400, psm=6, **base)),
                    ("dpi300-psm4", data, ExtractOptions(dpi=300, psm=4, **base))]
        original = [("original-psm3", data, ExtractOptions(psm=3, **base))]
        try:
            return original + [("upscaled-psm6", _image_variant(data, "upscale"), ExtractOptions(psm=6, **base)),
                               ("clahe-psm4", _image_variant(data, "clahe"), ExtractOptions(psm=4, **base))]
        except (OSError, ValueError):  # not an image (PIL's UnidentifiedImageError is an OSError): the
            return original  # extractor's own reading says why, as it did on the box

    def read(self, data: bytes, source: str, wanted: set[str]) -> dict[str, Any]:
        """→ {"fields": {name: {"value", "confidence", "votes"}}, "readers": [...], "seconds"}."""
        started = time.monotonic()
        votes: dict[str, list[tuple[Any, float, str]]] = defaultdict(list)
        readers = []
        text = ""
        for name, blob, options in self.variants(data):
            src = source if blob is data else source.rsplit(".", 1)[0] + "-variant.png"  # variants are PNGs
            try:
                extractor = Extractor(options)
                result = extractor.extract(blob, src)
                if name.endswith("psm6") and self.llm_url:
                    text = extractor.read_text(blob, src) if not text else text
            except Exception as exc:  # noqa: BLE001 - one variant failing must not sink the others
                log.warning("second_opinion.variant_failed %s: %s", name, exc)
                continue
            readers.append(name)
            conf = result.get("confidence") or {}
            for f in FIELDS:
                v = _norm(f, result.get(f))
                if v is not None:
                    votes[f].append((v, float(conf.get(f, 0.5)), name))
        if self.llm_url and text.strip():
            for f, v in self.ask_llm(text, sorted(wanted)).items():
                votes[f].append((v, 0.6, "llm"))
            readers.append("llm")
        fields = {}
        for f, vs in votes.items():
            tally: dict[Any, list[tuple[Any, float, str]]] = defaultdict(list)
            for v, c, who in vs:
                tally[_key(f, v)].append((v, c, who))
            best_key = max(tally, key=lambda k: (len({w for _v, _c, w in tally[k]}), sum(c for _v, c, _w in tally[k])))
            backers = tally[best_key]
            total = sum(max(c, 0.05) for _v, c, _w in vs)
            share = sum(max(c, 0.05) for _v, c, _w in backers) / total
            fields[f] = {"value": backers[0][0], "votes": sorted({w for _v, _c, w in backers}),
                         "confidence": round(share * min(1.0, len({w for *_x, w in backers}) / 3), 3)}
        return {"fields": fields, "readers": readers, "seconds": round(time.monotonic() - started, 1)}

    def ask_llm(self, text: str, wanted: list[str]) -> dict[str, Any]:
        """The larger model's reading of the OCR text; a value it gives must be printed on the page."""
        wanted = [f for f in wanted if f in FIELDS] or list(FIELDS)
        props = {f: ({"type": ["number", "null"]} if f in AMOUNTS else {"type": ["string", "null"]}) for f in wanted}
        prompt = ("Read this OCR text of a Bangladeshi purchase invoice and give these fields as JSON: "
                  + ", ".join(wanted) + ". Dates as YYYY-MM-DD, amounts as plain numbers, null when absent.\n\n"
                  + text[:3000])
        try:
            r = requests.post(f"{self.llm_url.rstrip('/')}/v1/chat/completions", timeout=self.llm_timeout_s, json={
                "model": self.llm_model, "temperature": 0, "max_tokens": 200,
                "messages": [{"role": "user", "content": prompt}],
                "response_format": {"type": "json_object",
                                    "schema": {"type": "object", "properties": props, "required": wanted}}})
            r.raise_for_status()
            answer = json.loads(r.json()["choices"][0]["message"]["content"])
        except (requests.RequestException, ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("second_opinion.llm_failed: %s", exc)
            return {}
        flat = re.sub(r"[\s,]", "", text)
        out = {}
        for f in wanted:
            v = _norm(f, answer.get(f)) if isinstance(answer, dict) else None
            if v is None:
                continue
            probe = (f"{v:.2f}".rstrip("0").rstrip(".") if f in AMOUNTS else re.sub(r"\s", "", str(v)))
            if len(probe) >= 3 and probe in flat:  # never a value invented by the model (nor a stray digit)
                out[f] = v
        return out


# -- deciding and sending ----------------------------------------------------------------


def suggestions_for(hub_fields: dict[str, Any], box_fields: dict[str, Any], flagged: set[str],
                    locked: set[str], min_confidence: float = 0.3) -> list[dict[str, Any]]:
    out = []
    for f in sorted(flagged - locked):
        got = hub_fields.get(f)
        if not got or len(got["votes"]) < 2 or got["confidence"] < min_confidence:
            continue
        if _key(f, got["value"]) == _key(f, box_fields.get(f)):
            continue  # the box already has it: nothing to suggest
        out.append({"field": f, "value": got["value"], "confidence": got["confidence"], "source": "hub",
                    "box_value": box_fields.get(f)})
    return out


def _state(conn: psycopg.Connection, device: str, invoice_id: str) -> tuple[dict | None, bool, set[str], str | None]:
    """(box result, failed, fields a person decided, status at the hub)."""
    result, failed, locked = None, False, set()
    for e in conn.execute("SELECT type, actor, payload FROM events WHERE device_id=%s AND invoice_id=%s ORDER BY seq",
                          (device, invoice_id)):
        p = e["payload"] or {}
        if e["type"] == "invoice.extracted":
            result, failed = p.get("result") or {}, False
        elif e["type"] == "invoice.failed":
            failed = True
        elif e["type"] == "invoice.edited" and not e["actor"].startswith(MACHINE_ACTORS):
            locked |= set((p.get("fields") or {}).keys())
        elif e["type"] == "invoice.suggestion_decided":
            locked.add(p.get("field"))
    row = conn.execute("SELECT status FROM invoices WHERE device_id=%s AND invoice_id=%s", (device, invoice_id)).fetchone()
    return result, failed, locked, row["status"] if row else None


class SecondOpinion:
    """One loop: claim a waiting invoice, read it heavier, queue suggestions. Several may run (SKIP LOCKED)."""

    def __init__(self, database_url: str, reader: Reader, poll_s: float = 1.0):
        self.database_url = database_url
        self.reader = reader
        self.poll_s = poll_s
        self.stats = {"done": 0, "skipped": 0, "suggested": 0, "failed": 0}

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                with db.connect(self.database_url, autocommit=True) as conn:
                    while not stop.is_set():
                        if not self.run_once(conn):
                            stop.wait(self.poll_s)
            except psycopg.OperationalError as exc:
                log.error("second_opinion.database_unavailable: %s", exc)
                stop.wait(5)

    def run_once(self, conn: psycopg.Connection) -> bool:
        with conn.transaction():
            row = conn.execute(
                "UPDATE second_opinions s SET state='running' FROM (SELECT device_id, invoice_id FROM second_opinions "
                "WHERE state='waiting' AND created_at <= now() ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1) w "
                "WHERE s.device_id=w.device_id AND s.invoice_id=w.invoice_id RETURNING s.*").fetchone()
        if row is None:
            return False
        device, invoice_id = row["device_id"], row["invoice_id"]
        result, failed, locked, status = _state(conn, device, invoice_id)
        if result is None and not failed:  # the box has not read it yet: look again later
            conn.execute("UPDATE second_opinions SET state='waiting', created_at=now() + interval '5 seconds' "
                         "WHERE device_id=%s AND invoice_id=%s", (device, invoice_id))
            return True
        flagged = flagged_fields(result, failed)
        if not flagged or status in ("approved", "exported"):
            conn.execute("UPDATE second_opinions SET state='skipped', finished_at=now() WHERE device_id=%s "
                         "AND invoice_id=%s", (device, invoice_id))
            self.stats["skipped"] += 1
            return True
        data = blobs.original(conn, device, row["sha256"])
        try:
            reading = self.reader.read(data, f"hub:{invoice_id}", flagged)
        except Exception as exc:  # noqa: BLE001 - recorded, visible on the dashboard
            log.exception("second_opinion.failed invoice=%s", invoice_id)
            conn.execute("UPDATE second_opinions SET state='failed', error=%s, finished_at=now() WHERE device_id=%s "
                         "AND invoice_id=%s", (str(exc)[:500], device, invoice_id))
            self.stats["failed"] += 1
            return True
        with conn.transaction():
            inv = conn.execute("SELECT status, fields, suggestions FROM invoices WHERE device_id=%s AND invoice_id=%s "
                               "FOR UPDATE", (device, invoice_id)).fetchone()
            # a person may have decided meanwhile: look again inside the transaction
            _r, _f, locked, status = _state(conn, device, invoice_id)
            box_fields = (inv or {}).get("fields") or dict(result or {})
            suggested = [] if status in ("approved", "exported") else suggestions_for(
                reading["fields"], box_fields, flagged, locked)
            hlc = Clock("hub").now()
            for s in suggested:
                queue_downlink(conn, device, "invoice.suggested", s, actor="hub:second-opinion", hlc=hlc,
                               invoice_id=invoice_id)
            if inv is not None and suggested:
                kept = [x for x in inv["suggestions"] if x.get("field") not in {s["field"] for s in suggested}]
                conn.execute("UPDATE invoices SET suggestions=%s, updated_at=now() WHERE device_id=%s AND invoice_id=%s",
                             (Jsonb(kept + suggested), device, invoice_id))
            conn.execute("UPDATE second_opinions SET state='done', reasons=%s, result=%s, suggested=%s, seconds=%s, "
                         "finished_at=now() WHERE device_id=%s AND invoice_id=%s",
                         (Jsonb(sorted(flagged)), Jsonb(reading), Jsonb(suggested), reading["seconds"], device, invoice_id))
        self.stats["done"] += 1
        self.stats["suggested"] += len(suggested)
        log.info("second_opinion.done invoice=%s flagged=%d suggested=%d seconds=%.1f", invoice_id, len(flagged),
                 len(suggested), reading["seconds"])
        return True
