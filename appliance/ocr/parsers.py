"""Deterministic rules that read header fields from lines, in English and Bengali.

Owns: keyword tables, and turning lines into scored candidates for invoice
number, dates, BINs (seller vs buyer), amounts (subtotal, discount, VAT, SD,
total), VAT rate, currency, supplier / buyer name, phone and address.

Must never: pick a final value when candidates disagree (reconcile.py does,
with arithmetic), call the LLM, or know any particular supplier or layout.
A candidate's score says how sure the rule is (0..1) before OCR confidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from . import normalise as nz
from .layout import Line, Word


@dataclass(frozen=True)
class Candidate:
    value: object
    score: float  # how sure the rule is, 0..1
    line: int  # index of the line it came from (-1: inferred)
    conf: float  # OCR confidence of the words it came from, 0..1
    source: str  # e.g. "label", "label_below", "position", "llm", "arithmetic"
    role: str = ""  # for BINs: "seller" | "buyer" | ""


def _re(pattern: str) -> re.Pattern[str]:
    # NFC, like the text: Bengali ড় / য় are stored decomposed after NFC
    return re.compile(unicodedata.normalize("NFC", pattern), re.IGNORECASE)


# --- keyword tables (lower-case text, ASCII digits) ------------------------------------
INVOICE_NO = _re(
    r"(?<![a-z])(?:tax\s*|sales\s*|cash\s*)?(?:invoice|inv|bill|challan|chalan|memo|receipt|rcpt|voucher|vat\s*challan|order|sale|ref|reference|document|doc"
    r"|trans(?:action)?|rechnungs?|beleg|bon|facture|factura|fattura)\.?[\s-]*"
    # "No," is "No." misread, "N0" its "o" read as a zero
    r"(?:n[o0]\b\.?|number|num\b|nr\b|nummer|n[°º]|#|id\b|n[o0]:|n\.(?=\s*\d))\s*[:.#-]?(?:,(?=\s))?"
    r"|^(?:no|নং)\s*[:ঃ]"
    r"|(?<![a-z])(?:ref|reference)\s*[:.#-]"
    r"|(?:চালান\s*পত্র|চালানপত্র|চালান|ইনভয়েস|ইনভয়েস|বিল|মেমো|রসিদ|রশিদ|ক্যাশ\s*মেমো)\s*(?:নং|নম্বর|নাম্বার|no\b\.?|number|#)\s*[:ঃ.-]?"
    r"|সূত্র\s*(?:নং)?\s*[:ঃ]"
    r"|(?<![a-z])(?:invoice|receipt|bill)\s*[:#]"
)
DATE = _re(
    r"\b(?:invoice|bill|issue|challan|memo|receipt|document)?\s*date(?:d)?(?:\s*of\s*issue)?\b\s*[:.-]?"
    r"|(?:ইস্যুর|চালানের|বিলের|ইস্যু)?\s*(?:তারিখ|তাং)\s*[:ঃ.]?"
    r"|datum\s*[:.-]?|\bfecha\b\s*[:.-]?|\bdt\b\.?\s*[:.-]"
)
DATE_EXCLUDE = _re(
    r"due|delivery|deliver|order|expiry|exp\b|print|valid|shipping|ship|dispatch|po\s*date|birth|from|to\b|মেয়াদ|সরবরাহের|পরিশোধের"
    r"|liefer|fällig|échéance|echeance|livraison|\bl\s*/\s*c\b|\blc\b"
    r"|booking|arrival|departure|check[\s-]*(?:in|out)|last\s*date|date\s*of\s*payment|scadenza"
)
DUE_DATE = _re(
    r"due\s*date|payment\s*due|pay\s*by|due\s*on|last\s*date\s*of\s*payment|পরিশোধের\s*(?:শেষ\s*)?তারিখ|শেষ\s*তারিখ"
)
BIN_LABEL = _re(
    r"\bbin\b|b\.i\.n|business\s*identification|\bvat\s*reg|\bvat\s*registration|registration\s*no|\bvat\s*no|\btin\b"
    r"|বিআইএন|বি\s*আই\s*এন|বিন(?=[\s:ঃ.-]|$)|সনাক্তকরণ|ব্যবসা\s+(?:\S+\s+){0,2}নম্বর|নিবন্ধন|মূসক\s*নিবন্ধন"
)
SELLER_HINT = _re(
    r"seller|supplier|vendor|sold\s*by|\bfrom\b|registered\s*person|issuer|manufacturer"
    r"|বিক্রেতা|সরবরাহকারী|নিবন্ধিত\s*ব্যক্তি|প্রতিষ্ঠান"
)
BUYER_HINT = _re(
    r"buyer|purchaser|customer|client|bill\s*to|billed\s*to|sold\s*to|ship\s*to|consignee|recipient|\bto\s*:|\bparty\b"
    r"|(?<!বি)ক্রেতা|গ্রহীতা|গ্রাহক"
)
GRAND_TOTAL = _re(
    r"grand\s*total|net\s*payable|total\s*payable|amount\s*payable|payable\s*amount|total\s*amount\s*due"
    r"|amount\s*due|balance\s*due|total\s*due|invoice\s*total|total\s*(?:amount\s*)?\(?\s*(?:incl|including|inc\b|with)"
    r"|net\s*bill|bill\s*amount|total\s*bill|totale\s*(?:documento|fattura|da\s*pagare)|importo\s*totale"
    r"|gesamtbetrag|gesamtsumme|rechnungsbetrag|endbetrag|\bsumme\b(?!\s*netto)|(?:total|montant)\s*ttc|net\s*[àa]\s*payer"
    r"|\bpayable\b|(?<!sub)(?<!sub[\s-])total\s*(?:usd|eur|inr|bdt|tk|\$|€|₹)|সর্ব\s*মোট|মোট\s*প্রদেয়|(?:নিট|নীট)\s*প্রদেয়|প্রদেয়\s*মূল্য|করসহ\s*মূল্য|সর্বমোট"
)
# "TOTAI", "T0TAL", "TOTA1", "TOTA|": the label's letters OCR reads as digits or a bar
TOTAL = _re(r"\btotale?\b|\bt[o0]ta[il1|](?![a-z0-9])|মোট|\bamount\b|net\s*amount")
SUBTOTAL = _re(
    r"sub\s*-?\s*total|total\s*before|taxable\s*(?:value|amount)|total\s*\(?\s*(?:excl|excluding|ex\b|w/o)"
    r"|netto|zwischensumme|(?:total|montant)\s*ht\b|sous\s*-?\s*total|net\s*total"
    r"|amount\s*before|gross\s*(?:amount|total|value)|total\s*value|value\s*of\s*supply"
    r"|imponibile|উপ\s*-?\s*মোট|করযোগ্য|মোট\s*মূল্য"
)
# money handed over or back at the till ("BAR 20,00", "Rückgeld 8,02", "Rendu"): never the invoice's amount
PAYMENT_WORDS = r"r[üu]ckgeld|wechselgeld|\bgegeben\b|^\s*bar\b|\brendu\b|\bmonnaie\b|\bresto\b|\bcambio\b"
PAYMENT = _re(
    r"\b(?:cash|change|tendered|tender|paid|card|visa|mastercard|amex|bkash|nagad|rocket)\b|নগদ|ফেরত|" + PAYMENT_WORDS
)
TOTAL_EXCLUDE = _re(
    r"total\s*(?:qty|quantity|items?|pcs|units|weight|vat|tax|discount|sd)\b|no\.?\s*of\s*items|in\s*words"
    r"|\b(?:cash|change|tendered|paid|received|card|bkash|nagad|rocket|advance|previous|saved|saving)\b"
    r"|কথায়|নগদ|ফেরত|পরিশোধিত|পরিমাণ\s*মোট|অগ্রিম|পূর্বের|সাবেক|" + PAYMENT_WORDS
)
DISCOUNT = _re(r"discount|\bless\b|rebate|\bdisc\b\.?|ছাড়|ছাড়|ডিসকাউন্ট|বাট্টা|কমিশন")
VAT = _re(
    r"\bvat\b|v\.a\.t|\btax\b|\biva\b(?=\s*\(?\s*\d{1,2}(?:[.,]\d+)?\s*%)|\b[cis]?gst\b|\bhst\b|\bmwst\b|\bust\b|\btva\b|mushak|মূসক|মুসক|ভ্যাট|মূল্য\s*সংযোজন\s*কর|সংযোজন|মূল্য\s*কর(?![\u0980-\u09ff])"
)
VAT_EXCLUDE = _re(
    r"reg|bin\b|\bno\b|number|incl\w*\.?\s*(?:of\s*)?(?:all\s*)?(?:vat|tax|gst|mwst|tva)|before|excl|exclusive|without"
    r"|challan|invoice|-\s*6\b|\bid\b|idnr|iban|intracom|p\.?\s*iva|partita"
    # the form "Mushak-6.3" (6.1 to 6.10), its dash misread or lost
    r"|(?:mushak|মূসক|মুসক)\s*[\"'“”_~:;({\[]?\s*6\s*[.,]\s*(?:\d|10)(?![\d%.,])"
    r"|নিবন্ধন|বিআইএন|চালান|সহ\b|ব্যতীত"
)
SD = _re(
    r"supplementary\s*duty|\bsd\b|সম্পূরক\s*শুল্ক"
    r"|service\s*charge|shipping|handling|freight|carriage|delivery\s*(?:charge|fee)|সার্ভিস\s*চার্জ|ডেলিভারি\s*চার্জ"
)  # and the other charges added to the net before (or beside) VAT
DOC_TITLE = _re(
    r"^\W*(?:tax\s*)?(?:invoice|bill|cash\s*memo|memo|receipt|challan|vat\s*challan|delivery\s*challan|quotation"
    r"|sales\s*invoice|commercial\s*invoice|proforma|bill\s*of\s*supply|original|duplicate|copy|rechnung|facture"
    r"|factura|fattura|quittung|kassenbon|sales\s*receipt|government|national\s*board|(?:guest\s*)?folio)\b"
    r"|মূসক|গণপ্রজাতন্ত্রী|জাতীয়\s*রাজস্ব|জাতীয়\s*রাজস্ব|কর\s*চালান|চালানপত্র|ক্যাশ\s*মেমো|বিক্রয়\s*চালান|নগদ\s*মেমো|^\W*বিল\W*$"
)
COMPANY_HINT = _re(
    r"\b(?:ltd|limited|plc|inc|llc|co\b|company|corp|corporation|traders?|trading|enterprises?|industries"
    r"|store|stores|shop|mart|market|supermarket|bazar|bazaar|supply|supplies|agency|agencies|pharma|pharmacy|electronics"
    r"|group|international|house|centre|center|distribution|distributors?|hardware|textiles?|mills?|foods?"
    r"|motors|printing|packaging|stationery|steel|agro|garments?|fashions?|engineering|gmbh|sarl|pvt|private|llp)\b"
    r"|লিমিটেড|লিঃ|ট্রেডার্স|এন্টারপ্রাইজ|এন্টারপ্রাইজ|স্টোর|ষ্টোর|বিতান|ভান্ডার|ভাণ্ডার|হাউস|মার্ট|ফার্মেসী|ফার্মেসি|ইন্ডাস্ট্রিজ|কোম্পানি|এজেন্সি|বস্ত্রালয়|শিল্প"
    r"|কোং|মটরস|প্রিন্টিং|প্যাকেজিং|স্টেশনারী|ইলেকট্রনিক্স|টেক্সটাইল|ফুডস|হার্ডওয়্যার|ডিস্ট্রিবিউশন|মিলস|এগ্রো"
)
ADDRESS_HINT = _re(
    r"\b(?:road|rd|street|st|avenue|ave|lane|house|holding|floor|plot|block|sector|section|market|bazar|thana|upazila"
    r"|dhaka|chattogram|chittagong|khulna|rajshahi|sylhet|barishal|barisal|rangpur|mymensingh|gazipur|narayanganj"
    r"|comilla|cumilla|bogura|bangladesh|address|tejgaon|gulshan|banani|dhanmondi|mirpur|uttara|motijheel)\b"
    r"|ঢাকা|চট্টগ্রাম|খুলনা|রাজশাহী|সিলেট|বরিশাল|রংপুর|ময়মনসিংহ|ময়মনসিংহ|রোড|সড়ক|বাড়ি|বাসা|মার্কেট|বাজার|ঠিকানা|থানা|উপজেলা|বাংলাদেশ|গাজীপুর|নারায়ণগঞ্জ|নারায়ণগঞ্জ"
)
CONTACT = _re(r"phone|\btel\b|\bph\b|mobile|cell|mob\b|fax|e-?mail|www\.|https?:|@|ফোন|মোবাইল|মোবাঃ|হটলাইন|hotline")
PHONE = re.compile(r"(?<!\d)(?:\+?88[\s-]?)?0(?:1[3-9]\d{2}[\s-]?\d{6}|[2-9]\d{0,3}[\s-]?\d{5,8})(?!\d)")
NAME_LABEL = _re(
    r"^(?:seller|supplier|vendor|sold\s*by|from|company)(?:'s)?\s*(?:name)?\s*[:ঃ-]"
    r"|(?:registered\s*person(?:'s)?\s*name|name\s*of\s*(?:the\s*)?(?:seller|supplier|registered\s*person|company))\s*[:ঃ;.-]?"
    r"|(?:ব্যক্তির|বিক্রেতার|সরবরাহকারীর|প্রতিষ্ঠানের)\s*[নল]াম\s*[:ঃ;.-]?"  # নাম misread লাম
    r"|নিবন্ধিত\s*ব্যক্তির(?!\s*(?:বিআইএন|বিন|ঠিকানা|নাম))\s*[:ঃ]?"  # its নাম lost by the OCR
    # a misread middle word, or নিবন্ধিত itself misread ("নিবদ্ধিত", "নিবঞ্জিত")
    r"|নিব\S*\s+\S+\s+[নল]াম\s*[:ঃ;.-]?|name\s*of\s*\S+\s*person\s*[:;.-]?"
    r"|^(?:বিক্রেতা|সরবরাহকারী)\s*[:ঃ-]"
    r"|^(?:seller|supplier|vendor|from|বিক্রেতা|সরবরাহকারী)\s*$"  # a column heading, the name under it
)
BUYER_LABEL = _re(
    r"^(?:bill(?:ed)?\s*to|sold\s*to|(?:buyer|customer|purchaser)(?:'s)?\s*name|name\s*of\s*(?:the\s*)?(?:buyer|customer))\s*[:ঃ;-]?"
    r"|^(?:buyer|customer|purchaser|client|party|guest|patient|to|m/s\.?)\s*[:ঃ-]"
    r"|^(?:ক্রেতার\s*নাম|ক্রেতা|গ্রাহকের\s*নাম|গ্রাহক|গ্রহীতার\s*নাম|নাম)\s*[:ঃ;-]?(?=\s|$)"
)

_GSTIN = r"\b\d{2}[a-z]{5}\d{4}[a-z][0-9a-z]z[0-9a-z]\b"  # India's GST number: state, PAN, entity, "Z", check
CURRENCIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("BDT", _re(r"৳|\bbdt\b|\btk\b|\btk\.|\btaka\b|টাকা|টাঃ")),
    # "$$17.90" and "5$17.90" (glued to the amount, no digit before the "5") are "S$" misread
    ("USD", _re(r"\busd\b|us\s?\$|(?<![a-z$])(?<!(?<![\d.,])5)\$(?!\$)")),
    ("EUR", _re(r"€|\beur\b|\beuro")),
    # a GSTIN ("29AAFCV2231K1Z5") or CGST/SGST/IGST lines name India when OCR loses the "₹"
    ("INR", _re(r"₹|\binr\b|\brs\.?\s*\d|\brupees?\b|\bgstin\b|\b[cis]gst\b|" + _GSTIN)),
    ("GBP", _re(r"£|\bgbp\b")),
    ("AED", _re(r"\baed\b|\bdhs?\b|dirham")),
    ("SAR", _re(r"\bsar\b|riyal")),
    ("SGD", _re(r"\bsgd\b|s\$|\$\$|(?<![\d.,])5\$(?=\d)|\bsingapore\b")),
    ("MYR", _re(r"\bmyr\b|\brm\s?\d")),
    ("THB", _re(r"฿|\bthb\b|\bbaht\b")),
    ("CNY", _re(r"\bcny\b|\brmb\b|¥|yuan")),
    ("JPY", _re(r"\bjpy\b|\byen\b")),
    ("AUD", _re(r"\baud\b|\ba\$")),
    ("CAD", _re(r"\bcad\b|\bc\$")),
)


def text_of(line: Line) -> str:
    return nz.clean_text(line.text).lower()


# a label's gloss in the other script before its value: "Bill No. (চালান নং): 123", "Inv No চালান নং): 123"
_GLOSS = re.compile(r"^\s*(?:\([^()\d]{0,30}\)|[\u0980-\u09ff][\u0980-\u09ff\s.]{0,25}\)?)\s*(?=[:ঃ#.=|-])")


def _after(text: str, m: re.Match[str]) -> str:
    rest = text[m.end() :]
    return _GLOSS.sub("", rest, count=1).lstrip(" :ঃ#.-=|)")


def _below(lines: list[Line], line: Line, x0: float, x1: float, max_gap: int = 1) -> list[tuple[Line, list[Word]]]:
    """Words in the next line(s) that sit under the span x0..x1 (a label with its value beneath)."""
    out = []
    for nxt in lines[line.index + 1 : line.index + 1 + max_gap]:
        if nxt.page != line.page or nxt.y0 - line.y1 > 3 * max(1.0, line.y1 - line.y0):
            break
        width = max(x1 - x0, 1.0)
        words = [w for w in nxt.words if w.x1 > x0 - 0.3 * width and w.x0 < x1 + 1.5 * width]
        if words:
            out.append((nxt, words))
    return out


def _label_x(line: Line, text: str, m: re.Match[str]) -> tuple[float, float]:
    """Horizontal extent of the words that a regex match in the line's text covers."""
    pos, spans = 0, []
    for w in line.words:
        start = text.find(nz.clean_text(w.text).lower(), pos)
        if start < 0:
            continue
        end = start + len(nz.clean_text(w.text))
        pos = end
        if end > m.start() and start < m.end():
            spans.append(w)
    if not spans:
        return line.x0, line.x1
    return min(w.x0 for w in spans), max(w.x1 for w in spans)


def labelled(
    lines: list[Line],
    label: re.Pattern[str],
    read: Callable[[str], object | None],
    exclude: re.Pattern[str] | None = None,
    score: float = 0.9,
) -> list[Candidate]:
    """Values that follow a label on its line, or sit right under it."""
    out: list[Candidate] = []
    for line in lines:
        text = text_of(line)
        # every label on the line may hold the value ("Bill No. (চালান নং): 123" matches twice);
        # each distinct value read after a label counts ("Order No: 7 | Invoice No: 9", two columns),
        # else the value under the first label
        matches = [m for m in label.finditer(text)
                   if not (exclude and exclude.search(text[max(0, m.start() - 12) : m.end() + 4]))]  # fmt: skip
        values: list[object] = []
        for m in matches:
            value = read(_after(text, m))
            if value is not None and value not in values:
                values.append(value)
                out.append(Candidate(value, score, line.index, line.mean_conf, "label"))
        if values or not matches:
            continue
        x0, x1 = _label_x(line, text, matches[0])
        for nxt, words in _below(lines, line, x0, x1):
            value = read(nz.clean_text(" ".join(w.text for w in words)))
            if value is not None:
                conf = sum(w.conf for w in words) / len(words)
                out.append(Candidate(value, score * 0.85, nxt.index, conf, "label_below"))
                break
    return out


# --- field readers --------------------------------------------------------------------

_ID = re.compile(r"^[#:\s]*([A-Za-z0-9][A-Za-z0-9/_.\-]{0,30})")


def read_invoice_number(text: str) -> str | None:
    text = re.sub(r"(?<=\w[-/])\s+(?=\d)", "", text)  # OCR spaces inside "CM- 24122"
    m = _ID.match(text)
    if not m:
        return None
    value = m.group(1).rstrip(".-/")
    if not re.search(r"\d", value) or nz.parse_date(value) or len(value) < 2 and not value.isdigit():
        return None
    if value.lower() in ("date", "dated"):
        return None
    value = _SEP_GROUP.sub(
        lambda g: _DIGIT_LOOKALIKE.sub(lambda c: c.group(0).translate(nz.OCR_DIGIT_FIX), g.group(0)), value
    )
    return value.upper() if re.fullmatch(r"[a-z]{1,6}[-/]?\d.*", value) else value


# a letter between digits in a group after the id's first separator is a misread digit ("INV-2O24-0457");
# the first group is left alone: "SO2408" and "502408" are both ids
_SEP_GROUP = re.compile(r"(?<=[-/])[^-/]+")
_DIGIT_LOOKALIKE = re.compile(r"(?<=\d)[OoIlSB](?=\d)|(?<=\d)[OoIl]$|^[OoIl](?=\d)")


def _as_printed(line: Line, value: str) -> str:
    """The value in the line's own letter case (labels are matched on lower-cased text)."""
    printed = nz.clean_text(line.text)
    at = printed.lower().find(value.lower())
    return printed[at : at + len(value)] if at >= 0 else value


def id_word(line: Line, value: str) -> Word | None:
    """The word of `line` that carries most of `value` (for a second reading of it)."""
    best, overlap = None, 0
    for w in line.words:
        t = nz.clean_text(w.text).lower()
        n = max((k for k in range(len(value), 1, -1) for i in range(len(value) - k + 1) if value.lower()[i : i + k] in t),
                default=0)  # fmt: skip
        if n > overlap:
            best, overlap = w, n
    return best if overlap >= min(3, len(value)) else None


_WEAK_NO_LABEL = re.compile(
    unicodedata.normalize("NFC", r"^(?:order|sale|ref|reference|document|doc|সূত্র|no\b|নং)"), re.IGNORECASE
)
_OTHER_NO = _re(r"(?<![a-z])(?:p\.?\s?o|order|work\s*order|w\.?o|lc|l/c|vehicle|a/c)\b|ক্রয়াদেশ|কার্যাদেশ|যানবাহন")
_OTHER_PAPER = _re(
    r"(?:gate\s*pass|delivery(?:\s*note)?|dispatch|despatch|packing(?:\s*list)?|order|work\s*order|p\.?\s?o\.?|"
    r"job|booking|token|table|kot|ticket|account|customer|member(?:ship)?|loyalty|gatepass|গেট\s*পাস)\s*[/&,]?\s*$"
)
_ID_LIKE = re.compile(r"(?<![\w/-])([A-Z]{2,5}[-/][A-Z0-9/-]*\d{3,})(?![\w/-])")


def invoice_numbers(lines: list[Line]) -> list[Candidate]:
    out = []
    for c in labelled(lines, INVOICE_NO, read_invoice_number):
        text = text_of(lines[c.line] if c.source == "label" else lines[max(0, c.line - 1)])
        at = text.find(str(c.value).lower()) if c.source == "label" else -1
        # the label right before the value names it ("Order Number: 1 Invoice Number: 2")
        label = ([m for m in INVOICE_NO.finditer(text) if at < 0 or m.end() <= at] or [None])[-1]
        weak = bool(label and _WEAK_NO_LABEL.match(label.group(0).strip()))
        # "Gate Pass / Receipt No.", "Delivery Note / Bill No": the number of another paper
        weak = weak or bool(label and _OTHER_PAPER.search(text[max(0, label.start() - 20) : label.start()]))
        value = _as_printed(lines[c.line], str(c.value))
        out.append(Candidate(value, c.score * (0.7 if weak else 1.0), c.line, c.conf, c.source))
    # an "INV-2024-0457"-shaped code near the top, when no label was read (not an order's or a PO's)
    for line in lines:
        if line.page == 0 and line.rel_y < 0.45:
            printed = nz.clean_text(line.text)
            for m in _ID_LIKE.finditer(printed):
                if not _OTHER_NO.search(printed[max(0, m.start() - 20) : m.end()]):
                    out.append(Candidate(m.group(1), 0.4, line.index, line.mean_conf, "position"))
    return out


def dates(lines: list[Line], month_first: bool = False) -> list[Candidate]:
    out = labelled(lines, DATE, lambda t: nz.parse_date(t[:40], month_first), exclude=DATE_EXCLUDE)
    seen = {c.line for c in out}
    for line in lines:  # any date anywhere, for when the label was misread
        if line.index in seen or DUE_DATE.search(text_of(line)) or DATE_EXCLUDE.search(text_of(line)):
            continue
        value = nz.parse_date(line.text, month_first)
        if value:
            out.append(Candidate(value, 0.45 if line.rel_y < 0.5 else 0.3, line.index, line.mean_conf, "position"))
    return out


def due_dates(lines: list[Line], month_first: bool = False) -> list[Candidate]:
    return labelled(lines, DUE_DATE, lambda t: nz.parse_date(t[:40], month_first))


# a Bangladeshi mobile number, as printed ("+880 1712-345678", "01712345678"): never a BIN
_MOBILE = re.compile(r"(?<!\d)(?:\+?\s?88\s?0?[\s-]?|0)1[3-9]\d{2}[\s-]?\d{6}(?!\d)")
# a foreign tax id glued to its country letters ("GB123456789", "DE123456789"): never a BIN
_LETTERED_ID = re.compile(
    r"\b(?!bin\d|no\d)[a-z]{2,3}\d[\d ]*"
    r"|\b(?:gb|xi|de|fr|it|es|nl|be|at|ie|pt|pl|se|dk|fi|ch|lu|cz|el|hu|ro|bg|hr|si|sk|lt|lv|ee|cy|mt)\s\d[\d ]*"
)


def _bin_in(text: str) -> str | None:
    """The BIN in the text that follows a BIN label, up to a phone or e-mail label."""
    contact = CONTACT.search(text)
    text = text[: contact.start()] if contact else text
    return nz.parse_bin(_LETTERED_ID.sub(" ", _MOBILE.sub(" ", text)))


def _seg_texts(line: Line) -> list[tuple[list[Word], str]]:
    return [(seg, nz.clean_text(" ".join(w.text for w in seg)).lower()) for seg in line.segments or [line.words]]


def _overlaps(a: list[Word], b: list[Word], tol: float) -> bool:
    return a[0].x0 < b[-1].x1 + tol and a[-1].x1 > b[0].x0 - tol


def bins(lines: list[Line]) -> list[Candidate]:
    """Every BIN printed by a BIN label: after it, in the next cell, or under it (same column).

    The role ("seller" / "buyer" / "") comes from the label's own words ("BIN of Buyer",
    "নিবন্ধিত ব্যক্তির বিআইএন") or else the heading of the BIN's column ("Bill To", "Seller")."""
    out: list[Candidate] = []
    for line in lines:
        cells = _seg_texts(line)
        conf = min((w.conf for w in line.words if re.search(r"\d{3}", nz.ascii_digits(w.text))), default=line.mean_conf)
        for i, (seg, text) in enumerate(cells):
            labels = list(BIN_LABEL.finditer(text))
            for k, m in enumerate(labels):
                end = labels[k + 1].start() if k + 1 < len(labels) else len(text)
                value, where, context = _bin_in(text[m.end() : end]), seg, text[labels[k - 1].end() if k else 0 : end]
                last = k + 1 == len(labels) and i + 1 < len(cells)
                if value is None and last and not BIN_LABEL.search(cells[i + 1][1]):
                    value, where = _bin_in(cells[i + 1][1]), cells[i + 1][0]  # "BIN No: | 000123456-0101"
                if value is None:
                    continue
                at = context.find(value[:9])
                role = _role(context[:at] if at >= 0 else context) or _block_role(lines, line, where)
                out.append(Candidate(value, 0.9, line.index, conf, "label", role))
            if labels:
                continue
            value = _bin_in(text)
            if value is None or (i > 0 and BIN_LABEL.search(cells[i - 1][1])):
                continue  # no BIN here, or one already read as the next cell of its label
            score = _label_near(lines, line, seg)
            if score:
                role = _role(text[: max(0, text.find(value[:9]))]) or _block_role(lines, line, seg)
                out.append(Candidate(value, score, line.index, conf, "label_below", role))
    return out


def _label_near(lines: list[Line], line: Line, seg: list[Word]) -> float:
    """How surely an unlabelled BIN-shaped number is a BIN: a BIN label right above it in its
    column (or beside it, on a line the OCR split off) 0.8; a BIN label anywhere on the line above 0.6."""
    tol = 0.1 * line.page_width
    above = 0.0
    for near in lines[max(0, line.index - 1) : line.index + 2]:
        if near is line or near.page != line.page:
            continue
        side = min(near.y1, line.y1) - max(near.y0, line.y0) > 0  # split off the same printed line
        if not (side or near.index == line.index - 1):
            continue
        for nseg, ntext in _seg_texts(near):
            if BIN_LABEL.search(ntext) and _bin_in(ntext) is None:
                if _overlaps(nseg, seg, tol):
                    return 0.8
                above = max(above, 0.6 if near.index == line.index - 1 else 0.0)
    return above


def _role(context: str) -> str:
    """Whose BIN the label right before it names: the last hint wins ("Seller … Buyer BIN:")."""
    hits = [(m.start(), "seller") for m in SELLER_HINT.finditer(context)]
    hits += [(m.start(), "buyer") for m in BUYER_HINT.finditer(context)]
    return max(hits)[1] if hits else ""


def _block_role(lines: list[Line], line: Line, cell: list[Word]) -> str:
    """Role from the heading of the cell's column: a short segment above it (within a few lines)
    that names a party ("Bill To:", "Seller", "ক্রেতা"). A tagline or a sentence is not a heading."""
    tol = 0.05 * line.page_width
    for prev in reversed(lines[max(0, line.index - 6) : line.index]):
        if prev.page != line.page:
            break
        for seg, text in _seg_texts(prev):
            if len(text.split()) > 5 or not _overlaps(seg, cell, tol) or seg[0].x0 > cell[-1].x1:
                continue
            role = _role(text)
            if role:
                return role
    return ""


_QUANTITY = re.compile(
    r"(?<![\d.,])\d[\d,]*(?:\.\d+)?\s?(?:nos|pcs|pc|pieces|units?|kgs?|ltrs?|litres?|rims?|reams?|pkts?|packets?|ctns?"
    r"|cartons?|boxes|bags|doz|dozens?|pairs?|sets|rolls?|bottles?|tons?|mt|bundles?)\b\.?"
)


def _strip_noise(text: str) -> str:
    """Remove percentages, dates and BINs so they are not read as amounts."""
    text = re.sub(r"\d+(?:[.,]\d+)?\s*%(?!\d)", " ", text)  # "%2,500.00": a "₹" misread, the amount stays
    text = _QUANTITY.sub(" ", text)
    text = re.sub(r"(?<!\d)\d{1,4}[./-]\d{1,2}[./-]\d{2,4}(?!\d)", " ", text)
    return re.sub(r"(?<!\d)\d{9,}(?:-\d{4})?(?!\d)", " ", text)


def _amounts_after(text: str) -> list[float]:
    return [v for v, _, _ in nz.find_amounts(_strip_noise(text))]


def amount_candidates(lines: list[Line]) -> dict[str, list[Candidate]]:
    """Subtotal / discount / VAT / SD / total candidates: every amount right of a label."""
    out: dict[str, list[Candidate]] = {k: [] for k in ("subtotal", "discount", "vat_amount", "sd", "total")}
    carried = False  # a previous balance printed above
    for line in lines:
        text = text_of(line)
        kinds = _amount_kinds(text)
        carried = carried or bool(PREVIOUS_DUE.search(text))
        for kind, score, m in kinds:
            if carried and kind == "total" and _RUNNING.search(text):
                continue
            values = _amounts_after(text[m.end() :])
            if not values and column_heading(text):
                continue  # "Item  Qty  Amount": the row under a table's heading is an item, not its value
            if not values:  # the value printed a little higher or lower than its label (photos, handwriting)
                values, score = _amounts_beside(lines, line), score * 0.8
            # a VAT line that says the prices include it ("VAT @ 20% (included)"): reconcile may then
            # take the one printed total as the gross subtotal
            source = "included" if kind == "vat_amount" and _vat_included(lines, line) else "label"
            # the rightmost amount is the line's value; others are columns of a total row
            for rank, value in enumerate(reversed(values)):
                if value == 0 and kind == "total" or kind != "discount" and value < 0:
                    continue
                if kind in ("subtotal", "total") and value < 0.5 * max(values):
                    continue  # a totals row's tax column: the net is at least half the payable
                out[kind].append(Candidate(abs(value), score * (0.9**rank), line.index, _conf_right(line), source))
            if kind == "total" and score >= 0.75 and len(values) >= 2:
                _total_row(values, line, out)
    for row in vat_table_rows(lines):
        line = lines[row.line]
        source = "included" if row.included else "label"
        out["vat_amount"].append(Candidate(row.vat, 0.85, row.line, _conf_right(line), source))
    # the amount in words ("Taka Thirty-Nine Thousand ... Only"): the payable, spelt out a second time
    for line in lines:
        nxt = lines[line.index + 1] if line.index + 1 < len(lines) else None
        value = nz.amount_in_words(line.text)
        if value is None and nxt is not None and nxt.page == line.page:  # wrapped onto a second line
            value = nz.amount_in_words(f"{line.text} {nxt.text}")
        if value:
            out["total"].append(Candidate(value, 0.85, line.index, line.mean_conf, "words"))
    # CGST + SGST lines: the VAT is their sum (each line's first amount: a table row prints more after it)
    parts = _component_taxes(lines, lambda text, m: next(iter(_amounts_after(text[m.end() :])), None))
    if parts:
        # as sure as the component lines' words (a misread payable beside "CGST" is not a doubt about it)
        conf = min(lines[i].mean_conf for _, i in parts)
        out["vat_amount"].append(Candidate(round(sum(v for v, _ in parts), 2), 0.95, -1, conf, "label"))
    return out


_INCLUDED = _re(r"\bincl\b|\bincluded\b|\binclusive\b|\binc\.|\binkl\b|enthalten|\bcompris\b|inclusa|incluido|সহ\b")
_COLUMN_WORDS = _re(
    r"\b(?:qty|quantity|description|items?|particulars|product|price|rate|unit|mrp)\b|পরিমাণ|পরিমান|বিবরণ|\bদর\b"
)


AFTER_DUE = _re(r"after\s*(?:the\s*)?(?:due|last)\s*date|late\s*(?:payment|fee)|surcharge|বিলম্ব")
_TOTAL_TAX = _re(r"^\W*total\s*(?:vat|tax|gst|mwst|tva)\b|^\W*মোট\s*(?:মূসক|ভ্যাট)")
# a balance carried from earlier bills: the "Total Due" printed after it is the running balance
PREVIOUS_DUE = _re(
    r"previous\s*(?:due|balance)|opening\s*balance|\bb\s*/\s*f\b|old\s*due|পূর্বের\s*বাকি|সাবেক\s*বাকি|পূর্বের\s*জের"
)


_RUNNING = _re(r"\bdue\b|balance|payable|receivable|বাকি|জের|পাওনা")


def amount_line(text: str) -> bool:
    """A labelled amount ("মোট ২,৩৫০", "Total 880.00", "অগ্রিম ১,০০০"): never a party's name."""
    return bool((_amount_kinds(text) or TOTAL_EXCLUDE.search(text)) and _amounts_after(text))


def column_heading(text: str) -> bool:
    """A table's column headings ("Item  Qty  Amount", "ক্রমিক বিবরণ পরিমাণ দর টাকা"): no digits, two or more
    column names. Never an amount's label, nor a party's name."""
    if re.search(r"[\d\u09e6-\u09ef]", text):
        return False
    words = {m.group(0) for m in _COLUMN_WORDS.finditer(text)}
    amount = re.search(r"\bamount\b|\btotal\b|টাকা|মূল্য|মোট", text)
    return len(words) + bool(amount) >= 2 and bool(words)


def _vat_included(lines: list[Line], line: Line) -> bool:
    """The VAT line (or a bare note OCR split off under it) says the prices include the VAT."""
    if _INCLUDED.search(text_of(line)):
        return True
    nxt = lines[line.index + 1] if line.index + 1 < len(lines) else None
    return bool(nxt and nxt.page == line.page and _INCLUDED.search(text_of(nxt)) and not _amounts_after(text_of(nxt)))


@dataclass(frozen=True)
class VatRow:
    line: int
    rate: float
    net: float
    vat: float
    included: bool  # the table has a gross column: it breaks down a VAT-inclusive total


_GROSS_HEAD = _re(r"brutto|\bgross\b|\bincl|\bttc\b|\blordo\b|\btotal\b")


def vat_table_rows(lines: list[Line]) -> list[VatRow]:
    """Rows of a VAT summary table, "A 7%  11,20  0,78  11,98": a rate, then the net and the VAT it
    is of that net to the cent (and the gross, their sum). The arithmetic names the row; a discount's
    or a charge's own "10% 500.00 50.00" is left to its label."""
    out = []
    for line in lines:
        text = text_of(line)
        m = re.search(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,2})?)\s*%(?!\d)", nz.ascii_digits(text))
        if not m or DISCOUNT.search(text) or SD.search(text) or _amount_kinds(text[: m.start()]):
            continue
        rate = float(m.group(1).replace(",", "."))
        values = _amounts_after(text[m.end() :])
        if not 0 < rate < 100 or len(values) not in (2, 3):
            continue
        net, vat = values[0], values[1]
        if net <= 0 or abs(vat - net * rate / 100) > max(0.011, 0.002 * vat) or vat <= 0:
            continue
        if len(values) == 3 and abs(values[2] - (net + vat)) > 0.011:
            continue
        heads = lines[max(0, line.index - 3) : line.index]
        included = len(values) == 3 and any(_GROSS_HEAD.search(text_of(h)) and VAT.search(text_of(h)) for h in heads)
        out.append(VatRow(line.index, rate, net, vat, included))
    return out


def _amounts_beside(lines: list[Line], line: Line) -> list[float]:
    """Amounts on the line just above or below a bare label, when that line has no label of its own."""
    for other in lines[line.index + 1 : line.index + 2] + lines[max(0, line.index - 1) : line.index]:
        text = text_of(other)
        if other.page != line.page or _amount_kinds(text) or PAYMENT.search(text):
            continue
        if other.x1 > line.x1 and abs(other.y0 - line.y0) < 2.5 * max(1.0, line.y1 - line.y0):
            values = _amounts_after(text)
            if values:
                return values
    return []


def payable_unread(lines: list[Line]) -> bool:
    """A "Grand Total / Net Payable" label whose number is not read (on its line or beside it)."""
    for line in lines:
        text = text_of(line)
        m = GRAND_TOTAL.search(text)
        if (
            m
            and not TOTAL_EXCLUDE.search(text)
            and not _amounts_after(text[m.end() :])
            and not _amounts_beside(lines, line)
        ):
            return True
    return _ends_at_subtotal(lines)


_SUB_TOTAL = _re(r"^\W*(?:sub\s*-?\s*total|zwischensumme|sous\s*-?\s*total|উপ\s*-?\s*মোট)\b")


def _ends_at_subtotal(lines: list[Line]) -> bool:
    """The last amount printed is a "Subtotal": the photo or the scan lost the lines below it (tax,
    shipping, the payable), so the payable is unread too; nothing after it may prove the VAT zero."""
    for line in reversed(lines):
        text = text_of(line)
        if not _amounts_after(text):
            continue
        m = _SUB_TOTAL.search(text)
        return bool(m) and bool(_amounts_after(text[m.end() :]))
    return False


def vat_printed(lines: list[Line]) -> bool:
    """Is a VAT (tax) line printed at all, beyond a VAT registration number or the form's name?"""
    for line in lines:
        text = text_of(line)
        for m in VAT.finditer(text):
            if not VAT_EXCLUDE.search(text[max(0, m.start() - 15) : m.end() + 15]):
                return True
        # a rate beside an amount is a tax line whose label OCR lost, unless it is the discount's
        if re.search(r"\d\s*%", text) and _amounts_after(text) and not DISCOUNT.search(text):
            return True
    return False


def _total_row(values: list[float], line: Line, out: dict[str, list[Candidate]]) -> None:
    """A totals row of a table ("Total | 11,545.48 | 577.27 | 12,122.75"): value, taxes, payable.

    Only proposals: reconcile keeps them when the arithmetic across them holds.
    """
    conf = _conf_right(line)
    positive = [v for v in values if v > 0]
    if len(positive) < 2:
        return
    # net + VAT = payable with a rate ≤ 100% puts the net at half the payable or more: a smaller
    # first column ("TOTAL: 381.36 2,500.00") is the tax column, the net column unprinted or unread
    if positive[0] < 0.5 * positive[-1] and len(positive) == 2:
        out["vat_amount"].append(Candidate(positive[0], 0.7, line.index, conf, "label"))
        return
    out["subtotal"].append(Candidate(positive[0], 0.8, line.index, conf, "label"))
    for v in positive[1:-1]:
        out["vat_amount"].append(Candidate(v, 0.7, line.index, conf, "label"))


def _amount_kinds(text: str) -> list[tuple[str, float, re.Match[str]]]:
    kinds: list[tuple[str, float, re.Match[str]]] = []
    if AFTER_DUE.search(text):
        return kinds  # "Amount payable after due date": the late bill, not this one
    tax_sum = _TOTAL_TAX.match(text)
    if tax_sum and not VAT_EXCLUDE.search(text):
        return [("vat_amount", 0.9, tax_sum)]
    if TOTAL_EXCLUDE.search(text) and not GRAND_TOTAL.search(text):
        return kinds
    sub = SUBTOTAL.search(text)
    grand = GRAND_TOTAL.search(text)
    vat = VAT.search(text)
    if sub:
        kinds.append(("subtotal", 0.9, sub))
        if not grand:
            kinds.append(("total", 0.3, sub))  # "Total value" is sometimes the payable
    if grand:
        kinds.append(("total", 0.95, grand))
    elif not sub and not vat:
        m = TOTAL.search(text)
        if m and not DISCOUNT.search(text):
            kinds.append(("total", 0.75, m))
            kinds.append(("subtotal", 0.5, m))  # "Total" above a VAT line is the base
    m = DISCOUNT.search(text)
    if m:
        kinds.append(("discount", 0.9, m))
    if vat and not VAT_EXCLUDE.search(text[max(0, vat.start() - 15) : vat.end() + 15]) and not sub and not grand:
        kinds.append(("vat_amount", 0.9, vat))
    m = SD.search(text)
    if m and not vat:
        kinds.append(("sd", 0.8, m))
    return kinds


def _conf_right(line: Line) -> float:
    digits = [w.conf for w in line.words if re.search(r"\d", nz.ascii_digits(w.text))]
    return min(digits[-2:]) if digits else line.mean_conf


def vat_rates(lines: list[Line]) -> list[Candidate]:
    out: list[Candidate] = []
    for line in lines:
        text = text_of(line)
        m = VAT.search(text)
        if not m or VAT_EXCLUDE.search(text[max(0, m.start() - 15) : m.end() + 15]):
            continue
        rate = nz.parse_percent(text[m.start() :])
        if rate is None:  # the rate printed before its label: "zzgl. 19% MwSt.", "20 % VAT"
            rate = nz.parse_percent(text[max(0, m.start() - 12) : m.start()])
        if rate is None:
            r = re.search(r"(?:rate|হার)\s*[:@]?\s*(\d{1,2}(?:\.\d{1,2})?)\b", text)
            rate = float(r.group(1)) if r else None
        if rate is not None:
            out.append(Candidate(rate, 0.9, line.index, line.mean_conf, "label"))
    parts = _component_taxes(
        lines,
        lambda text, m: (
            nz.parse_percent(text[m.start() :]) or nz.parse_percent(text[max(0, m.start() - 8) : m.start()])
        ),
    )
    for row in vat_table_rows(lines):
        if not any(c.line == row.line for c in out):
            out.append(Candidate(row.rate, 0.85, row.line, lines[row.line].mean_conf, "label"))
    if parts:  # CGST 9% + SGST 9%: one tax of 18%
        conf = min((c.conf for c in out), default=1.0)
        out.append(Candidate(round(sum(v for v, _ in parts), 2), 0.95, -1, conf, "label"))
    return out


# the shares one tax is split into on its own lines (India: CGST + SGST, or UTGST)
_COMPONENT = re.compile(r"\b(?:cgst|sgst|utgst)\b")


def _component_taxes(lines: list[Line], read: Callable[[str, re.Match[str]], float | None]) -> list[tuple[float, int]]:
    """(value, line) per component-tax line (CGST, SGST...) when at least two of them print one; else []."""
    got: dict[str, tuple[float, int]] = {}
    for line in lines:
        text = text_of(line)
        m = _COMPONENT.search(text)
        if m and m.group(0) not in got and not VAT_EXCLUDE.search(text[max(0, m.start() - 15) : m.end() + 15]):
            value = read(text, m)
            if value is not None:
                got[m.group(0)] = (value, line.index)
    if len(got) < 2:
        return []
    values = {v for v, _ in got.values()}
    if len(values) == 1:
        return list(got.values())
    # the shares are equal halves by law; "2190.68" beside "190.68" is the "₹" read as a digit
    low, high = min(values), max(values)
    misread_sign = len(values) == 2 and low > 0 and f"{high:.2f}"[1:] == f"{low:.2f}"
    return [(low, i) for _, i in got.values()] if misread_sign else []


def currency(lines: list[Line]) -> tuple[str, float]:
    """ISO code and how sure: BDT unless the document clearly names another currency."""
    counts = {code: 0 for code, _ in CURRENCIES}
    for line in lines:
        text = nz.clean_text(line.text).lower()
        for code, pattern in CURRENCIES:
            counts[code] += len(pattern.findall(text))
    if _latin_share(lines) < 0.5:
        # mostly Bengali script: a Bangladeshi document; stray "$" in a noisy photo is not USD
        return "BDT", 0.95 if counts["BDT"] else 0.8
    foreign = max((c for c in counts if c != "BDT"), key=lambda c: counts[c])
    # one stray "$" or "£" in a noisy Bengali photo is not a foreign invoice
    if counts[foreign] > counts["BDT"] and (counts[foreign] >= 2 or counts["BDT"] == 0 and _latin_share(lines) > 0.7):
        return foreign, 0.9 if counts[foreign] >= 2 else 0.6
    if not any(counts.values()) and _latin_share(lines) > 0.7:
        # no currency named anywhere on a Latin-script page (a photo OCR mostly lost): BDT only if
        # something else says Bangladesh, else a person is asked
        bangladeshi = any(_BANGLADESH.search(nz.clean_text(line.text).lower()) for line in lines)
        return "BDT", 0.7 if bangladeshi else 0.5
    return "BDT", 0.95 if counts["BDT"] else 0.7


_BANGLADESH = _re(
    r"bangladesh|dhaka|chatt?ogram|chittagong|khulna|rajshahi|sylhet|barishal|barisal|rangpur|mymensingh|gazipur"
    r"|narayanganj|cumilla|comilla|bogura|mushak|\bbin\b|\bnbr\b|(?:\+?88\s?)?\b01[3-9]\d{2}[\s-]?\d{6}\b"
    r"|[\u0980-\u09e5]{3,}"  # a Bengali word; OCR of a failed Latin photo strews Bengali digits and letter pairs
)


def _latin_share(lines: list[Line]) -> float:
    text = " ".join(line.text for line in lines)
    # letters only: a failed photo of a Latin page reads its smudges as Bengali digits
    bengali = sum("\u0980" <= ch <= "\u09ff" and not "\u09e6" <= ch <= "\u09ef" for ch in text)
    latin = sum(ch.isascii() and ch.isalpha() for ch in text)
    return latin / max(1, bengali + latin)


def phones(lines: list[Line]) -> list[Candidate]:
    out = []
    for line in lines:
        m = PHONE.search(nz.clean_text(line.text))
        if m:
            out.append(Candidate(re.sub(r"[\s-]", "", m.group(0)), 0.8, line.index, line.mean_conf, "pattern"))
    return out
