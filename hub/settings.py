"""The one settings object of the hub, read from ``HUB_*`` environment variables and, for
secrets, from systemd credential files (``$CREDENTIALS_DIRECTORY``, ``LoadCredential=``).

Defaults run against the local stack of ``make hub`` (Mosquitto and PostgreSQL on loopback).
Nothing else in hub/ reads ``os.environ``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from appliance.config import credentials

PREFIX = "HUB_"
# Settings that carry a password or key: each may come from a credential file of that name
# (e.g. LoadCredential=database_url:/etc/hisab/hub-credentials/database_url), so it never
# sits in an environment file or the unit. An HUB_* variable still wins, as on the box.
CREDENTIAL_KEYS = ("database_url", "mqtt_url", "secret_key", "smtp_url", "sms_url")


class HubSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mqtt_url: str = Field("mqtt://hub:hub-secret@127.0.0.1:1883",
                          description="mqtt[s]://user:pass@host:port[?ca=/path/ca.pem] of the broker, hub account")
    database_url: str = Field("postgresql://postgres@127.0.0.1:5432/hub", description="PostgreSQL (psycopg 3 conninfo)")
    host: str = Field("127.0.0.1", description="address the dashboard listens on")
    port: int = Field(8090, ge=0, le=65535, description="port of the dashboard and JSON API")
    llm_url: str | None = Field(None, description="OpenAI-compatible server for the second opinion; unset = the hub "
                                "starts `python -m llama_cpp.server` with the bundled model on a loopback port")
    llm_model: str = Field("local", description="model name sent to HUB_LLM_URL")
    llm_threads: int = Field(2, ge=1, le=256, description="threads of the local llama.cpp server and of Tesseract")
    second_opinion_workers: int = Field(1, ge=0, le=64, description="second-opinion loops (0 = none on this hub)")
    secret_key: str | None = Field(None, description="Flask session key; unset = one generated and kept in the database")
    share_group: str = Field("hub", description="MQTT shared-subscription group of the ingest workers")
    ingest_workers: int = Field(2, ge=1, le=64, description="ingest workers `run` starts (threads, each its own session)")
    conflict_total_threshold: float = Field(1.0, ge=0, description="taka: totals differing more than this on both sides = conflict")
    downlink_resend_s: float = Field(300.0, gt=0, description="resend a downlink event the box has not echoed after this")
    offline_alert_s: float = Field(900.0, gt=0, description="alert when a box is offline longer than this")
    disk_alert_percent: float = Field(90.0, gt=0, le=100, description="alert when a box's disk is fuller than this")
    backlog_alert: int = Field(5000, ge=1, description="alert when a box has more unsynced events than this")
    alert_interval_s: float = Field(30.0, gt=0, description="how often alert rules are evaluated")
    alert_max_per_hour: int = Field(6, ge=1, description="notifications per box per hour, beyond which they are held")
    smtp_url: str | None = Field(None, description="smtp[s]://user:pass@host:port for alert email; unset = no email")
    alert_email_from: str = Field("hisab-hub@localhost", description="From: of alert email")
    alert_email_to: str = Field("", description="comma-separated recipients of alert email")
    sms_url: str | None = Field(None, description="HTTP gateway that takes POST {to, message} JSON; unset = no SMS")
    sms_to: str = Field("", description="comma-separated phone numbers for SMS alerts")
    partitions_ahead: int = Field(3, ge=1, le=24, description="months of `events` partitions made ahead (at start, daily)")
    retention_months: int = Field(0, ge=0, description="drop `events` months older than this; 0 = keep every month")
    broker_passwd_file: Path | None = Field(None, description="Mosquitto password file in which POST /api/v1/devices "
                                            "creates box accounts (user = device id); unset = registration refused")
    broker_pid_file: Path | None = Field(None, description="the broker's pid file: it gets SIGHUP after an account "
                                         "change; unset = something else reloads it (a systemd path unit, see "
                                         "docs/technician.md)")
    box_mqtt_url: str | None = Field(None, description="broker address handed to boxes at registration, "
                                     "mqtt[s]://host:port; unset = HUB_MQTT_URL's scheme, host and port")


class HubSettingsError(Exception):
    pass


def load(environ: dict[str, str] | None = None, **overrides: Any) -> HubSettings:
    """Settings from credential files, ``HUB_*`` variables and explicit overrides (in rising priority)."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = credentials(environ, CREDENTIAL_KEYS)
    for name, raw in environ.items():
        key = name[len(PREFIX):].lower()
        if name.startswith(PREFIX) and key in HubSettings.model_fields:
            values[key] = raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return HubSettings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = PREFIX + ".".join(str(p) for p in first["loc"]).upper()
        raise HubSettingsError(f"setting {key}: {first['msg']}") from None
