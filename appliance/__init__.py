"""Hisab: the in-shop invoice box."""

__version__ = "0.1.0"
