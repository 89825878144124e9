"""The Extractor over the hand-written realistic suite (tests/corpus/realistic.py): per-field accuracy
and every wrong field, for the text-layer PDFs and the 300-dpi PNGs (OCR) separately.

    python -m tests.ocr_samples.realistic_report [--pdf-only] [--only NAME,...] [--ocr-cache DIR] [--json]

Scored with bench_extract.field_ok, plus currency. Exit code 0 always: this is a report, the
pass/fail bar lives in tests/test_realistic_corpus.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from appliance.ocr import ExtractOptions, Extractor
from tests.bench_extract import HEADER, field_ok
from tests.corpus.realistic import SPECS, Spec, pdf_bytes, png_bytes

FIELDS = (*HEADER, "currency")


def score(specs: list[Spec], kind: str, extractor: Extractor) -> tuple[dict[str, float], list[tuple]]:
    """(field → accuracy, [(spec, field, truth, got)]) for one format: "pdf" or "png"."""
    ok = {f: 0 for f in FIELDS}
    wrong = []
    for spec in specs:
        data = pdf_bytes(spec) if kind == "pdf" else png_bytes(spec)
        got = extractor.extract(data, f"{spec.name}.{kind}")
        for f in FIELDS:
            if field_ok(f, spec.truth[f], got.get(f)):
                ok[f] += 1
            else:
                wrong.append((spec.name, f, spec.truth[f], got.get(f)))
    return {f: ok[f] / len(specs) for f in FIELDS}, wrong


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.ocr_samples.realistic_report", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--pdf-only", action="store_true", help="skip the PNG (OCR) pass")
    ap.add_argument("--only", help="comma list of spec names")
    ap.add_argument("--ocr-cache", type=Path, help="cache Tesseract's answers here (see ocr_samples/cache.py)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    specs = [s for s in SPECS if not a.only or s.name in a.only.split(",")]
    if a.ocr_cache:
        from tests.ocr_samples import cache

        cache.install(a.ocr_cache)
    extractor = Extractor(ExtractOptions())
    out = {}
    for kind in ("pdf",) if a.pdf_only else ("pdf", "png"):
        acc, wrong = score(specs, kind, extractor)
        out[kind] = {"accuracy": acc, "header_accuracy": sum(acc[f] for f in HEADER) / len(HEADER), "wrong": wrong}
    if a.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    for kind, res in out.items():
        print(f"\n== {kind.upper()} ({len(specs)} specs): header accuracy {100 * res['header_accuracy']:.1f}%")
        for f, v in res["accuracy"].items():
            print(f"  {f:16} {100 * v:5.1f}%")
        print(f"  wrong fields ({len(res['wrong'])}):")
        for name, f, want, got in res["wrong"]:
            print(f"    {name:30} {f:16} want {want!r:40} got {got!r}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
