"""Who may do what: login and logout, sessions, CSRF on forms, bearer tokens, roles."""

from __future__ import annotations

import io

from appliance import users
from appliance.web import create_app
from tests.conftest_web import bearer, csrf_token, login


def test_pages_need_login_and_redirect_there(client, people):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_login_with_right_password_then_logout(client, people):
    assert login(client, "staff").status_code == 302
    assert client.get("/").status_code == 200
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_login_with_wrong_password_is_refused_with_a_sentence(client, people):
    response = login(client, "staff", "not-the-password")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_form_without_csrf_token_is_refused(client, people):
    response = client.post("/login", data={"username": "staff", "password": "staff-pass-1"})
    assert response.status_code == 400
    assert "csrf" in response.get_data(as_text=True).lower() or "expired" in response.get_data(as_text=True)


def test_session_form_writes_need_csrf(staff_client):
    assert staff_client.post("/logout").status_code == 400
    response = staff_client.post("/api/v1/suppliers", json={"name": "X"})
    assert response.status_code == 400 and response.json["code"] == "csrf_failed"


def test_login_attempts_are_rate_limited(client, people):
    token = csrf_token(client)
    statuses = [client.post("/login", data={"username": "staff", "password": "wrong", "csrf_token": token}).status_code
                for _ in range(12)]
    assert statuses[0] == 401
    assert statuses[-1] == 429


def test_session_survives_a_restart_of_the_web_process(app, people, web_settings):
    c = app.test_client()
    login(c, "staff")
    cookie = c.get_cookie("hisab_session")
    app.extensions["hisab"].close()
    restarted = create_app(web_settings)
    try:
        c2 = restarted.test_client()
        c2.set_cookie("hisab_session", cookie.value)
        assert c2.get("/").status_code == 200
    finally:
        restarted.extensions["hisab"].close()


def test_bearer_token_reads_and_writes_without_csrf(client, staff_token, invoice_png):
    response = client.post("/api/v1/invoices", headers=bearer(staff_token),
                           data={"file": (io.BytesIO(invoice_png), "a.png")})
    assert response.status_code == 201
    assert client.get(f"/api/v1/invoices/{response.json['id']}", headers=bearer(staff_token)).status_code == 200


def test_token_created_by_another_process_is_found(client, webbox_, people, web_settings):
    from appliance.box import open_box

    other = open_box(web_settings)  # as `hisab token create` would, from its own process
    try:
        token = users.create_token(other.journal, "owner")
    finally:
        other.close()
    assert client.get("/api/v1/invoices", headers=bearer(token)).status_code == 200


def test_unknown_token_and_missing_auth_get_json_401(client, people):
    r = client.get("/api/v1/invoices", headers=bearer("hsb_nope"))
    assert r.status_code == 401 and r.json["code"] == "bad_token"
    r = client.get("/api/v1/invoices")
    assert r.status_code == 401 and r.json["code"] == "unauthorized"


def test_technician_cannot_approve_and_staff_cannot_edit_suppliers(app, people, webbox_):
    tech = users.create_token(webbox_.journal, "tech")
    staff = users.create_token(webbox_.journal, "staff")
    c = app.test_client()
    r = c.post("/api/v1/invoices/abc/approve", headers=bearer(tech))
    assert r.status_code == 403 and r.json["code"] == "forbidden"
    r = c.post("/api/v1/suppliers", headers=bearer(staff), json={"name": "Rahman Traders"})
    assert r.status_code == 403


def test_language_choice_is_stored_per_user(staff_client, webbox_):
    token = csrf_token(staff_client, "/")
    staff_client.post("/language", data={"language": "bn", "csrf_token": token, "next": "/"})
    assert webbox_.readmodel.user("staff")["language"] == "bn"
    html = staff_client.get("/").get_data(as_text=True)
    assert 'lang="bn"' in html
