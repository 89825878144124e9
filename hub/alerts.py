"""Alerts: rules over the fleet's state, each sent once per episode by email and SMS.

Owns the ``alerts`` and ``notifications`` tables. A rule that holds opens one alert per
(box, kind) — a partial unique index makes that true across hub processes — and notifies
once; when it stops holding the alert closes ("box is back" for an outage). Notifications
per box are capped per hour. Must never notify twice for one open alert.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from hub.settings import HubSettings

log = logging.getLogger("hisab.hub.alerts")


@dataclass(frozen=True)
class Notice:
    device_id: str
    kind: str
    message: str


def rules(device: dict, settings: HubSettings, offline_for_s: float | None) -> dict[str, str]:
    """The alert kinds that hold for one box now, each with a sentence for a person."""
    found = {}
    name = device["device_id"]
    if device["state"] in ("offline", "stopped") and offline_for_s is not None and offline_for_s > settings.offline_alert_s:
        found["offline"] = f"Box {name} has been offline for {offline_for_s / 60:.0f} minutes (power or internet?)"
    if device["disk_percent"] is not None and device["disk_percent"] >= settings.disk_alert_percent:
        found["disk"] = f"Box {name} disk is {device['disk_percent']:.0f}% full: free space or it turns read-only"
    if device["backlog"] is not None and device["backlog"] >= settings.backlog_alert:
        found["backlog"] = f"Box {name} has {device['backlog']} events waiting to sync"
    return found


def evaluate(conn, settings: HubSettings) -> list[Notice]:
    """Open and close alerts for every box; returns the notices to send (already rate-limited)."""
    notices: list[Notice] = []
    with conn.transaction():
        devices = conn.execute("SELECT device_id, state, disk_percent, backlog, "
                               "extract(epoch FROM clock_timestamp() - status_at) AS offline_for FROM devices").fetchall()
        open_alerts = {(a["device_id"], a["kind"]): a for a in conn.execute(
            "SELECT id, device_id, kind FROM alerts WHERE closed_at IS NULL")}
        for device in devices:
            holding = rules(device, settings, float(device["offline_for"]) if device["offline_for"] is not None else None)
            for kind, message in holding.items():
                if (device["device_id"], kind) in open_alerts:
                    continue
                row = conn.execute("INSERT INTO alerts (device_id, kind, message) VALUES (%s,%s,%s) "
                                   "ON CONFLICT DO NOTHING RETURNING id", (device["device_id"], kind, message)).fetchone()
                if row:  # another hub process may have opened it a moment ago
                    notices.append(Notice(device["device_id"], kind, message))
            for (device_id, kind), alert in open_alerts.items():
                if device_id == device["device_id"] and kind not in holding:
                    conn.execute("UPDATE alerts SET closed_at=now() WHERE id=%s", (alert["id"],))
                    if kind == "offline":
                        notices.append(Notice(device_id, "recovered", f"Box {device_id} is back online"))
        allowed = []
        for notice in notices:
            sent = conn.execute("SELECT count(*) AS n FROM notifications WHERE device_id=%s "
                                "AND sent_at > now() - interval '1 hour'", (notice.device_id,)).fetchone()["n"]
            if sent >= settings.alert_max_per_hour:
                log.warning("alert.rate_limited device=%s kind=%s", notice.device_id, notice.kind)
                continue
            conn.execute("INSERT INTO notifications (device_id, kind, message, channels) VALUES (%s,%s,%s,%s)",
                         (notice.device_id, notice.kind, notice.message, channels(settings)))
            conn.execute("UPDATE alerts SET notified=true WHERE device_id=%s AND kind=%s AND closed_at IS NULL",
                         (notice.device_id, notice.kind))
            allowed.append(notice)
    return allowed


def channels(settings: HubSettings) -> str:
    return ",".join(c for c, on in (("email", settings.smtp_url and settings.alert_email_to),
                                    ("sms", settings.sms_url and settings.sms_to)) if on)


def send_email(settings: HubSettings, notice: Notice) -> None:
    url = urlparse(settings.smtp_url)
    msg = EmailMessage()
    msg["From"] = settings.alert_email_from
    msg["To"] = settings.alert_email_to
    msg["Subject"] = f"[Hisab] {notice.kind}: {notice.device_id}"
    msg.set_content(notice.message)
    smtp_cls = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    with smtp_cls(url.hostname, url.port or (465 if url.scheme == "smtps" else 25), timeout=15) as smtp:
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(msg, to_addrs=[a.strip() for a in settings.alert_email_to.split(",") if a.strip()])


def send_sms(settings: HubSettings, notice: Notice) -> None:
    for number in [n.strip() for n in settings.sms_to.split(",") if n.strip()]:
        body = json.dumps({"to": number, "message": notice.message, "device": notice.device_id,
                           "kind": notice.kind}).encode()
        req = urllib.request.Request(settings.sms_url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=15) as resp:
            resp.read()


def deliver(settings: HubSettings, notices: list[Notice]) -> None:
    """Send each notice on every configured channel; a failing channel is logged, never fatal."""
    for notice in notices:
        for name, send, on in (("email", send_email, settings.smtp_url and settings.alert_email_to),
                               ("sms", send_sms, settings.sms_url and settings.sms_to)):
            if not on:
                continue
            try:
                send(settings, notice)
                log.info("alert.sent channel=%s device=%s kind=%s", name, notice.device_id, notice.kind)
            except (OSError, smtplib.SMTPException) as exc:
                log.error("alert.send_failed channel=%s device=%s: %s", name, notice.device_id, exc)


def run_once(conn, settings: HubSettings) -> list[Notice]:
    notices = evaluate(conn, settings)
    deliver(settings, notices)
    return notices
