"""The error shape is pinned: every /api error is JSON {"error": <sentence>, "code": <code>},
never an HTML page or a traceback; pages get a page."""

from __future__ import annotations

import pytest

from tests.conftest_web import bearer


@pytest.mark.parametrize("method,path,status", [
    ("get", "/api/v1/nothing-here", 404),
    ("get", "/api/v1/invoices/nope", 404),
    ("delete", "/api/v1/invoices", 405),
    ("patch", "/api/v1/invoices/nope", 428),
    ("post", "/api/v1/invoices/nope/approve", 404),
])
def test_api_errors_are_json_with_error_and_code(client, staff_token, method, path, status):
    response = getattr(client, method)(path, headers=bearer(staff_token))
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) >= {"error", "code"}
    assert isinstance(body["error"], str) and body["error"].endswith(".")
    assert "<html" not in response.get_data(as_text=True)


def test_an_unexpected_exception_is_a_json_500_not_a_traceback(app, client, staff_token):
    @app.get("/api/v1/_boom")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/api/v1/_boom", headers=bearer(staff_token))
    assert response.status_code == 500 and response.json["code"] == "internal_error"
    assert "secret internals" not in response.get_data(as_text=True)


def test_patch_with_a_non_json_body(client, staff_token):
    r = client.patch("/api/v1/invoices/x", headers=bearer(staff_token, **{"If-Match": "1"}), data="total=1")
    assert r.status_code == 415 and r.json["code"] == "bad_json"


def test_pages_get_an_error_page(staff_client):
    response = staff_client.get("/invoices/does-not-exist")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Back to the invoices" in response.get_data(as_text=True)
