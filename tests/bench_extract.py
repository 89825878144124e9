"""Extraction benchmark: the Extractor against a fresh synthetic corpus, scored against targets.

    python -m tests.bench_extract [--n 90] [--seed 7] [--llm] [--json] [--keep DIR] [--ocr-cache DIR]
        [--save-rows FILE] [--strict]

Owns the scoring rules. The corpus is written by a child process (so its memory
does not count towards the extractor's peak RSS) into a temp dir, then every
document goes through `Extractor.extract` in this process, timed one by one.
Header fields: supplier_name (whitespace/case-normalised), supplier_bin,
invoice_number, invoice_date, subtotal, vat_rate, vat_amount, total (amounts
within 0.01). A silent error is a wrong field with nothing in needs_review about
that field or the document. Accuracy, calibration and speed come from a first pass
with no supplier list (the first invoice of every supplier); a second pass gives
the extractor the shop's cached supplier list holding a fixed half of the corpus's
suppliers and reports straight-through on those invoices (Tesseract's answers are
cached between the passes, so the second costs only the rules).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import defaultdict
from pathlib import Path

HEADER = (
    "supplier_name",
    "supplier_bin",
    "invoice_number",
    "invoice_date",
    "subtotal",
    "vat_rate",
    "vat_amount",
    "total",
)
AMOUNTS = {"subtotal", "vat_rate", "vat_amount", "total"}
BINS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.0001))
GB = 1024**3


def field_ok(name: str, truth: object, got: object) -> bool:
    if truth is None or got is None:
        return truth is None and got is None
    if name in AMOUNTS:
        try:
            return abs(float(got) - float(truth)) <= 0.01 + 1e-9  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    if name == "supplier_name":
        return " ".join(str(got).split()).casefold() == " ".join(str(truth).split()).casefold()
    if name == "invoice_number":
        return "".join(str(got).split()) == "".join(str(truth).split())
    return str(got).strip() == str(truth).strip()


def flagged(result: dict, name: str) -> bool:
    """Is a person told to look at `name` (or at the whole document)?"""
    if result.get("error"):
        return True
    for reason in result.get("needs_review") or []:
        head = reason.split(":", 1)[0]
        if head == name or head not in HEADER + (
            "currency",
            "discount",
            "line_items",
            "supplier_address",
            "supplier_phone",
            "buyer_name",
            "due_date",
        ):
            return True
    return False


def line_f1(truth_lines: list[dict], got_lines: list[dict]) -> tuple[int, int, int]:
    """(matched, n_truth, n_got); a match has the same amount (±0.01) and quantity (±0.001)."""
    left = list(got_lines or [])
    matched = 0
    for t in truth_lines:
        for i, g in enumerate(left):
            try:
                if (
                    abs(float(g["amount"]) - t["amount"]) <= 0.011
                    and abs(float(g["quantity"]) - t["quantity"]) <= 0.001
                ):
                    matched += 1
                    del left[i]
                    break
            except (TypeError, ValueError, KeyError):
                continue
    return matched, len(truth_lines), len(got_lines or [])


class RssSampler(threading.Thread):
    """Peak of this process + its children (Tesseract runs as a child), sampled every 50 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self._stop = 0, threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.05):
            try:
                total = me.memory_info().rss + sum(c.memory_info().rss for c in me.children(recursive=True))
            except psutil.Error:
                continue
            self.peak = max(self.peak, total)

    def stop(self) -> None:
        self._stop.set()


def run(n: int, seed: int, use_llm: bool, keep: Path | None, ocr_cache: Path | None = None,
        rows_out: Path | None = None) -> dict:  # fmt: skip
    from tqdm import tqdm

    from appliance.ocr import ExtractOptions, Extractor, Supplier
    from tests.corpus.generate import load_truth
    from tests.ocr_samples import cache

    tmp = tempfile.TemporaryDirectory(prefix="hisab-bench-")
    # the second pass (with a supplier list) re-reads the same pages: Tesseract's answers are kept
    cache.install(ocr_cache or Path(tmp.name) / "ocr-cache")
    out = keep or Path(tmp.name) / "corpus"
    if not (keep and any(keep.glob("*.truth.json"))):  # a kept corpus is read again, not rewritten
        subprocess.run(
            [sys.executable, "-m", "tests.corpus.generate", str(out), "--n", str(n), "--seed", str(seed)],
            check=True,
            cwd=Path(__file__).resolve().parents[1],
            stdout=subprocess.DEVNULL,
        )
    docs = sorted(p for p in out.iterdir() if not p.name.endswith(".json"))
    truths = {doc: load_truth(doc) for doc in docs}

    def extract_all(extractor: Extractor, which: list[Path], label: str) -> list:
        rows = []
        for doc in tqdm(which, desc=label, unit="doc", file=sys.stderr):
            t0 = time.perf_counter()
            try:
                got = extractor.extract(doc.read_bytes(), str(doc))
            except Exception as exc:  # the extractor must not raise; count it as an unread document
                got = {"error": f"raised {type(exc).__name__}: {exc}", "needs_review": ["extractor:raised"]}
            rows.append((truths[doc], got, time.perf_counter() - t0))
        return rows

    sampler = RssSampler()
    sampler.start()
    rows = extract_all(Extractor(ExtractOptions(use_llm=use_llm)), docs, "extracting")
    sampler.stop()
    # pass 2: the shop's cached supplier list holds the suppliers it bought from before (a fixed half)
    known_docs = [d for d in docs if truths[d]["supplier_name"] and _known(truths[d])]
    known = tuple(dict.fromkeys(Supplier(truths[d]["supplier_name"], truths[d]["supplier_bin"]) for d in known_docs))
    known_rows = extract_all(Extractor(ExtractOptions(use_llm=use_llm, suppliers=known)), known_docs, "known suppliers")
    tmp.cleanup()
    if rows_out is not None:
        rows_out.write_text(json.dumps([[t, g] for t, g, _ in rows], ensure_ascii=False, default=str))
    res = score(rows, sampler.peak)
    res["straight_through_known_supplier"] = _straight(known_rows)
    res["known_supplier_n"] = len(known_rows)
    return res


def _known(truth: dict) -> bool:
    """Is this invoice's supplier in the shop's supplier list? A fixed half, by name."""
    return zlib.crc32(str(truth["supplier_name"]).encode()) % 2 == 0


def _straight(rows: list) -> float | None:
    ok = [
        all(field_ok(f, t[f], g.get(f)) for f in HEADER) and not g.get("needs_review") and not g.get("error")
        for t, g, _ in rows
    ]
    return sum(ok) / len(ok) if ok else None


def _acc(rows: list, fields: tuple = HEADER) -> tuple[float | None, int]:
    ok = [field_ok(f, t[f], g.get(f)) for t, g, _ in rows for f in fields]
    return (sum(ok) / len(ok) if ok else None), len(rows)


def score(rows: list, sampled_peak: int) -> dict:
    meta = lambda t: t["meta"]  # noqa: E731
    cs = [r for r in rows if meta(r[0])["quality"] in ("clean", "scanned")]
    ph = [r for r in rows if meta(r[0])["quality"] == "photo"]
    straight = silent = 0
    calib: dict = defaultdict(lambda: [0, 0])
    for t, g, _ in rows:
        oks = {f: field_ok(f, t[f], g.get(f)) for f in HEADER}
        if all(oks.values()) and not g.get("needs_review") and not g.get("error"):
            straight += 1
        if any(not ok and not flagged(g, f) for f, ok in oks.items()):
            silent += 1
        for f, ok in oks.items():
            c = (g.get("confidence") or {}).get(f)
            if c is None:
                continue
            b = next(i for i, (lo, hi) in enumerate(BINS) if lo <= c < hi)
            calib[b][0] += ok
            calib[b][1] += 1
    m = t_ = g_ = 0
    for t, g, _ in rows:
        if meta(t)["quality"] == "clean":
            a, b, c = line_f1(t["line_items"], g.get("line_items") or [])
            m, t_, g_ = m + a, t_ + b, g_ + c
    p, r = (m / g_ if g_ else 0.0), (m / t_ if t_ else 0.0)
    secs = sorted(s for t, _, s in rows if meta(t)["pages"] == 1)
    q = lambda xs, k: xs[min(len(xs) - 1, int(round(k * (len(xs) - 1))))] if xs else None  # noqa: E731
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    res = {
        "n": len(rows),
        "header_accuracy_clean_scanned": _acc(cs)[0],
        "header_accuracy_photo": _acc(ph)[0],
        "straight_through_rate": straight / len(rows),
        "silent_error_rate": silent / len(rows),
        "line_item_f1_clean": (2 * p * r / (p + r)) if p + r else 0.0,
        "p50_s": statistics.median(secs) if secs else None,
        "p95_s": q(secs, 0.95),
        "peak_rss_gb": self_peak / GB,
        "peak_rss_with_children_gb": max(sampled_peak, self_peak) / GB,
        "per_field": {f: _acc(rows, (f,))[0] for f in HEADER},
        "calibration": {
            f"{lo:g}-{min(hi, 1):g}": {"accuracy": (v[0] / v[1]) if v[1] else None, "count": v[1]}
            for i, (lo, hi) in enumerate(BINS)
            for v in [calib[i]]
        },
    }
    for key in ("language", "quality", "layout"):
        groups = defaultdict(list)
        for row in rows:
            groups[meta(row[0])[key]].append(row)
        res[f"by_{key}"] = {
            k: {
                "header_accuracy": _acc(v)[0],
                "count": len(v),
                "straight_through": sum(
                    all(field_ok(f, t[f], g.get(f)) for f in HEADER) and not g.get("needs_review") for t, g, _ in v
                )
                / len(v),
            }
            for k, v in sorted(groups.items())
        }
    return res


TARGETS = [  # key, label, target text, passes?
    ("header_accuracy_clean_scanned", "header-field accuracy, clean+scanned", "≥ 97%", lambda v: v >= 0.97),
    ("header_accuracy_photo", "header-field accuracy, photos", "≥ 90%", lambda v: v >= 0.90),
    ("straight_through_rate", "straight-through, no supplier list", "≥ 75%", lambda v: v >= 0.75),
    ("straight_through_known_supplier", "straight-through, supplier in shop's list", "≥ 75%", lambda v: v >= 0.75),
    ("silent_error_rate", "silent-error rate", "≤ 1%", lambda v: v <= 0.01),
    ("line_item_f1_clean", "line-item F1, clean", "≥ 0.90", lambda v: v >= 0.90),
    ("p50_s", "p50 s / single-page invoice", "≤ 4 s", lambda v: v <= 4),
    ("p95_s", "p95 s / single-page invoice", "≤ 8 s", lambda v: v <= 8),
    ("peak_rss_gb", "peak RSS, process", "≤ 1.2 GB", lambda v: v <= 1.2),
    ("peak_rss_with_children_gb", "peak RSS incl. OCR children", "≤ 1.2 GB", lambda v: v <= 1.2),
]


def _fmt(key: str, v: float | None) -> str:
    if v is None:
        return "n/a"
    if key.endswith("_s"):
        return f"{v:.2f} s"
    if key.endswith("_gb"):
        return f"{v:.2f} GB"
    if key == "line_item_f1_clean":
        return f"{v:.3f}"
    return f"{100 * v:.1f}%"


def report(res: dict) -> str:
    out = [
        f"Extraction benchmark — {res['n']} synthetic invoices",
        "",
        f"{'figure':40} | {'measured':>10} | {'target':8} |",
        "-" * 70,
    ]
    for key, label, target, ok in TARGETS:
        v = res.get(key)
        mark = "" if v is None else "ok" if ok(v) else "MISS"
        out.append(f"{label:40} | {_fmt(key, v):>10} | {target:8} | {mark}")
    out += ["", f"{'header field':20} | accuracy"] + [f"{f:20} | {_fmt('', v)}" for f, v in res["per_field"].items()]
    for key in ("language", "quality", "layout"):
        out += ["", f"{'by ' + key:20} | {'header acc':>10} | {'straight':>8} | count"]
        out += [
            f"{k:20} | {_fmt('', v['header_accuracy']):>10} | {_fmt('', v['straight_through']):>8} | {v['count']}"
            for k, v in res[f"by_{key}"].items()
        ]
    out += ["", f"{'confidence bin':20} | {'observed':>8} | count"]
    out += [f"{k:20} | {_fmt('', v['accuracy']):>8} | {v['count']}" for k, v in res["calibration"].items()]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench_extract", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=90, help="documents to generate (default 90)")
    ap.add_argument("--seed", type=int, default=7, help="corpus seed (fixed, so runs compare)")
    ap.add_argument("--llm", action="store_true", help="with the small LLM (off in the product by default)")
    ap.add_argument("--no-llm", action="store_true", help=argparse.SUPPRESS)  # the default; kept for old scripts
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    ap.add_argument(
        "--ocr-cache", type=Path, help="cache Tesseract's answers here (rule work; see ocr_samples/cache.py)"
    )
    ap.add_argument("--save-rows", type=Path, help="write [truth, result] pairs here as JSON, for error analysis")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    a = ap.parse_args(argv)
    res = run(a.n, a.seed, a.llm, a.keep, a.ocr_cache, a.save_rows)
    print(json.dumps(res, indent=1, ensure_ascii=False) if a.json else report(res))
    missed = [k for k, _, _, ok in TARGETS if res.get(k) is not None and not ok(res[k])]
    return 1 if a.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
