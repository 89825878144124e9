"""The Extractor over the hand-written realistic suite (tests/corpus/realistic.py): per-field accuracy
and every wrong field, for the text-layer PDFs and the 300-dpi PNGs (OCR) separately.

    python -m tests.ocr_samples.realistic_report [--pdf-only] [--only NAME,...] [--ocr-cache DIR] [--json]
        [--degrade scan|photo]

`--degrade` replaces the clean PNG pass with the same pages scanned or photographed by
tests/corpus/degrade.py (the generator's own degradations and JPEG encoding, a fixed seed per spec),
so the suite can be measured the way the field sees it.

Scored with bench_extract.field_ok, plus currency. Exit code 0 always: this is a report, the
pass/fail bar lives in tests/test_realistic_corpus.py.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from appliance.ocr import ExtractOptions, Extractor
from tests.bench_extract import HEADER, field_ok, flagged
from tests.corpus import degrade as degradations
from tests.corpus.generate import _encode
from tests.corpus.page import render_png
from tests.corpus.realistic import SPECS, Spec, pdf_bytes, png_bytes

FIELDS = (*HEADER, "currency")


def degraded_jpg(spec: Spec, how: str) -> bytes:
    """The spec's page rendered at 200 dpi, then scanned or photographed as generate.render_document
    does it; the seed is the spec's name, so a run is repeatable and hits the OCR cache."""
    rng = random.Random(f"{how}-{spec.name}")
    img = render_png(spec.page(), 200, rng.randrange(2**31))
    if how == "scan":
        return _encode(degradations.scan(img, rng), "jpg", rng, 200)
    return _encode(degradations.photo(img, rng), "jpg", rng, 72, (50, 80))


def score(specs: list[Spec], kind: str, extractor: Extractor) -> tuple[dict[str, float], list[tuple]]:
    """(field → accuracy, [(spec, field, truth, got, flagged)]) for one format: "pdf", "png", "scan" or "photo"."""
    ok = {f: 0 for f in FIELDS}
    wrong = []
    for spec in specs:
        if kind in ("scan", "photo"):
            data, ext = degraded_jpg(spec, kind), "jpg"
        else:
            data, ext = (pdf_bytes(spec) if kind == "pdf" else png_bytes(spec)), kind
        got = extractor.extract(data, f"{spec.name}.{ext}")
        for f in FIELDS:
            if field_ok(f, spec.truth[f], got.get(f)):
                ok[f] += 1
            else:
                wrong.append((spec.name, f, spec.truth[f], got.get(f), flagged(got, f)))
    return {f: ok[f] / len(specs) for f in FIELDS}, wrong


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.ocr_samples.realistic_report", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--pdf-only", action="store_true", help="skip the PNG (OCR) pass")
    ap.add_argument("--only", help="comma list of spec names")
    ap.add_argument("--ocr-cache", type=Path, help="cache Tesseract's answers here (see ocr_samples/cache.py)")
    ap.add_argument(
        "--degrade", choices=("scan", "photo"), help="OCR the pages scanned or photographed instead of clean"
    )
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    specs = [s for s in SPECS if not a.only or s.name in a.only.split(",")]
    if a.ocr_cache:
        from tests.ocr_samples import cache

        cache.install(a.ocr_cache)
    extractor = Extractor(ExtractOptions())
    out = {}
    image_kind = a.degrade or "png"
    for kind in ("pdf",) if a.pdf_only else ("pdf", image_kind):
        acc, wrong = score(specs, kind, extractor)
        out[kind] = {"accuracy": acc, "header_accuracy": sum(acc[f] for f in HEADER) / len(HEADER), "wrong": wrong}
    if a.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    for kind, res in out.items():
        print(f"\n== {kind.upper()} ({len(specs)} specs): header accuracy {100 * res['header_accuracy']:.1f}%")
        for f, v in res["accuracy"].items():
            print(f"  {f:16} {100 * v:5.1f}%")
        silent = sum(not seen for *_, seen in res["wrong"])
        print(f"  wrong fields ({len(res['wrong'])}, {silent} of them silent: not in needs_review):")
        for name, f, want, got, seen in res["wrong"]:
            print(f"    {name:30} {f:16} want {want!r:40} got {got!r}{'' if seen else '   SILENT'}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
