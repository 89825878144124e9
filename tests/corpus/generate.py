"""Synthetic invoice corpus: documents plus `<name>.truth.json` ground truth.

Owns the mix: which layout, language, quality and file format each document
gets, and writing the files. Test-only; the product never imports it.

    python -m tests.corpus.generate OUT --n 60 --seed 1 [--kinds trade,thermal] [--qualities clean]

File names are neutral (`inv-0007.jpg`) so an extractor cannot read the
answer from the path; layout/language/quality live in the truth's `meta`.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from PIL import Image

from . import degrade
from .forms import draw_foreign, draw_letterhead, draw_mushak63, draw_trade
from .page import Page, render_pdf, render_png
from .sheet import Sheet
from .shop import draw_memo, draw_thermal
from .world import Invoice, make_invoice

# layout -> (draw, language weights en/bn/mixed)
LAYOUTS: dict[str, tuple[Callable[[Sheet], list[Page]], tuple[float, float, float]]] = {
    "mushak63": (draw_mushak63, (0.25, 0.45, 0.3)),
    "trade": (draw_trade, (0.55, 0.15, 0.3)),
    "letterhead": (draw_letterhead, (0.5, 0.3, 0.2)),
    "cash_memo": (lambda sh: draw_memo(sh, hand=False), (0.15, 0.6, 0.25)),
    "hand_memo": (lambda sh: draw_memo(sh, hand=True), (0.15, 0.6, 0.25)),
    "thermal": (draw_thermal, (0.55, 0.15, 0.3)),
    "foreign": (draw_foreign, (1.0, 0.0, 0.0)),
}
KINDS = tuple(LAYOUTS)
QUALITIES = ("clean", "scanned", "photo")


def _invoice_for(layout: str, lang: str, quality: str, rng: random.Random) -> Invoice:
    if layout == "foreign":
        return make_invoice(rng, "en", currency=rng.choice(["USD", "EUR", "INR"]))
    kw: dict = {}
    if layout == "mushak63":
        kw = {"discount_p": 0.0, "vat_rates": (5, 7.5, 10, 15, 15, 15), "person_buyer": 0.0}
    elif layout == "thermal":
        kw = {"n_items": rng.choice([1, 2, 3, 4, 5, 6, 8, 10]), "person_buyer": 1.0}
    elif layout in ("cash_memo", "hand_memo"):
        kw = {"n_items": rng.choice([1, 2, 3, 4, 5]), "vat_rates": (0, 0, 5, 7.5, 15), "person_buyer": 0.6}
    elif layout == "trade" and quality != "photo" and rng.random() < 0.2:
        kw = {"n_items": rng.randint(18, 34)}  # flows onto a second page
    inv = make_invoice(rng, lang, **kw)
    if layout in ("cash_memo", "hand_memo", "thermal") and rng.random() < 0.35:
        inv.supplier.bin = None  # many small shops print none
    return inv


def _encode(img: Image.Image, fmt: str, rng: random.Random, dpi: int, q: tuple[int, int] = (60, 92)) -> bytes:
    buf = io.BytesIO()
    if fmt == "jpg":
        img.convert("RGB").save(buf, "JPEG", quality=rng.randint(*q), dpi=(dpi, dpi))
    else:
        img.save(buf, "PNG", dpi=(dpi, dpi), optimize=False)
    return buf.getvalue()


def render_document(layout: str, lang: str, quality: str, rng: random.Random) -> tuple[bytes, str, Invoice, dict]:
    """Draw one invoice and degrade it; returns (file bytes, extension, invoice, meta)."""
    draw, _ = LAYOUTS[layout]
    inv = _invoice_for(layout, lang, quality, rng)
    sheet = Sheet(inv, rng, mono=layout == "thermal")
    pages = draw(sheet)
    meta = {
        "layout": layout,
        "language": inv.language,
        "quality": quality,
        "pages": len(pages),
        "font": sheet.family,
        "digits": "bn" if sheet.bd else "ascii",
    }
    seed = rng.randrange(2**31)
    multi = len(pages) > 1
    if quality == "clean":
        fmt = (
            "pdf_text"
            if (multi or rng.random() < 0.35) and layout != "hand_memo"
            else rng.choice(["png", "png", "jpg"])
        )
        if fmt == "pdf_text":
            meta["format"] = "pdf_text"
            return render_pdf(pages), "pdf", inv, meta
        dpi = 203 if layout == "thermal" else rng.choice([150, 200, 200])
        img = render_png(pages[0], dpi, seed)
        meta["format"] = fmt
        return _encode(img, fmt, rng, dpi, (85, 95)), fmt, inv, meta
    dpi = 203 if layout == "thermal" else rng.choice([150, 200, 250]) if quality == "scanned" else 200
    imgs = [render_png(p, dpi, seed + i) for i, p in enumerate(pages)]
    if quality == "scanned":
        imgs = [degrade.scan(im, rng) for im in imgs]
        if multi or rng.random() < 0.3:
            buf = io.BytesIO()
            imgs = [im.convert("RGB") for im in imgs]
            imgs[0].save(buf, "PDF", save_all=True, append_images=imgs[1:], resolution=float(dpi))
            meta["format"] = "pdf_scan"
            return buf.getvalue(), "pdf", inv, meta
        fmt = rng.choice(["jpg", "jpg", "png"])
        meta["format"] = fmt
        return _encode(imgs[0], fmt, rng, dpi), fmt, inv, meta
    long_side = rng.randint(1400, 2000) if layout == "thermal" else None
    img = degrade.photo(imgs[0], rng, long_side)
    meta["format"] = "jpg"
    return _encode(img, "jpg", rng, 72, (50, 80)), "jpg", inv, meta


def _pick_language(layout: str, rng: random.Random) -> str:
    return rng.choices(["en", "bn", "mixed"], weights=LAYOUTS[layout][1])[0]


def plan(
    n: int, seed: int, kinds: Iterable[str] = KINDS, qualities: Iterable[str] = QUALITIES
) -> list[tuple[str, str, str]]:
    """(layout, language, quality) per document: every kind x quality pairing recurs evenly."""
    kinds, qualities = list(kinds), list(qualities)
    bad = [k for k in kinds if k not in LAYOUTS] + [q for q in qualities if q not in QUALITIES]
    if bad:
        raise ValueError(f"unknown kind/quality {bad}; kinds are {list(LAYOUTS)}, qualities {list(QUALITIES)}")
    rng = random.Random(f"plan-{seed}")
    rng.shuffle(kinds)
    out = []
    for i in range(n):
        layout = kinds[i % len(kinds)]
        quality = qualities[(i + i // len(kinds)) % len(qualities)]
        out.append((layout, _pick_language(layout, rng), quality))
    return out


def generate(
    out_dir: Path,
    n: int,
    seed: int,
    kinds: Iterable[str] = KINDS,
    qualities: Iterable[str] = QUALITIES,
    progress: bool = False,
) -> list[Path]:
    """Write `n` documents and their truth files into `out_dir`; return the document paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    items = plan(n, seed, kinds, qualities)
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc="generating", unit="doc", file=sys.stderr)
    paths = []
    for i, (layout, lang, quality) in enumerate(items):
        rng = random.Random(f"{seed}-{i}")
        data, ext, inv, meta = render_document(layout, lang, quality, rng)
        path = out_dir / f"inv-{i:04d}.{ext}"
        path.write_bytes(data)
        truth = inv.truth(path.name)
        truth["meta"] = meta
        (out_dir / f"inv-{i:04d}.truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1))
        paths.append(path)
    return paths


def load_truth(doc: Path) -> dict:
    return json.loads(doc.with_name(doc.name.rsplit(".", 1)[0] + ".truth.json").read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.corpus.generate", description="Write a synthetic invoice corpus with ground truth."
    )
    ap.add_argument("out", type=Path, help="output directory")
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"comma list of layouts: {','.join(KINDS)}")
    ap.add_argument("--qualities", default=",".join(QUALITIES), help="comma list: clean,scanned,photo")
    a = ap.parse_args(argv)
    try:
        paths = generate(a.out, a.n, a.seed, a.kinds.split(","), a.qualities.split(","), progress=True)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    print(f"wrote {len(paths)} documents to {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
