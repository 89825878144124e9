"""The web process: the shop's UI and the JSON API, served by one gunicorn worker with threads.

``create_app`` opens the box and the DuckDB read model, so it must run inside the worker
after gunicorn forked (appliance.web.server does that), never in a parent process.
Blueprints, one concern a file: auth (login, tokens, CSRF, roles), pages (HTML), api
(JSON /api/v1), suppliers, errors (one handler); uploads/review/fields hold the rules both
the pages and the API obey.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask_login import current_user

from appliance import __version__, storage
from appliance.config import Settings
from appliance.web import api, auth, errors, exports, i18n, pages, reports, suppliers, users
from appliance.web import status as status_page
from appliance.web.context import WebBox


def create_app(settings: Settings, test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    box = WebBox(settings, projector=(test_config or {}).get("HISAB_PROJECTOR", True))
    app.config.update(
        SECRET_KEY=box.box.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024 + 256 * 1024,  # multipart overhead
        HISAB_MAX_UPLOAD_MB=settings.max_upload_mb,
        HISAB_LANGUAGE=settings.language,
        SESSION_COOKIE_NAME="hisab_session",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=30),
        WTF_CSRF_CHECK_DEFAULT=False,  # auth.py checks every unsafe non-bearer request itself
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session: a review left open over lunch still saves
        WTF_CSRF_SSL_STRICT=False,  # the shop LAN is plain HTTP; SameSite cookies + token guard it
        JSON_SORT_KEYS=False,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.config.update(test_config or {})
    app.extensions["hisab"] = box

    errors.register(app)
    i18n.init_app(app)
    auth.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(suppliers.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(status_page.bp)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        disk = storage.check(box.settings.data_dir, box.settings)  # one statvfs: cheap per page
        return {"version": __version__, "device_id": box.settings.device_id, "user": current_user,
                "disk": disk if disk.level != storage.OK else None}

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'")
        return response

    box.process.ready()
    return app
