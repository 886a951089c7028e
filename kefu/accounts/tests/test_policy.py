import pytest
from django.urls import reverse

from kefu.accounts.models import SecurityPolicy
from kefu.accounts.services import idle_timeout_for


def test_security_policy_root_admin_changes_the_idle_timeout(group_admin, group, city, client_for):
    response = client_for(group_admin).post(reverse("accounts:security_policy"), {"idle_timeout_minutes": 45})

    assert response.status_code == 302
    assert SecurityPolicy.objects.get(organisation=group).idle_timeout_minutes == 45
    assert idle_timeout_for(unit_path=city.path).total_seconds() == 45 * 60


@pytest.mark.parametrize("minutes", [4, 1441])
def test_security_policy_rejects_a_timeout_out_of_range_on_the_field(group_admin, client_for, minutes):
    response = client_for(group_admin).post(reverse("accounts:security_policy"), {"idle_timeout_minutes": minutes})

    assert list(response.context["form"].errors) == ["idle_timeout_minutes"]
    assert not SecurityPolicy.objects.exists()


def test_security_policy_city_admin_cannot_change_it(admin, client_for):
    client = client_for(admin)
    assert client.get(reverse("accounts:security_policy")).context["can_edit"] is False

    response = client.post(reverse("accounts:security_policy"), {"idle_timeout_minutes": 45})

    assert list(response.context["form"].errors) == ["idle_timeout_minutes"]
    assert not SecurityPolicy.objects.exists()


def test_security_policy_page_refuses_a_non_admin(agent, client_for):
    assert client_for(agent).get(reverse("accounts:security_policy")).status_code == 403
