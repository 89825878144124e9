"""Originals up to the hub: chunked over the relay's MQTT session, content-addressed, resumable.

Why MQTT and not an HTTPS upload: the box already holds one authenticated, TLS, per-device
ACL'd session that only dials out (works behind any shop NAT/CGNAT), with a persistent
session; a second HTTPS endpoint would need its own credential, certificate, port and
retry logic on both sides, for files of ~100-500 KB that chunk well.

Protocol on ``hisab/v1/<device>/up/blobs`` (payload = 4-byte big-endian header length,
JSON header, then raw bytes; no base64):
  offer  {"op": "offer", "sha256", "size", "content_type", "invoice_id"}   (no bytes)
  chunk  {"op": "chunk", "sha256", "offset"} + bytes
The hub answers each on ``down/blobs`` with ``{"sha256", "have", "done"}``: ``have`` is the
contiguous byte count it stored. The relay sends from ``have`` only, so a retried or resumed
upload never sends a byte twice, and an original the hub has already costs one offer. The
hub checks SHA-256 of the assembled file; a mismatch restarts that original from 0.

Owns: cursor ``relay-blobs`` (every original at or below that received-seq is at the hub).
Must never send an original before the hub acknowledged its invoice's events, nor write
anything but that cursor.
"""

from __future__ import annotations

import hashlib
import json
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from appliance.queue.blobs import BlobStore
from appliance.queue.journal import Journal

log = logging.getLogger("hisab.relay.blobs")

CURSOR = "relay-blobs"
CHUNK = 128 * 1024
RECEIVED_SQL = ("SELECT seq, invoice_id, payload FROM events WHERE type='invoice.received' AND seq > ? "
                "ORDER BY seq LIMIT ?")


def pack(header: dict[str, Any], data: bytes = b"") -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack(">I", len(head)) + head + data


def unpack(payload: bytes) -> tuple[dict[str, Any], bytes]:
    (n,) = struct.unpack(">I", payload[:4])
    return json.loads(payload[4:4 + n]), payload[4 + n:]


@dataclass
class Upload:
    seq: int
    invoice_id: str
    sha256: str
    size: int
    content_type: str | None
    data: bytes | None = None
    have: int | None = None  # None until the hub answered the offer
    sent: int = 0
    offered_at: float | None = None
    since: float = field(default_factory=time.monotonic)


class BlobUplink:
    """One original at a time, up to ``window`` chunks in flight; driven by the relay's pump."""

    def __init__(self, journal: Journal, blobs: BlobStore, publish: Callable[[bytes], bool], *,
                 window: int = 4, ack_timeout_s: float = 20.0):
        self.journal = journal
        self.blobs = blobs
        self.publish = publish
        self.window = window
        self.ack_timeout_s = ack_timeout_s
        self.cursor = journal.cursor(CURSOR)
        if not journal.query("SELECT 1 FROM cursors WHERE name=?", (CURSOR,)):
            journal.set_cursor(CURSOR, 0)  # exists from now on: the storage guard waits for it
        self.done: set[int] = set()
        self.current: Upload | None = None
        self.stats = {"offers": 0, "chunks": 0, "bytes": 0, "originals": 0, "missing": 0, "restarts": 0}

    def reset_session(self) -> None:
        """After a reconnect: re-offer the current original (the hub says how much it has)."""
        if self.current is not None:
            self.current.have = self.current.offered_at = None

    def pump(self, events_acked: int, early: set[int], first: list[int]) -> None:
        """Offer/send what the window allows. Only invoices whose events the hub has (seq <= acked, or
        acked by the priority lane), and the time-sensitive ``first`` received-seqs before the rest."""
        now = time.monotonic()
        cur = self.current
        if cur is None:
            cur = self.current = self._next(events_acked, early, first)
            if cur is None:
                return
        if cur.have is None:
            if cur.offered_at is None or now - cur.offered_at > self.ack_timeout_s:
                self._offer(cur)
            return
        if now - cur.since > self.ack_timeout_s:
            log.warning("relay.blob_resume sha=%s: no answer for %.0fs, asking the hub what it has", cur.sha256[:12],
                        self.ack_timeout_s)
            self.stats["restarts"] += 1
            self._offer(cur)
            return
        while cur.sent < cur.size and cur.sent - cur.have < self.window * CHUNK:
            piece = cur.data[cur.sent:cur.sent + CHUNK]
            if not self.publish(pack({"op": "chunk", "sha256": cur.sha256, "offset": cur.sent}, piece)):
                return
            self.stats["chunks"] += 1
            self.stats["bytes"] += len(piece)
            cur.sent += len(piece)

    def on_answer(self, answer: dict[str, Any]) -> None:
        cur = self.current
        if cur is None or answer.get("sha256") != cur.sha256:
            return
        have = int(answer.get("have") or 0)
        cur.since = time.monotonic()
        if answer.get("done"):
            self._finish(cur)
            return
        if answer.get("error"):
            log.warning("relay.blob_refused sha=%s: %s", cur.sha256[:12], answer["error"])
        if cur.have is None or have < cur.have or have > cur.sent:
            cur.sent = have  # an answer to an offer, or the hub restarted this original: resume from its count
        cur.have = have

    def _offer(self, cur: Upload) -> None:
        cur.since = cur.offered_at = time.monotonic()
        cur.have = None
        if self.publish(pack({"op": "offer", "sha256": cur.sha256, "size": cur.size,
                              "content_type": cur.content_type, "invoice_id": cur.invoice_id})):
            self.stats["offers"] += 1

    def _finish(self, cur: Upload) -> None:
        self.stats["originals"] += 1
        self.done.add(cur.seq)
        self.current = None
        self._advance()

    def _advance(self) -> None:
        start = self.cursor
        for seq, _inv, _p in self.journal.query(RECEIVED_SQL, (self.cursor, 10_000)):
            if seq not in self.done:
                break
            self.cursor = seq
        if self.cursor != start:
            self.journal.set_cursor(CURSOR, self.cursor)
            self.done = {s for s in self.done if s > self.cursor}

    def _next(self, events_acked: int, early: set[int], first: list[int]) -> Upload | None:
        candidates = [s for s in first if s > self.cursor and s not in self.done]
        rows = self.journal.query(RECEIVED_SQL, (self.cursor, 2000))
        by_seq = {r[0]: r for r in rows}
        for seq in candidates:
            if seq not in by_seq:
                by_seq.update({r[0]: r for r in self.journal.query(
                    "SELECT seq, invoice_id, payload FROM events WHERE seq=?", (seq,))})
        order = candidates + [r[0] for r in rows]
        found = None
        for seq in order:
            if seq in self.done or seq not in by_seq or not (seq <= events_acked or seq in early):
                continue
            _s, invoice_id, payload = by_seq[seq]
            p = json.loads(payload)
            sha = p.get("sha256") or ""
            try:
                data = self.blobs.get(sha)
            except (FileNotFoundError, ValueError):
                data = None
            if data is None or hashlib.sha256(data).hexdigest() != sha:
                log.error("relay.blob_missing invoice=%s sha=%s: the original is gone or damaged on the box; "
                          "nothing to send", invoice_id, sha[:12])
                self.stats["missing"] += 1
                self.done.add(seq)
                continue
            found = Upload(seq, invoice_id, sha, len(data), p.get("content_type"), data)
            break
        self._advance()
        return found
