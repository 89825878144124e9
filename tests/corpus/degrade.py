"""How paper becomes pixels: flatbed scans and phone photos of a clean render.

Owns the image degradations. `scan` = contrast loss, slight skew, noise,
speckle, edge shadow, optional grey; `photo` = page on a table at a random
margin, perspective warp, shadow gradient, fold line, blur, low light, noise.
Pure functions from a PIL image and an rng to a PIL image; encoding (JPEG
quality) is the caller's.
"""

from __future__ import annotations

import random

import cv2
import numpy as np
from PIL import Image


def _np(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=np.float32)


def _pil(a: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def scan(img: Image.Image, rng: random.Random) -> Image.Image:
    nrng = np.random.default_rng(rng.randrange(2**32))
    a = _np(img)
    h, w = a.shape[:2]
    lo, hi = rng.uniform(10, 45), rng.uniform(200, 245)  # contrast loss
    a = lo + a * (hi - lo) / 255.0
    if rng.random() < 0.5:  # toner: slight thickening/blur
        a = cv2.GaussianBlur(a, (3, 3), rng.uniform(0.4, 0.9))
    a += nrng.normal(0, rng.uniform(3, 10), a.shape[:2])[..., None]
    n = int(h * w * rng.uniform(2e-5, 2e-4))  # dust specks
    ys, xs = nrng.integers(0, h, n), nrng.integers(0, w, n)
    a[ys, xs] = rng.uniform(0, 80)
    if rng.random() < 0.5:  # lid shadow along one edge
        ramp = np.ones(w, np.float32)
        k = int(w * rng.uniform(0.02, 0.06))
        ramp[:k] = np.linspace(0.55, 1, k)
        a *= (ramp[::-1] if rng.random() < 0.5 else ramp)[None, :, None]
    out = _pil(a)
    angle = rng.uniform(-3, 3)
    out = out.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=(int(hi),) * 3)
    if rng.random() < 0.45:
        out = out.convert("L").convert("RGB")
    return out


def photo(img: Image.Image, rng: random.Random, long_side: int | None = None) -> Image.Image:
    nrng = np.random.default_rng(rng.randrange(2**32))
    page = _np(img)
    ph, pw = page.shape[:2]
    long_side = long_side or rng.randint(1600, 2400)
    # background: table / cloth with texture, the page somewhere on it
    margin = rng.uniform(0.04, 0.22)
    bw, bh = int(pw * (1 + 2 * margin)), int(ph * (1 + 2 * margin))
    bg_color = np.array(
        rng.choice([(120, 85, 60), (60, 60, 65), (170, 160, 140), (35, 70, 50), (200, 200, 205)]), np.float32
    )
    bg = np.ones((bh, bw, 3), np.float32) * bg_color
    bg += cv2.GaussianBlur(nrng.normal(0, 25, (bh, bw)).astype(np.float32), (0, 0), 3)[..., None]
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    j = 0.06 * min(pw, ph)
    ox, oy = (bw - pw) / 2, (bh - ph) / 2
    dst = np.float32([[ox + rng.uniform(-j, j), oy + rng.uniform(-j, j)] for _ in range(4)])
    dst += src
    M = cv2.getPerspectiveTransform(src, dst)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), M, (bw, bh))
    warped = cv2.warpPerspective(page, M, (bw, bh), flags=cv2.INTER_LINEAR)
    a = warped * mask[..., None] + bg * (1 - mask[..., None])
    if rng.random() < 0.5:  # fold line across the page
        yy = int(oy + ph * rng.uniform(0.3, 0.7))
        band = np.zeros((bh, bw), np.float32)
        cv2.line(band, (0, yy), (bw, yy + int(rng.uniform(-40, 40))), 1.0, max(2, bw // 300))
        band = cv2.GaussianBlur(band, (0, 0), bw / 400)
        a *= (1 - 0.35 * band / max(band.max(), 1e-6))[..., None]
    gx, gy = np.meshgrid(np.linspace(0, 1, bw), np.linspace(0, 1, bh))  # shadow gradient
    t = rng.uniform(0, 2 * np.pi)
    g = np.cos(t) * gx + np.sin(t) * gy
    g = (g - g.min()) / (g.max() - g.min() + 1e-6)
    a *= (1 - rng.uniform(0.15, 0.55) * g)[..., None]
    a *= rng.uniform(0.6, 1.0)  # low light
    a *= np.array([rng.uniform(0.9, 1.05), 1.0, rng.uniform(0.8, 1.0)], np.float32)  # warm cast
    scale = long_side / max(bw, bh)
    a = cv2.resize(a, (int(bw * scale), int(bh * scale)), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.7:
        a = cv2.GaussianBlur(a, (0, 0), rng.uniform(0.5, 1.4))
    else:  # hand shake
        k = rng.choice([3, 5, 7])
        ker = np.zeros((k, k), np.float32)
        ker[k // 2, :] = 1 / k
        a = cv2.filter2D(
            a, -1, cv2.warpAffine(ker, cv2.getRotationMatrix2D((k / 2, k / 2), rng.uniform(0, 180), 1), (k, k))
        )
    a += nrng.normal(0, rng.uniform(3, 9), a.shape)
    return _pil(a)
