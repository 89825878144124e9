"""Run Tesseract on one prepared page and return its words with boxes and confidences.

Owns: the Tesseract command line (languages, page segmentation, thread cap,
timeout) and parsing its TSV output into `layout.Word`s.

Must never: run without a timeout, inherit an unlimited OpenMP thread count
(OMP_THREAD_LIMIT=1: the box has two cores and the web needs one), or write
temporary files (the image goes in on stdin, the TSV comes back on stdout).

Why a direct subprocess and not pytesseract.image_to_data: pytesseract writes
the image to a temp file and cannot pass an environment to the subprocess, so
the thread cap would need a process-wide os.environ change. The arguments are
the same ones pytesseract builds (`tsv` config), and `command()` is testable
without running OCR.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess

import cv2
import numpy as np

from .layout import Word


class OcrError(Exception):
    """Tesseract failed or ran out of time; the message says which."""


def command(languages: str, psm: int = 3, flat: bool = False) -> list[str]:
    """`flat`: the page was already flattened (preprocess divided out the paper's light)."""
    exe = shutil.which("tesseract") or "tesseract"
    return [
        exe, "stdin", "stdout",
        "-l", languages,
        "--psm", str(psm),
        "--oem", "1",
        "-c", "tessedit_create_tsv=1",
        # Otsu (0) on a flattened page: its light is already even, and there Sauvola (2) turns
        # paper grain and JPEG noise into specks that page layout takes for a picture, dropping
        # whole text blocks (measured on seed-11 photos: bn 27% → 35%). Sauvola on a page left
        # as it was: measured better on clean Bengali renders (seed 13: 82% → 88%)
        "-c", f"thresholding_method={0 if flat else 2}",
    ]  # fmt: skip


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TESSDATA_PREFIX")}
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def ocr_words(
    image: np.ndarray, languages: str, timeout_s: float, page: int = 0, psm: int = 3, flat: bool = False
) -> list[Word]:
    """Words of one grayscale page; raises OcrError on failure or timeout."""
    ok, png = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise OcrError("could not encode the page for OCR")
    try:
        proc = subprocess.run(
            command(languages, psm, flat),
            input=png.tobytes(),
            capture_output=True,
            timeout=timeout_s,
            env=environment(),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrError(f"OCR took longer than {timeout_s:.0f} s") from exc
    except FileNotFoundError as exc:
        raise OcrError("Tesseract is not installed") from exc
    if proc.returncode != 0:
        raise OcrError("Tesseract failed: " + proc.stderr.decode("utf-8", "replace").strip()[-300:])
    return parse_tsv(proc.stdout.decode("utf-8", "replace"), page)


def parse_tsv(tsv: str, page: int = 0) -> list[Word]:
    words: list[Word] = []
    reader = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        try:
            conf = float(row["conf"])
            x, y, w, h = (int(row[k]) for k in ("left", "top", "width", "height"))
        except (KeyError, TypeError, ValueError):
            continue
        if conf < 0:
            continue
        words.append(Word(text, max(0.0, min(1.0, conf / 100.0)), x, y, x + w, y + h, page))
    return words
