"""Invoice extraction: document bytes → one dict valid against invoice.schema.json.

Owns the ordered stages (each a function below, run in `Extractor.extract`):
inspect → read lines (PDF text layer, or render + preprocess + Tesseract) →
rules (parsers, names, lines), with a Latin-only second reading of the invoice
number, date and BIN words (reread.py) → small LLM only for an unsure supplier
name (off by default, see llm.py) → reconcile the arithmetic → calibrate each
field's score, given its document-level evidence (evidence.py), to observed
accuracy (calibration.py) → match cached suppliers → review reasons. When a
page's amounts stay unread, the page is read once more with its table rules
painted out (Tesseract drops rows of ruled tables).

Must never: touch a database, Flask, the network or the file system (beyond
the bundled model); raise for a bad document (the result carries `error`);
fill a field it is unsure of without naming it in `needs_review`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from . import calibration, confidence, evidence, llm, names, parsers, reconcile, reread, suppliers
from . import lines as line_items
from . import normalise as nz
from .document import DocumentError, DocumentInfo, Limits, inspect, render_page
from .layout import Line, Word, group_lines, number_lines
from .preprocess import prepare
from .suppliers import Supplier
from .tesseract import OcrError, ocr_words
from .textlayer import read_pages

__all__ = [
    "DocumentError", "DocumentInfo", "ExtractOptions", "Extractor", "Limits", "Supplier",
    "extract", "inspect", "render_page",
]  # fmt: skip

log = logging.getLogger(__name__)

HEADER_FIELDS = (
    "supplier_name", "supplier_bin", "invoice_number", "invoice_date", "currency",
    "subtotal", "discount", "vat_rate", "vat_amount", "total",
)  # fmt: skip


@dataclass(frozen=True)
class ExtractOptions:
    languages: str = "eng+ben"
    tesseract_timeout_s: float = 60.0
    use_llm: bool = False  # measured: no accuracy gain, +1 s p50 / +6 s p95 (llm.py)
    model_path: str | None = None  # None = the bundled Gemma 3 270M GGUF
    suppliers: tuple[Supplier, ...] = ()
    limits: Limits = field(default_factory=Limits)
    threads: int = 2
    dpi: int = 300  # scanned PDF pages are rendered at this resolution
    calibrated: bool = True  # False: raw scores, for fitting calibration_table.py
    psm: int = 3  # Tesseract page segmentation mode (the hub's second opinion votes over several)


@dataclass
class _Read:
    lines: list[Line]
    source: str  # "text_layer" | "ocr"
    unreadable: bool = False
    notes: list[str] = field(default_factory=list)
    images: dict[int, Any] = field(default_factory=dict)  # page → prepared image, for second readings


def empty_result(source: str, error: str | None = None) -> dict[str, Any]:
    """Every field null: the shape of a document that could not be read."""
    result: dict[str, Any] = {f: None for f in HEADER_FIELDS}
    result.update(
        source=source, currency="BDT", line_items=[], confidence={}, needs_review=[], timings_ms={},
        supplier_address=None, supplier_phone=None, buyer_name=None, due_date=None, language=None, error=error,
    )  # fmt: skip
    return result


class Extractor:
    """Holds the options and the resident LLM; `extract` is safe to call from several threads."""

    def __init__(self, options: ExtractOptions = ExtractOptions()) -> None:
        self.options = options
        self._llm_lock = threading.Lock()

    def extract(self, data: bytes, source: str) -> dict[str, Any]:
        timings: dict[str, float] = {}
        started = time.monotonic()
        try:
            t = time.monotonic()
            info = inspect(data, source, self.options.limits)
            timings["inspect"] = _ms(t)
            t = time.monotonic()
            read = self._read(data, info, timings)
            timings["read"] = _ms(t)
        except DocumentError as exc:
            return self._failed(source, exc.message, "document:unreadable", timings, started)
        except OcrError as exc:
            log.warning("ocr failed", extra={"event": "ocr.failed", "source": source, "reason": str(exc)})
            return self._failed(source, f"The text could not be read: {exc}.", "document:ocr_failed", timings, started)
        if not read.lines:
            return self._failed(
                source, "No text was found on the page. Take the photo again, flat and in good light.",
                "document:unreadable", timings, started,
            )  # fmt: skip
        try:
            result = self._read_fields(data, info, read, source, timings)
        except Exception:  # a rule's bug must cost one document a review, never the worker
            log.exception("extraction failed", extra={"event": "extract.failed", "source": source})
            return self._failed(
                source, "The invoice could not be read automatically; please enter it by hand.",
                "extractor:internal_error", timings, started,
            )  # fmt: skip
        timings["total"] = _ms(started)
        result["timings_ms"] = timings
        return result

    def _read_fields(
        self, data: bytes, info: DocumentInfo, read: _Read, source: str, timings: dict[str, float]
    ) -> dict[str, Any]:
        t = time.monotonic()
        result = self._fields(read, source, timings)
        timings["fields"] = _ms(t) - timings.get("llm", 0.0)
        if read.source == "ocr" and (_amounts_unread(result) or not result["line_items"]):
            # second pass: table rules make Tesseract drop whole rows (or columns) of a ruled table
            t = time.monotonic()
            try:
                again = self._read(data, info, timings, unrule=True)
            except OcrError:
                again = None
            if again is not None and again.lines:
                result = _merge_passes(result, self._fields(again, source, timings))
            timings["second_pass"] = _ms(t)
        return result

    def read_text(self, data: bytes, source: str) -> str:
        """The text the pipeline reads (text layer or OCR), one line per line; "" when unreadable.
        For a second reader (the hub's larger LLM) that needs the words, not the fields."""
        try:
            info = inspect(data, source, self.options.limits)
            return "\n".join(ln.text for ln in self._read(data, info, {}).lines)
        except (DocumentError, OcrError):
            return ""

    # --- stages ---------------------------------------------------------------

    def _read(self, data: bytes, info: DocumentInfo, timings: dict[str, float], unrule: bool = False) -> _Read:
        pages = min(info.pages, self.options.limits.max_pages)
        if info.kind == "pdf" and not unrule:
            text_pages = read_pages(data, pages)
            if text_pages is not None:
                return _Read(number_lines(text_pages), "text_layer")
        all_pages, confs = [], []
        images: dict[int, Any] = {}
        for page in range(pages):
            img = render_page(data, page, dpi=self.options.dpi, limits=self.options.limits)
            # a PDF without a usable text layer is nearly always a scan: deskew it like a photo
            prepared = prepare(img, digital=False, unrule=unrule)
            if prepared.ink_ratio < 0.0003:
                continue  # blank page
            words = ocr_words(
                prepared.image, self.options.languages, self.options.tesseract_timeout_s, page,
                psm=self.options.psm, flat=prepared.flattened,
            )  # fmt: skip
            h, w = prepared.image.shape
            all_pages.append(group_lines(words, w, h))
            images[page] = prepared.image
            confs.extend(wd.conf for wd in words)
        lines = number_lines(all_pages)
        mean = sum(confs) / len(confs) if confs else 0.0
        unreadable = len(confs) < 8 or mean < 0.45
        return _Read(lines, "ocr", unreadable=unreadable, images=images)

    def _fields(self, read: _Read, source: str, timings: dict[str, float]) -> dict[str, Any]:
        lines = read.lines
        result = empty_result(source)
        conf: dict[str, float] = {}
        ev: dict[str, set[str]] = {f: set() for f in HEADER_FIELDS}  # independent evidence per field
        review: list[str] = list(read.notes)
        if read.unreadable:
            review.append("document:handwritten_or_unreadable")

        code, cur_conf = parsers.currency(lines)
        result["currency"], conf["currency"] = code, cur_conf

        number_cands = parsers.invoice_numbers(lines)
        number, conf["invoice_number"], _ = confidence.best(number_cands)
        result["invoice_number"] = number.value if number else None
        if number is not None:
            ev["invoice_number"] |= evidence.of_id(str(number.value), number.line, number_cands, lines)
        if number is not None and read.images:
            result["invoice_number"], conf["invoice_number"] = self._second_reading(
                read, number.line, str(number.value), conf["invoice_number"], timings, "id", ev["invoice_number"]
            )

        date_cands = parsers.dates(lines, month_first=code == "USD")  # "11/03/2025" on a US invoice is Nov 3
        date, conf["invoice_date"], _ = confidence.best(date_cands)
        result["invoice_date"] = date.value if date else None
        if date and code not in ("BDT", "INR", "EUR", "GBP") and nz.date_is_ambiguous(lines[date.line].text):
            conf["invoice_date"] = min(conf["invoice_date"], 0.5)
            review.append("invoice_date:ambiguous_day_month")
        if date is not None and not _plausible_year(str(date.value)):
            conf["invoice_date"] = min(conf["invoice_date"], 0.3)  # "2075" for "2025": a misread digit
            review.append("invoice_date:implausible")
        if date is not None and date.line >= 0 and _garbled(_field_word(lines[date.line], str(date.value), "date")):
            conf["invoice_date"] = min(conf["invoice_date"], 0.4)
        if date is not None:
            ev["invoice_date"] |= evidence.of_date(str(date.value), date_cands, lines)
        if date is not None and date.line >= 0 and read.images:
            _, conf["invoice_date"] = self._second_reading(
                read, date.line, str(date.value), conf["invoice_date"], timings, "date", ev["invoice_date"]
            )
        due, due_conf, _ = confidence.best(parsers.due_dates(lines, month_first=code == "USD"))
        if due:
            result["due_date"], conf["due_date"] = due.value, due_conf

        bin_cands = parsers.bins(lines)
        bin_line = self._supplier_bin(bin_cands, result, conf, review)
        if result["supplier_bin"]:
            ev["supplier_bin"] |= evidence.of_bin(result["supplier_bin"], bin_cands)
        if result["supplier_bin"] and bin_line >= 0 and read.images:
            _, conf["supplier_bin"] = self._second_reading(
                read, bin_line, result["supplier_bin"], conf["supplier_bin"], timings, "bin", ev["supplier_bin"]
            )
        self._supplier_name(lines, result, conf, timings, review)
        if result["supplier_name"]:
            ev["supplier_name"] |= evidence.of_name(result["supplier_name"], result["_name_line"], lines)
        result["supplier_address"] = names.address_after(lines, result["_name_line"])

        phone, phone_conf, _ = confidence.best(parsers.phones(lines))
        if phone:
            result["supplier_phone"] = phone.value
        buyer, _, _ = confidence.best(names.buyer_names(lines))
        result["buyer_name"] = buyer.value if buyer else None

        ev.update(self._amounts(lines, result, conf, review))
        result["language"] = _language(lines)

        for key, value in list(conf.items()):
            conf[key] = round(max(0.0, min(1.0, value)), 3)
        if read.unreadable:
            conf = {k: min(v, 0.3) for k, v in conf.items()}
            ev = {}  # agreement between misreadings of an unreadable page proves nothing
        kind = calibration.page_kind(read.source == "text_layer", [w.conf for ln in lines for w in ln.words])
        if self.options.calibrated:
            # the printed page's evidence → observed accuracy; master data (below) is
            # independent evidence the table was not fitted with, so it comes after
            conf = {
                k: calibration.calibrate(k, v, kind, ev.get(k, ())) if k in HEADER_FIELDS else v
                for k, v in conf.items()
            }
            # a second reading that disagrees is a doubt the tables pool away (it is no fitted
            # kind): measured 88% right on 420 documents, so it is never above the review bar
            conf = {k: min(v, DISAGREE_CAP) if "disagrees" in ev.get(k, ()) else v for k, v in conf.items()}
        else:  # for tests/ocr_samples/fit_calibration.py
            timings["page_clear"] = float(kind == "clear")
            timings.update({f"evidence:{f}:{e}": 1.0 for f, kinds in ev.items() for e in kinds})
        self._match_supplier(result, conf, review)
        bin_printed = read.unreadable or any(
            parsers.BIN_LABEL.search(parsers.text_of(ln)) or nz.parse_bin(ln.text) for ln in lines
        )
        header_conf = {k: conf[k] for k in HEADER_FIELDS if k in conf}
        review.extend(confidence.reasons(result, header_conf, code, bin_printed=bin_printed))
        result["confidence"] = {k: v for k, v in conf.items() if result.get(k) is not None}
        result["needs_review"] = list(dict.fromkeys(review))
        return result

    def _second_reading(
        self, read: _Read, line: int, value: str, c: float, timings: dict[str, float], kind: str, ev: set[str]
    ) -> tuple[str, float]:
        """Re-read a field's word alone with the Latin model → (value, confidence).

        Agreement → surer, else doubt. An invoice number the two readings settle between them
        (reread.settle_id: a Latin prefix the mixed model garbled) replaces the first reading,
        still below the review bar: two models each read a part, none read it all. The Latin
        model cannot read Bengali digits, so a Bengali-script date or BIN keeps its first score."""
        word = _field_word(read.lines[line], value, kind)
        if word is None or word.page not in read.images:
            return value, c
        if kind != "id" and re.search(r"[\u0980-\u09ff]", word.text):
            return value, c
        t = time.monotonic()
        text = nz.clean_text(reread.latin_reading(read.images[word.page], word, self.options.tesseract_timeout_s) or "")
        timings["reread"] = timings.get("reread", 0.0) + _ms(t)
        if kind == "date":
            second: str | None = nz.parse_date(text)
            agrees = second == value
            if second is None and _digits_differ(word.text, text):  # "29-Jan-25" read "25-San-25"
                second = text
        elif kind == "bin":
            second = nz.parse_bin(text)
            agrees = second == value
        else:
            settled = reread.settle_id(word.text, text)
            if settled and parsers.read_invoice_number(settled) == settled and not reread.same_id(settled, value):
                ev.clear()  # the evidence was about the first reading
                ev |= evidence.of_id(settled, line, [], read.lines)
                return settled, min(c, 0.6)
            second = parsers.read_invoice_number(text.lstrip(" :#.-"))
            agrees = second is not None and reread.same_id(value, second)
        if agrees:
            ev.add("reread")
        elif second is not None:  # read as another value, not merely unreadable alone
            ev.add("disagrees")
        return value, min(0.97, c + 0.1) if agrees else min(c * 0.7, 0.55)

    def _supplier_bin(  # → the line the BIN was read from, -1 if none
        self, cands: list[parsers.Candidate], result: dict[str, Any], conf: dict[str, float], review: list[str]
    ) -> int:
        sellers = [c for c in cands if c.role == "seller"]
        unknown = [c for c in cands if c.role == ""]
        buyers = [c for c in cands if c.role == "buyer"]
        if sellers:
            top, c, _ = confidence.best(sellers)
        elif unknown:
            buyer_values = {b.value[:9] for b in buyers}
            unknown = [u for u in unknown if u.value[:9] not in buyer_values] or unknown
            top, c, _ = confidence.best(unknown)
            # an unlabelled BIN is the seller's when it is the only other BIN on the page
            # (a letterhead "BIN:"); with several, the first is a guess a person checks
            if len({u.value[:9] for u in unknown}) > 1:
                top = min(unknown, key=lambda u: u.line)
                c = min(c, 0.5)
                review.append("supplier_bin:ambiguous")
            else:
                c *= 0.9
        else:
            top, c = None, 0.0
        if top is not None and buyers and top.value == buyers[0].value:
            top, c = None, 0.0
        result["supplier_bin"] = top.value if top else None
        conf["supplier_bin"] = c
        return top.line if top else -1

    def _supplier_name(
        self,
        lines: list[Line],
        result: dict[str, Any],
        conf: dict[str, float],
        timings: dict[str, float],
        review: list[str],
    ) -> None:
        cands = names.supplier_candidates(lines)
        top, c, _ = confidence.best(cands)
        rivals = [
            x for x in cands if top and x.value != top.value and confidence.of(x) > confidence.of(top) - 0.15
        ]  # fmt: skip
        if top is not None and top.source == "position" and rivals:
            # two rows could be the seller's name and no label says which: a person picks
            c = min(c, 0.5)
            review.append("supplier_name:ambiguous")
        unsure = top is None or c < 0.7 or bool(rivals)
        result["_name_line"] = top.line if top else -1
        if unsure and self.options.use_llm and cands:
            options = [x.value for x in sorted(cands, key=lambda x: -confidence.of(x))[:6]]
            header = "\n".join(ln.text for ln in lines[:18])
            t = time.monotonic()
            model = llm.load(self.options.model_path, self.options.threads)
            choice = llm.choose_supplier(model, header, [str(o) for o in options], self._llm_lock)
            timings["llm"] = _ms(t)
            # measured: the 270M model is right less often than the rules, so it may only
            # confirm the rules' pick; a disagreement lowers confidence, never swaps the name
            if top is not None and choice.value == top.value:
                c = min(0.85, c + 0.1)
            elif top is not None:
                c = min(c, 0.5)
                review.append("supplier_name:llm_disagrees")
        result["supplier_name"] = top.value if top else None
        conf["supplier_name"] = c

    def _amounts(
        self, lines: list[Line], result: dict[str, Any], conf: dict[str, float], review: list[str]
    ) -> dict[str, set[str]]:
        items = line_items.items(lines)
        amounts = [i.amount for i in items]
        items_sum = round(sum(a for a in amounts if a is not None), 2) if items and None not in amounts else None
        all_text = " ".join(parsers.text_of(ln) for ln in lines)
        rate, rate_conf, _ = confidence.best(parsers.vat_rates(lines))
        # the payable's number unread: a smaller "Total" may be the base, and VAT cannot be proven zero
        payable_unread = parsers.payable_unread(lines)
        chosen = reconcile.choose(
            parsers.amount_candidates(lines), items_sum, rate,
            vat_mentioned=parsers.vat_printed(lines) or payable_unread,
            discount_mentioned=bool(parsers.DISCOUNT.search(all_text)),
            printed_rates=frozenset(float(p) for p in re.findall(r"(?<![\d.])(\d{1,2}(?:\.\d{1,2})?)\s*%", all_text)),
        )  # fmt: skip
        if payable_unread and chosen.values["total"] is not None:
            chosen.review.append("total:payable_line_unread")
            chosen.conf["total"] = min(chosen.conf["total"], 0.55)
        for f in ("subtotal", "discount", "vat_amount", "total"):
            result[f] = chosen.values[f]
            conf[f] = chosen.conf[f]
        result["vat_rate"], conf["vat_rate"] = chosen.vat_rate, chosen.vat_rate_conf
        review.extend(chosen.review)
        result["line_items"] = [i.as_dict() for i in items]
        if items and not chosen.items_match and not all(i.arithmetic for i in items):
            review.append("line_items:low_confidence")
        return evidence.of_amounts(chosen, items_sum)

    def _match_supplier(self, result: dict[str, Any], conf: dict[str, float], review: list[str]) -> None:
        result.pop("_name_line", None)
        m = suppliers.match(result["supplier_name"], result["supplier_bin"], self.options.suppliers)
        if m is None:
            if self.options.suppliers and result["supplier_bin"]:
                review.append("supplier:unknown")
            return
        if m.by == "bin":
            # the printed BIN is one of ours: BIN and name are both confirmed by master data
            conf["supplier_bin"] = max(conf["supplier_bin"], 0.98)
            if m.score < 0.7:
                review.append("supplier_name:differs_from_master")
            result["supplier_name"] = m.supplier.name
            conf["supplier_name"] = max(conf["supplier_name"], 0.97 if m.score >= 0.7 else 0.9)
        else:
            conf["supplier_name"] = max(conf["supplier_name"], 0.9 * m.score)
            if m.supplier.bin and result["supplier_bin"] is None:
                review.append("supplier_bin:missing")
        if (
            m.supplier.vat_rate is not None
            and result["vat_rate"] is not None
            and result["vat_rate"] != m.supplier.vat_rate
        ):
            review.append("vat_rate:differs_from_supplier_usual")

    def _failed(
        self, source: str, message: str, reason: str, timings: dict[str, float], started: float
    ) -> dict[str, Any]:
        result = empty_result(source, message)
        result["needs_review"] = [reason]
        timings["total"] = _ms(started)
        result["timings_ms"] = timings
        return result


# a word that may be one piece of an identifier cut by OCR ("011-" "৩৩৯০৫", "INV-2024/" "00123")
_ID_PIECE = re.compile(r"[A-Za-z0-9০-৯/-]*[0-9০-৯][A-Za-z0-9০-৯/-]*|[A-Za-z0-9০-৯/]+[-/]")


def _field_word(line: Line, value: str, kind: str) -> Word | None:
    """The word (for an id, the words of its cell; for a date, the cell) on `line` that printed `value`."""
    if kind == "date":
        for seg in line.segments or [line.words]:
            if nz.parse_date(" ".join(w.text for w in seg)) == value:
                return _joined([w for w in seg if re.search(r"\d", nz.ascii_digits(w.text))] or seg)
        return None
    word = parsers.id_word(line, value)
    if word is None or kind != "id":
        return word
    seg = next((s for s in line.segments if word in s), line.words)
    lo = hi = seg.index(word)

    def close(a: Word, b: Word) -> bool:  # a gap narrower than a character: the same cell
        return b.x0 - a.x1 < 0.6 * max(a.height, b.height)

    while lo > 0 and close(seg[lo - 1], seg[lo]) and _ID_PIECE.fullmatch(seg[lo - 1].text):
        lo -= 1
    while hi + 1 < len(seg) and close(seg[hi], seg[hi + 1]) and _ID_PIECE.fullmatch(seg[hi + 1].text):
        hi += 1
    return _joined(seg[lo : hi + 1])


def _joined(words: list[Word]) -> Word:
    return Word("".join(w.text for w in words), min(w.conf for w in words),
                min(w.x0 for w in words), min(w.y0 for w in words),
                max(w.x1 for w in words), max(w.y1 for w in words), words[0].page)  # fmt: skip


def _garbled(cell: Word | None) -> bool:
    """A date cell with stray symbols ("$9.08.২০২৫") or both digit scripts: some digit was misread."""
    if cell is None:
        return False
    text = cell.text
    return bool(re.search(r"[^\w\s\u0980-\u09ff/.,:'\-]", text)) or (
        bool(re.search(r"[0-9]", text)) and bool(re.search(r"[\u09e6-\u09ef]", text))
    )


def _plausible_year(iso: str) -> bool:
    """An invoice dated from 2000 to next year (the box's clock may be wrong: never earlier than 2026)."""
    year = int(iso[:4])
    return 2000 <= year <= max(2026, time.gmtime().tm_year) + 1


def _amounts_unread(result: dict[str, Any]) -> int:
    return sum(result[f] is None for f in ("subtotal", "vat_amount", "total"))


# two readings of one field that disagree: never above the review bar, whatever the tables say
DISAGREE_CAP = 0.6
_BY_FIELD = ("invoice_number", "invoice_date", "supplier_bin", "supplier_name")  # each read on its own


def _digits_differ(a: str, b: str) -> bool:
    """Two readings of one word whose runs of digits are as many but not the same."""
    x, y = re.findall(r"\d+", nz.ascii_digits(a)), re.findall(r"\d+", nz.ascii_digits(b))
    return bool(x) and len(x) == len(y) and x != y


def _merge_passes(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """The second reading (table rules painted out) gives the amounts and items when it reads more
    of them without new arithmetic doubt, or when the first read one or none (its doubts travel with them);
    number, date, BIN and name come from whichever pass is surer."""
    doubts = lambda r: {x for x in r["needs_review"] if x.startswith("arithmetic:")}  # noqa: E731
    unread_first, unread_second = _amounts_unread(first), _amounts_unread(second)
    no_new_doubt = doubts(second) <= doubts(first)
    # (a first reading of one amount or none has no arithmetic to doubt: its silence proves nothing)
    more_amounts = unread_second < unread_first and (no_new_doubt or unread_first >= 2)
    # the item rows the first lost (a ruled table's quantity and price columns), and they add up
    items_doubt = any(r.startswith(("line_items:", "arithmetic:line_items")) for r in second["needs_review"])
    lost_items = not first["line_items"] and bool(second["line_items"]) and not items_doubt
    better = more_amounts or (lost_items and unread_second <= unread_first and no_new_doubt)
    base, other = (second, first) if better else (first, second)
    out = dict(base, confidence=dict(base["confidence"]))
    review = [r for r in base["needs_review"] if r.split(":")[0] not in _BY_FIELD]
    for f in _BY_FIELD:
        src = other if (other["confidence"].get(f) or 0.0) > (base["confidence"].get(f) or 0.0) else base
        out[f] = src[f]
        out["confidence"].pop(f, None)
        if src[f] is not None and f in src["confidence"]:
            out["confidence"][f] = src["confidence"][f]
        review += [r for r in src["needs_review"] if r.split(":")[0] == f]
        if None not in (first[f], second[f]) and first[f] != second[f] and out["confidence"].get(f, 0.0) >= DISAGREE_CAP:
            # the two readings of one page disagree (the unruled one may lose a "Seller | Buyer" heading
            # and take the buyer's BIN): a person decides
            out["confidence"][f] = DISAGREE_CAP
            review.append(f"{f}:readings_disagree")
    if out["supplier_name"] != base["supplier_name"]:
        out["supplier_address"], out["supplier_phone"] = other["supplier_address"], other["supplier_phone"]
    out["needs_review"] = list(dict.fromkeys(review))
    return out


def _language(lines: list[Line]) -> str | None:
    text = " ".join(ln.text for ln in lines)
    bengali = sum("\u0980" <= ch <= "\u09ff" for ch in text)
    latin = sum(ch.isascii() and ch.isalpha() for ch in text)
    if bengali + latin == 0:
        return None
    share = bengali / (bengali + latin)
    return "bn" if share > 0.8 else "en" if share < 0.2 else "mixed"


def _ms(since: float) -> float:
    return round((time.monotonic() - since) * 1000, 1)


def extract(data: bytes, source: str, options: ExtractOptions = ExtractOptions()) -> dict[str, Any]:
    """One document → one result dict (see Extractor.extract)."""
    return Extractor(options).extract(data, source)
