"""The fleet dashboard and the hub's JSON API (Flask).

Owns: login (argon2 hashes, sessions, CSRF on every form), the fleet page (online/offline,
last seen, backlog, disk, CPU temperature, version, alerts), per-shop invoices, the conflict
queue and its resolutions, supplier master data, ``GET /api/v1/devices`` and the box
registration ``POST /api/v1/devices`` (hub.registration). Writes go through hub.merge so they
become downlink events; this module never publishes to MQTT (the ingest workers deliver the
queued downlink).
"""

from __future__ import annotations

import secrets

import psycopg
from flask import Flask, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from hub import db, merge, registration, uptime, users
from hub.settings import HubSettings

DEVICES_SQL = """
SELECT d.device_id, d.state, d.state = 'online' AS online, d.last_seen, d.status_at, d.backlog, d.disk_percent,
       d.cpu_temp, d.version, d.acked_seq,
       coalesce(d.invoice_count, 0) AS invoices,  -- kept by a trigger: a count(*) per box is seconds at scale
       (SELECT count(*) FROM conflicts c WHERE c.device_id = d.device_id AND c.status = 'open') AS conflicts,
       (SELECT coalesce(json_agg(a.message), '[]') FROM alerts a WHERE a.device_id = d.device_id
            AND a.closed_at IS NULL) AS alerts,
       d.health, d.last_update, d.registered_at, d.public_key,
       (SELECT row_to_json(r) FROM (SELECT at, state, events, invoices FROM reconciles r WHERE r.device_id = d.device_id
            ORDER BY id DESC LIMIT 1) r) AS reconcile
FROM devices d ORDER BY d.device_id
"""


class Operator(UserMixin):
    def __init__(self, name: str, role: str):
        self.id = name
        self.role = role


def secret_key(url: str) -> str:
    """The session key kept in the database, so every dashboard process and restart agrees on it."""
    with db.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO hub_meta VALUES ('secret_key', %s) ON CONFLICT DO NOTHING", (secrets.token_hex(32),))
        return conn.execute("SELECT value FROM hub_meta WHERE key='secret_key'").fetchone()["value"]


def create_app(settings: HubSettings, test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key or secret_key(settings.database_url),
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", HUB=settings)
    app.config.update(test_config or {})
    csrf = CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "login"

    def conn() -> psycopg.Connection:
        if "db" not in g:
            g.db = db.connect(settings.database_url, autocommit=True)
        return g.db

    @app.teardown_appcontext
    def close_db(exc):
        c = g.pop("db", None)
        if c is not None:
            c.close()

    @login.user_loader
    def load_user(name: str):
        row = conn().execute("SELECT name, role FROM hub_users WHERE name=%s", (name,)).fetchone()
        return Operator(row["name"], row["role"]) if row else None

    @login.request_loader
    def bearer(req):
        header = req.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            row = users.user_for_token(conn(), header[7:].strip())
            g.bearer = row is not None  # authenticated by the token alone: no CSRF (a browser cannot add it)
            return Operator(row["name"], row["role"]) if row else None
        return None

    @login.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            return jsonify(error="Log in or send 'Authorization: Bearer <token>' (hisab-hub token create NAME).",
                           code="unauthorized"), 401
        return redirect(url_for("login", next=request.path))

    @app.errorhandler(CSRFError)
    def csrf_refused(exc):
        if request.path.startswith("/api/"):
            return jsonify(error="Send the CSRF token with a session, or use 'Authorization: Bearer <token>'.",
                           code="csrf"), 400
        return exc

    @app.errorhandler(404)
    def not_found(exc):
        if request.path.startswith("/api/"):
            return jsonify(error="No such resource.", code="not_found"), 404
        return render_template("message.html", message="Not found."), 404

    def login_view():
        if request.method == "POST":
            user = users.check_password(conn(), request.form.get("name", ""), request.form.get("password", ""))
            if user:
                login_user(Operator(user["name"], user["role"]))
                target = request.args.get("next") or ""
                return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("fleet"))
            flash("Wrong name or password.")
        return render_template("login.html")

    app.add_url_rule("/login", "login", login_view, methods=["GET", "POST"])

    @app.post("/logout")
    @login_required
    def logout():
        logout_user()
        return redirect(url_for("login"))

    @app.get("/")
    @login_required
    def fleet():
        month = request.args.get("month") or None
        per_box, fleet_share = uptime.monthly(conn(), month)
        return render_template("fleet.html", devices=conn().execute(DEVICES_SQL).fetchall(), uptime=per_box,
                               fleet_uptime=fleet_share, month=uptime.month_or_current(month))

    @app.get("/devices/<device_id>")
    @login_required
    def device(device_id: str):
        c = conn()
        row = c.execute("SELECT * FROM devices WHERE device_id=%s", (device_id,)).fetchone() or abort(404)
        invoices = c.execute("SELECT invoice_id, status, fields, version, updated_at FROM invoices WHERE device_id=%s "
                             "ORDER BY updated_at DESC LIMIT 200", (device_id,)).fetchall()
        conflicts = c.execute("SELECT * FROM conflicts WHERE device_id=%s AND status='open' ORDER BY id",
                              (device_id,)).fetchall()
        return render_template("device.html", device=row, invoices=invoices, conflicts=conflicts)

    @app.get("/devices/<device_id>/invoices/<invoice_id>")
    @login_required
    def invoice(device_id: str, invoice_id: str):
        c = conn()
        row = c.execute("SELECT * FROM invoices WHERE device_id=%s AND invoice_id=%s",
                        (device_id, invoice_id)).fetchone() or abort(404)
        versions = c.execute("SELECT * FROM invoice_versions WHERE device_id=%s AND invoice_id=%s ORDER BY version",
                             (device_id, invoice_id)).fetchall()
        return render_template("invoice.html", invoice=row, versions=versions)

    @app.get("/conflicts")
    @login_required
    def conflicts():
        rows = conn().execute("SELECT * FROM conflicts WHERE status='open' ORDER BY id").fetchall()
        return render_template("conflicts.html", conflicts=rows)

    @app.post("/conflicts/<int:conflict_id>/resolve")
    @login_required
    def resolve(conflict_id: int):
        try:
            with conn().transaction():
                merge.resolve(conn(), conflict_id, request.form.get("choice", ""), current_user.id)
            flash(f"Conflict {conflict_id} resolved; the result is on its way to the box.")
        except (LookupError, ValueError) as exc:
            flash(str(exc))
        return redirect(request.referrer or url_for("conflicts"))

    @app.route("/suppliers", methods=["GET", "POST"])
    @login_required
    def suppliers():
        if request.method == "POST":
            form = request.form
            try:
                vat = float(form["vat_rate"]) if form.get("vat_rate") else None
                with conn().transaction():
                    n = merge.upsert_supplier(conn(), {"bin": form.get("bin", ""), "name": form.get("name", "").strip(),
                                                       "address": form.get("address", ""), "vat_rate": vat},
                                              current_user.id)
                flash(f"Supplier saved; sent to {n} boxes.")
            except (ValueError, KeyError) as exc:
                flash(f"Supplier not saved: {exc}")
            return redirect(url_for("suppliers"))
        return render_template("suppliers.html",
                               suppliers=conn().execute("SELECT * FROM suppliers ORDER BY name").fetchall())

    @app.get("/api/v1/devices")
    @login_required
    def api_devices():
        per_box, _fleet = uptime.monthly(conn(), None)
        return jsonify([{"device_id": d["device_id"], "online": d["online"], "health": d["health"],
                         "uptime": per_box.get(d["device_id"]),
                         "last_reconcile": ({**d["reconcile"]} if d["reconcile"] else None),
                         "last_seen": d["last_seen"].isoformat() if d["last_seen"] else None,
                         "backlog": d["backlog"], "invoices": d["invoices"], "state": d["state"],
                         "version": d["version"], "disk_percent": d["disk_percent"], "cpu_temp": d["cpu_temp"],
                         "acked_seq": d["acked_seq"], "open_conflicts": d["conflicts"], "alerts": d["alerts"],
                         "last_update": d["last_update"], "public_key": d["public_key"],
                         "registered_at": d["registered_at"].isoformat() if d["registered_at"] else None}
                        for d in conn().execute(DEVICES_SQL)])

    @app.post("/api/v1/devices")
    @login_required
    def api_register_device():
        """A technician's provisioning registers a box: its broker account and key (hub.registration)."""
        if not g.get("bearer"):
            csrf.protect()  # a session (browser) must carry the CSRF token; a bearer token needs none
        if current_user.role not in users.ROLES:
            return jsonify(error="Only hub operators and admins may register boxes.", code="forbidden"), 403
        try:
            req = registration.parse(request.get_json(silent=True), settings)
            with conn().transaction():
                status, answer = registration.register(conn(), settings, req, current_user.id, current_user.role)
        except registration.RegistrationError as exc:
            return jsonify(error=exc.message, code=exc.code), exc.status
        response = jsonify(answer)
        response.status_code = status
        response.headers["Cache-Control"] = "no-store"  # it may hold a password
        return response

    csrf.exempt(api_devices)  # read-only, bearer or session
    csrf.exempt(api_register_device)  # checked above: CSRF for sessions, none for bearer tokens
    return app
