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
    flattened: bool  # a photo: background light was flattened
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
    # work out geometry on a small copy: fast on 12-megapixel phone photos
    dewarped = False
    if not digital:
        warped = _dewarp(gray)
        if warped is not None:
            gray, dewarped = warped, True
    flattened = False
    if not digital and _uneven_light(gray):
        gray, flattened = _flatten(gray), True
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


def _uneven_light(gray: np.ndarray) -> bool:
    small = cv2.resize(gray, (64, 64), interpolation=cv2.INTER_AREA)
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    return float(np.percentile(background, 95) - np.percentile(background, 5)) > 40 or float(background.mean()) < 170


def _flatten(gray: np.ndarray) -> np.ndarray:
    """Divide by the estimated paper brightness: shadows and gradients go flat."""
    h, w = gray.shape
    k = max(15, (min(h, w) // 40) | 1)
    background = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    background = cv2.GaussianBlur(background, (0, 0), k / 3)
    flat = cv2.divide(gray.astype(np.float32), background.astype(np.float32) + 1.0, scale=255.0)
    return np.clip(flat, 0, 255).astype(np.uint8)


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
    """If a photo shows a sheet of paper on a darker background, warp the sheet flat."""
    h, w = gray.shape
    factor = 800 / max(h, w)
    small = cv2.resize(gray, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA)
    blur = cv2.GaussianBlur(small, (5, 5), 0)
    _, bw = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bw = cv2.morphologyEx(bw, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _ = cv2.findContours(bw, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    sheet = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(sheet)
    total = small.shape[0] * small.shape[1]
    # a sheet that already fills the frame (a scan) or is tiny (noise) is left alone
    if not 0.2 * total < area < 0.92 * total:
        return None
    quad = cv2.approxPolyDP(sheet, 0.02 * cv2.arcLength(sheet, True), True)
    if len(quad) != 4 or not cv2.isContourConvex(quad):
        return None
    corners = _order_corners(quad.reshape(4, 2).astype(np.float32) / factor)
    tl, tr, br, bl = corners
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    if width < 200 or height < 200:
        return None
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(corners, target)
    return cv2.warpPerspective(gray, m, (width, height), flags=cv2.INTER_CUBIC, borderValue=255)


def _order_corners(pts: np.ndarray) -> np.ndarray:
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], dtype=np.float32)
