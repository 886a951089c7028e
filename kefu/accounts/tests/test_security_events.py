from django.urls import reverse

from kefu.accounts.models import SecurityEvent
from kefu.accounts.services import security_event_record
from kefu.core.roles import Role


def _event(member: object, kind: str = SecurityEvent.Kind.LOGIN) -> SecurityEvent:
    user = member.user  # type: ignore[attr-defined]
    return security_event_record(kind=kind, username=user.username, user=user)


def test_security_events_shows_only_accounts_of_the_viewers_branch(admin, agent, outsider, client_for):
    own = _event(agent)
    _event(outsider)
    security_event_record(kind=SecurityEvent.Kind.LOGIN_FAILED, username="nobody")

    response = client_for(admin).get(reverse("accounts:security_events"))

    assert list(response.context["page_obj"]) == [own]


def test_security_events_of_a_top_level_admin_include_unknown_usernames(group_admin, client_for):
    unknown = security_event_record(kind=SecurityEvent.Kind.LOGIN_FAILED, username="nobody")

    response = client_for(group_admin).get(reverse("accounts:security_events"))

    assert list(response.context["page_obj"]) == [unknown]


def test_security_events_filter_by_kind(admin, agent, client_for):
    _event(agent)
    failed = _event(agent, SecurityEvent.Kind.LOGIN_FAILED)

    response = client_for(admin).get(reverse("accounts:security_events"), {"kind": SecurityEvent.Kind.LOGIN_FAILED})

    assert list(response.context["page_obj"]) == [failed]


def test_security_events_filter_by_username(admin, agent, city, make_staff, client_for):
    other = make_staff(city, Role.AGENT, username="wangfang")
    _event(agent)
    wanted = _event(other)

    response = client_for(admin).get(reverse("accounts:security_events"), {"q": "wangf"})

    assert list(response.context["page_obj"]) == [wanted]


def test_security_events_page_refuses_a_non_admin(agent, client_for):
    assert client_for(agent).get(reverse("accounts:security_events")).status_code == 403
