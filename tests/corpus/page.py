"""A page as a list of drawing operations, and its two renderers.

Owns fonts (which installed files make a "family", Latin + Bengali pairs),
text measurement, and turning a `Page` into pixels (Pillow + raqm, so Bengali
is shaped) or into a text-layer PDF (fpdf2 + harfbuzz). Coordinates are PDF
points (1/72 in) with text `y` on the baseline, so one layout draws both.
Mixed-script strings are split into Bengali and Latin runs, each set in its
own face, because no installed face carries both.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

NOTO = Path("/usr/share/fonts/truetype/noto")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
LIBER = Path("/usr/share/fonts/truetype/liberation")
BN_SANS = (NOTO / "NotoSansBengali-Regular.ttf", NOTO / "NotoSansBengali-Bold.ttf")
BN_SERIF = (NOTO / "NotoSerifBengali-Regular.ttf", NOTO / "NotoSerifBengali-Bold.ttf")
# family -> (regular, bold, italic) Latin faces and the Bengali pair that suits them
_FAMILIES = {
    "noto-sans": ((NOTO / "NotoSans-Regular.ttf", NOTO / "NotoSans-Bold.ttf", NOTO / "NotoSans-Italic.ttf"), BN_SANS),
    "noto-serif": (
        (NOTO / "NotoSerif-Regular.ttf", NOTO / "NotoSerif-Bold.ttf", NOTO / "NotoSerif-Italic.ttf"),
        BN_SERIF,
    ),
    "dejavu-sans": (
        (DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf", DEJAVU / "DejaVuSans-Oblique.ttf"),
        BN_SANS,
    ),
    "dejavu-serif": (
        (DEJAVU / "DejaVuSerif.ttf", DEJAVU / "DejaVuSerif-Bold.ttf", DEJAVU / "DejaVuSerif-Italic.ttf"),
        BN_SERIF,
    ),
    "dejavu-condensed": (
        (
            DEJAVU / "DejaVuSansCondensed.ttf",
            DEJAVU / "DejaVuSansCondensed-Bold.ttf",
            DEJAVU / "DejaVuSansCondensed-Oblique.ttf",
        ),
        BN_SANS,
    ),
    "liberation-sans": (
        (LIBER / "LiberationSans-Regular.ttf", LIBER / "LiberationSans-Bold.ttf", LIBER / "LiberationSans-Italic.ttf"),
        BN_SANS,
    ),
    "liberation-serif": (
        (
            LIBER / "LiberationSerif-Regular.ttf",
            LIBER / "LiberationSerif-Bold.ttf",
            LIBER / "LiberationSerif-Italic.ttf",
        ),
        BN_SERIF,
    ),
    "liberation-narrow": (
        (
            LIBER / "LiberationSansNarrow-Regular.ttf",
            LIBER / "LiberationSansNarrow-Bold.ttf",
            LIBER / "LiberationSansNarrow-Italic.ttf",
        ),
        BN_SANS,
    ),
    "mono-dejavu": (
        (DEJAVU / "DejaVuSansMono.ttf", DEJAVU / "DejaVuSansMono-Bold.ttf", DEJAVU / "DejaVuSansMono-Oblique.ttf"),
        BN_SANS,
    ),
    "mono-liberation": (
        (LIBER / "LiberationMono-Regular.ttf", LIBER / "LiberationMono-Bold.ttf", LIBER / "LiberationMono-Italic.ttf"),
        BN_SANS,
    ),
}
# Script-like faces, used for handwritten memos when a package has installed one.
HAND_CANDIDATES = [
    Path("/usr/share/fonts/truetype/comic-neue/ComicNeue-Regular.ttf"),
    Path("/usr/share/fonts/truetype/dancingscript/DancingScript-Regular.ttf"),
    Path("/usr/share/fonts/truetype/fonts-indic/Kalam-Regular.ttf"),
]


def available_families(mono: bool | None = None) -> list[str]:
    out = [f for f, (latin, bn) in _FAMILIES.items() if latin[0].exists() and bn[0].exists()]
    if mono is not None:
        out = [f for f in out if f.startswith("mono") == mono]
    if not out:
        raise RuntimeError("no usable fonts: install fonts-noto-core and fonts-dejavu-core")
    return out


def hand_face() -> Path | None:
    return next((p for p in HAND_CANDIDATES if p.exists()), None)


def is_bengali(ch: str) -> bool:
    return "\u0980" <= ch <= "\u09ff" or ch in "\u200c\u200d\u0964\u0965"


def runs(s: str) -> list[tuple[bool, str]]:
    """Split into (is_bengali, text) runs; neutral characters stay with the run they are in."""
    out: list[tuple[bool, str]] = []
    for ch in s:
        bn = is_bengali(ch)
        neutral = not bn and (ch in " .,:;/-()%#*&+'\"|" or ch.isdigit())
        if out and (neutral or out[-1][0] == bn):
            out[-1] = (out[-1][0], out[-1][1] + ch)
        else:
            out.append((bn, ch))
    return out


@lru_cache(maxsize=512)
def _font(path: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, max(px, 4), layout_engine=ImageFont.Layout.RAQM)


@dataclass(frozen=True)
class Style:
    size: float = 10
    bold: bool = False
    italic: bool = False
    color: tuple = (20, 20, 20)
    hand: bool = False  # raster only: per-word jitter, rotation and ink wobble


@dataclass
class Page:
    """One sheet: width/height in points, a font family and the recorded operations."""

    w: float
    h: float
    family: str
    ops: list = field(default_factory=list)
    background: tuple = (255, 255, 255)

    def face(self, bengali: bool, st: Style) -> Path:
        latin, bn = _FAMILIES[self.family]
        if bengali:
            return bn[1] if st.bold else bn[0]
        if st.hand and hand_face():
            return hand_face()  # type: ignore[return-value]
        return latin[2] if (st.italic or st.hand) else latin[1] if st.bold else latin[0]

    def width(self, s: str, st: Style) -> float:
        return sum(_font(str(self.face(bn, st)), 100).getlength(t) for bn, t in runs(s)) * st.size / 100

    def text(self, x: float, y: float, s: str, st: Style, align: str = "l") -> float:
        w = self.width(s, st)
        x0 = x - w if align == "r" else x - w / 2 if align == "m" else x
        self.ops.append(("text", x0, y, s, st))
        return w

    def line(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        w: float = 0.6,
        color: tuple = (30, 30, 30),
        dash: bool = False,
    ) -> None:
        self.ops.append(("line", x0, y0, x1, y1, w, color, dash))

    def rect(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        outline: tuple | None = (30, 30, 30),
        fill: tuple | None = None,
        w: float = 0.6,
    ) -> None:
        self.ops.append(("rect", x0, y0, x1, y1, outline, fill, w))

    def wrap(self, s: str, st: Style, maxw: float) -> list[str]:
        lines, cur = [], ""
        for word in s.split():
            cand = f"{cur} {word}".strip()
            if cur and self.width(cand, st) > maxw:
                lines.append(cur)
                cur = word
            else:
                cur = cand
        return lines + ([cur] if cur else [])

    def fit(self, s: str, st: Style, maxw: float) -> Style:
        """Shrink `st` until `s` fits in `maxw` (tables with long descriptions)."""
        while self.width(s, st) > maxw and st.size > 5:
            st = Style(st.size - 0.5, st.bold, st.italic, st.color, st.hand)
        return st


# --- raster --------------------------------------------------------------------


def render_png(page: Page, dpi: int, seed: int = 0) -> Image.Image:
    k = dpi / 72
    img = Image.new("RGB", (round(page.w * k), round(page.h * k)), page.background)
    d = ImageDraw.Draw(img)
    rng = random.Random(seed)
    for op in page.ops:
        if op[0] == "line":
            _, x0, y0, x1, y1, w, color, dash = op
            if dash:
                n = max(1, int(math.hypot(x1 - x0, y1 - y0) / 4))
                for i in range(0, n, 2):
                    a, b = i / n, min(1, (i + 1) / n)
                    d.line(
                        [
                            (k * (x0 + (x1 - x0) * a), k * (y0 + (y1 - y0) * a)),
                            (k * (x0 + (x1 - x0) * b), k * (y0 + (y1 - y0) * b)),
                        ],
                        fill=color,
                        width=max(1, round(w * k)),
                    )
            else:
                d.line([(x0 * k, y0 * k), (x1 * k, y1 * k)], fill=color, width=max(1, round(w * k)))
        elif op[0] == "rect":
            _, x0, y0, x1, y1, outline, fill, w = op
            d.rectangle(
                [x0 * k, y0 * k, x1 * k, y1 * k],
                outline=outline,
                fill=fill,
                width=max(1, round(w * k)) if outline else 0,
            )
        else:
            _, x, y, s, st = op
            if st.hand:
                _hand_text(img, page, x, y, s, st, k, rng)
                continue
            for bn, t in runs(s):
                f = _font(str(page.face(bn, st)), round(st.size * k))
                d.text((x * k, y * k), t, font=f, fill=st.color, anchor="ls")
                x += f.getlength(t) / k
    return img


def _hand_text(
    img: Image.Image, page: Page, x: float, y: float, s: str, st: Style, k: float, rng: random.Random
) -> None:
    """Pen-written look: each word slanted, rotated, resized and drifting off the baseline.

    Words (not letters) are the unit so Bengali conjuncts keep their shaping.
    """
    space = page.width(" ", st)
    drift = 0.0
    for word in s.split(" "):
        if not word:
            x += space
            continue
        scale = rng.uniform(0.92, 1.12)
        wst = Style(st.size * scale, st.bold, True, st.color, True)
        ww = page.width(word, wst)
        pad = int(st.size * k)
        tw, th = int(ww * k) + 2 * pad, int(st.size * k * 2.2) + pad
        tile = Image.new("L", (tw, th), 0)
        td = ImageDraw.Draw(tile)
        cx, base = pad, int(st.size * k * 1.5)
        for bn, t in runs(word):
            f = _font(str(page.face(bn, wst)), round(wst.size * k))
            td.text((cx, base), t, font=f, fill=255, anchor="ls")
            cx += f.getlength(t)
        shear, sy = rng.uniform(0.05, 0.3), rng.uniform(0.9, 1.12)
        tile = tile.transform(
            tile.size, Image.AFFINE, (1, shear, -shear * base, 0, 1 / sy, base * (1 - 1 / sy)), resample=Image.BICUBIC
        )
        tile = tile.rotate(rng.uniform(-6, 6), resample=Image.BICUBIC, expand=False)
        ink = Image.new("RGB", tile.size, tuple(max(0, c + rng.randint(-15, 15)) for c in st.color))
        drift = max(-2.5, min(2.5, drift + rng.uniform(-0.8, 0.8)))
        img.paste(ink, (int(x * k) - pad, int((y + drift) * k) - base), tile)
        x += ww + space * rng.uniform(0.8, 1.5)


# --- text-layer PDF --------------------------------------------------------------


def render_pdf(pages: list[Page]) -> bytes:
    """A born-digital PDF: real text objects, shaped by harfbuzz, fonts embedded."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(pages[0].w, pages[0].h))
    pdf.set_auto_page_break(False)
    pdf.c_margin = 0
    pdf.set_text_shaping(True)
    loaded: dict[str, str] = {}
    for page in pages:
        pdf.add_page(format=(page.w, page.h))
        for op in page.ops:
            if op[0] == "line":
                _, x0, y0, x1, y1, w, color, dash = op
                pdf.set_draw_color(*color)
                pdf.set_line_width(w)
                pdf.set_dash_pattern(dash=2 if dash else 0, gap=2 if dash else 0)
                pdf.line(x0, y0, x1, y1)
                pdf.set_dash_pattern()
            elif op[0] == "rect":
                _, x0, y0, x1, y1, outline, fill, w = op
                style = ("D" if outline else "") + ("F" if fill else "")
                if not style:
                    continue
                if outline:
                    pdf.set_draw_color(*outline)
                    pdf.set_line_width(w)
                if fill:
                    pdf.set_fill_color(*fill)
                pdf.rect(x0, y0, x1 - x0, y1 - y0, style=style)
            else:
                _, x, y, s, st = op
                pdf.set_text_color(*st.color)
                for bn, t in runs(s):
                    path = str(page.face(bn, st))
                    if path not in loaded:
                        loaded[path] = f"f{len(loaded)}"
                        pdf.add_font(loaded[path], fname=path)
                    pdf.set_font(loaded[path], size=st.size)
                    w = page.width(t, st)
                    pdf.set_xy(x, y - st.size * 0.8)
                    pdf.cell(w, st.size, t, align="L")
                    x += w
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue()
