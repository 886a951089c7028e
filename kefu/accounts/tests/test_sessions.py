from datetime import timedelta

from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kefu.accounts.models import SecurityEvent
from kefu.accounts.services import security_policy_update
from kefu.accounts.tests.conftest import is_signed_in
from kefu.orgs.services import staff_reset_password, staff_set_active
from kefu.orgs.tests.factories import TEST_PASSWORD

NEW_PASSWORD = "Lantern-Harbour-88"


def test_disabling_a_user_ends_their_session_at_once(admin, agent, client_for):
    client = client_for(agent)
    assert is_signed_in(client)

    staff_set_active(actor=admin, membership=agent, is_active=False)

    assert not is_signed_in(client)


def test_disabling_a_user_revokes_their_api_token(admin, agent):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {Token.objects.create(user=agent.user).key}")
    assert client.get(reverse("api:me")).status_code == 200

    staff_set_active(actor=admin, membership=agent, is_active=False)

    assert client.get(reverse("api:me")).status_code == 401


def test_password_reset_by_an_admin_ends_the_users_sessions(admin, agent, client_for):
    client = client_for(agent)
    assert is_signed_in(client)

    staff_reset_password(actor=admin, membership=agent, password=NEW_PASSWORD)

    assert not is_signed_in(client)


def _change_own_password(client: Client) -> None:
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302


def test_password_change_keeps_the_current_session(agent, client_for):
    client = client_for(agent)

    _change_own_password(client)

    assert is_signed_in(client)
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PASSWORD_CHANGED, user=agent.user).exists()


def test_password_change_ends_the_users_other_sessions(agent, client_for):
    here, elsewhere = client_for(agent), client_for(agent)
    assert is_signed_in(elsewhere)

    _change_own_password(here)

    assert not is_signed_in(elsewhere)


def test_idle_session_is_signed_out_after_the_policys_minutes(group_admin, agent, client_for, clock):
    security_policy_update(actor=group_admin, idle_timeout_minutes=10)
    client = client_for(agent)
    assert is_signed_in(client)
    clock.shift(timedelta(minutes=10, seconds=1))

    assert not is_signed_in(client)
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SESSION_EXPIRED, user=agent.user).count() == 1


def test_activity_within_the_idle_limit_keeps_the_session(group_admin, agent, client_for, clock):
    security_policy_update(actor=group_admin, idle_timeout_minutes=10)
    client = client_for(agent)
    assert is_signed_in(client)
    clock.shift(timedelta(minutes=8))
    assert is_signed_in(client)
    clock.shift(timedelta(minutes=8))

    assert is_signed_in(client)
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SESSION_EXPIRED).exists()
