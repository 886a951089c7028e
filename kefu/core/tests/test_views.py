from unittest import mock

from django.db import connection
from django.db.utils import OperationalError


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_does_not(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "error"


def test_security_headers_are_set_on_every_response(client):
    response = client.get("/accounts/login/")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_unknown_page_renders_the_404_page_for_staff(client_for, agent):
    response = client_for(agent).get("/no/such/page/")

    assert response.status_code == 404
    assert "errors/404.html" in [t.name for t in response.templates]


def test_unknown_api_path_answers_json_404(client_for, agent):
    response = client_for(agent).get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_page_denied_by_role_renders_the_403_page(client_for, agent):
    response = client_for(agent).get("/accounts/security/policy/")

    assert response.status_code == 403
    assert "errors/403.html" in [t.name for t in response.templates]


def test_anonymous_page_request_redirects_to_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")
