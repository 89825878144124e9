"""The words printed next to values: label synonyms in English and Bengali.

Owns the vocabulary; a `Labeler` picks one synonym per label per document (so a
document is self-consistent) in the document's language, bilingual for 'mixed'.
"""

from __future__ import annotations

import random

SYNONYMS: dict[str, tuple[list[str], list[str]]] = {
    "invoice_no": (
        [
            "Invoice No",
            "Invoice No.",
            "Invoice #",
            "Bill No",
            "Challan No",
            "Memo No",
            "Ref",
            "Inv. No.",
            "Invoice Number",
            "Voucher No",
            "Bill No.",
        ],
        ["চালান নং", "চালান নম্বর", "মেমো নং", "বিল নং", "রসিদ নং", "চালানপত্র নং"],
    ),
    "date": (
        ["Date", "Invoice Date", "Dated", "Issue Date", "Bill Date", "Date of Issue"],
        ["তারিখ", "ইস্যুর তারিখ", "চালান ইস্যুর তারিখ", "তাং"],
    ),
    "due": (["Due Date", "Payment Due", "Pay By"], ["পরিশোধের শেষ তারিখ", "পরিশোধের তারিখ"]),
    "bin": (
        ["BIN", "BIN No", "BIN No.", "VAT Reg. No", "BIN/VAT Reg", "Business Identification No"],
        ["বিআইএন", "বিন নং", "বিআইএন নং", "ব্যবসা সনাক্তকরণ নম্বর"],
    ),
    "phone": (["Phone", "Mobile", "Cell", "Tel", "Ph", "Hotline"], ["ফোন", "মোবাইল", "মোবাঃ", "ফোনঃ"]),
    "subtotal": (
        ["Subtotal", "Sub Total", "Total Amount", "Gross Amount", "Total Value", "Sub-Total"],
        ["মোট", "উপমোট", "মোট মূল্য", "মোট টাকা"],
    ),
    "discount": (
        ["Discount", "Less: Discount", "Special Discount", "Disc.", "Less Discount"],
        ["ছাড়", "কমিশন", "বাদ ছাড়", "ডিসকাউন্ট"],
    ),
    "vat": (["VAT", "Add: VAT", "Value Added Tax", "VAT Amount", "Vat"], ["ভ্যাট", "মূসক", "মূল্য সংযোজন কর"]),
    "total": (
        ["Total", "Grand Total", "Net Payable", "Total Payable", "Net Amount", "Amount Due", "Total Amount Payable"],
        ["সর্বমোট", "মোট প্রদেয়", "সর্বমোট টাকা", "নিট প্রদেয়"],
    ),
    "bill_to": (
        ["Bill To", "Buyer", "Customer", "Sold To", "To", "Customer Name", "Party"],
        ["ক্রেতা", "ক্রেতার নাম", "নাম", "গ্রাহক"],
    ),
    "seller": (["Seller", "Supplier", "From", "Vendor"], ["বিক্রেতা", "সরবরাহকারী"]),
    "address": (["Address", "Addr."], ["ঠিকানা"]),
    "sl": (["SL", "Sl.", "#", "No.", "S/N"], ["ক্রম", "ক্রমিক", "নং"]),
    "desc": (
        ["Description", "Item", "Particulars", "Description of Goods", "Product", "Item Name"],
        ["বিবরণ", "মালের বিবরণ", "পণ্যের বিবরণ", "পণ্যের নাম"],
    ),
    "qty": (["Qty", "Quantity", "Qnty", "QTY"], ["পরিমাণ", "সংখ্যা"]),
    "unit": (["Unit", "UoM"], ["একক"]),
    "rate": (["Rate", "Unit Price", "Price", "U. Price", "Rate (Tk)"], ["দর", "একক মূল্য", "দাম"]),
    "amount": (["Amount", "Total", "Value", "Amount (Tk)", "Line Total"], ["টাকা", "মূল্য", "মোট মূল্য"]),
    "tax_invoice": (
        ["TAX INVOICE", "INVOICE", "Tax Invoice", "SALES INVOICE", "BILL", "VAT INVOICE"],
        ["কর চালানপত্র", "চালানপত্র", "বিল", "বিক্রয় রসিদ"],
    ),
    "cash_memo": (["CASH MEMO", "Cash Memo", "CASH MEMO / BILL"], ["ক্যাশ মেমো", "নগদ রসিদ"]),
    "signature": (
        ["Authorised Signature", "Authorized Signatory", "Received by", "Prepared by", "For the Company"],
        ["বিক্রেতার স্বাক্ষর", "ক্রেতার স্বাক্ষর", "দায়িত্বপ্রাপ্ত ব্যক্তির স্বাক্ষর"],
    ),
    "thanks": (
        [
            "Thank you for your business!",
            "Thank you. Come again.",
            "Goods once sold will not be taken back.",
            "E. & O.E.",
        ],
        ["আবার আসবেন।", "বিক্রিত মাল ফেরত নেওয়া হয় না।", "ধন্যবাদ"],
    ),
}


class Labeler:
    """One document's label choices. `lang` is en|bn|mixed."""

    def __init__(self, rng: random.Random, lang: str, colon: str | None = None) -> None:
        self.rng, self.lang, self._chosen = rng, lang, {}
        self.colon = colon if colon is not None else rng.choice([":", ":", " :", "", "ঃ" if lang == "bn" else ":"])
        self.mixed_mode = rng.choice(["en", "bn", "both"]) if lang == "mixed" else lang

    def __call__(self, key: str, colon: bool = False, lang: str | None = None) -> str:
        if (key, lang) not in self._chosen:
            en, bn = SYNONYMS[key]
            mode = lang or self.mixed_mode
            if mode == "both" and self.rng.random() < 0.3:
                mode = self.rng.choice(["en", "bn"])
            if mode == "en":
                s = self.rng.choice(en)
            elif mode == "bn":
                s = self.rng.choice(bn)
            else:
                s = (
                    f"{self.rng.choice(bn)} / {self.rng.choice(en)}"
                    if self.rng.random() < 0.5
                    else f"{self.rng.choice(en)} ({self.rng.choice(bn)})"
                )
            self._chosen[(key, lang)] = s
        s = self._chosen[(key, lang)]
        return s + self.colon if colon else s
