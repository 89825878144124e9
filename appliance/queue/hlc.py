"""Hybrid logical clock stamps: ordering that survives clock drift on a box with no RTC.

A stamp is ``<wall ms, 13 digits>-<counter, 4 digits>-<device>`` so that plain string
comparison orders stamps. The clock never goes backwards, even when the wall clock does
(a Pi boots at 1970 until NTP answers): it resumes from the last stamp it issued.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Stamp:
    wall_ms: int
    counter: int
    device: str

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}-{self.counter:04d}-{self.device}"

    @classmethod
    def parse(cls, text: str) -> Stamp:
        wall, counter, device = text.split("-", 2)
        return cls(int(wall), int(counter), device)


class Clock:
    """Issues monotonically increasing stamps for one device."""

    def __init__(self, device: str, last: str | None = None, now_ms=lambda: int(time.time() * 1000)):
        self._device = device
        self._now_ms = now_ms
        self._lock = threading.Lock()
        self._last = Stamp.parse(last) if last else Stamp(0, 0, device)

    def now(self) -> str:
        with self._lock:
            wall = max(self._now_ms(), self._last.wall_ms)
            counter = self._last.counter + 1 if wall == self._last.wall_ms else 0
            self._last = Stamp(wall, counter, self._device)
            return str(self._last)

    def observe(self, remote: str) -> None:
        """Merge a stamp received from a peer so later local stamps sort after it."""
        other = Stamp.parse(remote)
        with self._lock:
            if (other.wall_ms, other.counter) > (self._last.wall_ms, self._last.counter):
                self._last = Stamp(other.wall_ms, other.counter, self._device)
