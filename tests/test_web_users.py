"""The Users page: the owner lists, adds and resets; everyone changes their own password;
other roles are refused; every form needs its CSRF token."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from appliance import users
from tests.conftest_web import PASSWORDS, csrf_token, login


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    # Real argon2 at test cost (the box's default costs ~1 s a hash on this machine).
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1))


def test_owner_sees_everyone_and_no_hashes(owner_client):
    html = owner_client.get("/users").get_data(as_text=True)
    for name in ("owner", "staff", "tech"):
        assert f"<strong>{name}</strong>" in html
    assert "$argon2" not in html
    assert 'href="/users"' in owner_client.get("/").get_data(as_text=True)


def test_owner_adds_a_user_who_can_then_log_in(app, owner_client):
    response = owner_client.post("/users", data={"name": "rina", "role": "staff", "password": "rina-pass-1",
                                                 "password2": "rina-pass-1", "csrf_token": csrf_token(owner_client, "/users")})
    assert response.status_code == 302
    assert "rina can now log in" in owner_client.get("/users").get_data(as_text=True)
    fresh = app.test_client()
    assert login(fresh, "rina", "rina-pass-1").status_code == 302
    assert fresh.get("/exports").status_code == 200  # staff may export
    assert fresh.get("/users").status_code == 403


@pytest.mark.parametrize("form,status,message", [
    ({"name": "staff", "role": "staff", "password": "long-enough-1"}, 409, "already exists"),
    ({"name": "x y", "role": "staff", "password": "long-enough-1"}, 400, "1-64 letters"),
    ({"name": "newbie", "role": "staff", "password": "short"}, 400, "at least 8"),
    ({"name": "newbie", "role": "king", "password": "long-enough-1"}, 400, "Choose a role"),
])
def test_adding_a_user_is_refused_with_a_sentence(owner_client, form, status, message):
    response = owner_client.post("/users", data={**form, "csrf_token": csrf_token(owner_client, "/users")})
    assert response.status_code == status and message in response.get_data(as_text=True)


def test_owner_resets_a_password(app, owner_client):
    token = csrf_token(owner_client, "/users")
    assert owner_client.post("/users/staff/password", data={"password": "fresh-pass-9",
                                                             "csrf_token": token}).status_code == 302
    assert login(app.test_client(), "staff").status_code == 401
    assert login(app.test_client(), "staff", "fresh-pass-9").status_code == 302
    assert owner_client.post("/users/nobody/password", data={"password": "fresh-pass-9",
                                                              "csrf_token": token}).status_code == 404


def test_everyone_changes_their_own_password_knowing_the_current_one(app, staff_client):
    token = csrf_token(staff_client, "/account/password")
    wrong = staff_client.post("/account/password", data={"current": "nope", "password": "new-pass-12",
                                                          "password2": "new-pass-12", "csrf_token": token})
    assert wrong.status_code == 400 and "current password is not right" in wrong.get_data(as_text=True)
    differ = staff_client.post("/account/password", data={"current": PASSWORDS["staff"], "password": "new-pass-12",
                                                           "password2": "new-pass-13", "csrf_token": token})
    assert differ.status_code == 400
    ok = staff_client.post("/account/password", data={"current": PASSWORDS["staff"], "password": "new-pass-12",
                                                       "password2": "new-pass-12", "csrf_token": token})
    assert ok.status_code == 302
    assert login(app.test_client(), "staff", "new-pass-12").status_code == 302


def test_only_the_owner_manages_users(app, people, staff_client):
    token = csrf_token(staff_client, "/")
    assert staff_client.get("/users").status_code == 403
    assert staff_client.post("/users", data={"name": "evil", "role": "owner", "password": "long-enough-1",
                                             "csrf_token": token}).status_code == 403
    assert staff_client.post("/users/owner/password", data={"password": "hijacked-1",
                                                            "csrf_token": token}).status_code == 403
    assert 'href="/users"' not in staff_client.get("/").get_data(as_text=True)
    assert app.test_client().get("/users").status_code == 302  # not logged in: to the login page


def test_user_forms_need_csrf(owner_client, webbox_):
    assert owner_client.post("/users", data={"name": "rina", "role": "staff",
                                             "password": "rina-pass-1"}).status_code == 400
    assert owner_client.post("/users/staff/password", data={"password": "fresh-pass-9"}).status_code == 400
    assert owner_client.post("/account/password", data={"current": PASSWORDS["owner"], "password": "x" * 9,
                                                        "password2": "x" * 9}).status_code == 400
    assert webbox_.readmodel.user("rina") is None
