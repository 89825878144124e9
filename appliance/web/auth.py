"""Who is asking, and may they: session login, bearer tokens, CSRF and roles.

A browser logs in with a password (argon2, rate-limited) and carries a session cookie
signed with the box's stored secret, so sessions survive a restart. Scripts send
``Authorization: Bearer <token>``; such requests are authenticated by the token alone and
are exempt from CSRF (a browser cannot add that header cross-site). Every other unsafe
request must carry a CSRF token (form field or ``X-CSRFToken`` header).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from appliance import users
from appliance.web.context import webbox
from appliance.web.errors import ApiError, is_api

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()
LOGIN_RATE = "10 per minute"

# What each role may do; reading is open to every logged-in user.
PERMISSIONS = {
    "upload": ("owner", "staff", "technician"),
    "edit": ("owner", "staff", "technician"),
    "approve": ("owner", "staff"),
    "suppliers": ("owner",),
    "users": ("owner",),
    "export": ("owner", "staff"),
}
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class User(UserMixin):
    def __init__(self, record: dict[str, Any]):
        self.name = record["name"]
        self.role = record["role"]
        self.language = record.get("language") or "en"

    def get_id(self) -> str:
        return self.name

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


def find_user(name: str) -> User | None:
    rm = webbox().readmodel
    record = rm.user(name)
    if record is None:  # perhaps just added by `hisab user add` in another process
        rm.catch_up()  # (the projector may be applying it right now: look again either way)
        record = rm.user(name)
    return User(record) if record else None


def _token_user(token: str) -> User | None:
    rm = webbox().readmodel
    digest = users.token_hash(token)
    name = rm.token_user(digest)
    if name is None:  # `hisab token create` appends from another process
        rm.catch_up()
        name = rm.token_user(digest)
    return find_user(name) if name else None


@login_manager.user_loader
def _load_session_user(name: str) -> User | None:
    return find_user(name)


@login_manager.unauthorized_handler
def _unauthorized():
    if is_api():
        raise ApiError(401, "unauthorized", _("Log in first, or send a valid API token."))
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def _authenticate_and_protect() -> None:
    """Runs before every request: bearer token first, else the session; then CSRF."""
    header = request.headers.get("Authorization", "")
    g.bearer = False
    if header:
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", _("Send the API token as 'Authorization: Bearer <token>'."))
        user = _token_user(token.strip())
        if user is None:
            raise ApiError(401, "bad_token", _("This API token is not known to the box. Create one with "
                                               "'hisab token create NAME'."))
        g._login_user = user  # authenticated by the token alone, whatever the cookie says
        g.bearer = True
        return
    if request.method in UNSAFE and request.endpoint not in ("static",):
        csrf.protect()


def require(permission: str) -> Callable:
    """View decorator: a logged-in user whose role has ``permission``."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.can(permission):
                raise ApiError(403, "forbidden", _("Your role (%(role)s) may not do this. Ask the owner.",
                                                   role=current_user.role))
            return view(*args, **kwargs)

        return wrapped

    return decorate


def actor() -> str:
    return current_user.name


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("pages.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    error = None
    if request.method == "POST":
        name = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        user = find_user(name) if name else None
        record = webbox().readmodel.user(name) if user else None
        if user and record and users.check_password(record["password_hash"], password):
            session.permanent = True
            login_user(user, remember=False)
            return redirect(_safe_next(request.form.get("next")))
        error = _("That user name and password do not match. Check them and try again.")
    status = 401 if error else 200
    return render_template("login.html", error=error, next=request.values.get("next", "")), status


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.anonymous_user = AnonymousUserMixin
    csrf.init_app(app)
    app.before_request(_authenticate_and_protect)
    app.register_blueprint(bp)
    # One limiter per app (in-memory counters): password guessing is slowed per address.
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", default_limits=[])
    app.view_functions["auth.login"] = limiter.limit(LOGIN_RATE, methods=["POST"])(app.view_functions["auth.login"])
    app.extensions["hisab_limiter"] = limiter
