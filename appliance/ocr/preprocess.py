"""Make a page image easy for Tesseract: upright, flat, straight, the right size.

Owns: grayscale, perspective correction of a phone photo of a sheet of paper,
uneven-light flattening, scaling so text is ~30 px high, deskew by projection
profile, removing table rules, and a cheap "is there any text at all" signal.

Must never: run OCR, read files, or change the image's content beyond geometry
and tone (no sharpening that invents strokes).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

TARGET_TEXT_PX = 30.0
MAX_OCR_PIXELS = 9_000_000  # Tesseract time grows with area; A4 at ~250 dpi


@dataclass(frozen=True)
class Prepared:
    image: np.ndarray  # uint8 grayscale, ready for Tesseract
    scale: float  # applied to the input size
    skew_deg: float
    text_px: float  # median text height found before scaling
    flattened: bool  # the paper brightness was divided out (every page but a rendered PDF)
    dewarped: bool  # a photo: perspective was corrected
    ink_ratio: float  # fraction of dark pixels; ~0 means a blank page


def to_gray(img: Image.Image) -> np.ndarray:
    if img.mode != "L":
        img = img.convert("L")
    return np.asarray(img, dtype=np.uint8)


def prepare(img: Image.Image, *, digital: bool = False, unrule: bool = False) -> Prepared:
    """The full preprocessing chain; `digital` skips photo-only steps for rendered PDFs,
    `unrule` also paints table rules out (a second pass, see `remove_rules`)."""
    gray = to_gray(img)
    # the sheet is found on a small copy: fast on 12-megapixel phone photos (measured, the
    # page finder of `_find_sheet` against a brightness threshold alone: photos 53% → 61%)
    dewarped = False
    if not digital:
        warped = _dewarp(gray)
        if warped is not None:
            gray, dewarped = warped, True
    # not only when the light looks uneven: dividing by the paper also stretches a dim,
    # low-contrast scan or photo to black on white (measured on 60 seed-11 photos and scans:
    # header fields photos 51% → 53%, scans 83% → 91%). A page already white and even (not
    # a photo) is left alone: there the division only adds halos around large dark blocks
    # such as a title banner (measured on 20 seed-11 memos: clean 70% → 76%)
    flattened = not digital and (dewarped or not _white_and_even(gray))
    if flattened:
        gray = _flatten(gray)
    text_px = _text_height(gray)
    scale = TARGET_TEXT_PX / text_px if text_px > 0 else 1.0
    scale = float(np.clip(scale, 0.35, 3.0))
    h, w = gray.shape
    if (w * scale) * (h * scale) > MAX_OCR_PIXELS:
        scale = (MAX_OCR_PIXELS / (w * h)) ** 0.5
    if abs(scale - 1.0) > 0.08:
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        gray = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)
    else:
        scale = 1.0
    skew = 0.0 if digital else _skew_angle(gray)
    if abs(skew) >= 0.3:
        gray = _rotate(gray, skew)
    if unrule:
        gray = remove_rules(gray)
    ink = float((gray < 128).mean())
    return Prepared(gray, scale, skew, text_px, flattened, dewarped, ink)


def remove_rules(gray: np.ndarray) -> np.ndarray:
    """Paint table rules (long thin horizontal and vertical lines) white.

    Tesseract's page layout treats a ruled table as pictures and drops whole
    rows of numbers (a Mushak-6.3 totals row, measured); without the rules the
    cells read as ordinary text columns. Measured to hurt pages whose rules are
    only boxes around header blocks, so the extractor uses it as a second pass
    when the first left amounts unread.
    """
    h, w = gray.shape
    bw = _binary(gray)  # measured: Otsu beats a local threshold and a thin-stroke filter here
    rect = cv2.getStructuringElement
    horizontal = cv2.morphologyEx(bw, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (max(40, w // 12), 1)))
    vertical = cv2.morphologyEx(bw, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, max(40, h // 25))))
    rules = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((3, 3), np.uint8))
    # fill with the nearby paper tone, not white: a white stripe on grey paper is a new edge
    # that Tesseract's local thresholding turns into noise
    paper = cv2.dilate(gray, np.ones((9, 9), np.uint8))
    out = gray.copy()
    out[rules > 0] = paper[rules > 0]
    return out


def _binary(gray: np.ndarray) -> np.ndarray:
    """Text = 255 on 0, by Otsu."""
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return bw


def _text_height(gray: np.ndarray) -> float:
    """Median height of character-sized connected components, in pixels."""
    h, w = gray.shape
    factor = min(1.0, 1600 / max(h, w))
    small = (
        cv2.resize(gray, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA) if factor < 1 else gray
    )
    bw = _binary(small)
    n, _, stats, _ = cv2.connectedComponentsWithStats(bw, connectivity=8)
    if n <= 1:
        return 0.0
    heights = stats[1:, cv2.CC_STAT_HEIGHT].astype(float)
    widths = stats[1:, cv2.CC_STAT_WIDTH].astype(float)
    sh = small.shape[0]
    keep = (heights >= 4) & (heights < sh * 0.08) & (widths < heights * 4) & (widths >= 2)
    if keep.sum() < 10:
        return 0.0
    # the upper part of the distribution: capital letters and Bengali conjuncts,
    # not dots and dangling vowel signs
    return float(np.percentile(heights[keep], 70)) / factor


def _white_and_even(gray: np.ndarray) -> bool:
    """Is the paper already white and evenly lit (a rendered or very clean page)?"""
    small = cv2.resize(gray, (64, 64), interpolation=cv2.INTER_AREA)
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    p5, p50, p95 = np.percentile(paper, [5, 50, 95])
    return bool(p50 >= 235 and p95 - p5 <= 15)


def _flatten(gray: np.ndarray) -> np.ndarray:
    """Divide by the estimated paper brightness, then stretch: shadows go flat, ink goes dark.

    The paper is found by a morphological close (it removes the dark strokes) on a quarter-size
    copy, which is as good for a smooth light field and ~16× cheaper on a phone photo.
    """
    h, w = gray.shape
    small = cv2.resize(gray, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(7, (min(small.shape) // 30) | 1)
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    paper = cv2.GaussianBlur(paper, (0, 0), k / 2)
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    flat = gray.astype(np.float32) / (paper.astype(np.float32) + 1.0)
    # the darkest ink → 0, the paper (most of the page) → 255; at most a 2× stretch, so a
    # nearly blank page's grain is not blown up into ink
    lo, hi = np.percentile(flat, [0.5, 60])
    lo = min(float(lo), 0.5)
    out = (flat - lo) * (255.0 / max(1e-3, float(hi - lo)))
    return np.clip(out, 0, 255).astype(np.uint8)


def _skew_angle(gray: np.ndarray) -> float:
    """Angle (degrees) that makes text rows horizontal, by projection-profile variance."""
    h, w = gray.shape
    factor = min(1.0, 1000 / max(h, w))
    small = cv2.resize(gray, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA)
    bw = _binary(small)
    if bw.mean() < 1:
        return 0.0

    def score(angle: float) -> float:
        rotated = _rotate(bw, angle, border=0)
        profile = rotated.sum(axis=1, dtype=np.float64)
        return float(np.var(np.diff(profile)))

    coarse = max(np.arange(-10, 10.5, 1.0), key=score)
    fine = max(np.arange(coarse - 1, coarse + 1.01, 0.2), key=score)
    return float(round(fine, 2))


def _rotate(img: np.ndarray, angle: float, border: int = 255) -> np.ndarray:
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=border)


def _dewarp(gray: np.ndarray) -> np.ndarray | None:
    """If a photo shows a whole sheet of paper on a background, warp the sheet flat."""
    corners = _find_sheet(gray)
    if corners is None:
        return None
    tl, tr, br, bl = corners
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    if width < 200 or height < 200:
        return None
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(corners, target)
    return cv2.warpPerspective(gray, m, (width, height), flags=cv2.INTER_CUBIC, borderValue=255)


def _find_sheet(gray: np.ndarray) -> np.ndarray | None:
    """Corners (tl, tr, br, bl) of the sheet of paper in a photo, or None when unsure.

    Candidates are four-cornered outlines from two views of a small copy: a brightness
    threshold (a white sheet on a dark table) and edges (a sheet on a light table, where
    brightness alone does not separate them). The largest candidate whose every side has a
    real brightness step across it wins; a fold line or a ruled box inside the page is paper
    on both sides and is refused, so is a side along the photo's own border. No warp is
    better than a wrong one: a wrong quad cuts off the header.
    """
    h, w = gray.shape
    factor = 600 / max(h, w)
    small = cv2.resize(gray, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA)
    blur = cv2.GaussianBlur(small, (5, 5), 0)
    _, bright = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((11, 11), np.uint8))
    edges = cv2.dilate(cv2.Canny(blur, 20, 60), np.ones((3, 3), np.uint8))
    quads = [q for mask in (bright, edges) for q in _quads(mask)]
    # a fold or a crease splits the sheet into two outlines: offer their union too
    quads += [u for i, a in enumerate(quads) for b in quads[i + 1 :] for u in _quads_of(np.vstack([a, b]), small.shape)]
    quads = [q for q in quads if min(_edge_contrast(blur, q, d) for d in (8.0, 16.0)) > 10]
    if not quads:
        return None
    return _order_corners(max(quads, key=cv2.contourArea) / factor)


def _quads(mask: np.ndarray) -> list[np.ndarray]:
    """Convex four-cornered outlines covering 20-97% of the frame with near-right corners."""
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    return [q for contour in contours for q in _quads_of(contour, mask.shape)]


def _quads_of(points: np.ndarray, shape: tuple[int, ...]) -> list[np.ndarray]:
    """The convex hull of `points` as a quad, if it is one (see `_quads`); else nothing."""
    total = shape[0] * shape[1]
    out = []
    hull = cv2.convexHull(points.reshape(-1, 1, 2).astype(np.float32))
    if 0.2 * total < cv2.contourArea(hull) < 0.97 * total:
        quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(quad) == 4 and cv2.isContourConvex(quad):
            pts = quad.reshape(4, 2).astype(np.float32)
            sides = [pts[(i + 1) % 4] - pts[i] for i in range(4)]
            cosines = [
                abs(float(np.dot(a, b))) / (float(np.linalg.norm(a) * np.linalg.norm(b)) + 1e-6)
                for a, b in zip(sides, sides[1:] + sides[:1], strict=True)
            ]
            if max(cosines) < 0.35:  # every corner within ~70-110°
                out.append(pts)
    return out


def _edge_contrast(img: np.ndarray, quad: np.ndarray, d: float = 8.0) -> float:
    """The weakest side's median brightness step between d px inside and d px outside."""
    h, w = img.shape
    center = quad.mean(axis=0)
    weakest = float("inf")
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        along = a + (b - a) * np.linspace(0.1, 0.9, 40)[:, None]
        normal = np.array([a[1] - b[1], b[0] - a[0]], np.float32)
        normal /= np.linalg.norm(normal) + 1e-6
        if np.dot(center - (a + b) / 2, normal) < 0:
            normal = -normal
        inside, outside = along + normal * d, along - normal * d
        seen = (outside[:, 0] >= 0) & (outside[:, 1] >= 0) & (outside[:, 0] <= w - 1) & (outside[:, 1] <= h - 1)
        if seen.mean() < 0.5:  # this side is the photo's border, not the paper's
            return 0.0
        inside = np.clip(inside[seen], 0, [w - 1, h - 1]).astype(int)
        outside = outside[seen].astype(int)
        step = np.abs(img[inside[:, 1], inside[:, 0]].astype(float) - img[outside[:, 1], outside[:, 0]])
        weakest = min(weakest, float(np.median(step)))
    return weakest


def _order_corners(pts: np.ndarray) -> np.ndarray:
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], dtype=np.float32)
