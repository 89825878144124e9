"""What a synthetic invoice *says*: parties, items and arithmetic.

Owns the ground truth. `make_invoice` draws suppliers, buyers, BINs, phones,
addresses, items, discount and VAT from an explicit `random.Random`, and makes
the arithmetic exact (line amounts sum to subtotal, subtotal - discount + VAT =
total, all rounded to 2 decimals). Knows nothing about layout or pixels.
Line `amount` is always quantity x unit price, before VAT.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import asdict, dataclass, field

# (english, bengali) pairs so one business can be printed in either script.
NAME_HEADS = [
    ("Rahman", "রহমান"),
    ("Karim", "করিম"),
    ("Padma", "পদ্মা"),
    ("Meghna", "মেঘনা"),
    ("Jamuna", "যমুনা"),
    ("Bismillah", "বিসমিল্লাহ"),
    ("Al-Amin", "আল-আমিন"),
    ("Sonar Bangla", "সোনার বাংলা"),
    ("New Madina", "নিউ মদিনা"),
    ("Shapla", "শাপলা"),
    ("Rupali", "রূপালী"),
    ("Surma", "সুরমা"),
    ("Karnaphuli", "কর্ণফুলী"),
    ("Haque", "হক"),
    ("Mayer Doa", "মায়ের দোয়া"),
    ("Bhai Bhai", "ভাই ভাই"),
    ("Hossain", "হোসেন"),
    ("Chowdhury", "চৌধুরী"),
    ("Nur", "নূর"),
    ("Sabuj", "সবুজ"),
    ("Teesta", "তিস্তা"),
    ("Dhaka", "ঢাকা"),
    ("Green Valley", "গ্রিন ভ্যালি"),
    ("Islam", "ইসলাম"),
    ("Star", "স্টার"),
    ("Sundarban", "সুন্দরবন"),
    ("Ananda", "আনন্দ"),
    ("Biswas", "বিশ্বাস"),
    ("Modhumoti", "মধুমতি"),
]
NAME_TAILS = [
    ("Traders", "ট্রেডার্স"),
    ("Enterprise", "এন্টারপ্রাইজ"),
    ("Store", "স্টোর"),
    ("Hardware", "হার্ডওয়্যার"),
    ("Electronics", "ইলেকট্রনিক্স"),
    ("Pharmacy", "ফার্মেসী"),
    ("Trading Co.", "ট্রেডিং কোং"),
    ("Steel Ltd.", "স্টিল লিঃ"),
    ("Agro Industries", "এগ্রো ইন্ডাস্ট্রিজ"),
    ("Paper House", "পেপার হাউস"),
    ("Printing & Packaging", "প্রিন্টিং এন্ড প্যাকেজিং"),
    ("Textile Mills Ltd.", "টেক্সটাইল মিলস লিঃ"),
    ("Distribution Ltd.", "ডিস্ট্রিবিউশন লিঃ"),
    ("General Store", "জেনারেল স্টোর"),
    ("Bastralaya", "বস্ত্রালয়"),
    ("Super Shop", "সুপার শপ"),
    ("Stationery", "স্টেশনারী"),
    ("Motors", "মটরস"),
    ("Foods Ltd.", "ফুডস লিঃ"),
]
BN_PREFIX = ["", "", "", "মেসার্স ", "M/S "]
PEOPLE = [
    ("Abdul Karim", "আব্দুল করিম"),
    ("Nasrin Akter", "নাসরিন আক্তার"),
    ("Md. Rafiqul Islam", "মোঃ রফিকুল ইসলাম"),
    ("Shahana Begum", "শাহানা বেগম"),
    ("Tanvir Ahmed", "তানভীর আহমেদ"),
    ("Sumon Das", "সুমন দাস"),
    ("Farhana Yasmin", "ফারহানা ইয়াসমিন"),
    ("Kamal Uddin", "কামাল উদ্দিন"),
    ("Rina Roy", "রিনা রায়"),
]
# (english, bengali, post code)
PLACES = [
    ("Motijheel, Dhaka", "মতিঝিল, ঢাকা", "1000"),
    ("Dhanmondi, Dhaka", "ধানমন্ডি, ঢাকা", "1205"),
    ("Mirpur-10, Dhaka", "মিরপুর-১০, ঢাকা", "1216"),
    ("Tejgaon I/A, Dhaka", "তেজগাঁও শিল্প এলাকা, ঢাকা", "1208"),
    ("Uttara, Dhaka", "উত্তরা, ঢাকা", "1230"),
    ("Nawabpur Road, Dhaka", "নবাবপুর রোড, ঢাকা", "1100"),
    ("Agrabad C/A, Chattogram", "আগ্রাবাদ বা/এ, চট্টগ্রাম", "4100"),
    ("Khatunganj, Chattogram", "খাতুনগঞ্জ, চট্টগ্রাম", "4000"),
    ("Zindabazar, Sylhet", "জিন্দাবাজার, সিলেট", "3100"),
    ("KDA Avenue, Khulna", "কেডিএ এভিনিউ, খুলনা", "9100"),
    ("Shaheb Bazar, Rajshahi", "সাহেব বাজার, রাজশাহী", "6100"),
    ("Chashara, Narayanganj", "চাষাড়া, নারায়ণগঞ্জ", "1400"),
    ("Joydebpur, Gazipur", "জয়দেবপুর, গাজীপুর", "1700"),
    ("Kandirpar, Cumilla", "কান্দিরপাড়, কুমিল্লা", "3500"),
    ("Satmatha, Bogura", "সাতমাথা, বগুড়া", "5800"),
    ("Banani, Dhaka", "বনানী, ঢাকা", "1213"),
]

# (english, bengali, unit en, unit bn, price lo, price hi, fractional quantities?)
PRODUCTS = [
    ("Miniket Rice", "মিনিকেট চাল", "kg", "কেজি", 62, 88, True),
    ("Soybean Oil 5L", "সয়াবিন তেল ৫ লি.", "pcs", "টি", 780, 960, False),
    ("Sugar", "চিনি", "kg", "কেজি", 115, 145, True),
    ("Masur Dal", "মসুর ডাল", "kg", "কেজি", 95, 140, True),
    ("Onion (Local)", "দেশি পেঁয়াজ", "kg", "কেজি", 45, 120, True),
    ("A4 Paper 80gsm", "এ৪ কাগজ ৮০ জিএসএম", "ream", "রিম", 420, 560, False),
    ("Cement 50kg Bag", "সিমেন্ট ৫০ কেজি ব্যাগ", "bag", "ব্যাগ", 480, 560, False),
    ("MS Rod 500W 12mm", "এমএস রড ৫০০ডব্লিউ ১২মিমি", "kg", "কেজি", 88, 104, True),
    ("Plastic Paint 4L", "প্লাস্টিক পেইন্ট ৪ লি.", "can", "কৌটা", 1450, 2300, False),
    ("Electric Cable 1.5rm", "ইলেকট্রিক তার ১.৫ আরএম", "coil", "কয়েল", 2100, 3400, False),
    ("LED Bulb 12W", "এলইডি বাল্ব ১২ ওয়াট", "pcs", "টি", 140, 260, False),
    ("Printer Toner 85A", "প্রিন্টার টোনার ৮৫এ", "pcs", "টি", 1100, 4200, False),
    ("Napa 500mg", "নাপা ৫০০ মি.গ্রা.", "box", "বক্স", 110, 130, False),
    ("Cotton Yarn 30s", "কটন সুতা ৩০এস", "kg", "কেজি", 310, 420, True),
    ("Poly Bag", "পলি ব্যাগ", "kg", "কেজি", 190, 260, True),
    ("Transport Charge", "পরিবহন খরচ", "trip", "ট্রিপ", 1500, 9000, False),
    ("Annual Maintenance", "বার্ষিক রক্ষণাবেক্ষণ", "job", "কাজ", 5000, 45000, False),
    ("Office Chair", "অফিস চেয়ার", "pcs", "টি", 3200, 12500, False),
    ('Ceiling Fan 56"', 'সিলিং ফ্যান ৫৬"', "pcs", "টি", 2600, 4900, False),
    ("Mineral Water 500ml", "মিনারেল ওয়াটার ৫০০ মি.লি.", "ctn", "কার্টন", 280, 420, False),
    ("Tea Leaves", "চা পাতা", "kg", "কেজি", 380, 620, True),
    ("Detergent Powder 1kg", "ডিটারজেন্ট পাউডার ১ কেজি", "pcs", "টি", 130, 210, False),
    ("Laptop Core i5", "ল্যাপটপ কোর আই৫", "pcs", "টি", 52000, 88000, False),
    ("Steel Almirah", "স্টিল আলমারি", "pcs", "টি", 14500, 26000, False),
    ("Fabric Dyeing", "কাপড় রং করা", "yds", "গজ", 18, 45, False),
    ("Lungi", "লুঙ্গি", "pcs", "টি", 350, 950, False),
    ("Hilsa Fish", "ইলিশ মাছ", "kg", "কেজি", 900, 1800, True),
    ("Potato", "আলু", "kg", "কেজি", 28, 60, True),
]
FOREIGN = {  # currency -> (suppliers, cities, products(name, lo, hi), tax rates)
    "USD": (
        ["Bluebird Supply Inc.", "Harbor Office Depot", "Sunset Electronics LLC", "Prime Parts Co."],
        ["Brooklyn, NY 11201", "Austin, TX 78701", "San Jose, CA 95110", "Newark, NJ 07102"],
        [
            ("USB-C Cable 2m", 6, 25),
            ("Wireless Mouse", 12, 45),
            ("Printer Paper (case)", 28, 60),
            ("Barcode Scanner", 45, 180),
            ("Shipping & Handling", 8, 40),
            ("Label Roll 4x6", 9, 30),
        ],
        [0, 6.25, 7, 8.25, 8.875],
    ),
    "EUR": (
        ["Nordwind Handels GmbH", "Atelier Lumière SARL", "Hanse Büro KG", "Verde Trading B.V."],
        ["20095 Hamburg, Germany", "69002 Lyon, France", "1012 Amsterdam, Netherlands", "80331 München, Germany"],
        [
            ("Textile Sample Set", 35, 140),
            ("Dye Chemical 5kg", 48, 210),
            ("Thread Cone", 3, 12),
            ("Consulting Hour", 80, 150),
            ("Courier Fee", 15, 60),
        ],
        [19, 20, 21, 0],
    ),
    "INR": (
        ["Shree Ganesh Traders", "Kolkata Jute Mills Pvt. Ltd.", "Sai Electricals", "Bharat Pharma Distributors"],
        [
            "Burrabazar, Kolkata 700007",
            "Andheri East, Mumbai 400069",
            "Karol Bagh, New Delhi 110005",
            "Petrapole, WB 743262",
        ],
        [
            ("Jute Bag", 40, 120),
            ("Ceiling Fan", 1400, 2900),
            ("Medicine Strip", 35, 220),
            ("Cotton Saree", 850, 4200),
            ("Freight", 500, 3000),
        ],
        [5, 12, 18, 0],
    ),
}


@dataclass
class LineItem:
    description: str
    quantity: float
    unit_price: float
    amount: float
    unit: str = ""


@dataclass
class Party:
    name: str
    address: str
    phone: str | None
    bin: str | None  # ASCII, as the truth wants it


@dataclass
class Invoice:
    supplier: Party
    buyer: Party
    invoice_number: str
    invoice_date: dt.date
    due_date: dt.date | None
    currency: str
    items: list[LineItem]
    subtotal: float
    discount: float
    vat_rate: float
    vat_amount: float
    total: float
    language: str
    extras: dict = field(default_factory=dict)  # printed-only details (PO no, time, cashier)

    def truth(self, source: str) -> dict:
        return {
            "source": source,
            "supplier_name": self.supplier.name,
            "supplier_bin": self.supplier.bin,
            "supplier_address": self.supplier.address,
            "supplier_phone": self.supplier.phone,
            "buyer_name": self.buyer.name or None,
            "invoice_number": self.invoice_number,
            "invoice_date": self.invoice_date.isoformat(),
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "currency": self.currency,
            "subtotal": self.subtotal,
            "discount": self.discount,
            "vat_rate": self.vat_rate,
            "vat_amount": self.vat_amount,
            "total": self.total,
            "line_items": [{k: v for k, v in asdict(li).items() if k != "unit"} for li in self.items],
            "language": self.language,
        }


def r2(x: float) -> float:
    return round(x + 1e-9, 2)


def make_bin(rng: random.Random) -> str:
    b = f"00{rng.randint(0, 9_999_999):07d}" if rng.random() < 0.7 else f"{rng.randint(1, 999_999_999):09d}"
    return b + (f"-{rng.choice(['0101', '0102', '0103', '0201', '0301'])}" if rng.random() < 0.4 else "")


def make_phone(rng: random.Random) -> str:
    op, rest = rng.choice("3456789"), f"{rng.randint(0, 99_999_999):08d}"
    return rng.choice(
        [f"+8801{op}{rest}", f"01{op}{rest[:2]}-{rest[2:]}", f"01{op}{rest}", f"+880 1{op}{rest[:2]}-{rest[2:]}"]
    )


def make_party(rng: random.Random, script: str, person: bool = False) -> Party:
    """A Bangladeshi business (or person) with names/addresses in `script` ('en'|'bn')."""
    k = 0 if script == "en" else 1
    if person:
        name = PEOPLE[rng.randrange(len(PEOPLE))][k]
        if k == 1 and rng.random() < 0.4:
            name = "জনাব " + name
    else:
        head, tail = rng.choice(NAME_HEADS)[k], rng.choice(NAME_TAILS)[k]
        prefix = rng.choice(BN_PREFIX) if k else rng.choice(["", "", "", "M/S. "])
        name = f"{prefix}{head} {tail}"
    place = rng.choice(PLACES)
    num = f"{rng.randint(1, 250)}{rng.choice(['', '/A', '/B', '/3'])}"
    if k == 0:
        street = rng.choice(
            [
                f"House {num}, Road {rng.randint(1, 32)}",
                f"Shop {num}",
                f"{num}",
                f"Plot {num}, Holding {rng.randint(10, 99)}",
            ]
        )
        addr = f"{street}, {place[0]}-{place[2]}"
    else:
        from .notation import bn_digits

        street = rng.choice([f"বাড়ি {num}, রোড {rng.randint(1, 32)}", f"দোকান নং {num}", f"{num}", f"হোল্ডিং {num}"])
        addr = bn_digits(f"{street}, {place[1]}-{place[2]}")
    return Party(name=name, address=addr, phone=make_phone(rng), bin=make_bin(rng))


def make_invoice_number(rng: random.Random, year: int) -> str:
    n = rng.randint(1, 99999)
    return rng.choice(
        [
            f"INV-{year}-{n:05d}",
            f"{n:06d}",
            f"MS/{year % 100}/{n:04d}",
            f"CM-{n}",
            f"SO{year % 100}{rng.randint(1, 12):02d}-{n:04d}",
            f"{rng.choice('ABCDKR')}{n:05d}",
            f"TI/{rng.choice(['DHK', 'CTG', 'SYL'])}/{n:04d}",
            str(rng.randint(100, 9999)),
        ]
    )


def make_items(rng: random.Random, script: str, n: int) -> list[LineItem]:
    chosen = rng.sample(PRODUCTS, k=min(n, len(PRODUCTS)))
    while len(chosen) < n:
        chosen.append(rng.choice(PRODUCTS))
    items = []
    for en, bn, u_en, u_bn, lo, hi, frac in chosen:
        desc = en if script == "en" else bn if script == "bn" else rng.choice([en, bn])
        price = float(rng.randint(lo, hi)) if rng.random() < 0.8 else r2(rng.uniform(lo, hi))
        qty = (
            float(rng.choice([1, 1, 2, 3, 5, 10, 12, 20, 25, 50]))
            if not frac
            else rng.choice([float(rng.randint(1, 60)), r2(rng.randint(2, 120) / 2)])
        )
        if hi > 20000:
            qty = float(rng.randint(1, 3))
        items.append(LineItem(desc, qty, price, r2(qty * price), u_en if script == "en" else u_bn))
    return items


def settle(items: list[LineItem], rng: random.Random, vat_rate: float, discount_p: float = 0.35) -> tuple:
    """subtotal, discount, vat_amount, total with exact 2-decimal arithmetic."""
    subtotal = r2(sum(li.amount for li in items))
    discount = 0.0
    if rng.random() < discount_p:
        discount = (
            r2(subtotal * rng.choice([2, 3, 5, 10]) / 100)
            if rng.random() < 0.6
            else float(rng.choice([50, 100, 200, 500]))
            if subtotal > 2000
            else 0.0
        )
    vat = r2((subtotal - discount) * vat_rate / 100)
    return subtotal, discount, vat, r2(subtotal - discount + vat)


def make_invoice(
    rng: random.Random,
    language: str,
    *,
    n_items: int | None = None,
    currency: str = "BDT",
    vat_rates: tuple = (0, 5, 7.5, 10, 15, 15, 15),
    person_buyer: float = 0.3,
    discount_p: float = 0.35,
) -> Invoice:
    """Draw one invoice. `language` en|bn|mixed decides which script names and items use."""
    n_items = n_items or rng.choice([1, 2, 3, 3, 4, 5, 6, 8])
    date = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 1050))
    due = date + dt.timedelta(days=rng.choice([7, 15, 30, 45])) if rng.random() < 0.3 else None
    if currency != "BDT":
        names, cities, prods, rates = FOREIGN[currency]
        sup = Party(
            rng.choice(names),
            f"{rng.randint(2, 990)} {rng.choice(['Main St', 'Harbour Rd', 'Market Lane', 'Station Rd'])}, {rng.choice(cities)}",
            f"+{rng.choice(['1 212', '49 40', '91 33'])} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            None,
        )
        buyer = make_party(rng, "en")
        buyer.bin = None
        items = []
        for name, lo, hi in rng.sample(prods, k=min(n_items, len(prods))):
            qty, price = float(rng.randint(1, 12)), r2(rng.uniform(lo, hi))
            items.append(LineItem(name, qty, price, r2(qty * price)))
        vat_rate = float(rng.choice(rates))
        sub, disc, vat, tot = settle(items, rng, vat_rate, discount_p=0.2)
        return Invoice(
            sup,
            buyer,
            make_invoice_number(rng, date.year),
            date,
            due,
            currency,
            items,
            sub,
            disc,
            vat_rate,
            vat,
            tot,
            "en",
        )
    script = {"en": "en", "bn": "bn"}.get(language, rng.choice(["en", "bn"]))
    sup = make_party(rng, script)
    buyer = make_party(
        rng, rng.choice([script, "en"]) if language == "mixed" else script, person=rng.random() < person_buyer
    )
    items = make_items(rng, language if language != "mixed" else "mixed", n_items)
    vat_rate = float(rng.choice(vat_rates))
    sub, disc, vat, tot = settle(items, rng, vat_rate, discount_p)
    inv = Invoice(
        sup,
        buyer,
        make_invoice_number(rng, date.year),
        date,
        due,
        "BDT",
        items,
        sub,
        disc,
        vat_rate,
        vat,
        tot,
        language,
    )
    inv.extras = {
        "po": f"PO-{rng.randint(1000, 99999)}",
        "time": f"{rng.randint(8, 21):02d}:{rng.randint(0, 59):02d}",
        "cashier": rng.choice(["Rakib", "Mitu", "Hasan", "Joy", "Sadia"]),
    }
    return inv
