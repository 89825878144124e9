"""Field accuracy and speed of appliance.ocr on a corpus directory with *.truth.json.

    .venv/bin/python -m tests.ocr_samples.bench DIR [--no-llm] [--json OUT] [--limit N]

A field counts as right when it equals the truth (amounts within 0.01, names
compared case- and space-insensitively). "null" answers are counted apart from
wrong ones: a null is honest, a wrong value with high confidence is not.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from appliance.ocr import ExtractOptions, Extractor

FIELDS = (
    "supplier_name",
    "supplier_bin",
    "invoice_number",
    "invoice_date",
    "currency",
    "subtotal",
    "discount",
    "vat_rate",
    "vat_amount",
    "total",
)


def same(field: str, got: object, want: object) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return abs(float(got) - float(want)) < 0.011
    norm = lambda s: " ".join(str(s).lower().replace(".", "").split())  # noqa: E731
    return norm(got) == norm(want)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", type=Path)
    ap.add_argument("--no-llm", action="store_true")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--json", type=Path)
    ap.add_argument("-v", action="store_true", help="print every wrong field")
    a = ap.parse_args(argv)
    docs = sorted(p for p in a.dir.iterdir() if not p.name.endswith(".json"))
    if a.limit:
        docs = docs[: a.limit]
    ex = Extractor(ExtractOptions(use_llm=not a.no_llm))
    right, null, wrong, confident_wrong = Counter(), Counter(), Counter(), Counter()
    by_kind: dict[str, Counter] = defaultdict(Counter)
    times, rows = [], []
    for doc in docs:
        truth = json.loads(doc.with_name(doc.name.rsplit(".", 1)[0] + ".truth.json").read_text())
        t = time.monotonic()
        res = ex.extract(doc.read_bytes(), doc.name)
        times.append(time.monotonic() - t)
        kind = f"{truth['meta']['layout']}/{truth['meta']['quality']}"
        for f in FIELDS:
            got, want = res.get(f), truth.get(f)
            if same(f, got, want):
                right[f] += 1
                by_kind[kind]["right"] += 1
            elif got is None:
                null[f] += 1
                by_kind[kind]["null"] += 1
            else:
                wrong[f] += 1
                by_kind[kind]["wrong"] += 1
                c = res["confidence"].get(f, 0)
                flagged = any(r.startswith(f + ":") or r.startswith("arithmetic") for r in res["needs_review"])
                if c >= 0.6 and not flagged:
                    confident_wrong[f] += 1
                if a.v:
                    print(
                        f"{doc.name} {kind} {truth['meta']['language']} {f}: got {got!r} want {want!r} conf {c}",
                        file=sys.stderr,
                    )
        rows.append({"doc": doc.name, "kind": kind, "seconds": times[-1], "review": res["needs_review"]})
    n = len(docs)
    total_fields = n * len(FIELDS)
    summary = {
        "docs": n,
        "llm": not a.no_llm,
        "p50_s": round(statistics.median(times), 2),
        "p90_s": round(sorted(times)[int(0.9 * (n - 1))], 2),
        "accuracy": round(sum(right.values()) / total_fields, 3),
        "null_rate": round(sum(null.values()) / total_fields, 3),
        "wrong_rate": round(sum(wrong.values()) / total_fields, 3),
        "silent_wrong": sum(confident_wrong.values()),
        "per_field": {
            f: f"{right[f]}/{n} (null {null[f]}, wrong {wrong[f]}, silent {confident_wrong[f]})" for f in FIELDS
        },
        "per_kind": {k: dict(v) for k, v in sorted(by_kind.items())},
    }
    print(json.dumps(summary, indent=1))
    if a.json:
        a.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
