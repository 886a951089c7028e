def test_api_anonymous_gets_401_with_the_error_shape(client):
    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "fields"}
    assert response.json()["code"] == "not_authenticated"


def test_api_validation_error_names_the_field(client):
    response = client.post("/api/v1/auth/token/", {"username": "someone"}, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["password"]


def test_api_me_returns_unit_and_roles(api_client_for, admin):
    response = api_client_for(admin).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["unit"]["id"] == admin.unit_id
    assert response.json()["roles"] == ["admin"]
