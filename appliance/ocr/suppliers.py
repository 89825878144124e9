"""Checking what was read against the cached supplier master data.

Owns: the Supplier type, matching by BIN (exact, branch suffix optional) and by
name (rapidfuzz, Bengali kept as is), and the checks that follow from a match
(name agrees with BIN, usual VAT rate).

Must never: query a database or the hub (the caller passes the cached list),
or replace a printed value with the master's without saying so in confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, utils


@dataclass(frozen=True)
class Supplier:
    name: str
    bin: str | None = None
    address: str | None = None
    vat_rate: float | None = None


@dataclass(frozen=True)
class Match:
    supplier: Supplier
    by: str  # "bin" | "name"
    score: float  # 0..1 name similarity


def _name_score(a: str, b: str) -> float:
    return fuzz.token_set_ratio(a, b, processor=utils.default_process) / 100.0


def match(name: str | None, bin_: str | None, suppliers: tuple[Supplier, ...]) -> Match | None:
    """The supplier this invoice names: BIN first, else a close name (≥ 0.88)."""
    if not suppliers:
        return None
    if bin_:
        for s in suppliers:
            if s.bin and s.bin[:9] == bin_[:9]:
                return Match(s, "bin", _name_score(name, s.name) if name else 0.0)
    if name:
        best = max(suppliers, key=lambda s: _name_score(name, s.name))
        score = _name_score(name, best.name)
        if score >= 0.88:
            return Match(best, "name", score)
    return None


def name_candidates_score(candidates: list[str], suppliers: tuple[Supplier, ...]) -> dict[str, float]:
    """For each candidate line, how closely it resembles a known supplier (0..1)."""
    return {c: max((_name_score(c, s.name) for s in suppliers), default=0.0) for c in candidates}
