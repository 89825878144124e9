"""The one settings object of the box.

Read from a TOML file (``$HISAB_CONFIG`` or ``<data_dir>/hisab.toml``) and ``HISAB_*``
environment variables (environment wins), with defaults that run offline on a laptop.
Secrets may also come from systemd credential files in ``$CREDENTIALS_DIRECTORY``.
Nothing else in the code reads ``os.environ`` for settings.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ENV_PREFIX = "HISAB_"
CREDENTIAL_KEYS = ("mqtt_url", "backup_key", "erp_webhook_secret")


class Settings(BaseModel):
    """Every setting of the box; unknown keys are refused so a typo never goes unnoticed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(Path("data"), description="where the journal, images and read model live")
    host: str = Field("0.0.0.0", description="address the web UI listens on")
    port: int = Field(8080, ge=0, le=65535, description="port of the web UI and JSON API")
    device_id: str = Field("", description="this box's identity; empty = derived once and stored")
    mqtt_url: str | None = Field(None, description="mqtt[s]://user:pass@host:port of the hub; unset = no hub")
    backup_key: str | None = Field(None, description="key for encrypted backups (from provisioning)")
    language: str = Field("en", pattern="^(en|bn)$", description="default UI language")
    max_upload_mb: int = Field(25, ge=1, le=500, description="largest file accepted")
    max_pages: int = Field(20, ge=1, le=500, description="most PDF pages accepted")
    max_megapixels: int = Field(60, ge=1, le=400, description="largest image accepted, in megapixels")
    use_llm: bool = Field(
        False,
        description="use the bundled small LLM in extraction (off: measured no accuracy gain, +1 s p50, +6 s p95)",
    )
    model_path: str | None = Field(None, description="GGUF model; unset = the bundled model")
    tesseract_timeout_s: float = Field(60.0, gt=0, description="OCR time limit per page")
    max_attempts: int = Field(3, ge=1, description="extraction attempts before an invoice is failed")
    worker_threads: int = Field(2, ge=1, le=16, description="CPU threads for OCR and the model")
    web_threads: int = Field(8, ge=1, le=64, description="gunicorn threads of the one web worker")
    poll_seconds: float = Field(1.0, gt=0, description="how often loops re-scan the journal")
    tls_certfile: Path | None = Field(None, description="PEM certificate: serve HTTPS (phones install the PWA "
                                                        "and use it offline only over HTTPS)")
    tls_keyfile: Path | None = Field(None, description="PEM private key of tls_certfile")
    tally_party_ledger_from_supplier: bool = Field(
        True, description="Tally party ledger named after each invoice's supplier (else tally_party_ledger)")
    tally_party_ledger: str = Field("Sundry Creditors", min_length=1,
                                    description="Tally party ledger when not named after the supplier")
    tally_purchase_ledger: str = Field("Purchase", min_length=1, description="Tally ledger debited with the net purchase")
    tally_vat_ledger: str = Field("Input VAT", min_length=1, description="Tally ledger debited with the input VAT")
    tally_url: str | None = Field(None, description="Tally's HTTP port, e.g. http://192.168.0.10:9000; unset = file only")
    quickbooks_ap_account: str = Field("Accounts Payable", min_length=1, description="QuickBooks payables account")
    quickbooks_expense_account: str = Field("Purchases", min_length=1, description="QuickBooks account for net purchases")
    quickbooks_vat_account: str = Field("Input VAT", min_length=1, description="QuickBooks account for input VAT")
    erp_webhook_url: str | None = Field(None, description="URL the ERP webhook posts exported invoices to; unset = none")
    erp_webhook_secret: str | None = Field(None, description="HMAC-SHA256 key signing webhook bodies (X-Hisab-Signature)")
    storage_warn_percent: float = Field(80.0, gt=0, le=100, description="disk use at which the box warns "
                                        "and removes originals already synced to the hub and approved")
    storage_readonly_percent: float = Field(95.0, gt=0, le=100, description="disk use at which the box "
                                            "refuses uploads and edits (reads and exports keep working)")
    storage_resume_mb: int = Field(16, ge=0, description="free space, beyond what was free when a write "
                                   "failed for lack of space, needed before the box accepts writes again")
    storage_reserve_mb: int = Field(16, ge=0, description="space held back in data/storage-reserve and "
                                    "released when the disk fills, so exports and alerts can still be "
                                    "recorded while the box is read-only; 0 = none")
    storage_check_seconds: float = Field(60.0, gt=0, description="how often the worker runs the storage guard")
    thumbnail_px: int = Field(480, ge=64, le=2048, description="longest side of the thumbnail kept for a "
                              "removed original")
    backup_dir: Path | None = Field(None, description="where `hisab backup` writes encrypted backups "
                                    "(local media); unset = <data_dir>/backups")
    backup_keep: int = Field(7, ge=1, description="how many backups to keep in backup_dir (newest first)")
    backup_target: str | None = Field(None, description="rsync destination the backups are copied to when "
                                      "reachable, e.g. backup@hub.example:/srv/hisab/ or /media/usb/hisab; "
                                      "unset = local copies only")

    @model_validator(mode="after")
    def _storage_levels(self) -> Settings:
        if self.storage_warn_percent > self.storage_readonly_percent:
            raise ValueError("storage_warn_percent must not exceed storage_readonly_percent")
        if bool(self.tls_certfile) != bool(self.tls_keyfile):
            raise ValueError("set both tls_certfile and tls_keyfile, or neither")
        return self

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("mqtt", "mqtts") or not parsed.hostname:
            raise ValueError("must look like mqtt://user:pass@host:1883 or mqtts://...")
        return value

    @property
    def journal_path(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    @property
    def readmodel_path(self) -> Path:
        return self.data_dir / "readmodel.duckdb"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def thumbs_dir(self) -> Path:
        return self.data_dir / "thumbs"

    @property
    def backups_path(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"


class SettingsError(Exception):
    """A settings file or variable is wrong; ``key`` names it by its path."""

    def __init__(self, key: str, message: str):
        super().__init__(f"setting '{key}': {message}")
        self.key = key
        self.message = message


def parse(values: dict[str, Any]) -> Settings:
    """Validate a plain dict (tests pass dicts); raise SettingsError naming the bad key."""
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "?"
        raise SettingsError(key, first["msg"]) from None


def _environment(environ: dict[str, str]) -> dict[str, Any]:
    fields = Settings.model_fields
    values: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "HISAB_CONFIG":
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if key in fields:
            values[key] = raw
    return values


def credentials(environ: dict[str, str], keys: tuple[str, ...] = CREDENTIAL_KEYS) -> dict[str, str]:
    """Secrets from systemd's LoadCredential= files in $CREDENTIALS_DIRECTORY (box and hub alike)."""
    directory = environ.get("CREDENTIALS_DIRECTORY")
    if not directory:
        return {}
    values = {}
    for key in keys:
        path = Path(directory) / key
        if path.is_file():
            values[key] = path.read_text().strip()
    return values


def load(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from file, credentials, environment and explicit overrides (in rising priority)."""
    environ = dict(os.environ if environ is None else environ)
    env_values = _environment(environ)
    data_dir = Path(overrides.get("data_dir") or env_values.get("data_dir") or "data")
    config_file = Path(environ.get("HISAB_CONFIG") or data_dir / "hisab.toml")
    values: dict[str, Any] = {}
    if config_file.is_file():
        try:
            values.update(tomllib.loads(config_file.read_text()))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(str(config_file), f"is not valid TOML ({exc})") from None
    values.update(credentials(environ))
    values.update(env_values)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return parse(values)
