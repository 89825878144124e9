"""The one-page report a technician reads (and hands to the shop owner) after a run.

Each step has an outcome (created / changed / unchanged / skipped / failed) and one line
of detail a person can act on. Details name files, versions and fingerprints — never a
secret's value: callers pass only what is safe to print, and ``Report.text`` is what
goes to the terminal and to logs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from provisioning.target import CHANGED, CREATED, FAILED, UNCHANGED


@dataclass
class Step:
    name: str
    outcome: str
    detail: str = ""


@dataclass
class Report:
    title: str
    facts: dict[str, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    summary: str | None = None  # a result line of the caller's, e.g. "ROLLED BACK — ..."

    def add(self, name: str, outcome: str, detail: str = "") -> str:
        self.steps.append(Step(name, outcome, detail))
        return outcome

    @property
    def failed(self) -> bool:
        return any(s.outcome == FAILED for s in self.steps)

    @property
    def result(self) -> str:
        if self.failed:
            return FAILED
        if any(s.outcome in (CREATED, CHANGED) for s in self.steps):
            return CHANGED
        return UNCHANGED

    def text(self) -> str:
        width = max([len(s.name) for s in self.steps] + [len(k) for k in self.facts] + [8])
        lines = [self.title, "=" * len(self.title)]
        lines += [f"{key:<{width}}  {value}" for key, value in self.facts.items()]
        lines.append("")
        lines += [f"{s.name:<{width}}  {s.outcome:<9}  {s.detail}".rstrip() for s in self.steps]
        lines.append("")
        summary = {
            FAILED: "FAILED — see the failed step above; nothing after it was done.",
            CHANGED: f"changed ({sum(s.outcome in (CREATED, CHANGED) for s in self.steps)} steps did something)",
            UNCHANGED: "unchanged — the box already was as asked.",
        }[self.result]
        lines.append(f"Result: {self.summary or summary}")
        return "\n".join(lines)

    def json(self) -> str:
        return json.dumps({"title": self.title, "facts": self.facts, "result": self.result, "summary": self.summary,
                           "steps": [asdict(s) for s in self.steps]}, indent=2)
