"""The staff member's WeCom user ID: the address the WeCom channel sends their messages to."""

from django.urls import reverse

from kefu.core.roles import Role
from kefu.orgs import services
from kefu.orgs.models import Membership

PASSWORD = "Lantern-Harbour-88"


def test_staff_create_keeps_the_wecom_userid(admin, city):
    member = services.staff_create(
        actor=admin,
        unit=city,
        username="wangfang",
        name="王芳",
        password=PASSWORD,
        roles=[Role.AGENT],
        wecom_userid=" WangFang ",
    )

    assert member.wecom_userid == "WangFang"


def test_staff_edit_page_saves_the_wecom_userid(client_for, admin, agent, city):
    data = {"name": agent.name, "unit": city.pk, "roles": [Role.AGENT], "wecom_userid": "ZhangSan"}

    response = client_for(admin).post(reverse("orgs:staff_edit", kwargs={"staff_id": agent.pk}), data)

    assert response.status_code == 302
    assert Membership.objects.get(pk=agent.pk).wecom_userid == "ZhangSan"


def test_staff_edit_page_shows_the_stored_wecom_userid(client_for, admin, agent):
    Membership.objects.filter(pk=agent.pk).update(wecom_userid="ZhangSan")

    response = client_for(admin).get(reverse("orgs:staff_edit", kwargs={"staff_id": agent.pk}))

    assert response.context["form"].initial["wecom_userid"] == "ZhangSan"
    assert 'value="ZhangSan"' in response.content.decode()
