"""The Users page (owner: list, add, reset a password) and everyone's own password page.

People are ``user.added`` / ``user.updated`` events written by appliance.users (argon2
hashes only); this module only checks the form, calls it and lets the read model catch up.
It never shows or logs a password or a hash.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from appliance import storage, users
from appliance.queue.journal import Rejected
from appliance.web.auth import actor, require
from appliance.web.context import webbox

bp = Blueprint("users", __name__)
ROLE_LABELS = {"owner": _l("Owner — everything, including users"), "staff": _l("Staff — upload, check, approve, export"),
               "technician": _l("Technician — upload and check")}
# appliance.users speaks English to the CLI; the page says the same in the reader's language.
MESSAGES = {
    "bad_name": _l("A user name is 1-64 letters, digits, '.', '-' or '_'."),
    "bad_role": _l("Choose a role."),
    "weak_password": _l("Choose a password of at least 8 characters."),
    "user_exists": _l("A user with that name already exists."),
}


def _page(status: int = 200, **extra):
    return render_template("users.html", people=webbox().readmodel.user_list(), ROLE_LABELS=ROLE_LABELS,
                           form=extra.pop("form", {}), **extra), status


def _refused(exc: Rejected) -> str:
    return str(MESSAGES.get(exc.code, exc.message))


@bp.get("/users")
@require("users")
def index():
    return _page()


@bp.post("/users")
@require("users")
def add():
    box = webbox()
    form = {"name": request.form.get("name", "").strip(), "role": request.form.get("role", "")}
    password = request.form.get("password", "")
    if password != request.form.get("password2", password):
        flash(_("The two passwords differ. Type the same password twice."), "error")
        return _page(400, form=form)
    try:
        with storage.writing(box.settings):
            users.add_user(box.journal, form["name"], form["role"], password, actor=actor())
    except Rejected as exc:
        flash(_refused(exc), "error")
        return _page(409 if exc.code == "user_exists" else 400, form=form)
    box.readmodel.catch_up()
    flash(_("%(name)s can now log in as %(role)s.", name=form["name"], role=form["role"]), "success")
    return redirect(url_for("users.index"))


@bp.post("/users/<name>/password")
@require("users")
def reset_password(name: str):
    box = webbox()
    if box.readmodel.user(name) is None:
        flash(_("There is no user named %(name)s.", name=name), "error")
        return _page(404)
    try:
        with storage.writing(box.settings):
            users.set_password(box.journal, name, request.form.get("password", ""), actor=actor())
    except Rejected as exc:
        flash(_refused(exc), "error")
        return _page(400)
    box.readmodel.catch_up()
    flash(_("New password set for %(name)s. Tell them in person.", name=name), "success")
    return redirect(url_for("users.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def own_password():
    if request.method == "GET":
        return render_template("password.html")
    box = webbox()
    record = box.readmodel.user(current_user.name)
    new = request.form.get("password", "")
    error = None
    if not record or not users.check_password(record["password_hash"], request.form.get("current", "")):
        error = _("Your current password is not right. Type it again.")
    elif new != request.form.get("password2", ""):
        error = _("The two new passwords differ. Type the same password twice.")
    if error is None:
        try:
            with storage.writing(box.settings):
                users.set_password(box.journal, current_user.name, new, actor=actor())
        except Rejected as exc:
            error = _refused(exc)
    if error:
        flash(error, "error")
        return render_template("password.html"), 400
    box.readmodel.catch_up()
    flash(_("Your password is changed."), "success")
    return redirect(url_for("pages.index"))
