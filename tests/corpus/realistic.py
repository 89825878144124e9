"""A held-out family of invoices, hand-written after real-world styles, with their truth.

Owns ~45 specs, each modelled on a different style of invoice or receipt met in
the wild (SaaS invoices, an Indian GST tax invoice, supermarket and café receipts,
a German Rechnung, a French facture, Gulf VAT invoices, Tally-style and Mushak-6.3
Bangladeshi invoices, Bengali memos...). Every name, number and address is
invented. Unlike generate.py nothing here is random: a spec is the printed rows
(x in points, a negative x is a right edge) and the truth a bookkeeper would key in.

Test-only, and never a source of rules: the extractor must read these without
knowing them (tests/test_realistic_corpus.py, tests/ocr_samples/realistic_report.py).

    python -m tests.corpus.realistic OUT   # writes <name>.pdf, <name>.png, <name>.truth.json
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .notation import bn_digits
from .page import Page, Style, render_pdf, render_png

A4_W, LETTER_W, RECEIPT_W = 595.0, 612.0, 226.0
L, R = 40.0, -555.0  # A4 left margin, right edge
MID = 310.0  # second column of a two-column header


@dataclass(frozen=True)
class Row:
    cells: tuple[tuple[float, str], ...]
    size: float = 1.0  # × the spec's base type size
    bold: bool = False
    gap: float = 1.6  # advance before this row, × base size
    rule: bool = False  # a horizontal rule instead of text


def row(*cells: tuple[float, str], size: float = 1.0, bold: bool = False, gap: float = 1.6) -> Row:
    return Row(tuple(cells), size, bold, gap)


RULE = Row((), gap=0.7, rule=True)


def truth(
    name: str, bin_: str | None, number: str, date: str, subtotal: float, rate: float, vat: float, total: float,
    currency: str = "BDT",
) -> dict:  # fmt: skip
    return {
        "supplier_name": name, "supplier_bin": bin_, "invoice_number": number, "invoice_date": date,
        "subtotal": subtotal, "vat_rate": rate, "vat_amount": vat, "total": total, "currency": currency,
    }  # fmt: skip


@dataclass(frozen=True)
class Spec:
    name: str
    style: str  # the real-world kind of document it is modelled on
    truth: dict
    rows: tuple[Row, ...]
    width: float = A4_W
    family: str = "liberation-sans"
    base: float = 9.5
    bengali_digits: bool = False  # print every digit in Bengali
    extra: dict = field(default_factory=dict)

    def page(self) -> Page:
        margin = 14.0 if self.width < 300 else 40.0
        height = margin + 10 + sum(r.gap * self.base * r.size for r in self.rows) + margin
        if self.width >= 300:
            height = max(height, 842.0 if self.width == A4_W else 792.0)
        p = Page(self.width, height, self.family)
        right = self.width - margin
        y = margin + 10
        for r in self.rows:
            y += r.gap * self.base * r.size
            if r.rule:
                p.line(margin, y - self.base * 0.4, right, y - self.base * 0.4, 0.6)
                continue
            st = Style(self.base * r.size, r.bold)
            for x, text in r.cells:
                s = bn_digits(text) if self.bengali_digits else text
                if x == 0:  # centred
                    p.text(self.width / 2, y, s, st, "m")
                elif x < 0:
                    p.text(-x if -x <= right else right, y, s, st, "r")
                else:
                    p.text(x, y, s, st)
        return p


def pdf_bytes(spec: Spec) -> bytes:
    return render_pdf([spec.page()])


def png_bytes(spec: Spec, dpi: int = 300) -> bytes:
    buf = io.BytesIO()
    render_png(spec.page(), dpi).save(buf, "PNG", dpi=(dpi, dpi))
    return buf.getvalue()


# --- the specs --------------------------------------------------------------------------------
# receipt columns
RL, RR = 14.0, -212.0

# one printed row a line reads like the page; the formatter would split every cell
# fmt: off
SPECS: tuple[Spec, ...] = (
    Spec(
        "saas-usd-stripe", "Stripe-style SaaS invoice: Invoice number / Date of issue / Date due / Amount due",
        truth("Lumenfield Analytics, Inc.", None, "LMF-0042-1187", "2025-11-03", 1320.00, 10, 132.00, 1452.00, "USD"),
        (
            row((L, "Invoice"), size=1.8, bold=True),
            row((L, "Invoice number"), (150, "LMF-0042-1187"), gap=2.2),
            row((L, "Date of issue"), (150, "November 3, 2025")),
            row((L, "Date due"), (150, "December 3, 2025")),
            row((L, "Lumenfield Analytics, Inc."), (MID, "Bill to"), bold=True, gap=2.4),
            row((L, "548 Market Street, Suite 410"), (MID, "Orchard & Pine LLC")),
            row((L, "San Francisco, California 94104"), (MID, "77 Elm Avenue, Portland, OR 97205")),
            row((L, "billing@lumenfield.example"), (MID, "ap@orchardpine.example")),
            row((L, "$1,452.00 USD due December 3, 2025"), size=1.4, bold=True, gap=2.4),
            row((L, "Description"), (-380, "Qty"), (-470, "Unit price"), (R, "Amount"), gap=2.6),
            RULE,
            row((L, "Growth plan (Nov 3 - Dec 3, 2025)"), (-380, "1"), (-470, "$1,200.00"), (R, "$1,200.00")),
            row((L, "Additional seat"), (-380, "2"), (-470, "$60.00"), (R, "$120.00")),
            RULE,
            row((330, "Subtotal"), (R, "$1,320.00")),
            row((330, "Total excluding tax"), (R, "$1,320.00")),
            row((330, "Tax (10% on $1,320.00)"), (R, "$132.00")),
            row((330, "Total"), (R, "$1,452.00")),
            row((330, "Amount due"), (R, "$1,452.00 USD"), bold=True),
        ),
        family="liberation-sans",
    ),
    Spec(
        "zoho-balance-due", "Zoho-style invoice: Invoice#, Terms, discount %, tax, Payment Made, Balance Due",
        truth("Brightwave Design Studio LLC", None, "INV-000214", "2025-11-03", 2450.00, 8, 186.20, 2513.70, "USD"),
        (
            row((L, "Brightwave Design Studio LLC"), size=1.5, bold=True),
            row((L, "2100 Lakeview Drive, Austin, Texas 78704"), (-555, "TAX INVOICE"), gap=1.8),
            row((L, "U.S.A."), (-555, "# INV-000214")),
            row((-555, "Balance Due"), gap=2.0),
            row((-555, "$1,513.70"), bold=True),
            row((L, "Bill To"), gap=2.2),
            row((L, "Tidewater Coffee Roasters"), (340, "Invoice Date :"), (R, "03 Nov 2025"), bold=False),
            row((L, "18 Harbor Road, Galveston TX"), (340, "Terms :"), (R, "Net 15")),
            row((340, "Due Date :"), (R, "18 Nov 2025")),
            row((L, "#"), (60, "Item & Description"), (-400, "Qty"), (-480, "Rate"), (R, "Amount"), bold=True, gap=2.4),
            RULE,
            row((L, "1"), (60, "Brand identity refresh"), (-400, "1.00"), (-480, "1,800.00"), (R, "1,800.00")),
            row((L, "2"), (60, "Social media templates"), (-400, "5.00"), (-480, "130.00"), (R, "650.00")),
            RULE,
            row((360, "Sub Total"), (R, "2,450.00")),
            row((360, "Discount(5%)"), (R, "(-) 122.50")),
            row((360, "Tax (8%)"), (R, "186.20")),
            row((360, "Total"), (R, "$2,513.70"), bold=True),
            row((360, "Payment Made"), (R, "(-) 1,000.00")),
            row((360, "Balance Due"), (R, "$1,513.70"), bold=True),
        ),
        family="noto-sans",
    ),
    Spec(
        "quickbooks-us-date", "QuickBooks-style invoice: US month-first dates, TERMS, BALANCE DUE",
        truth("Copperline Plumbing & Heating", None, "1045", "2025-11-03", 3150.00, 6.25, 196.88, 3346.88, "USD"),
        (
            row((L, "Copperline Plumbing & Heating"), size=1.4, bold=True),
            row((L, "410 Birch Street"), gap=1.8),
            row((L, "Columbus, OH 43215"), (400, "INVOICE"), size=1.0),
            row((L, "office@copperline.example  +1 (614) 555-0192")),
            row((L, "BILL TO"), (300, "INVOICE #"), (-555, "1045"), bold=False, gap=2.4),
            row((L, "Maple Court Apartments"), (300, "DATE"), (-555, "11/03/2025")),
            row((L, "95 Maple Court, Columbus OH"), (300, "DUE DATE"), (-555, "12/03/2025")),
            row((300, "TERMS"), (-555, "Net 30")),
            row((L, "DATE"), (110, "ACTIVITY"), (-400, "QTY"), (-470, "RATE"), (R, "AMOUNT"), bold=True, gap=2.4),
            RULE,
            row((L, "10/28/2025"), (110, "Boiler service"), (-400, "1"), (-470, "450.00"), (R, "450.00")),
            row((L, "10/30/2025"), (110, "Pipe replacement (hrs)"), (-400, "18"), (-470, "150.00"), (R, "2,700.00")),
            RULE,
            row((360, "SUBTOTAL"), (R, "3,150.00")),
            row((360, "TAX (6.25%)"), (R, "196.88")),
            row((360, "TOTAL"), (R, "3,346.88")),
            row((360, "BALANCE DUE"), (R, "$3,346.88"), size=1.2, bold=True),
        ),
        width=LETTER_W,
        family="dejavu-sans",
        base=9.0,
    ),
    Spec(
        "india-gst-marketplace", "Amazon-India-style GST tax invoice: Order Number decoy, PAN, CGST + SGST",
        truth("Vistara Home Retail Private Limited", None, "BLR7-118834", "2025-11-03", 2118.64, 18, 381.36, 2500.00,
              "INR"),  # fmt: skip
        (
            row((L, "Tax Invoice/Bill of Supply/Cash Memo"), (-555, "(Original for Recipient)"), bold=True),
            row((L, "Sold By :"), (MID, "Billing Address :"), bold=True, gap=2.4),
            row((L, "Vistara Home Retail Private Limited"), (MID, "Ananya Rao")),
            row((L, "Plot 14, Hosur Road, Bengaluru, Karnataka, 560068"), (MID, "22 Lavelle Road, Bengaluru, 560001")),
            row((L, "PAN No: AAFCV2231K"), gap=2.0),
            row((L, "GST Registration No: 29AAFCV2231K1Z5")),
            row((L, "Order Number: 405-7781234-5566123"), (MID, "Invoice Number : BLR7-118834"), gap=2.2),
            row((L, "Order Date: 28.10.2025"), (MID, "Invoice Details : KA-BLR7-1034-2526")),
            row((MID, "Invoice Date : 03.11.2025")),
            row((L, "Sl."), (62, "Description"), (-290, "Unit Price"), (-318, "Qty"), (-380, "Net Amt"),
                (-418, "Rate"), (-450, "Type"), (-500, "Tax Amt"), (R, "Total"), bold=True, gap=2.4),  # fmt: skip
            RULE,
            row((L, "1"), (62, "Ceramic Dinner Set 18 pcs"), (-290, "₹2,118.64"), (-318, "1"), (-380, "₹2,118.64"),
                (-418, "9%"), (-450, "CGST"), (-500, "₹190.68"), (R, "₹2,500.00")),  # fmt: skip
            row((-418, "9%"), (-450, "SGST"), (-500, "₹190.68")),
            RULE,
            row((L, "TOTAL:"), (-500, "₹381.36"), (R, "₹2,500.00"), bold=True),
            row((L, "Amount in Words: Two Thousand Five Hundred only"), gap=2.0),
            row((L, "Whether tax is payable under reverse charge - No"), size=0.85),
        ),
        family="dejavu-sans",
        base=8.5,
    ),
    Spec(
        "us-supermarket-receipt", "US supermarket thermal receipt: SUBTOTAL, TAX 8.25 %, TOTAL, CASH TEND, CHANGE",
        truth("FRESHWAY MARKET", None, "08811", "2025-11-03", 19.85, 8.25, 0.97, 20.82, "USD"),
        (
            row((0, "FRESHWAY MARKET"), size=1.4, bold=True),
            row((0, "1800 W Alameda Ave, Denver CO 80223")),
            row((0, "(303) 555-0148")),
            row((RL, "ST# 0412 OP# 00231 TE# 07 TRANS# 08811"), gap=2.0),
            row((RL, "BANANAS"), (RR, "1.29 F"), gap=2.0),
            row((RL, "MILK 2% GAL"), (RR, "3.79 F")),
            row((RL, "BREAD WHT"), (RR, "2.99 F")),
            row((RL, "PAPER TOWELS 6PK"), (RR, "8.49 T")),
            row((RL, "DISH SOAP"), (RR, "3.29 T")),
            row((60, "SUBTOTAL"), (RR, "19.85"), gap=2.0),
            row((60, "TAX 8.25 %"), (RR, "0.97")),
            row((60, "****  TOTAL"), (RR, "$20.82"), bold=True),
            row((60, "CASH TEND"), (RR, "$40.00")),
            row((60, "CHANGE DUE"), (RR, "$19.18")),
            row((RL, "# ITEMS SOLD 5"), gap=2.0),
            row((RL, "11/03/25   14:22:05")),
            row((0, "THANK YOU FOR SHOPPING WITH US")),
        ),
        width=RECEIPT_W,
        family="mono-dejavu",
        base=7.5,
    ),
    Spec(
        "uk-cafe-vat-receipt", "UK café receipt: VAT No GB..., prices incl. VAT, VAT @ 20% summary, card payment",
        truth("Copper Kettle Tearooms Ltd", None, "20381", "2025-11-03", 20.25, 20, 3.38, 20.25, "GBP"),
        (
            row((0, "Copper Kettle Tearooms Ltd"), size=1.3, bold=True),
            row((0, "14 High Street, Harrogate HG1 1AB")),
            row((0, "Tel: 01423 555018")),
            row((0, "VAT No: GB 284 7731 06")),
            row((RL, "Receipt No: 20381"), gap=2.0),
            row((RL, "Date: 03/11/2025   Time: 12:41")),
            row((RL, "2 x Flat White @ 3.40"), (RR, "£6.80"), gap=2.0),
            row((RL, "1 x Soup of the Day"), (RR, "£5.95")),
            row((RL, "1 x Sourdough Toastie"), (RR, "£7.50")),
            row((RL, "TOTAL"), (RR, "£20.25"), bold=True, gap=2.0),
            row((RL, "Visa Contactless"), (RR, "£20.25")),
            row((RL, "VAT @ 20% (included)"), (RR, "£3.38"), gap=2.0),
            row((0, "Thank you for visiting!"), gap=2.0),
        ),
        width=RECEIPT_W,
        family="mono-liberation",
        base=7.5,
    ),
    Spec(
        "german-rechnung", "German Rechnung: Rechnungsnummer, Rechnungsdatum, Kundennummer, Netto, MwSt 19%, Gesamtbetrag",
        truth("Holzwerk Brandt GmbH", None, "RE-2025-0318", "2025-11-03", 1250.00, 19, 237.50, 1487.50, "EUR"),
        (
            row((L, "Holzwerk Brandt GmbH"), size=1.6, bold=True),
            row((L, "Industriestraße 12 · 70565 Stuttgart"), size=0.85),
            row((L, "Gartenbau Keller"), gap=2.6),
            row((L, "Lindenweg 4"), (360, "Rechnungsnummer:"), (R, "RE-2025-0318")),
            row((L, "80331 München"), (360, "Kundennummer:"), (R, "10457")),
            row((360, "Rechnungsdatum:"), (R, "03.11.2025")),
            row((360, "Lieferdatum:"), (R, "29.10.2025")),
            row((L, "Rechnung"), size=1.5, bold=True, gap=2.4),
            row((L, "Pos."), (75, "Bezeichnung"), (-380, "Menge"), (-470, "Einzelpreis"), (R, "Gesamt"), bold=True),
            RULE,
            row((L, "1"), (75, "Pflanzkübel Eiche 80 cm"), (-380, "5"), (-470, "190,00 €"), (R, "950,00 €")),
            row((L, "2"), (75, "Montage (Std.)"), (-380, "4"), (-470, "75,00 €"), (R, "300,00 €")),
            RULE,
            row((360, "Summe Netto"), (R, "1.250,00 €")),
            row((360, "zzgl. 19% MwSt."), (R, "237,50 €")),
            row((360, "Gesamtbetrag"), (R, "1.487,50 €"), bold=True),
            row((L, "Zahlbar innerhalb von 14 Tagen ohne Abzug."), gap=2.4),
            row((L, "USt-IdNr.: DE 318 445 902  ·  IBAN DE12 6005 0101 0001 2345 67"), size=0.8, gap=3.0),
        ),
        family="dejavu-serif",
    ),
    Spec(
        "uae-vat-invoice", "UAE tax invoice: TRN, VAT 5%, Total Amount (AED)",
        truth("Al Noor Office Supplies Trading LLC", None, "TI-2025-00781", "2025-11-03", 3400.00, 5, 170.00, 3570.00,
              "AED"),  # fmt: skip
        (
            row((L, "Al Noor Office Supplies Trading LLC"), size=1.4, bold=True),
            row((L, "Office 304, Al Qusais Industrial Area 2, Dubai, U.A.E.")),
            row((L, "TRN: 100234567800003"), (-555, "TAX INVOICE"), size=1.0),
            row((L, "Customer: Gulf Crest Logistics FZE"), gap=2.4),
            row((L, "Customer TRN: 100987654300003")),
            row((360, "Tax Invoice No.: TI-2025-00781"), gap=2.0),
            row((360, "Invoice Date: 03-Nov-2025")),
            row((360, "LPO No.: 4500027761")),
            row((L, "S.No"), (80, "Description"), (-360, "Qty"), (-430, "Unit Price"), (R, "Amount (AED)"), bold=True),
            RULE,
            row((L, "1"), (80, "Ergonomic office chair"), (-360, "8"), (-430, "350.00"), (R, "2,800.00")),
            row((L, "2"), (80, "Whiteboard 120x90"), (-360, "4"), (-430, "150.00"), (R, "600.00")),
            RULE,
            row((330, "Total Excluding VAT"), (R, "3,400.00")),
            row((330, "VAT 5%"), (R, "170.00")),
            row((330, "Total Amount (AED)"), (R, "3,570.00"), bold=True),
        ),
        family="noto-sans",
    ),
    Spec(
        "french-facture", "French facture: Facture N°, date in French words, Total HT, TVA 20%, Total TTC (space groups)",
        truth("Atelier Marceau SARL", None, "FA-2025-0457", "2025-11-03", 1840.00, 20, 368.00, 2208.00, "EUR"),
        (
            row((L, "Atelier Marceau SARL"), size=1.5, bold=True),
            row((L, "8 rue des Tanneurs, 69002 Lyon")),
            row((L, "SIRET 812 345 678 00021 - TVA intracom. FR 41 812345678")),
            row((L, "FACTURE"), size=1.6, bold=True, gap=2.4),
            row((L, "Facture N° FA-2025-0457"), (MID, "Client : Boulangerie du Parc"), gap=2.0),
            row((L, "Date : 3 novembre 2025"), (MID, "12 avenue Foch, 75016 Paris")),
            row((L, "Échéance : 3 décembre 2025")),
            row((L, "Désignation"), (-360, "Qté"), (-450, "PU HT"), (R, "Montant HT"), bold=True, gap=2.4),
            RULE,
            row((L, "Enseigne lumineuse sur mesure"), (-360, "1"), (-450, "1 450,00"), (R, "1 450,00")),
            row((L, "Pose et raccordement"), (-360, "3"), (-450, "130,00"), (R, "390,00")),
            RULE,
            row((360, "Total HT"), (R, "1 840,00 €")),
            row((360, "TVA 20 %"), (R, "368,00 €")),
            row((360, "Total TTC"), (R, "2 208,00 €"), bold=True),
        ),
        family="liberation-serif",
    ),
    Spec(
        "tally-bd-invoice", "Tally-ERP-style Bangladeshi invoice: labels above values, Dated, Buyer's Order No., E. & O.E",
        truth("Karnaphuli Paper Traders", "001923456-0102", "KPT/1107", "2025-11-03", 46200.00, 15, 6930.00,
              53130.00),  # fmt: skip
        (
            row((0, "INVOICE"), size=1.3, bold=True),
            row((L, "Karnaphuli Paper Traders"), (MID, "Invoice No."), (440, "Dated"), bold=True, gap=2.0),
            row((L, "112 Sadarghat Road, Chattogram"), (MID, "KPT/1107"), (440, "3-Nov-25")),
            row((L, "BIN: 001923456-0102"), (MID, "Delivery Note"), (440, "Mode/Terms of Payment")),
            row((L, "E-Mail : sales@karnaphuli.example"), (MID, "DN-884"), (440, "30 Days")),
            row((L, "Buyer (Bill to)"), (MID, "Buyer's Order No."), (440, "Dated"), gap=2.0),
            row((L, "Sonargaon Printers Ltd."), (MID, "SPL/PO/2291"), (440, "25-Oct-25"), bold=False),
            row((L, "Tejgaon I/A, Dhaka"), (MID, "Dispatch Doc No."), (440, "Dispatched through")),
            row((L, "BIN: 000812733-0101"), (MID, "DD-5512"), (440, "Covered Van")),
            row((L, "Sl No."), (80, "Description of Goods"), (-360, "Quantity"), (-420, "Rate"), (-450, "per"),
                (R, "Amount"), bold=True, gap=2.2),  # fmt: skip
            RULE,
            row((L, "1"), (80, "Offset Paper 80 gsm"), (-360, "300 Rim"), (-420, "120.00"), (-450, "Rim"),
                (R, "36,000.00")),  # fmt: skip
            row((L, "2"), (80, "Art Card 300 gsm"), (-360, "60 Pkt"), (-420, "170.00"), (-450, "Pkt"), (R, "10,200.00")),
            row((R, "46,200.00")),
            row((80, "VAT @ 15%"), (-420, "15 %"), (R, "6,930.00"), bold=True),
            RULE,
            row((80, "Total"), (-360, "360 Nos"), (R, "Tk 53,130.00"), bold=True),
            row((L, "Amount Chargeable (in words)"), (-555, "E. & O.E"), gap=2.0),
            row((L, "Taka Fifty Three Thousand One Hundred Thirty Only"), bold=True),
        ),
        family="dejavu-sans",
        base=8.5,
    ),
    Spec(
        "bd-pharmacy-memo", "Bangladeshi pharmacy cash memo: Sub Total, Discount 5%, Net Payable, Paid, Change",
        truth("Shefa Pharmacy", "004567812", "12044", "2025-11-03", 560.00, 0, 0.00, 532.00),
        (
            row((0, "Shefa Pharmacy"), size=1.5, bold=True),
            row((0, "Shop 7, Lalbagh Road, Dhaka-1211")),
            row((0, "Mobile: 01711-408812  BIN: 004567812")),
            row((0, "CASH MEMO"), bold=True, gap=2.0),
            row((L, "Memo No: 12044"), (-555, "Date: 03/11/2025"), gap=2.0),
            row((L, "Patient: Mr. Habib"), (-555, "Dr. S. Karim")),
            row((L, "SL"), (70, "Medicine"), (-380, "Qty"), (-460, "MRP"), (R, "Amount"), bold=True, gap=2.2),
            RULE,
            row((L, "1"), (70, "Napa Extra 500mg"), (-380, "20"), (-460, "2.50"), (R, "50.00")),
            row((L, "2"), (70, "Seclo 20mg Cap"), (-380, "30"), (-460, "7.00"), (R, "210.00")),
            row((L, "3"), (70, "Fexo 120mg Tab"), (-380, "30"), (-460, "10.00"), (R, "300.00")),
            RULE,
            row((360, "Sub Total"), (R, "560.00")),
            row((360, "Discount 5%"), (R, "28.00")),
            row((360, "Net Payable"), (R, "532.00"), bold=True),
            row((360, "Paid"), (R, "1,000.00")),
            row((360, "Change"), (R, "468.00")),
            row((L, "Medicine once sold will not be taken back."), size=0.85, gap=2.4),
        ),
        family="noto-sans",
    ),
    Spec(
        "mushak63-two-column", "Mushak-6.3 with seller's and buyer's BIN side by side, both labelled only 'BIN'",
        truth("Meghna Polymer Industries Ltd.", "000912345-0103", "MPI-6.3-004512", "2025-11-03", 84000.00, 15,
              12600.00, 96600.00),  # fmt: skip
        (
            row((0, "Government of the People's Republic of Bangladesh")),
            row((0, "National Board of Revenue")),
            row((0, "Tax Invoice"), bold=True, size=1.2),
            row((-555, "[Mushak-6.3]")),
            row((L, "Seller"), (MID, "Buyer"), bold=True, gap=2.0),
            row((L, "Name: Meghna Polymer Industries Ltd."), (MID, "Name: Surma Plastic House")),
            row((L, "BIN: 000912345-0103"), (MID, "BIN: 001887766-0101")),
            row((L, "Address: Plot 22, BSCIC, Narayanganj"), (MID, "Address: 41 Zindabazar, Sylhet")),
            row((L, "Challan No: MPI-6.3-004512"), (MID, "Vehicle No: Dhaka Metro-U 11-2345"), gap=2.0),
            row((L, "Date of Issue: 03/11/2025"), (MID, "Time of Issue: 11:40 AM")),
            row((L, "SL"), (62, "Description"), (-250, "Qty"), (-300, "Unit Price"), (-360, "Value"),
                (-400, "SD"), (-440, "VAT Rate"), (-490, "VAT"), (R, "Total"), bold=True, size=0.9, gap=2.2),  # fmt: skip
            RULE,
            row((L, "1"), (62, "PP Woven Bag 50kg"), (-250, "4,000"), (-300, "15.00"), (-360, "60,000.00"), (-400, "0"),
                (-440, "15%"), (-490, "9,000.00"), (R, "69,000.00"), size=0.9),  # fmt: skip
            row((L, "2"), (62, "HDPE Liner Roll"), (-250, "200"), (-300, "120.00"), (-360, "24,000.00"), (-400, "0"),
                (-440, "15%"), (-490, "3,600.00"), (R, "27,600.00"), size=0.9),  # fmt: skip
            RULE,
            row((62, "Total"), (-360, "84,000.00"), (-400, "0"), (-490, "12,600.00"), (R, "96,600.00"), bold=True,
                size=0.9),  # fmt: skip
            row((L, "Name of authorised person: Md. Rafiq Hasan"), gap=2.6),
            row((L, "Designation: Manager (Accounts)")),
        ),
        family="liberation-sans",
        base=9.0,
    ),
    Spec(
        "bengali-memo-bn-digits", "Bengali-only cash memo with Bengali digits, advance and dues lines",
        truth("মায়ের দোয়া বস্ত্রালয়", None, "456", "2025-11-03", 2350.00, 0, 0.00, 2350.00),
        (
            row((0, "মায়ের দোয়া বস্ত্রালয়"), size=1.7, bold=True),
            row((0, "১২ নং দোকান, নিউ মার্কেট, খুলনা")),
            row((0, "মোবাইল: 01819-334455")),
            row((0, "ক্যাশ মেমো"), bold=True, gap=2.0),
            row((L, "নং: 456"), (-555, "তারিখ: 03/11/2025"), gap=2.0),
            row((L, "নাম: সালমা বেগম")),
            row((L, "ক্রমিক"), (90, "মালের বিবরণ"), (-380, "পরিমাণ"), (-460, "দর"), (R, "টাকা"), bold=True, gap=2.2),
            RULE,
            row((L, "1"), (90, "সুতি শাড়ি"), (-380, "2"), (-460, "850"), (R, "1,700")),
            row((L, "2"), (90, "লুঙ্গি"), (-380, "2"), (-460, "325"), (R, "650")),
            RULE,
            row((360, "মোট"), (R, "2,350"), bold=True),
            row((360, "অগ্রিম"), (R, "1,000")),
            row((360, "বাকি"), (R, "1,350")),
            row((L, "বিক্রিত মাল ফেরত নেওয়া হয় না।"), gap=2.4),
        ),
        family="noto-sans",
        base=10.0,
        bengali_digits=True,
    ),
    Spec(
        "restaurant-service-charge", "Dhaka restaurant bill: Service Charge 10%, VAT 5%, Grand Total, table and guests",
        truth("Shorshe Kitchen", "003456781-0101", "00781", "2025-11-03", 2400.00, 5, 120.00, 2760.00),
        (
            row((0, "Shorshe Kitchen"), size=1.4, bold=True),
            row((0, "Road 11, Banani, Dhaka")),
            row((0, "BIN: 003456781-0101")),
            row((RL, "Bill No: 00781"), (RR, "Table: 12"), gap=2.0),
            row((RL, "Date: 03-11-2025"), (RR, "Guests: 4")),
            row((RL, "Item"), (120, "Qty"), (RR, "Amount"), bold=True, gap=2.0),
            row((RL, "Kacchi Biryani"), (120, "3"), (RR, "1,350.00")),
            row((RL, "Borhani"), (120, "4"), (RR, "360.00")),
            row((RL, "Shorshe Ilish"), (120, "1"), (RR, "690.00")),
            row((RL, "Sub Total"), (RR, "2,400.00"), gap=2.0),
            row((RL, "Service Charge 10%"), (RR, "240.00")),
            row((RL, "VAT 5%"), (RR, "120.00")),
            row((RL, "Grand Total"), (RR, "2,760.00"), bold=True),
            row((RL, "Paid by Card"), (RR, "2,760.00")),
            row((0, "Thank you, come again"), gap=2.0),
        ),
        width=RECEIPT_W,
        family="mono-dejavu",
        base=7.5,
    ),
    Spec(
        "bd-trade-advance-balance", "Bangladeshi trade invoice paid in part: Total, Less: Advance Received, Balance Due",
        truth("Rupali Steel Corporation", "000734521-0101", "RSC-25-0917", "2025-11-03", 50000.00, 15, 7500.00,
              57500.00),  # fmt: skip
        (
            row((L, "Rupali Steel Corporation"), size=1.6, bold=True),
            row((L, "45 Nawabpur Road, Dhaka-1100. Phone: 02-9551234")),
            row((L, "BIN: 000734521-0101")),
            row((0, "BILL"), size=1.4, bold=True, gap=2.2),
            row((L, "Bill No.: RSC-25-0917"), (-555, "Date: 3 Nov 2025"), gap=2.0),
            row((L, "To: Padma Builders Ltd."), (-555, "Work Order No: PBL/WO/3312")),
            row((L, "SL"), (70, "Particulars"), (-380, "Qty"), (-460, "Rate"), (R, "Amount (Tk)"), bold=True, gap=2.2),
            RULE,
            row((L, "1"), (70, "MS Rod 12mm (ton)"), (-380, "0.5"), (-460, "100,000.00"), (R, "50,000.00")),
            RULE,
            row((340, "Total Value"), (R, "50,000.00")),
            row((340, "VAT @ 15%"), (R, "7,500.00")),
            row((340, "Total"), (R, "57,500.00"), bold=True),
            row((340, "Less: Advance Received"), (R, "20,000.00")),
            row((340, "Balance Due"), (R, "37,500.00"), bold=True),
            row((L, "In words: Taka Fifty Seven Thousand Five Hundred only"), gap=2.4),
        ),
        family="noto-serif",
    ),
    Spec(
        "bd-export-zero-vat", "Bangladeshi exporter's commercial invoice in USD: VAT 0% (export), L/C No. decoy",
        truth("Padma Knitwear Ltd.", "000345678-0201", "EXP/2025/0912", "2025-11-03", 18450.00, 0, 0.00, 18450.00,
              "USD"),  # fmt: skip
        (
            row((L, "Padma Knitwear Ltd."), size=1.6, bold=True),
            row((L, "Plot 9, Dhaka EPZ, Savar, Dhaka, Bangladesh")),
            row((L, "BIN: 000345678-0201   ERC: RA-0098123")),
            row((0, "COMMERCIAL INVOICE"), size=1.3, bold=True, gap=2.2),
            row((L, "Invoice No.: EXP/2025/0912"), (MID, "Date: 2025-11-03"), gap=2.0),
            row((L, "L/C No.: 0012345678"), (MID, "L/C Date: 2025-09-14")),
            row((L, "Consignee: Nordhavn Apparel AB, Göteborg, Sweden")),
            row((L, "Description"), (-360, "Qty (pcs)"), (-450, "Unit Price"), (R, "Amount (USD)"), bold=True, gap=2.2),
            RULE,
            row((L, "Men's cotton polo shirt"), (-360, "4,500"), (-450, "2.90"), (R, "13,050.00")),
            row((L, "Ladies cardigan"), (-360, "1,200"), (-450, "4.50"), (R, "5,400.00")),
            RULE,
            row((340, "Total FOB Value"), (R, "18,450.00")),
            row((340, "VAT 0% (Export)"), (R, "0.00")),
            row((340, "Total Amount USD"), (R, "US$ 18,450.00"), bold=True),
        ),
        family="liberation-sans",
    ),
    Spec(
        "bd-trade-discount-percent", "Trade invoice with 'Less: Trade Discount (2%)' before VAT",
        truth("Jamuna Electrical House", "001245789", "JEH-4471", "2025-11-03", 84000.00, 15, 12348.00, 94668.00),
        (
            row((L, "Jamuna Electrical House"), size=1.6, bold=True),
            row((L, "22 Stadium Market, Gulistan, Dhaka")),
            row((L, "Mobile: 01915-220044  |  BIN: 001245789")),
            row((-555, "INVOICE"), size=1.5, bold=True, gap=2.0),
            row((L, "Invoice #: JEH-4471"), (MID, "Invoice Date: 03.11.2025"), gap=2.0),
            row((L, "Customer: Bashundhara Tower Mgmt."), (MID, "PO No.: BTM-PO-7781")),
            row((L, "No."), (70, "Item"), (-380, "Qty"), (-460, "Price"), (R, "Total"), bold=True, gap=2.2),
            RULE,
            row((L, "1"), (70, "LED Panel 60x60 48W"), (-380, "40"), (-460, "1,650.00"), (R, "66,000.00")),
            row((L, "2"), (70, "Cable 2.5 rm (coil)"), (-380, "6"), (-460, "3,000.00"), (R, "18,000.00")),
            RULE,
            row((330, "Sub-Total"), (R, "84,000.00")),
            row((330, "Less: Trade Discount (2%)"), (R, "1,680.00")),
            row((330, "VAT 15%"), (R, "12,348.00")),
            row((330, "Net Payable"), (R, "94,668.00"), bold=True),
        ),
        family="dejavu-sans",
    ),
    Spec(
        "bd-letterhead-ordinal-date", "Letterhead bill with 'Ref:' decoy, ordinal date '3rd November 2025', Bill No.",
        truth("Nirvana IT Solutions", "002998877-0101", "NITS-B-2025-118", "2025-11-03", 120000.00, 5, 6000.00,
              126000.00),  # fmt: skip
        (
            row((L, "Nirvana IT Solutions"), size=1.6, bold=True),
            row((L, "House 51, Road 7, Dhanmondi, Dhaka-1205")),
            row((L, "www.nirvana-it.example | BIN: 002998877-0101")),
            row((L, "Ref: NITS/ACC/2025/77"), (-555, "3rd November 2025"), gap=2.6),
            row((L, "To"), gap=2.0),
            row((L, "The Manager")),
            row((L, "Sunrise Garments Ltd.")),
            row((L, "Subject: Bill for annual ERP maintenance"), bold=True, gap=2.0),
            row((L, "Bill No.: NITS-B-2025-118"), gap=2.0),
            row((L, "SL"), (70, "Service"), (R, "Amount (Tk)"), bold=True, gap=2.0),
            RULE,
            row((L, "1"), (70, "ERP maintenance, Nov 2025 - Oct 2026"), (R, "1,20,000.00")),
            RULE,
            row((330, "Sub Total"), (R, "1,20,000.00")),
            row((330, "VAT @ 5%"), (R, "6,000.00")),
            row((330, "Total Payable"), (R, "1,26,000.00"), bold=True),
            row((L, "Thanking you,"), gap=2.6),
        ),
        family="noto-serif",
    ),
    Spec(
        "india-restaurant-gst", "Indian restaurant bill: Bill No, Dt., CGST 2.5% + SGST 2.5%, Rs., Round Off",
        truth("Saffron Tadka Family Restaurant", None, "4471", "2025-11-03", 1180.00, 5, 59.00, 1239.00, "INR"),
        (
            row((0, "Saffron Tadka Family Restaurant"), size=1.2, bold=True),
            row((0, "MG Road, Pune 411001")),
            row((0, "GSTIN: 27AAKFS1234L1Z2")),
            row((RL, "Bill No: 4471"), (RR, "Dt: 03/11/25"), gap=2.0),
            row((RL, "Table: 6"), (RR, "Steward: 14")),
            row((RL, "Item"), (110, "Qty"), (RR, "Amt"), bold=True, gap=2.0),
            row((RL, "Paneer Tikka"), (110, "2"), (RR, "580.00")),
            row((RL, "Dal Makhani"), (110, "1"), (RR, "320.00")),
            row((RL, "Butter Naan"), (110, "4"), (RR, "280.00")),
            row((RL, "Sub Total"), (RR, "1,180.00"), gap=2.0),
            row((RL, "CGST @ 2.5%"), (RR, "29.50")),
            row((RL, "SGST @ 2.5%"), (RR, "29.50")),
            row((RL, "Net Amount Rs."), (RR, "1,239.00"), bold=True),
            row((0, "Thank You! Visit Again"), gap=2.0),
        ),
        width=RECEIPT_W,
        family="mono-dejavu",
        base=7.5,
    ),
    Spec(
        "australia-gst-invoice", "Australian tax invoice: ABN, GST 10%, Total (inc GST) in AUD",
        truth("Bluegum Landscaping Pty Ltd", None, "000318", "2025-11-03", 990.00, 10, 99.00, 1089.00, "AUD"),
        (
            row((L, "Bluegum Landscaping Pty Ltd"), size=1.5, bold=True),
            row((L, "ABN 51 824 753 556")),
            row((L, "17 Wattle Street, Fremantle WA 6160")),
            row((L, "TAX INVOICE"), size=1.4, bold=True, gap=2.4),
            row((L, "Invoice No."), (140, "000318"), gap=2.0),
            row((L, "Invoice Date"), (140, "03/11/2025")),
            row((L, "Customer"), (140, "Harbourview Strata")),
            row((L, "Description"), (-380, "Hours"), (-460, "Rate"), (R, "Amount AUD"), bold=True, gap=2.4),
            RULE,
            row((L, "Garden maintenance"), (-380, "12"), (-460, "70.00"), (R, "840.00")),
            row((L, "Green waste removal"), (-380, "1"), (-460, "150.00"), (R, "150.00")),
            RULE,
            row((340, "Subtotal (ex GST)"), (R, "990.00")),
            row((340, "GST 10%"), (R, "99.00")),
            row((340, "Total (inc GST)"), (R, "AUD 1,089.00"), bold=True),
        ),
        family="liberation-sans",
    ),
    Spec(
        "saudi-vat-invoice", "Saudi simplified tax invoice: VAT Registration Number (15 digits), VAT 15%, SAR",
        truth("Rawabi Home Appliances Co.", None, "SINV-88412", "2025-11-03", 2600.00, 15, 390.00, 2990.00, "SAR"),
        (
            row((0, "Rawabi Home Appliances Co."), size=1.4, bold=True),
            row((0, "King Fahd Road, Riyadh 12271")),
            row((0, "VAT Registration Number: 300012345600003")),
            row((0, "Simplified Tax Invoice"), bold=True, gap=2.2),
            row((L, "Invoice No: SINV-88412"), (-555, "Date: 2025-11-03 18:05"), gap=2.0),
            row((L, "Item"), (-380, "Qty"), (-460, "Price"), (R, "Total"), bold=True, gap=2.2),
            RULE,
            row((L, "Microwave oven 30L"), (-380, "2"), (-460, "650.00"), (R, "1,300.00")),
            row((L, "Electric kettle"), (-380, "4"), (-460, "325.00"), (R, "1,300.00")),
            RULE,
            row((340, "Total (Excluding VAT)"), (R, "2,600.00 SAR")),
            row((340, "VAT 15%"), (R, "390.00 SAR")),
            row((340, "Total Amount Due"), (R, "2,990.00 SAR"), bold=True),
        ),
        family="dejavu-sans",
    ),
    Spec(
        "singapore-gst-invoice", "Singapore tax invoice: GST Reg No with a check letter, GST 9%, SGD",
        truth("Merlion Print Works Pte Ltd", None, "MPW-25110", "2025-11-03", 1500.00, 9, 135.00, 1635.00, "SGD"),
        (
            row((L, "Merlion Print Works Pte Ltd"), size=1.5, bold=True),
            row((L, "1 Kaki Bukit View, #03-12, Singapore 415941")),
            row((L, "GST Reg No: 201912345K")),
            row((-555, "TAX INVOICE"), size=1.4, bold=True, gap=2.0),
            row((L, "Invoice No: MPW-25110"), (MID, "Date: 03 Nov 2025"), gap=2.0),
            row((L, "Bill To: Kopi Corner Pte Ltd"), (MID, "Your PO: KC-0092")),
            row((L, "Description"), (-380, "Qty"), (-460, "Unit Price"), (R, "Amount (S$)"), bold=True, gap=2.2),
            RULE,
            row((L, "Menu boards A2, laminated"), (-380, "10"), (-460, "120.00"), (R, "1,200.00")),
            row((L, "Table stickers"), (-380, "300"), (-460, "1.00"), (R, "300.00")),
            RULE,
            row((340, "Sub-total"), (R, "1,500.00")),
            row((340, "GST @ 9%"), (R, "135.00")),
            row((340, "Total Amount Payable"), (R, "SGD 1,635.00"), bold=True),
        ),
        family="noto-sans",
    ),
    Spec(
        "bd-ecommerce-shipping", "Bangladeshi online-shop invoice: Order Number first, Shipping Fee added, no VAT",
        truth("Kenakata Online Shop", None, "KOS-INV-552190", "2025-11-03", 1450.00, 0, 0.00, 1510.00),
        (
            row((L, "Kenakata Online Shop"), size=1.5, bold=True),
            row((L, "Level 5, 32 Kazi Nazrul Islam Avenue, Dhaka")),
            row((L, "Hotline: 09612-345678")),
            row((L, "Order Number: 612309871"), (MID, "Invoice Number: KOS-INV-552190"), gap=2.4),
            row((L, "Order Date: 01 Nov 2025"), (MID, "Invoice Date: 03 Nov 2025")),
            row((L, "Ship To: Tanvir Ahmed, Mirpur 10, Dhaka"), gap=2.0),
            row((L, "Product"), (-380, "Qty"), (-460, "Price"), (R, "Subtotal"), bold=True, gap=2.2),
            RULE,
            row((L, "Bluetooth Earbuds X2"), (-380, "1"), (-460, "1,150.00"), (R, "1,150.00")),
            row((L, "Phone Case"), (-380, "2"), (-460, "150.00"), (R, "300.00")),
            RULE,
            row((340, "Items Subtotal"), (R, "৳ 1,450.00")),
            row((340, "Shipping Fee"), (R, "৳ 60.00")),
            row((340, "Total"), (R, "৳ 1,510.00"), bold=True),
            row((340, "Payment: Cash on Delivery")),
        ),
        family="noto-sans",
    ),
    Spec(
        "us-invoice-po-shipping", "US wholesale invoice: P.O. # decoy, Sales Tax 7%, Shipping & Handling line",
        truth("Great Lakes Janitorial Supply", None, "GLJ-30492", "2025-11-03", 860.00, 7, 60.20, 955.20, "USD"),
        (
            row((L, "Great Lakes Janitorial Supply"), size=1.5, bold=True),
            row((L, "2200 N Clybourn Ave, Chicago, IL 60614")),
            row((-555, "INVOICE"), size=1.5, bold=True, gap=2.0),
            row((L, "P.O. #: 4500123"), (MID, "Invoice #: GLJ-30492"), gap=2.0),
            row((L, "Customer ID: C-1180"), (MID, "Invoice Date: Nov 3, 2025")),
            row((L, "Ship Via: UPS Ground"), (MID, "Due: Dec 3, 2025")),
            row((L, "Item"), (-380, "Qty"), (-460, "Unit"), (R, "Ext. Price"), bold=True, gap=2.2),
            RULE,
            row((L, "Floor cleaner 5 gal"), (-380, "8"), (-460, "$65.00"), (R, "$520.00")),
            row((L, "Trash liners 55 gal (case)"), (-380, "10"), (-460, "$34.00"), (R, "$340.00")),
            RULE,
            row((340, "Subtotal"), (R, "$860.00")),
            row((340, "Sales Tax (7%)"), (R, "$60.20")),
            row((340, "Shipping & Handling"), (R, "$35.00")),
            row((340, "Invoice Total"), (R, "$955.20"), bold=True),
        ),
        width=LETTER_W,
        family="liberation-sans",
    ),
    Spec(
        "mushak63-bengali-sd", "Bengali Mushak-6.3 (Bengali digits) with supplementary duty and column headings",
        truth("সোনালী বেভারেজ লিমিটেড", "000556677-0101", "SB-2025-1187", "2025-11-03", 40000.00, 15, 6600.00, 50600.00),
        (
            row((0, "গণপ্রজাতন্ত্রী বাংলাদেশ সরকার")),
            row((0, "জাতীয় রাজস্ব বোর্ড")),
            row((0, "কর চালানপত্র"), size=1.2, bold=True),
            row((-555, "মূসক-৬.৩")),
            row((L, "নিবন্ধিত ব্যক্তির নাম: সোনালী বেভারেজ লিমিটেড"), gap=2.0),
            row((L, "নিবন্ধিত ব্যক্তির বিআইএন: 000556677-0101")),
            row((L, "চালানপত্র ইস্যুর ঠিকানা: বিসিক শিল্প নগরী, টঙ্গী, গাজীপুর")),
            row((L, "ক্রেতার নাম: নিউ মডেল সুপার শপ"), gap=2.0),
            row((L, "ক্রেতার বিআইএন: 003322110-0101")),
            row((L, "চালানপত্র নম্বর: SB-2025-1187"), (MID, "ইস্যুর তারিখ: 03/11/2025"), gap=2.0),
            row((L, "ক্রম"), (70, "পণ্যের বিবরণ"), (-300, "পরিমাণ"), (-360, "মূল্য"), (-410, "সম্পূরক শুল্ক"),
                (-470, "মূসক"), (R, "সর্বমোট"), bold=True, size=0.9, gap=2.2),  # fmt: skip
            RULE,
            row((L, "1"), (70, "কোমল পানীয় ২৫০ মিলি"), (-300, "2000"), (-360, "40,000.00"), (-410, "4,000.00"),
                (-470, "6,600.00"), (R, "50,600.00"), size=0.9),  # fmt: skip
            RULE,
            row((300, "মোট মূল্য"), (R, "40,000.00")),
            row((300, "সম্পূরক শুল্ক 10%"), (R, "4,000.00")),
            row((300, "মূসক 15%"), (R, "6,600.00")),
            row((300, "সর্বমোট"), (R, "50,600.00"), bold=True),
        ),
        family="noto-sans",
        bengali_digits=True,
    ),
    Spec(
        "bd-supershop-receipt", "Bangladeshi super-shop receipt: prices incl. VAT, Total Qty, Paid Amount, Change Amount",
        truth("Daily Basket Super Shop", "001776655-0203", "100233871", "2025-11-03", 880.00, 5, 41.90, 880.00),
        (
            row((0, "Daily Basket Super Shop"), size=1.3, bold=True),
            row((0, "Mirpur 1, Dhaka-1216")),
            row((0, "VAT Reg No: 001776655-0203")),
            row((0, "Mushak-6.3")),
            row((RL, "Invoice: 100233871"), gap=2.0),
            row((RL, "Date: 03-Nov-2025 19:42")),
            row((RL, "Counter: 04  Cashier: Rina")),
            row((RL, "Item"), (120, "Qty"), (RR, "Amount"), bold=True, gap=2.0),
            row((RL, "Miniket Rice 5kg"), (120, "1"), (RR, "420.00")),
            row((RL, "Soybean Oil 1L"), (120, "2"), (RR, "380.00")),
            row((RL, "Salt 1kg"), (120, "2"), (RR, "80.00")),
            row((RL, "Total Qty: 5"), gap=2.0),
            row((RL, "Total Amount"), (RR, "880.00"), bold=True),
            row((RL, "VAT 5% (Incl.)"), (RR, "41.90")),
            row((RL, "Paid Amount"), (RR, "1,000.00")),
            row((RL, "Change Amount"), (RR, "120.00")),
        ),
        width=RECEIPT_W,
        family="mono-liberation",
        base=7.5,
    ),
    Spec(
        "bn-wholesale-memo", "Bengali wholesale memo: serial-number decoy, বিল নং, Bengali month date",
        truth("মেসার্স আল-আমিন ট্রেডার্স", "002334455", "1128", "2025-11-03", 18500.00, 0, 0.00, 18500.00),
        (
            row((0, "মেসার্স আল-আমিন ট্রেডার্স"), size=1.6, bold=True),
            row((0, "৩৪ মৌলভীবাজার, ঢাকা-১১০০")),
            row((0, "বিআইএন: 002334455")),
            row((L, "ক্রমিক নং: 77"), (MID, "বিল নং: 1128"), gap=2.2),
            row((L, "ক্রেতার নাম: হক স্টোর"), (MID, "তারিখ: 3 নভেম্বর 2025")),
            row((L, "ক্রম"), (90, "বিবরণ"), (-380, "পরিমাণ"), (-460, "দর"), (R, "টাকা"), bold=True, gap=2.2),
            RULE,
            row((L, "1"), (90, "চিনি (বস্তা)"), (-380, "2"), (-460, "6,500"), (R, "13,000")),
            row((L, "2"), (90, "মসুর ডাল (কেজি)"), (-380, "50"), (-460, "110"), (R, "5,500")),
            RULE,
            row((340, "সর্বমোট"), (R, "18,500"), bold=True),
        ),
        family="noto-serif",
        bengali_digits=True,
    ),
    Spec(
        "iso-date-due-first", "Invoice whose Due Date and Delivery Date print before the invoice date (ISO dates)",
        truth("Northwind Cloud Services Ltd", None, "NCS-2025-11-0042", "2025-11-03", 640.00, 20, 128.00, 768.00,
              "GBP"),  # fmt: skip
        (
            row((L, "Northwind Cloud Services Ltd"), size=1.5, bold=True),
            row((L, "3 Canal Wharf, Leeds LS11 5PS")),
            row((L, "VAT Registration No: GB 402 1189 27")),
            row((L, "Due Date: 2025-12-03"), (MID, "Invoice No: NCS-2025-11-0042"), gap=2.4),
            row((L, "Delivery Date: 2025-10-31"), (MID, "Invoice Date: 2025-11-03")),
            row((L, "Service"), (-380, "Qty"), (-460, "Price"), (R, "Net"), bold=True, gap=2.2),
            RULE,
            row((L, "Managed backup, 2 TB"), (-380, "1"), (-460, "£400.00"), (R, "£400.00")),
            row((L, "Support hours"), (-380, "4"), (-460, "£60.00"), (R, "£240.00")),
            RULE,
            row((340, "Net Total"), (R, "£640.00")),
            row((340, "VAT at 20%"), (R, "£128.00")),
            row((340, "Total Due"), (R, "£768.00"), bold=True),
        ),
        family="dejavu-sans",
    ),
    Spec(
        "bd-mushak-english-totals-row", "English Mushak-6.3 from an ERP: VAT 7.5%, totals in one row, Receipt No decoy",
        truth("Green Leaf Agro Processing Ltd.", "002145566-0101", "GLA/63/25/03391", "2025-11-03", 62400.00, 7.5,
              4680.00, 67080.00),  # fmt: skip
        (
            row((0, "Green Leaf Agro Processing Ltd."), size=1.5, bold=True),
            row((0, "Plot 3, Bhaluka, Mymensingh")),
            row((0, "VAT Challan (Mushak-6.3)"), bold=True, gap=2.0),
            row((L, "Name of Registered Person: Green Leaf Agro Processing Ltd."), gap=2.0),
            row((L, "BIN of Registered Person: 002145566-0101")),
            row((L, "Name of Buyer: Agora Retail Ltd."), (MID, "BIN of Buyer: 000667788-0102")),
            row((L, "Challan No.: GLA/63/25/03391"), (MID, "Issue Date: 03-11-2025")),
            row((L, "Gate Pass / Receipt No.: 55812"), (MID, "Issue Time: 16:05")),
            row((L, "SL"), (62, "Description"), (-300, "Qty"), (-360, "Unit Price"), (-420, "Value"),
                (-480, "VAT 7.5%"), (R, "Total"), bold=True, size=0.9, gap=2.2),  # fmt: skip
            RULE,
            row((L, "1"), (62, "Mango juice 1L"), (-300, "1,200"), (-360, "52.00"), (-420, "62,400.00"),
                (-480, "4,680.00"), (R, "67,080.00"), size=0.9),  # fmt: skip
            RULE,
            row((62, "Total"), (-420, "62,400.00"), (-480, "4,680.00"), (R, "67,080.00"), bold=True, size=0.9),
        ),
        family="liberation-sans",
    ),
    Spec(
        "german-kassenbon", "German supermarket receipt: SUMME EUR, BAR, Rückgeld, MwSt table (incl.), Beleg-Nr.",
        truth("Frischmarkt Weber", None, "4821", "2025-11-03", 11.98, 7, 0.78, 11.98, "EUR"),
        (
            row((0, "Frischmarkt Weber"), size=1.3, bold=True),
            row((0, "Hauptstraße 5, 04109 Leipzig")),
            row((RL, "Vollkornbrot"), (RR, "3,49 A"), gap=2.2),
            row((RL, "Bio-Milch 1L"), (RR, "1,39 A")),
            row((RL, "Äpfel 1kg"), (RR, "2,99 A")),
            row((RL, "Käse Gouda"), (RR, "4,11 A")),
            row((RL, "SUMME EUR"), (RR, "11,98"), bold=True, gap=2.0),
            row((RL, "BAR"), (RR, "20,00")),
            row((RL, "Rückgeld"), (RR, "8,02")),
            row((RL, "MwSt   Netto   Steuer   Brutto"), gap=2.0),
            row((RL, "A 7%   11,20    0,78   11,98")),
            row((RL, "03.11.2025 17:31   Beleg-Nr. 4821"), gap=2.0),
            row((0, "Vielen Dank für Ihren Einkauf!")),
        ),
        width=RECEIPT_W,
        family="mono-dejavu",
        base=7.5,
    ),
    Spec(
        "bd-pos-vat-inclusive-note", "Bangladeshi super-shop POS receipt: item codes, qty x price lines, Net Amount, VAT included note",
        truth("Protidin Superstore", "000998877-0305", "DHN27-0045123", "2025-11-03", 990.00, 7.5, 69.07, 990.00),
        (
            row((0, "Protidin Superstore"), size=1.4, bold=True),
            row((0, "Outlet: Dhanmondi 27, Dhaka")),
            row((0, "BIN: 000998877-0305")),
            row((0, "Mushak-6.3 (Retail Sale)")),
            row((RL, "Inv No: DHN27-0045123"), gap=2.0),
            row((RL, "03/11/2025 20:15"), (RR, "POS: 02")),
            row((RL, "8941100500123 Chinigura Rice 1kg"), gap=2.0),
            row((30, "2 x 165.00"), (RR, "330.00")),
            row((RL, "8941100511020 Teer Soybean Oil 2L")),
            row((30, "1 x 375.00"), (RR, "375.00")),
            row((RL, "8941100522310 Fresh Milk 1L")),
            row((30, "3 x 95.00"), (RR, "285.00")),
            row((RL, "Items: 6"), gap=2.0),
            row((RL, "Net Amount"), (RR, "990.00"), bold=True),
            row((RL, "Cash"), (RR, "1,000.00")),
            row((RL, "Change"), (RR, "10.00")),
            row((RL, "VAT 7.5% included in price"), (RR, "69.07"), gap=2.0),
            row((0, "Prices are VAT inclusive. Thank you!")),
        ),
        width=RECEIPT_W,
        family="mono-dejavu",
        base=7.5,
    ),
    Spec(
        "bd-restaurant-kot-net-bill", "Dhaka restaurant bill: KOT No decoy, Food Total, SC @10%, VAT @5% on food, Net Bill",
        truth("Ilish Bari Restaurant", "004411223-0101", "R-25-03317", "2025-11-03", 1700.00, 5, 85.00, 1955.00),
        (
            row((0, "Ilish Bari Restaurant"), size=1.4, bold=True),
            row((0, "House 12, Road 2, Dhanmondi, Dhaka")),
            row((0, "BIN: 004411223-0101")),
            row((RL, "KOT No: 88"), (RR, "Table: T-07"), gap=2.0),
            row((RL, "Bill No: R-25-03317")),
            row((RL, "Date: 03 Nov 2025 21:05"), (RR, "Pax: 4")),
            row((RL, "Item"), (112, "Qty"), (-168, "Rate"), (RR, "Amount"), bold=True, gap=2.0),
            row((RL, "Plain Polao"), (112, "2"), (-168, "120.00"), (RR, "240.00")),
            row((RL, "Beef Rezala"), (112, "2"), (-168, "380.00"), (RR, "760.00")),
            row((RL, "Chicken Roast"), (112, "2"), (-168, "250.00"), (RR, "500.00")),
            row((RL, "Soft Drinks"), (112, "4"), (-168, "50.00"), (RR, "200.00")),
            row((RL, "Food Total"), (RR, "1,700.00"), gap=2.0),
            row((RL, "Service Charge @10%"), (RR, "170.00")),
            row((RL, "VAT @5% on food"), (RR, "85.00")),
            row((RL, "Net Bill"), (RR, "1,955.00"), bold=True),
            row((0, "Please pay at the counter"), gap=2.0),
        ),
        width=RECEIPT_W,
        family="mono-liberation",
        base=7.5,
    ),
    Spec(
        "bd-pharmacy-less-percent", "Bangladeshi pharmacy invoice: batch and expiry columns, Total MRP, Less 10%, Received, Return",
        truth("Nirmoy Pharmacy", "005566778", "NP-77120", "2025-11-03", 183.00, 0, 0.00, 164.70),
        (
            row((L, "Nirmoy Pharmacy"), size=1.6, bold=True),
            row((L, "Shop 3, Green Road, Dhaka-1205")),
            row((L, "Drug Licence No: DC-12345   BIN: 005566778")),
            row((L, "Invoice No: NP-77120"), (-555, "Date: 03-11-2025"), gap=2.2),
            row((L, "Medicine"), (-300, "Batch"), (-360, "Exp"), (-410, "Qty"), (-470, "MRP"), (R, "Amount"),
                bold=True, gap=2.2),  # fmt: skip
            RULE,
            row((L, "Maxpro 20mg Cap"), (-300, "B2291"), (-360, "08/27"), (-410, "14"), (-470, "7.00"), (R, "98.00")),
            row((L, "Ace Plus 500mg Tab"), (-300, "A1187"), (-360, "05/26"), (-410, "20"), (-470, "2.50"), (R, "50.00")),
            row((L, "Alatrol 10mg Tab"), (-300, "C3390"), (-360, "11/26"), (-410, "10"), (-470, "3.50"), (R, "35.00")),
            RULE,
            row((380, "Total MRP"), (R, "183.00")),
            row((380, "Less 10%"), (R, "18.30")),
            row((380, "Net Payable"), (R, "164.70"), bold=True),
            row((380, "Received"), (R, "200.00")),
            row((380, "Return"), (R, "35.30")),
        ),
        family="liberation-sans",
    ),
    Spec(
        "mushak63-erp-seller-buyer-bins", "ERP Mushak-6.3: Seller BIN and Buyer BIN on one line, Delivery No decoy, "
        "Tejgaon I/A address, Total VAT line",
        truth("Meghna Paper Mills Ltd.", "000123987-0201", "MPM/TI/25-26/1418", "2025-11-03", 330000.00, 15, 49500.00,
              379500.00),  # fmt: skip
        (
            row((0, "Meghna Paper Mills Ltd."), size=1.5, bold=True),
            row((0, "122 Tejgaon I/A, Dhaka-1208")),
            row((0, "Tax Invoice [Mushak-6.3]"), bold=True, gap=2.0),
            row((L, "Seller: Meghna Paper Mills Ltd."), (MID, "Buyer: Padma Printers & Packaging"), gap=2.2),
            row((L, "Seller BIN: 000123987-0201"), (MID, "Buyer BIN: 001987321-0101")),
            row((L, "Delivery No: DN-55120"), (MID, "Invoice No: MPM/TI/25-26/1418")),
            row((L, "Vehicle No: DM-TA-11-2233"), (MID, "Date of Issue: 03/11/2025")),
            row((L, "SL"), (58, "Description"), (-290, "Qty"), (-340, "Unit Price"), (-405, "Taxable Value"),
                (-445, "VAT %"), (-500, "VAT"), (R, "Total"), bold=True, size=0.85, gap=2.2),  # fmt: skip
            RULE,
            row((L, "1"), (58, "Offset paper 80gsm (ream)"), (-290, "500"), (-340, "520.00"), (-405, "260,000.00"),
                (-445, "15%"), (-500, "39,000.00"), (R, "299,000.00"), size=0.85),  # fmt: skip
            row((L, "2"), (58, "Duplex board 350gsm (sheet)"), (-290, "2,000"), (-340, "35.00"), (-405, "70,000.00"),
                (-445, "15%"), (-500, "10,500.00"), (R, "80,500.00"), size=0.85),  # fmt: skip
            RULE,
            row((330, "Total Taxable Value"), (R, "330,000.00")),
            row((330, "Total VAT"), (R, "49,500.00")),
            row((330, "Total Amount with VAT"), (R, "379,500.00"), bold=True),
        ),
        family="dejavu-sans",
    ),
    Spec(
        "mushak63-bengali-lakh", "Bengali-only Mushak-6.3, Bengali digits in lakh grouping (১,২৩,৫০০.০০)",
        truth("পদ্মা সিমেন্ট ইন্ডাস্ট্রিজ লিমিটেড", "000778899-0103", "2025/1123", "2025-11-03", 123500.00, 15, 18525.00,
              142025.00),  # fmt: skip
        (
            row((0, "গণপ্রজাতন্ত্রী বাংলাদেশ সরকার")),
            row((0, "জাতীয় রাজস্ব বোর্ড")),
            row((0, "কর চালানপত্র"), size=1.2, bold=True),
            row((-555, "মূসক-৬.৩")),
            row((L, "নিবন্ধিত ব্যক্তির নাম: পদ্মা সিমেন্ট ইন্ডাস্ট্রিজ লিমিটেড"), gap=2.0),
            row((L, "নিবন্ধিত ব্যক্তির বিআইএন: 000778899-0103")),
            row((L, "চালানপত্র ইস্যুর ঠিকানা: মুক্তারপুর, মুন্সীগঞ্জ")),
            row((L, "ক্রেতার নাম: রহমান বিল্ডার্স"), gap=2.0),
            row((L, "ক্রেতার বিআইএন: 002211334-0101")),
            row((L, "চালানপত্র নম্বর: 2025/1123"), (MID, "ইস্যুর তারিখ: 03/11/2025"), gap=2.0),
            row((L, "ক্রম"), (70, "পণ্যের বিবরণ"), (-300, "পরিমাণ"), (-360, "একক মূল্য"), (-430, "মোট মূল্য"),
                (-490, "মূসক"), (R, "সর্বমোট"), bold=True, size=0.9, gap=2.2),  # fmt: skip
            RULE,
            row((L, "1"), (70, "পোর্টল্যান্ড সিমেন্ট (ব্যাগ)"), (-300, "200"), (-360, "500.00"), (-430, "1,00,000.00"),
                (-490, "15,000.00"), (R, "1,15,000.00"), size=0.9),  # fmt: skip
            row((L, "2"), (70, "সাদা সিমেন্ট (ব্যাগ)"), (-300, "47"), (-360, "500.00"), (-430, "23,500.00"),
                (-490, "3,525.00"), (R, "27,025.00"), size=0.9),  # fmt: skip
            RULE,
            row((300, "মোট মূল্য"), (R, "1,23,500.00")),
            row((300, "মূসক 15%"), (R, "18,525.00")),
            row((300, "সর্বমোট"), (R, "1,42,025.00"), bold=True),
        ),
        family="noto-sans",
        bengali_digits=True,
    ),
    Spec(
        "bd-wholesale-previous-due", "Wholesale memo with Previous Due, Total Due, Paid and Balance under the bill's total",
        truth("Karim Rice Agency", "003355779", "2231", "2025-11-03", 49000.00, 0, 0.00, 49000.00),
        (
            row((L, "Karim Rice Agency"), size=1.6, bold=True),
            row((L, "45 Babubazar, Dhaka-1100   Mobile: 01819-556677")),
            row((L, "BIN: 003355779")),
            row((L, "Memo No: 2231"), (-555, "Date: 03/11/2025"), gap=2.2),
            row((L, "Customer: Sohag Store, Keraniganj")),
            row((L, "Description"), (-380, "Qty"), (-460, "Rate"), (R, "Amount"), bold=True, gap=2.2),
            RULE,
            row((L, "Miniket rice (50 kg bag)"), (-380, "10"), (-460, "3,100.00"), (R, "31,000.00")),
            row((L, "Najirshail rice (50 kg bag)"), (-380, "5"), (-460, "3,600.00"), (R, "18,000.00")),
            RULE,
            row((360, "Total"), (R, "49,000.00"), bold=True),
            row((360, "Previous Due"), (R, "12,500.00")),
            row((360, "Total Due"), (R, "61,500.00")),
            row((360, "Paid"), (R, "20,000.00")),
            row((360, "Balance"), (R, "41,500.00")),
        ),
        family="noto-serif",
    ),
    Spec(
        "bd-courier-bill", "Courier invoice: CN No and booking date decoys, weight-based charges, VAT 15%",
        truth("Jatri Courier & Parcel Service Ltd.", "001122009-0101", "JCP-INV-25-6610", "2025-11-03", 680.00, 15,
              102.00, 782.00),  # fmt: skip
        (
            row((L, "Jatri Courier & Parcel Service Ltd."), size=1.5, bold=True),
            row((L, "Head Office: 27 Motijheel C/A, Dhaka-1000")),
            row((L, "BIN: 001122009-0101   Hotline: 09678-112233")),
            row((-555, "INVOICE"), size=1.4, bold=True, gap=2.0),
            row((L, "CN No: 7781-445-22"), (MID, "Invoice No: JCP-INV-25-6610"), gap=2.0),
            row((L, "Booking Date: 02/11/2025"), (MID, "Invoice Date: 03/11/2025")),
            row((L, "Sender: Arong Crafts, Dhaka"), (MID, "Receiver: Hill View Store, Chattogram")),
            row((L, "Description"), (-380, "Weight"), (-460, "Rate"), (R, "Amount"), bold=True, gap=2.2),
            RULE,
            row((L, "Parcel charge Dhaka - Chattogram"), (-380, "12 kg"), (-460, "40.00"), (R, "480.00")),
            row((L, "Home delivery"), (-380, ""), (-460, ""), (R, "100.00")),
            row((L, "Insurance (1% of 10,000.00)"), (R, "100.00")),
            RULE,
            row((360, "Subtotal"), (R, "680.00")),
            row((360, "VAT 15%"), (R, "102.00")),
            row((360, "Total"), (R, "782.00"), bold=True),
        ),
        family="liberation-sans",
    ),
    Spec(
        "india-igst-interstate", "Indian inter-state GST tax invoice: GSTINs of both parties, HSN column, IGST @ 18% only",
        truth("Sahyadri Machine Tools Pvt. Ltd.", None, "SMT/25-26/0912", "2025-11-03", 72000.00, 18, 12960.00,
              84960.00, "INR"),  # fmt: skip
        (
            row((0, "Tax Invoice"), size=1.3, bold=True),
            row((L, "Sahyadri Machine Tools Pvt. Ltd."), size=1.4, bold=True, gap=2.0),
            row((L, "Plot 22, MIDC Bhosari, Pune, Maharashtra 411026")),
            row((L, "GSTIN: 27AABCS1234F1Z2   State Code: 27")),
            row((L, "Invoice No.: SMT/25-26/0912"), (MID, "Invoice Date: 03-Nov-2025"), gap=2.2),
            row((L, "Buyer (Bill to): Kaveri Fabricators"), (MID, "Place of Supply: Tamil Nadu (33)")),
            row((L, "Coimbatore, Tamil Nadu   GSTIN: 33AAFCK9988L1Z9")),
            row((L, "#"), (60, "Description"), (-330, "HSN"), (-380, "Qty"), (-460, "Rate"), (R, "Amount"),
                bold=True, gap=2.2),  # fmt: skip
            RULE,
            row((L, "1"), (60, "CNC collet chuck ER32"), (-330, "8466"), (-380, "4"), (-460, "12,500.00"), (R, "50,000.00")),
            row((L, "2"), (60, "Tool holder BT40"), (-330, "8466"), (-380, "10"), (-460, "2,200.00"), (R, "22,000.00")),
            RULE,
            row((340, "Taxable Value"), (R, "72,000.00")),
            row((340, "IGST @ 18%"), (R, "12,960.00")),
            row((340, "Total Invoice Value"), (R, "84,960.00"), bold=True),
            row((L, "Amount Chargeable (in words): Rupees Eighty Four Thousand Nine Hundred Sixty Only"), gap=2.2),
        ),
        family="dejavu-sans",
        base=9.0,
    ),
    Spec(
        "singapore-gst-inclusive-receipt", "Singapore café receipt: prices incl. 9% GST, Total (incl. GST) in S$, NETS",
        truth("Tiong Bahru Bakehouse Pte Ltd", None, "TB-118-20931", "2025-11-03", 17.90, 9, 1.48, 17.90, "SGD"),
        (
            row((0, "Tiong Bahru Bakehouse Pte Ltd"), size=1.2, bold=True),
            row((0, "56 Eng Hoon Street #01-70")),
            row((0, "Singapore 160056")),
            row((0, "GST Reg No: M2-0123456-7")),
            row((0, "TAX INVOICE"), bold=True, gap=2.0),
            row((RL, "Receipt #: TB-118-20931"), gap=2.0),
            row((RL, "Date: 03/11/2025 10:12")),
            row((RL, "2 Kaya Toast Set @ 5.80"), (RR, "11.60"), gap=2.0),
            row((RL, "1 Iced Kopi"), (RR, "2.40")),
            row((RL, "1 Butter Croissant"), (RR, "3.90")),
            row((RL, "Total (incl. GST)"), (RR, "S$17.90"), bold=True, gap=2.0),
            row((RL, "NETS"), (RR, "17.90")),
            row((RL, "GST 9% included"), (RR, "1.48")),
        ),
        width=RECEIPT_W,
        family="mono-dejavu",
        base=7.5,
    ),
    Spec(
        "malaysia-sst-receipt", "Malaysian restaurant receipt: SST ID, Service Tax 6%, amounts in RM",
        truth("Restoran Selera Kampung Sdn Bhd", None, "SK-0031187", "2025-11-03", 38.80, 6, 2.33, 41.13, "MYR"),
        (
            row((0, "Restoran Selera Kampung Sdn Bhd"), size=1.1, bold=True),
            row((0, "12, Jalan SS2/24, 47300 Petaling Jaya")),
            row((0, "SST ID: W10-1808-31012345")),
            row((RL, "Invoice No: SK-0031187"), gap=2.0),
            row((RL, "Date: 03/11/2025"), (RR, "Table 9")),
            row((RL, "Nasi Lemak Ayam"), gap=2.0),
            row((30, "2 x 12.90"), (RR, "25.80")),
            row((RL, "Teh Tarik")),
            row((30, "2 x 3.50"), (RR, "7.00")),
            row((RL, "Roti Canai")),
            row((30, "3 x 2.00"), (RR, "6.00")),
            row((RL, "Sub Total"), (RR, "RM 38.80"), gap=2.0),
            row((RL, "Service Tax 6%"), (RR, "RM 2.33")),
            row((RL, "Total"), (RR, "RM 41.13"), bold=True),
            row((0, "Terima kasih"), gap=2.0),
        ),
        width=RECEIPT_W,
        family="mono-liberation",
        base=7.5,
    ),
    Spec(
        "thai-abb-receipt", "Thai abbreviated tax invoice in English: 13-digit Tax ID, VAT 7% in the price, Amount before VAT",
        truth("Siam Herb & Spa Co., Ltd.", None, "SH-6811-0452", "2025-11-03", 1495.33, 7, 104.67, 1600.00, "THB"),
        (
            row((0, "Siam Herb & Spa Co., Ltd."), size=1.2, bold=True),
            row((0, "88 Sukhumvit Soi 24, Bangkok 10110")),
            row((0, "Tax ID: 0105561234567 (Head Office)")),
            row((0, "TAX INVOICE (ABB)"), bold=True, gap=2.0),
            row((RL, "Receipt No: SH-6811-0452"), gap=2.0),
            row((RL, "Date: 03/11/2025  Time: 15:40")),
            row((RL, "Thai massage 120 min"), (RR, "1,200.00"), gap=2.0),
            row((RL, "Herbal compress add-on"), (RR, "400.00")),
            row((RL, "Total (THB)"), (RR, "1,600.00"), bold=True, gap=2.0),
            row((RL, "Amount before VAT"), (RR, "1,495.33")),
            row((RL, "VAT 7%"), (RR, "104.67")),
            row((RL, "Cash"), (RR, "2,000.00")),
            row((RL, "Change"), (RR, "400.00")),
        ),
        width=RECEIPT_W,
        family="mono-dejavu",
        base=7.5,
    ),
    Spec(
        "us-web-order-invoice", "US online-store invoice: Order # decoy, discount code, Shipping, Sales Tax (8.875%)",
        truth("Pinecrest Outfitters", None, "PCO-INV-2025-1047", "2025-11-03", 183.00, 8.875, 14.62, 189.27, "USD"),
        (
            row((L, "Pinecrest Outfitters"), size=1.6, bold=True),
            row((L, "pinecrestoutfitters.example  |  support@pinecrest.example")),
            row((-555, "Order #1047"), size=1.3, bold=True, gap=2.2),
            row((L, "Invoice No. PCO-INV-2025-1047"), (MID, "Invoice date: November 3, 2025"), gap=2.0),
            row((L, "Ship to: Dana Whitfield, 31 Orchard St, Brooklyn, NY 11211")),
            row((L, "Item"), (-400, "Qty"), (-470, "Price"), (R, "Total"), bold=True, gap=2.2),
            RULE,
            row((L, "Trail Running Shoes, size 9"), (-400, "1"), (-470, "$129.00"), (R, "$129.00")),
            row((L, "Merino Wool Socks"), (-400, "3"), (-470, "$18.00"), (R, "$54.00")),
            RULE,
            row((360, "Subtotal"), (R, "$183.00")),
            row((360, "Discount (FALL10)"), (R, "-$18.30")),
            row((360, "Shipping (Standard)"), (R, "$9.95")),
            row((360, "Sales Tax (8.875%)"), (R, "$14.62")),
            row((360, "Total"), (R, "$189.27 USD"), bold=True),
        ),
        width=LETTER_W,
        family="noto-sans",
    ),
    Spec(
        "italian-fattura", "Italian fattura: P.IVA, Fattura n., Imponibile, IVA 22%, Totale documento",
        truth("Ceramiche Toscane Srl", None, "118/2025", "2025-11-03", 1200.00, 22, 264.00, 1464.00, "EUR"),
        (
            row((L, "Ceramiche Toscane Srl"), size=1.6, bold=True),
            row((L, "Via dei Vasai 14, 50053 Empoli (FI)")),
            row((L, "P.IVA 01234567890 - C.F. 01234567890")),
            row((L, "FATTURA"), size=1.5, bold=True, gap=2.4),
            row((L, "Fattura n. 118/2025"), (MID, "Spett.le Trattoria Da Gino"), gap=2.0),
            row((L, "Data: 03/11/2025"), (MID, "Via Roma 8, 50123 Firenze")),
            row((L, "Descrizione"), (-380, "Q.tà"), (-460, "Prezzo unit."), (R, "Importo"), bold=True, gap=2.4),
            RULE,
            row((L, "Piatti piani decorati"), (-380, "120"), (-460, "6,50"), (R, "780,00")),
            row((L, "Tazze espresso"), (-380, "200"), (-460, "2,10"), (R, "420,00")),
            RULE,
            row((360, "Imponibile"), (R, "1.200,00 €")),
            row((360, "IVA 22%"), (R, "264,00 €")),
            row((360, "Totale documento"), (R, "1.464,00 €"), bold=True),
            row((L, "Pagamento: bonifico bancario 30 gg d.f."), gap=2.4),
        ),
        family="dejavu-serif",
    ),
    Spec(
        "bd-hotel-folio", "Dhaka hotel guest folio: Folio and Room No decoys, arrival/departure dates, SC 10% + VAT 15%, "
        "advance and balance",
        truth("Hotel Kashful Inn", "000445566-0102", "HKI-INV-4471", "2025-11-03", 18500.00, 15, 3052.50, 23402.50),
        (
            row((L, "Hotel Kashful Inn"), size=1.6, bold=True),
            row((L, "Road 41, Gulshan 2, Dhaka-1212")),
            row((L, "BIN: 000445566-0102")),
            row((-555, "GUEST FOLIO"), size=1.3, bold=True, gap=2.0),
            row((L, "Folio No: F-25110388"), (MID, "Invoice No: HKI-INV-4471"), gap=2.0),
            row((L, "Guest: Mr. Daniel Cho"), (MID, "Room No: 507")),
            row((L, "Arrival: 01/11/2025"), (MID, "Departure: 03/11/2025")),
            row((MID, "Invoice Date: 03/11/2025")),
            row((L, "Date"), (130, "Description"), (R, "Amount"), bold=True, gap=2.2),
            RULE,
            row((L, "01/11/2025"), (130, "Room charge (Deluxe King)"), (R, "8,000.00")),
            row((L, "02/11/2025"), (130, "Room charge (Deluxe King)"), (R, "8,000.00")),
            row((L, "02/11/2025"), (130, "Restaurant"), (R, "2,500.00")),
            RULE,
            row((360, "Total Charges"), (R, "18,500.00")),
            row((360, "Service Charge 10%"), (R, "1,850.00")),
            row((360, "VAT 15%"), (R, "3,052.50")),
            row((360, "Grand Total"), (R, "23,402.50"), bold=True),
            row((360, "Advance Paid"), (R, "10,000.00")),
            row((360, "Balance Due"), (R, "13,402.50")),
        ),
        family="dejavu-sans",
    ),
    Spec(
        "bd-utility-bill", "Electricity bill: Account No decoy, Last Date of Payment, amount payable within vs after due date",
        truth("Nagar Bidyut Distribution Company Ltd.", "000111222-0101", "EB-2510-778120", "2025-11-03", 3654.00, 5,
              182.70, 3836.70),  # fmt: skip
        (
            row((L, "Nagar Bidyut Distribution Company Ltd."), size=1.4, bold=True),
            row((L, "Zonal Office: Mohammadpur, Dhaka   BIN: 000111222-0101")),
            row((-555, "ELECTRICITY BILL"), size=1.3, bold=True, gap=2.0),
            row((L, "Account No: 5512 3398"), (MID, "Bill No: EB-2510-778120"), gap=2.0),
            row((L, "Bill Month: October 2025"), (MID, "Issue Date: 03/11/2025")),
            row((L, "Customer: Md. Rafiq, House 5, Road 3"), (MID, "Last Date of Payment: 17/11/2025")),
            row((L, "Previous reading 18,220   Present reading 18,640   Units consumed 420"), gap=2.2),
            row((L, "Energy charge"), (R, "3,570.00"), gap=2.0),
            row((L, "Demand charge"), (R, "84.00")),
            row((L, "Principal Amount"), (R, "3,654.00")),
            row((L, "VAT 5%"), (R, "182.70")),
            row((L, "Total Amount"), (R, "3,836.70"), bold=True),
            row((L, "Amount payable within due date"), (R, "3,836.70"), gap=2.0),
            row((L, "Late payment surcharge 2%"), (R, "73.08")),
            row((L, "Amount payable after due date"), (R, "3,909.78")),
        ),
        family="liberation-sans",
    ),
)
# fmt: on

BY_NAME = {s.name: s for s in SPECS}


def write(out: Path, specs: tuple[Spec, ...] = SPECS, png: bool = True) -> list[Path]:
    """Write each spec as <name>.pdf (text layer), <name>.png (300 dpi) and <name>.truth.json."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in specs:
        (out / f"{spec.name}.pdf").write_bytes(pdf_bytes(spec))
        if png:
            (out / f"{spec.name}.png").write_bytes(png_bytes(spec))
        (out / f"{spec.name}.truth.json").write_text(json.dumps(spec.truth, ensure_ascii=False, indent=1))
        paths.append(out / f"{spec.name}.pdf")
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m tests.corpus.realistic OUT_DIR")
    print(f"wrote {len(write(Path(sys.argv[1])))} specs to {sys.argv[1]}")
