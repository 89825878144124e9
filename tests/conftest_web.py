"""Fixtures for the web tests: a real box (SQLite journal, DuckDB read model) in a temp dir.

Imported by tests/conftest.py with ``from tests.conftest_web import *``. Nothing is mocked:
the app is the one gunicorn serves, driven through Flask's test client.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from PIL import Image, ImageDraw, ImageFont

from appliance import config, users

__all__ = [
    "web_settings", "app", "webbox_", "people", "_cheap_hashes", "client", "login", "csrf_token", "owner_client",
    "staff_client", "staff_token", "bearer", "invoice_png", "render_invoice", "PASSWORDS",
]

PASSWORDS = {"owner": "owner-pass-1", "staff": "staff-pass-1", "tech": "tech-pass-1"}
NOTO = Path("/usr/share/fonts/truetype/noto")


@pytest.fixture
def web_settings(tmp_path):
    return config.parse({"data_dir": tmp_path / "data", "device_id": "box-test", "max_upload_mb": 2,
                         "max_pages": 20, "use_llm": False, "poll_seconds": 0.2, "language": "en"})


@pytest.fixture
def app(web_settings):
    from appliance.web import create_app

    application = create_app(web_settings)
    application.config["TESTING"] = True
    yield application
    application.extensions["hisab"].close()


@pytest.fixture
def webbox_(app):
    return app.extensions["hisab"]


@pytest.fixture(scope="session")
def _cheap_hashes() -> dict[str, str]:
    # Real argon2, with test-sized cost: the box's default costs ~1 s a hash on this machine,
    # and check_password reads the parameters from the hash itself.
    hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    return {name: hasher.hash(password) for name, password in PASSWORDS.items()}


@pytest.fixture
def people(webbox_, _cheap_hashes):
    """Three users, one per role (as `hisab user add` stores them); passwords in PASSWORDS."""
    for name, role in (("owner", "owner"), ("staff", "staff"), ("tech", "technician")):
        webbox_.journal.append("user.added", {"name": name, "role": role, "password_hash": _cheap_hashes[name],
                                              "language": "en"}, actor="setup")
    webbox_.readmodel.catch_up()
    return PASSWORDS


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, name: str, password: str | None = None):
    token = csrf_token(client)
    return client.post("/login", data={"username": name, "password": password or PASSWORDS[name],
                                       "csrf_token": token})


@pytest.fixture
def owner_client(app, people):
    c = app.test_client()
    assert login(c, "owner").status_code == 302
    return c


@pytest.fixture
def staff_client(app, people):
    c = app.test_client()
    assert login(c, "staff").status_code == 302
    return c


@pytest.fixture
def staff_token(webbox_, people) -> str:
    return users.create_token(webbox_.journal, "staff", label="tests")


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def _font(size: int, bengali: bool = False):
    name = "NotoSansBengali-Regular.ttf" if bengali else "NotoSans-Regular.ttf"
    path = NOTO / name
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default()


def render_invoice(supplier: str = "Rahman Traders", bin_: str | None = "000123456-0101", number: str = "INV-2024-0042",
                   date: str = "12/03/2024", lines=(("Rice 50kg", 2, 3200.0), ("Lentils 25kg", 3, 2100.0)),
                   vat_rate: float = 15.0, fmt: str = "PNG") -> bytes:
    """A clean printed-looking invoice, rendered with the Noto fonts."""
    img = Image.new("RGB", (1240, 1754), "white")
    d = ImageDraw.Draw(img)
    big, normal = _font(44), _font(30)
    y = 90
    d.text((90, y), supplier, font=big, fill="black")
    y += 70
    d.text((90, y), "House 12, Road 5, Dhanmondi, Dhaka", font=normal, fill="black")
    y += 50
    if bin_:
        d.text((90, y), f"BIN: {bin_}", font=normal, fill="black")
    y += 90
    d.text((90, y), "TAX INVOICE (Mushak 6.3)", font=big, fill="black")
    y += 80
    d.text((90, y), f"Invoice No: {number}", font=normal, fill="black")
    d.text((760, y), f"Date: {date}", font=normal, fill="black")
    y += 90
    d.line((90, y, 1150, y), fill="black", width=2)
    y += 20
    for col, x in (("Description", 90), ("Qty", 650), ("Rate", 800), ("Amount", 990)):
        d.text((x, y), col, font=normal, fill="black")
    y += 55
    d.line((90, y, 1150, y), fill="black", width=1)
    y += 20
    subtotal = 0.0
    for desc, qty, rate in lines:
        amount = qty * rate
        subtotal += amount
        d.text((90, y), desc, font=normal, fill="black")
        d.text((650, y), str(qty), font=normal, fill="black")
        d.text((800, y), f"{rate:,.2f}", font=normal, fill="black")
        d.text((990, y), f"{amount:,.2f}", font=normal, fill="black")
        y += 55
    d.line((90, y, 1150, y), fill="black", width=1)
    vat = round(subtotal * vat_rate / 100, 2)
    y += 30
    for label, value in (("Subtotal", subtotal), (f"VAT {vat_rate:g}%", vat), ("Total", subtotal + vat)):
        d.text((700, y), label, font=normal, fill="black")
        d.text((990, y), f"{value:,.2f}", font=normal, fill="black")
        y += 55
    buffer = io.BytesIO()
    img.save(buffer, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buffer.getvalue()


@pytest.fixture(scope="session")
def invoice_png() -> bytes:
    return render_invoice()
