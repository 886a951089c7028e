from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import translation

from kefu.accounts.errors import AccountLocked, InvalidCredentials
from kefu.accounts.models import SecurityEvent
from kefu.accounts.tests.conftest import is_signed_in, sign_in
from kefu.orgs.tests.factories import TEST_PASSWORD

WRONG = "Not-the-password-1"


def _form_errors(response: object) -> list[str]:
    return list(response.context["form"].non_field_errors())  # type: ignore[attr-defined]


def _in_language_of(response: object, make_message: object) -> str:
    with translation.override(response.wsgi_request.LANGUAGE_CODE):  # type: ignore[attr-defined]
        return make_message()  # type: ignore[operator]


def _fail(client: Client, username: str, times: int) -> None:
    for _ in range(times):
        sign_in(client, username, WRONG)


def test_login_signs_in_and_records_the_login(agent):
    client = Client()

    response = sign_in(client, agent.user.username, TEST_PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("workbench:home")
    assert is_signed_in(client)
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN, user=agent.user).count() == 1


def test_login_with_a_wrong_password_records_the_failure(agent):
    client = Client()

    sign_in(client, agent.user.username, WRONG)

    assert not is_signed_in(client)
    assert list(SecurityEvent.objects.values_list("kind", "user")) == [(SecurityEvent.Kind.LOGIN_FAILED, agent.user.pk)]


def test_login_with_a_wrong_password_shows_a_generic_error(agent):
    response = sign_in(Client(), agent.user.username, WRONG)

    assert response.status_code == 200
    assert _form_errors(response) == [_in_language_of(response, lambda: InvalidCredentials().message)]


def test_login_with_an_unknown_username_shows_the_same_generic_error(agent):
    response = sign_in(Client(), "nobody-here", WRONG)

    assert _form_errors(response) == [_in_language_of(response, lambda: InvalidCredentials().message)]
    assert SecurityEvent.objects.get().kind == SecurityEvent.Kind.LOGIN_FAILED


def test_login_locks_the_account_on_the_fifth_failure(agent, clock):
    client = Client()
    _fail(client, agent.user.username, 4)

    response = sign_in(client, agent.user.username, WRONG)

    assert _form_errors(response) == [_in_language_of(response, lambda: AccountLocked(minutes=15).message)]
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOCKED_OUT, user=agent.user).count() == 1


def test_login_does_not_lock_after_four_failures(agent, clock):
    client = Client()
    _fail(client, agent.user.username, 4)

    sign_in(client, agent.user.username, TEST_PASSWORD)

    assert is_signed_in(client)


def test_login_refuses_the_right_password_while_locked(agent, clock):
    client = Client()
    _fail(client, agent.user.username, 5)
    clock.shift(timedelta(minutes=14))

    response = sign_in(client, agent.user.username, TEST_PASSWORD)

    assert _form_errors(response) == [_in_language_of(response, lambda: AccountLocked(minutes=1).message)]
    assert not is_signed_in(client)
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN).exists()


def test_login_records_the_lockout_once(agent, clock):
    client = Client()

    _fail(client, agent.user.username, 8)

    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOCKED_OUT).count() == 1


def test_login_works_again_after_fifteen_minutes(agent, clock):
    client = Client()
    _fail(client, agent.user.username, 5)
    clock.shift(timedelta(minutes=15, seconds=1))

    sign_in(client, agent.user.username, TEST_PASSWORD)

    assert is_signed_in(client)


def test_login_after_a_lockout_does_not_lock_again_on_the_first_mistake(agent, clock):
    # Attempts refused during the lockout are recorded as failures; they must not count afterwards.
    client = Client()
    _fail(client, agent.user.username, 5)
    clock.shift(timedelta(minutes=10))
    _fail(client, agent.user.username, 3)
    clock.shift(timedelta(minutes=6))

    response = sign_in(client, agent.user.username, WRONG)

    assert _form_errors(response) == [_in_language_of(response, lambda: InvalidCredentials().message)]
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOCKED_OUT).count() == 1


def test_login_success_resets_the_failure_count(agent, clock):
    client = Client()
    _fail(client, agent.user.username, 4)
    clock.shift(timedelta(seconds=1))
    sign_in(client, agent.user.username, TEST_PASSWORD)
    clock.shift(timedelta(seconds=1))
    other = Client()

    _fail(other, agent.user.username, 4)

    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOCKED_OUT).exists()


def test_logout_records_the_logout(agent, client_for):
    client = client_for(agent)

    response = client.post(reverse("accounts:logout"))

    assert response.url == reverse("accounts:login")
    assert not is_signed_in(client)
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGOUT, user=agent.user).count() == 1
