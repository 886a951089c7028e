"""Fixtures of the survey tests: an SMS channel that can carry survey invitations, and the
people of a small organisation (a project team under the city company)."""

from collections.abc import Callable

import pytest

from kefu.core.roles import Role
from kefu.notifications.tests.helpers import approved_template, configure
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.tests.factories import OrgUnitFactory


@pytest.fixture
def sms(group: OrgUnit) -> None:
    # Set up on the group, so that both city companies send with it.
    configure(group, "sms", {"sign_name": "华景物业"}, access_key_secret="s")
    approved_template(
        group,
        "survey.invitation",
        "sms",
        code="SMS_SURVEY",
        # The provider caps an SMS template parameter at 35 characters, too short for a signed
        # link: the link stays in the message context and body here (see the report to the lead).
        params={"name": "{customer_name}", "subject": "{subject}"},
        body="{customer_name}您好，请为{subject}评价：{link}",
    )


@pytest.fixture
def team(city: OrgUnit) -> OrgUnit:
    return OrgUnitFactory(name="前海湾项目组", code="qianhai", kind=OrgUnit.Kind.PROJECT_TEAM, parent=city)


@pytest.fixture
def supervisor(city: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(city, Role.SUPERVISOR, name="陈主管")


@pytest.fixture
def professional(team: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(team, Role.ENGAGEMENT_MANAGER, name="刘顾问")
