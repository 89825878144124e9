"""A disk cache of Tesseract's answers, for iterating on the rules without re-reading pages.

    from tests.ocr_samples import cache; cache.install(Path("~/.cache/hisab-ocr"))

Patches the two places the extractor calls Tesseract (`ocr_words` for a page,
`reread.latin_reading` for one word) with versions keyed by the SHA-1 of the
prepared image and the call's arguments. A change to preprocessing changes the
image and so misses the cache; a change to the rules after it hits. Bench-only:
the product never imports this.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

import appliance.ocr as ocr
from appliance.ocr import reread
from appliance.ocr.layout import Word


def _key(*parts: Any) -> str:
    h = hashlib.sha1()
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(np.ascontiguousarray(p).tobytes())
            h.update(str(p.shape).encode())
        else:
            h.update(json.dumps(p, default=str).encode())
    return h.hexdigest()


def install(root: Path) -> None:
    root = root.expanduser()
    root.mkdir(parents=True, exist_ok=True)
    words_fn, latin_fn = ocr.ocr_words, reread.latin_reading

    def cached(key: str, compute):  # noqa: ANN001
        path = root / key[:2] / key
        if path.exists():
            return pickle.loads(path.read_bytes())
        value = compute()
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")  # several bench processes share a cache
        tmp.write_bytes(pickle.dumps(value))
        tmp.replace(path)
        return value

    def ocr_words(
        image: np.ndarray, languages: str, timeout_s: float, page: int = 0, psm: int = 3, flat: bool = False
    ) -> list[Word]:
        # `flat` changes Tesseract's thresholding; keys without it stay those of unflattened pages
        key = _key("w", image, languages, page, psm, *(["flat"] if flat else []))
        return cached(key, lambda: words_fn(image, languages, timeout_s, page, psm, flat))

    def latin_reading(image: np.ndarray, word: Word, timeout_s: float) -> str | None:
        box = (word.x0, word.y0, word.x1, word.y1)
        return cached(_key("r", image, box), lambda: latin_fn(image, word, timeout_s))

    ocr.ocr_words = ocr_words
    reread.latin_reading = latin_reading
