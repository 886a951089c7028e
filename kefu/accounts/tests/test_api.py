from django.urls import reverse
from rest_framework.test import APIClient

from kefu.accounts.models import SecurityEvent
from kefu.orgs.tests.factories import TEST_PASSWORD


def _token(client: APIClient, username: str, password: str) -> object:
    return client.post(reverse("api:token"), {"username": username, "password": password}, format="json")


def test_token_create_issues_a_bearer_token_for_valid_credentials(agent):
    client = APIClient()

    response = _token(client, agent.user.username, TEST_PASSWORD)

    assert response.status_code == 201
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    me = client.get(reverse("api:me"))
    assert (me.status_code, me.json()["username"]) == (200, agent.user.username)
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOKEN_ISSUED, user=agent.user).exists()


def test_token_create_replaces_the_previous_token(agent):
    client = APIClient()
    old = _token(client, agent.user.username, TEST_PASSWORD).json()["token"]
    _token(client, agent.user.username, TEST_PASSWORD)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {old}")

    assert client.get(reverse("api:me")).status_code == 401


def test_token_create_rejects_a_wrong_password_with_the_error_shape(agent):
    response = _token(APIClient(), agent.user.username, "Not-the-password-1")

    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "fields"}
    assert response.json()["code"] == "invalid_credentials"
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN_FAILED, user=agent.user).count() == 1


def test_token_create_rejects_missing_fields_with_field_errors():
    response = APIClient().post(reverse("api:token"), {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"username", "password"}


def test_token_create_refuses_a_locked_account(agent):
    client = APIClient()
    for _ in range(5):
        _token(client, agent.user.username, "Not-the-password-1")

    response = _token(client, agent.user.username, TEST_PASSWORD)

    assert response.status_code == 403
    assert response.json()["code"] == "account_locked"


def test_me_requires_authentication():
    assert APIClient().get(reverse("api:me")).status_code == 401
