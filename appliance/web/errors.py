"""Every error the web process answers, rendered in one place: JSON under /api, a page elsewhere.

The JSON shape is pinned (tests/test_web_errors.py): ``{"error": "<a sentence a person can
act on>", "code": "<machine code>"}`` plus optional details such as ``field`` or ``line``.
Never an HTML traceback: an unexpected exception is logged with its story and answered
with a 500 that says what to do.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from appliance.storage import ReadOnly

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal with a status, a machine code and a sentence for a person."""

    def __init__(self, status: int, code: str, message: str, **details: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = str(message)
        self.details = details


def _http_messages() -> dict[int, tuple[str, str]]:
    return {
        400: ("bad_request", _("The request could not be understood. Reload the page and try again.")),
        401: ("unauthorized", _("Log in first, or send a valid API token.")),
        403: ("forbidden", _("Your role is not allowed to do this. Ask the owner.")),
        404: ("not_found", _("There is nothing here. Check the address or go back to the invoice list.")),
        405: ("method_not_allowed", _("This address does not accept that kind of request.")),
        409: ("conflict", _("Someone changed this meanwhile. Reload and make your change again.")),
        413: ("too_large", _("The upload is too large. Send fewer or smaller files.")),
        415: ("unsupported_media_type", _("This kind of file or request body is not accepted.")),
        428: ("version_required", _("Send the version you edited in the If-Match header.")),
        429: ("too_many_requests", _("Too many attempts. Wait a minute and try again.")),
    }


def is_api() -> bool:
    return request.path.startswith("/api/")


def render_error(status: int, code: str, message: str, **details: Any) -> Response:
    if is_api():
        response = jsonify({"error": message, "code": code, **details})
    else:
        response = Response(render_template("error.html", status=status, code=code, message=message),
                            mimetype="text/html")
    response.status_code = status
    return response


def _on_api_error(exc: ApiError) -> Response:
    return render_error(exc.status, exc.code, exc.message, **exc.details)


def _on_read_only(exc: ReadOnly) -> Response:
    return render_error(507, exc.code, exc.message)


def _on_csrf(exc: CSRFError) -> Response:
    return render_error(400, "csrf_failed",
                        _("This form expired or came from elsewhere. Reload the page and submit it again."))


def _on_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status in (301, 302, 303, 307, 308):
        return exc.get_response()
    code, message = _http_messages().get(status, ("http_error", exc.description or _("Request failed.")))
    if status == 413:
        from flask import current_app

        limit = current_app.config["HISAB_MAX_UPLOAD_MB"]
        message = _("The upload is larger than %(mb)s MB — nothing was stored. Send a smaller file.", mb=limit)
    response = render_error(status, code, message)
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 429:
        response.headers["Retry-After"] = "60"
    return response


def _on_exception(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _on_http(exc)
    log.exception("event=unhandled_error path=%s", request.path)
    return render_error(500, "internal_error",
                        _("Something went wrong on the box; nothing you sent was half-stored. "
                          "Try again, and tell the technician if it keeps happening."))


def register(app: Flask) -> None:
    app.register_error_handler(ApiError, _on_api_error)
    app.register_error_handler(ReadOnly, _on_read_only)
    app.register_error_handler(CSRFError, _on_csrf)
    app.register_error_handler(HTTPException, _on_http)
    app.register_error_handler(Exception, _on_exception)
