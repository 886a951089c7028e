"""Read queries of the notification pages: scoped to the viewer's unit, or to the member's own rows."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from kefu.core.roles import Role
from kefu.notifications import selectors
from kefu.notifications.models import ChannelConfig, DeliveryPolicy, EventRoute, InAppNotification, MessageTemplate
from kefu.notifications.tests.world import dead_letter
from kefu.orgs.tests.factories import OrgUnitFactory


@pytest.fixture
def supervisor(city, make_staff):
    return make_staff(city, Role.SUPERVISOR, name="周主管")


# The delivery log


def test_message_list_shows_the_viewers_subtree_only(supervisor, city, other_city):
    below = OrgUnitFactory(parent=city)
    ours = dead_letter(city)
    below_ours = dead_letter(below)
    dead_letter(other_city)

    found = list(selectors.message_list(viewer=supervisor))

    assert {m.pk for m in found} == {ours.pk, below_ours.pk}


def test_message_list_is_newest_first(supervisor, city):
    old = dead_letter(city)
    new = dead_letter(city)
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))

    assert [m.pk for m in selectors.message_list(viewer=supervisor)] == [new.pk, old.pk]


def test_message_list_filters_dead_letters(supervisor, city):
    dead = dead_letter(city)
    dead_letter(city, status="sent")

    assert [m.pk for m in selectors.message_list(viewer=supervisor, status="dead")] == [dead.pk]


def test_message_list_filters_by_event_and_channel(supervisor, city):
    wanted = dead_letter(city, event="ticket.assigned", channel="wecom")
    dead_letter(city, event="ticket.assigned", channel="inapp")
    dead_letter(city, event="ticket.escalated", channel="wecom")

    found = selectors.message_list(viewer=supervisor, event="ticket.assigned", channel="wecom")

    assert [m.pk for m in found] == [wanted.pk]


def test_message_list_finds_a_mobile_typed_with_spaces(supervisor, city):
    wanted = dead_letter(city, address="8613912345678")
    dead_letter(city, address="8613800000000")

    assert [m.pk for m in selectors.message_list(viewer=supervisor, q="139 1234 5678")] == [wanted.pk]


def test_message_list_finds_a_provider_message_id(supervisor, city):
    wanted = dead_letter(city, provider_message_id="biz-123456")
    dead_letter(city)

    assert [m.pk for m in selectors.message_list(viewer=supervisor, q="biz-123456")] == [wanted.pk]


def test_message_list_finds_a_recipient_name(supervisor, city, make_staff):
    wanted = dead_letter(city, membership=make_staff(city, name="欧阳娜娜"))
    dead_letter(city)

    assert [m.pk for m in selectors.message_list(viewer=supervisor, q="欧阳")] == [wanted.pk]


def test_message_list_filters_by_date_range(supervisor, city):
    old = dead_letter(city)
    dead_letter(city)
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))

    found = selectors.message_list(viewer=supervisor, created_to=timezone.now() - timedelta(days=1))

    assert [m.pk for m in found] == [old.pk]


def test_message_list_is_one_query_whatever_the_rows(supervisor, city, django_assert_num_queries):
    for _ in range(3):
        dead_letter(city)

    with django_assert_num_queries(1):
        names = [m.organisation.name for m in selectors.message_list(viewer=supervisor)]

    assert len(names) == 3


def test_message_get_of_another_unit_is_404(supervisor, other_city):
    theirs = dead_letter(other_city)

    with pytest.raises(Http404):
        selectors.message_get(viewer=supervisor, message_id=theirs.pk)


def test_message_chain_lists_the_fallbacks_in_order(supervisor, city, make_staff):
    member = make_staff(city)
    first = dead_letter(city, membership=member, source_key="ticket:1", status="failed", channel="wecom")
    second = dead_letter(city, membership=member, source_key="ticket:1", channel="inapp", previous=first)
    dead_letter(city, membership=member, source_key="ticket:2")

    chain = selectors.message_chain(viewer=supervisor, message=second)

    assert [m.pk for m in chain] == [first.pk, second.pk]


# The bell


def _note(membership, minutes_ago=0, **values):
    return InAppNotification.objects.create(
        membership=membership,
        event="ticket.assigned",
        title="新投诉",
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
        **values,
    )


def test_inbox_list_puts_unread_first_then_newest(agent):
    read_new = _note(agent, minutes_ago=1, read_at=timezone.now())
    unread_old = _note(agent, minutes_ago=10)
    unread_new = _note(agent, minutes_ago=5)

    assert list(selectors.inbox_list(membership=agent)) == [unread_new, unread_old, read_new]


def test_inbox_list_holds_only_the_members_own_rows(agent, admin):
    mine = _note(agent)
    _note(admin)

    assert list(selectors.inbox_list(membership=agent)) == [mine]


def test_unread_count_counts_own_unread_rows(agent, admin):
    _note(agent)
    _note(agent, read_at=timezone.now())
    _note(admin)

    assert selectors.unread_count(membership=agent) == 1


def test_inbox_latest_is_the_newest_eight(agent):
    notes = [_note(agent, minutes_ago=n) for n in range(10)]

    assert selectors.inbox_latest(membership=agent) == notes[:8]


def test_inbox_get_of_another_members_row_is_404(agent, admin):
    theirs = _note(admin)

    with pytest.raises(Http404):
        selectors.inbox_get(membership=agent, notification_id=theirs.pk)


# Settings: what applies to a unit


def _config(unit, channel="sms", **values):
    return ChannelConfig.objects.create(
        organisation=unit, channel=channel, callback_key=f"k-{unit.pk}-{channel}", **values
    )


def test_channel_overview_says_where_each_channel_comes_from(admin, group, city):
    _config(group, "sms")
    _config(city, "email")
    _config(group, "wecom")
    _config(city, "wecom", is_enabled=False)

    states = {s.channel: s.state for s in selectors.channel_overview(viewer=admin)}

    assert states == {"sms": "inherited", "email": "here", "wecom": "off", "wechat": "none", "webhook": "none"}


def test_channel_overview_names_the_unit_it_inherits_from(admin, group):
    _config(group, "sms")

    sms = next(s for s in selectors.channel_overview(viewer=admin) if s.channel == "sms")

    assert sms.inherited.organisation == group
    assert sms.own is None


def test_managed_unit_refuses_another_unit(admin, other_city):
    with pytest.raises(Http404):
        selectors.managed_unit(viewer=admin, unit_id=other_city.pk)


def test_managed_unit_takes_a_unit_below(admin, city):
    below = OrgUnitFactory(parent=city)

    assert selectors.managed_unit(viewer=admin, unit_id=below.pk) == below


def _template(unit, event="ticket.assigned", channel="wecom", **values):
    return MessageTemplate.objects.create(organisation=unit, event=event, channel=channel, body="x", **values)


def test_template_overview_says_built_in_overridden_or_inherited(admin, group, city):
    _template(group, channel="wecom")
    _template(city, channel="inapp")

    row = next(r for r in selectors.template_overview(viewer=admin) if r.event.key == "ticket.assigned")

    assert {c.channel: c.state for c in row.cells} == {"inapp": "here", "wecom": "inherited"}


def test_template_overview_flags_sms_without_an_approved_template(admin):
    row = next(r for r in selectors.template_overview(viewer=admin) if r.event.key == "ticket.escalated")

    sms = next(c for c in row.cells if c.channel == "sms")
    assert sms.state == "builtin"
    assert sms.needs_provider_template


def test_template_cell_of_a_channel_the_event_does_not_use_is_404(admin, city):
    with pytest.raises(Http404):
        selectors.template_cell(viewer=admin, unit=city, event="ticket.assigned", channel="sms")


def test_route_overview_shows_the_default_and_the_inherited(admin, group):
    EventRoute.objects.create(organisation=group, event="ticket.assigned", channels=["wecom", "inapp"])

    routes = {r.event.key: r for r in selectors.route_overview(viewer=admin)}

    assert routes["ticket.assigned"].channels == ("wecom", "inapp")
    assert routes["ticket.assigned"].source == group
    assert routes["ticket.escalated"].channels == ("inapp", "wecom", "sms")
    assert routes["ticket.escalated"].source is None


def test_policy_overview_prefers_the_units_own(admin, group, city):
    DeliveryPolicy.objects.create(organisation=group, daily_cap=5)
    DeliveryPolicy.objects.create(organisation=city, daily_cap=2)

    state = selectors.policy_overview(viewer=admin)

    assert state.effective.daily_cap == 2
    assert state.source == city
