"""The hub's second opinion on deliberately hard invoices: how often it fixes what the box flagged.

    python -m tests.bench_second_opinion [--n 12] [--seed 11] [--json]

Writes a corpus of photographed / low-light / handwritten-style invoices (tests/corpus), reads
each as the box does (``Extractor``, bundled model), then, for every document the box flagged,
runs the hub's heavier reading (``hub.second_opinion.Reader``: variants + voting + the LLM behind
an OpenAI-compatible server — ``HUB_LLM_URL``, or llama_cpp.server started here). Scores:
- flagged fields right after the second opinion: suggestion if any, else the box's value, vs truth;
- suggestions wrong: suggestions whose value is not the truth, over all suggestions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from appliance.ocr import ExtractOptions, Extractor
from hub.second_opinion import FIELDS, Reader, flagged_fields, suggestions_for
from tests.bench_extract import field_ok
from tests.corpus.generate import generate, load_truth

SCORED = tuple(f for f in FIELDS if f != "due_date")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench_second_opinion")
    ap.add_argument("--n", type=int, default=12)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    server = None
    url = os.environ.get("HUB_LLM_URL")
    if not url:
        from hub.llm_server import LocalLlmServer

        server = LocalLlmServer(threads=2)
        url = server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            docs = generate(Path(tmp), a.n, a.seed, kinds=["trade", "letterhead", "hand_memo", "cash_memo", "thermal"],
                            qualities=["photo"])
            box = Extractor(ExtractOptions(threads=2))
            reader = Reader(url, threads=2)
            flagged_n = right_before = right_after = suggested = wrong = 0
            seconds = []
            for doc in docs:
                truth = load_truth(doc)
                data = doc.read_bytes()
                result = box.extract(data, doc.name)
                flagged = flagged_fields(result, bool(result.get("error"))) & set(SCORED)
                if not flagged:
                    continue
                t = time.monotonic()
                reading = reader.read(data, doc.name, flagged)
                seconds.append(time.monotonic() - t)
                sugg = {s["field"]: s["value"] for s in suggestions_for(reading["fields"], result, flagged, set())}
                for f in flagged:
                    flagged_n += 1
                    right_before += field_ok(f, truth.get(f), result.get(f))
                    after = sugg.get(f, result.get(f))
                    right_after += field_ok(f, truth.get(f), after)
                    if f in sugg:
                        suggested += 1
                        wrong += not field_ok(f, truth.get(f), sugg[f])
                print(f"  {doc.name} {truth['meta']['layout']}: flagged {len(flagged)}, suggested {len(sugg)}, "
                      f"{seconds[-1]:.0f}s", file=sys.stderr)
    finally:
        if server is not None:
            server.stop()
    out = {"documents": a.n, "flagged_fields": flagged_n,
           "flagged_right_box_alone": round(right_before / flagged_n, 3) if flagged_n else None,
           "flagged_right_after_second_opinion": round(right_after / flagged_n, 3) if flagged_n else None,
           "suggestions": suggested, "suggestions_wrong": round(wrong / suggested, 3) if suggested else None,
           "seconds_per_document_p50": round(sorted(seconds)[len(seconds) // 2], 1) if seconds else None}
    print(json.dumps(out) if a.json else "\n".join(f"{k}: {v}" for k, v in out.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
