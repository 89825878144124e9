"""The table `make bench` and `make bench-hub` end with: figure | measured | target | ok.

Owns the rows of one bench run and how they are printed; measures nothing itself.
"""

from __future__ import annotations

import sys


class Table:
    """The figures of one bench run, each also said on stderr the moment it is measured."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, bool | None]] = []

    def record(self, figure: str, measured: str, target: str = "", ok: bool | None = None) -> None:
        self.rows.append((figure, measured, target, ok))
        print(f"  {figure}: {measured}", file=sys.stderr, flush=True)

    def print(self) -> None:
        width = max(len(r[0]) for r in self.rows)
        mw = max(28, *(len(r[1]) for r in self.rows))  # a long measured value widens its column, never skews it
        print(f"\n{'figure':<{width}} | {'measured':<{mw}} | {'target':<24} | ok")
        print(f"{'-' * width}-+-{'-' * mw}-+-{'-' * 24}-+---")
        for figure, measured, target, ok in self.rows:
            mark = "" if ok is None else ("yes" if ok else "NO")
            print(f"{figure:<{width}} | {measured:<{mw}} | {target:<24} | {mark}")
