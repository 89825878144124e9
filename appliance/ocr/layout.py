"""Words with boxes, and the lines they form on a page.

Owns: the Word / Line types every later stage reads, grouping words into
lines by vertical overlap (Tesseract's own line numbers break across table
columns), and splitting a line into segments at wide gaps (label | value,
table cells).

Must never: read images or run OCR; it only arranges what was read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median


@dataclass(frozen=True)
class Word:
    text: str
    conf: float  # 0..1
    x0: float
    y0: float
    x1: float
    y1: float
    page: int = 0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class Line:
    words: list[Word]
    page: int = 0
    page_height: float = 1.0
    page_width: float = 1.0
    index: int = 0  # position in the document's reading order
    segments: list[list[Word]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def conf(self) -> float:
        return min((w.conf for w in self.words), default=0.0)

    @property
    def mean_conf(self) -> float:
        return sum(w.conf for w in self.words) / len(self.words) if self.words else 0.0

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)

    @property
    def rel_y(self) -> float:
        """Vertical position on its page, 0 = top, 1 = bottom."""
        return self.y0 / self.page_height if self.page_height else 0.0

    @property
    def rel_x(self) -> float:
        return self.x0 / self.page_width if self.page_width else 0.0

    def segment_texts(self) -> list[str]:
        return [" ".join(w.text for w in seg) for seg in self.segments]


def group_lines(words: list[Word], page_width: float, page_height: float) -> list[Line]:
    """Words of one page → lines, top to bottom, each left to right."""
    words = [w for w in words if w.text.strip()]
    if not words:
        return []
    typical_h = median(w.height for w in words) or 1.0
    rows: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        best, best_overlap = None, 0.0
        for row in rows[-6:]:
            top = median(x.y0 for x in row)
            bottom = median(x.y1 for x in row)
            overlap = min(bottom, w.y1) - max(top, w.y0)
            ratio = overlap / max(1.0, min(bottom - top, w.height))
            if ratio > 0.45 and ratio > best_overlap and not _collides(row, w):
                best, best_overlap = row, ratio
        if best is None:
            rows.append([w])
        else:
            best.append(w)
    lines = []
    for row in sorted(rows, key=lambda r: median(x.cy for x in r)):
        row.sort(key=lambda w: w.x0)
        line = Line(row, page=row[0].page, page_height=page_height, page_width=page_width)
        line.segments = split_segments(row, typical_h)
        lines.append(line)
    return lines


def _collides(row: list[Word], w: Word) -> bool:
    """A word overlapping another horizontally belongs to a different line."""
    return any(min(x.x1, w.x1) - max(x.x0, w.x0) > 0.5 * min(x.x1 - x.x0, w.x1 - w.x0) for x in row)


def split_segments(words: list[Word], typical_h: float) -> list[list[Word]]:
    """Cut a line where the gap between two words is wider than ~1.5 characters' height."""
    if not words:
        return []
    segments = [[words[0]]]
    for prev, w in zip(words, words[1:], strict=False):
        h = max(typical_h, min(prev.height, w.height))
        if w.x0 - prev.x1 > 1.4 * h:
            segments.append([w])
        else:
            segments[-1].append(w)
    return segments


def number_lines(pages: list[list[Line]]) -> list[Line]:
    """Concatenate pages into one reading order and number the lines."""
    out: list[Line] = []
    for page_lines in pages:
        out.extend(page_lines)
    for i, line in enumerate(out):
        line.index = i
    return out
