"""Language of the UI: English or Bengali, per user, with Bengali digits when Bengali is chosen.

The catalogue lives in appliance/web/translations/bn (the compiled .mo is committed, so the
box builds nothing). Update it with:
    .venv/bin/pybabel extract -F appliance/web/babel.cfg -o appliance/web/translations/messages.pot appliance/web
    .venv/bin/pybabel update -i appliance/web/translations/messages.pot -d appliance/web/translations
    .venv/bin/pybabel compile -d appliance/web/translations
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, session
from flask_babel import Babel, get_locale
from flask_login import current_user
from jinja2 import pass_context

from appliance.ocr.normalise import format_lakh

LANGUAGES = {"en": "English", "bn": "বাংলা"}
_BN_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


def select_locale() -> str:
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return chosen
    return current_app.config["HISAB_LANGUAGE"]


def is_bengali() -> bool:
    # Asked once per number shown (hundreds per list page): remember the answer for the request.
    if not has_request_context():
        return str(get_locale() or "en").startswith("bn")
    cached = g.get("_hisab_bengali")
    if cached is None:
        cached = g._hisab_bengali = str(get_locale() or "en").startswith("bn")
    return cached


def digits(value: Any) -> str:
    """Show numbers in the script of the UI language."""
    text = "" if value is None else str(value)
    return text.translate(_BN_DIGITS) if is_bengali() else text


def money(value: Any) -> str:
    """An amount with lakh grouping, e.g. 1,41,602.00 (১,৪১,৬০২.০০ in Bengali)."""
    if value is None or value == "":
        return "—"
    try:
        return digits(format_lakh(float(value)))
    except (TypeError, ValueError):
        return digits(value)


def hlc_time(hlc: str | None) -> str:
    """The wall-clock part of a hybrid logical clock stamp, as local date and time."""
    if not hlc:
        return ""
    try:
        wall_ms = int(hlc.split("-", 1)[0])
    except ValueError:
        return hlc
    return digits(dt.datetime.fromtimestamp(wall_ms / 1000).strftime("%Y-%m-%d %H:%M:%S"))


@pass_context
def _digits_filter(context: Any, value: Any) -> str:
    # The template knows the language already (``_bengali``): no locale lookup per number.
    text = "" if value is None else str(value)
    return text.translate(_BN_DIGITS) if context.get("_bengali") else text


@pass_context
def _money_filter(context: Any, value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        text = format_lakh(float(value))
    except (TypeError, ValueError):
        text = str(value)
    return text.translate(_BN_DIGITS) if context.get("_bengali") else text


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters.update(digits=_digits_filter, money=_money_filter, hlc_time=hlc_time)
    app.context_processor(lambda: {"_bengali": is_bengali()})
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, is_bengali=is_bengali)
