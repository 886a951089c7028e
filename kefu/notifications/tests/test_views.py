"""The staff pages of notifications: the bell and inbox, the delivery log, channel settings,
message templates and the delivery policy."""

import pytest
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from kefu.core.roles import Role
from kefu.notifications import configuration, settings_services
from kefu.notifications.fakes.webhook import FakeWebhookReceiver
from kefu.notifications.models import (
    Channel,
    ChannelConfig,
    DeliveryPolicy,
    EventRoute,
    InAppNotification,
    MessageTemplate,
    OutboxMessage,
    Status,
)
from kefu.notifications.tests.world import dead_letter

SECRET = "zQ9-very-secret-key-4711"


@pytest.fixture
def supervisor(city, make_staff):
    return make_staff(city, Role.SUPERVISOR, name="周主管")


def _texts(response, level):
    return [m.message for m in get_messages(response.wsgi_request) if m.level == level]


def _note(membership, title="新投诉待处理", **values):
    return InAppNotification.objects.create(
        membership=membership, event="ticket.assigned", title=title, created_at=timezone.now(), **values
    )


def _edit_url(unit, channel):
    return reverse("notifications:channel_edit", kwargs={"orgunit_id": unit.pk, "channel": channel})


def _template_url(unit, event="ticket.assigned", channel="wecom", name="template_edit"):
    return reverse(f"notifications:{name}", kwargs={"orgunit_id": unit.pk, "event": event, "channel": channel})


# The bell and the inbox


def test_every_page_has_the_bell_polling_every_30_seconds(agent, client_for):
    body = client_for(agent).get(reverse("workbench:home")).content.decode()

    assert f'hx-get="{reverse("notifications:bell")}"' in body
    assert 'hx-trigger="load, every 30s"' in body


def test_bell_shows_the_unread_count_and_the_latest(agent, client_for):
    _note(agent, title="工单KS001已分派给你")
    _note(agent, title="已读的", read_at=timezone.now())

    response = client_for(agent).get(reverse("notifications:bell"), HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert "工单KS001已分派给你" in body
    assert '<span class="badge bg-red text-red-fg badge-notification badge-pill">1</span>' in body
    assert "<html" not in body


def test_bell_shows_nothing_of_another_members(agent, admin, client_for):
    _note(admin, title="别人的消息")

    body = client_for(agent).get(reverse("notifications:bell")).content.decode()

    assert "别人的消息" not in body
    assert "badge-notification" not in body


def test_inbox_lists_unread_first_in_bold(agent, client_for):
    _note(agent, title="旧的已读", read_at=timezone.now())
    _note(agent, title="新的未读")

    response = client_for(agent).get(reverse("notifications:inbox"))

    body = response.content.decode()
    assert [n.title for n in response.context["page_obj"]] == ["新的未读", "旧的已读"]
    assert body.index("新的未读") < body.index("旧的已读")
    assert 'fw-bold text-body d-block text-truncate" translate="no">新的未读' in body


def test_inbox_unread_filter_leaves_out_read_rows(agent, client_for):
    _note(agent, title="旧的已读", read_at=timezone.now())
    _note(agent, title="新的未读")

    response = client_for(agent).get(reverse("notifications:inbox"), {"show": "unread"})

    assert [n.title for n in response.context["page_obj"]] == ["新的未读"]


def test_inbox_empty_state_says_what_will_appear(agent, client_for):
    body = client_for(agent).get(reverse("notifications:inbox")).content.decode()

    assert gettext("No notifications yet") in body


def test_inbox_open_marks_read_and_goes_to_the_link(agent, client_for):
    note = _note(agent, url="/tickets/42/")

    response = client_for(agent).get(reverse("notifications:inbox_open"), {"id": note.pk})

    note.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == "/tickets/42/"
    assert note.read_at is not None


def test_inbox_open_does_not_follow_a_link_to_another_site(agent, client_for):
    note = _note(agent, url="https://evil.example.com/")

    response = client_for(agent).get(reverse("notifications:inbox_open"), {"id": note.pk})

    assert response["Location"] == reverse("notifications:inbox")


def test_inbox_open_of_another_members_row_is_404(agent, admin, client_for):
    theirs = _note(admin)

    response = client_for(agent).get(reverse("notifications:inbox_open"), {"id": theirs.pk})

    theirs.refresh_from_db()
    assert response.status_code == 404
    assert theirs.read_at is None


def test_inbox_read_all_touches_only_own_rows(agent, admin, client_for):
    mine = _note(agent)
    theirs = _note(admin)

    response = client_for(agent).post(reverse("notifications:inbox_read_all"))

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert response.status_code == 302
    assert mine.read_at is not None
    assert theirs.read_at is None
    assert _texts(response, SUCCESS)


def test_inbox_read_marks_one_row(agent, client_for):
    one, other = _note(agent), _note(agent)

    client_for(agent).post(reverse("notifications:inbox_read"), {"ids": [one.pk]})

    one.refresh_from_db()
    other.refresh_from_db()
    assert one.read_at is not None
    assert other.read_at is None


def test_inbox_query_count_does_not_grow_with_rows(agent, client_for, django_assert_num_queries):
    for n in range(3):
        _note(agent, title=f"消息{n}")
    client = client_for(agent)
    client.get(reverse("notifications:inbox"))  # the session's first touches are not the page's

    with django_assert_num_queries(7):
        response = client.get(reverse("notifications:inbox"))

    assert len(response.context["page_obj"]) == 3


def test_inbox_is_open_to_a_contractor(city, make_staff, client_for):
    response = client_for(make_staff(city, Role.CONTRACTOR)).get(reverse("notifications:inbox"))

    assert response.status_code == 200


# The delivery log


def test_log_lists_visible_messages_with_masked_mobiles(supervisor, city, other_city, client_for):
    ours = dead_letter(city, address="8613912345678")
    theirs = dead_letter(other_city)

    response = client_for(supervisor).get(reverse("notifications:message_list"))

    body = response.content.decode()
    assert [m.pk for m in response.context["page_obj"]] == [ours.pk]
    assert "139****5678" in body
    assert "13912345678" not in body
    assert reverse("notifications:message_detail", kwargs={"message_id": theirs.pk}) not in body


def test_log_filters_dead_letters_and_offers_retry_all_to_an_administrator(admin, city, client_for):
    dead = dead_letter(city)
    dead_letter(city, status=Status.SENT)

    response = client_for(admin).get(reverse("notifications:message_list"), {"status": "dead"})

    assert [m.pk for m in response.context["page_obj"]] == [dead.pk]
    assert reverse("notifications:message_retry_many") in response.content.decode()


def test_log_does_not_offer_retry_all_to_a_supervisor(supervisor, city, client_for):
    dead_letter(city)

    response = client_for(supervisor).get(reverse("notifications:message_list"), {"status": "dead"})

    assert reverse("notifications:message_retry_many") not in response.content.decode()


def test_log_answers_htmx_with_the_rows_only(supervisor, city, client_for):
    dead_letter(city)

    body = client_for(supervisor).get(reverse("notifications:message_list"), HTTP_HX_REQUEST="true").content.decode()

    assert "<html" not in body
    assert "138****0000" in body


def test_log_empty_dead_letters_say_so(supervisor, client_for):
    body = client_for(supervisor).get(reverse("notifications:message_list"), {"status": "dead"}).content.decode()

    assert gettext("No dead letters") in body


def test_log_query_count_does_not_grow_with_rows(supervisor, city, client_for, django_assert_num_queries):
    for _ in range(3):
        dead_letter(city)
    client = client_for(supervisor)
    client.get(reverse("notifications:message_list"))

    with django_assert_num_queries(6):
        response = client.get(reverse("notifications:message_list"), {"status": "dead", "q": "138"})

    assert len(response.context["page_obj"]) == 3


def test_log_refused_to_an_agent(agent, client_for):
    response = client_for(agent).get(reverse("notifications:message_list"))

    assert response.status_code == 403


def test_log_open_to_an_executive(city, make_staff, client_for):
    response = client_for(make_staff(city, Role.EXECUTIVE)).get(reverse("notifications:message_list"))

    assert response.status_code == 200


def test_message_page_shows_attempts_with_the_meaning_of_the_error(supervisor, city, client_for):
    message = dead_letter(city)

    response = client_for(supervisor).get(reverse("notifications:message_detail", kwargs={"message_id": message.pk}))

    body = response.content.decode()
    assert response.status_code == 200
    assert "isv.SMS_TEMPLATE_ILLEGAL" in body
    assert gettext("The SMS template is not approved or does not exist") in body
    assert "web-1:4242" in body
    assert "138****0000" in body
    assert "8613800000000" not in body


def test_message_page_shows_the_fallback_chain(supervisor, city, make_staff, client_for):
    member = make_staff(city)
    first = dead_letter(city, membership=member, source_key="t:1", status=Status.FAILED, channel="wecom")
    second = dead_letter(city, membership=member, source_key="t:1", channel="inapp", previous=first)

    response = client_for(supervisor).get(reverse("notifications:message_detail", kwargs={"message_id": first.pk}))

    assert [m.pk for m in response.context["chain"]] == [first.pk, second.pk]


def test_message_page_of_another_unit_is_404(supervisor, other_city, client_for):
    theirs = dead_letter(other_city)

    response = client_for(supervisor).get(reverse("notifications:message_detail", kwargs={"message_id": theirs.pk}))

    assert response.status_code == 404


def test_message_page_offers_retry_only_to_an_administrator(supervisor, admin, city, client_for):
    message = dead_letter(city)
    retry_url = reverse("notifications:message_retry", kwargs={"message_id": message.pk})
    page = reverse("notifications:message_detail", kwargs={"message_id": message.pk})

    assert retry_url in client_for(admin).get(page).content.decode()
    assert retry_url not in client_for(supervisor).get(page).content.decode()


def test_retry_puts_a_dead_letter_back_in_the_queue(admin, city, client_for):
    message = dead_letter(city, channel="wecom", address="zhangsan")

    response = client_for(admin).post(reverse("notifications:message_retry", kwargs={"message_id": message.pk}))

    message.refresh_from_db()
    assert response.status_code == 302
    assert message.status == Status.PENDING
    assert message.attempts == 0
    assert _texts(response, SUCCESS)


def test_retry_of_a_still_broken_template_says_why(admin, city, client_for):
    message = dead_letter(city)

    response = client_for(admin).post(reverse("notifications:message_retry", kwargs={"message_id": message.pk}))

    message.refresh_from_db()
    assert message.status == Status.DEAD
    assert str(Channel.SMS.label) in _texts(response, ERROR)[0]


def test_retry_refused_to_a_supervisor(supervisor, city, client_for):
    message = dead_letter(city, channel="wecom")

    response = client_for(supervisor).post(reverse("notifications:message_retry", kwargs={"message_id": message.pk}))

    message.refresh_from_db()
    assert response.status_code == 403
    assert message.status == Status.DEAD


def test_retry_of_another_units_message_is_404(admin, other_city, client_for):
    theirs = dead_letter(other_city, channel="wecom")

    response = client_for(admin).post(reverse("notifications:message_retry", kwargs={"message_id": theirs.pk}))

    theirs.refresh_from_db()
    assert response.status_code == 404
    assert theirs.status == Status.DEAD


def test_retry_all_shown_retries_the_filtered_dead_letters(admin, city, client_for):
    wecom = [dead_letter(city, channel="wecom", address="u") for _ in range(2)]
    email = dead_letter(city, channel="email", address="a@example.com", event="report.daily_complaints")

    response = client_for(admin).post(
        reverse("notifications:message_retry_many"), {"status": "dead", "channel": "wecom"}
    )

    email.refresh_from_db()
    assert set(OutboxMessage.objects.filter(status=Status.PENDING).values_list("pk", flat=True)) == {
        m.pk for m in wecom
    }
    assert email.status == Status.DEAD
    assert response["Location"].startswith(reverse("notifications:message_list"))
    assert "channel=wecom" in response["Location"]


def test_cancel_stops_a_dead_letter(admin, city, client_for):
    message = dead_letter(city)

    client_for(admin).post(reverse("notifications:message_cancel", kwargs={"message_id": message.pk}))

    message.refresh_from_db()
    assert message.status == Status.CANCELLED


def test_cancel_of_a_sent_message_says_it_cannot(admin, city, client_for):
    message = dead_letter(city, status=Status.SENT)

    response = client_for(admin).post(reverse("notifications:message_cancel", kwargs={"message_id": message.pk}))

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert _texts(response, ERROR)


# Channel settings


def test_channel_list_says_what_is_inherited(admin, group, group_admin, client_for):
    settings_services.channel_config_save(
        actor=group_admin,
        unit=group,
        channel="sms",
        values={"access_key_id": "LTAI", "access_key_secret": SECRET, "sign_name": "华景"},
    )

    response = client_for(admin).get(reverse("notifications:channel_list"))

    states = {s.channel: s.state for s in response.context["states"]}
    assert states["sms"] == "inherited"
    assert group.name in response.content.decode()


def test_channel_pages_refused_to_a_supervisor(supervisor, city, client_for):
    client = client_for(supervisor)

    assert client.get(reverse("notifications:channel_list")).status_code == 403
    assert client.get(_edit_url(city, "sms")).status_code == 403


def test_channel_edit_of_another_unit_is_404(admin, other_city, client_for):
    response = client_for(admin).get(_edit_url(other_city, "sms"))

    assert response.status_code == 404


def test_channel_edit_of_an_unknown_channel_is_404(admin, city, client_for):
    response = client_for(admin).get(_edit_url(city, "fax"))

    assert response.status_code == 404


def test_channel_edit_builds_the_form_from_the_adapters_fields(admin, city, client_for):
    response = client_for(admin).get(_edit_url(city, "sms"))

    body = response.content.decode()
    assert 'type="password" name="access_key_secret"' in body
    assert 'name="sign_name"' in body
    assert "env:" in body


def test_channel_save_never_shows_the_secret_again(admin, city, client_for):
    client = client_for(admin)
    data = {"access_key_id": "LTAI5t", "access_key_secret": SECRET, "sign_name": "华景物业", "is_enabled": "on"}

    saved = client.post(_edit_url(city, "sms"), data, follow=True)
    page = client.get(_edit_url(city, "sms"))
    listing = client.get(reverse("notifications:channel_list"))

    config = ChannelConfig.objects.get(organisation=city, channel="sms")
    assert configuration.read_secrets(config) == {"access_key_secret": SECRET}
    for response in (saved, page, listing):
        assert SECRET not in response.content.decode()
    assert gettext("Already set") in page.content.decode()


def test_channel_save_with_errors_does_not_echo_the_secret(admin, city, client_for):
    data = {"access_key_id": "LTAI5t", "access_key_secret": SECRET, "sign_name": "", "is_enabled": "on"}

    response = client_for(admin).post(_edit_url(city, "sms"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["sign_name"]
    assert SECRET not in response.content.decode()


def test_channel_save_blank_secret_keeps_the_stored_one(admin, city, client_for):
    client = client_for(admin)
    data = {"access_key_id": "LTAI5t", "access_key_secret": SECRET, "sign_name": "华景物业", "is_enabled": "on"}
    client.post(_edit_url(city, "sms"), data)

    client.post(_edit_url(city, "sms"), {**data, "access_key_secret": "", "sign_name": "新签名"})

    config = ChannelConfig.objects.get(organisation=city, channel="sms")
    assert config.settings["sign_name"] == "新签名"
    assert configuration.read_secrets(config) == {"access_key_secret": SECRET}


def test_channel_save_accepts_an_env_reference(admin, city, client_for, monkeypatch):
    monkeypatch.setenv("KEFU_SMS_SECRET", SECRET)
    data = {"access_key_id": "LTAI5t", "access_key_secret": "env:KEFU_SMS_SECRET", "sign_name": "华景物业"}

    response = client_for(admin).post(_edit_url(city, "sms"), data)

    config = ChannelConfig.objects.get(organisation=city, channel="sms")
    assert response.status_code == 302
    assert configuration.read_secrets(config) == {"access_key_secret": SECRET}


def test_channel_save_refuses_an_ftp_url_on_the_field(admin, city, client_for):
    response = client_for(admin).post(_edit_url(city, "webhook"), {"url": "ftp://example.com/", "secret": "k"})

    assert response.context["form"].errors["url"]
    assert not ChannelConfig.objects.exists()


def test_channel_page_shows_the_delivery_report_url(admin, city, client_for):
    client = client_for(admin)
    client.post(_edit_url(city, "sms"), {"access_key_id": "LTAI5t", "access_key_secret": SECRET, "sign_name": "华景"})
    config = ChannelConfig.objects.get(organisation=city, channel="sms")

    body = client.get(_edit_url(city, "sms")).content.decode()

    assert reverse("notifications:callback", kwargs={"channel": "sms", "key": config.callback_key}) in body


def test_channel_delete_removes_the_units_own_settings(admin, city, client_for):
    client = client_for(admin)
    client.post(_edit_url(city, "sms"), {"access_key_id": "LTAI5t", "access_key_secret": SECRET, "sign_name": "华景"})

    response = client.post(reverse("notifications:channel_delete", kwargs={"orgunit_id": city.pk, "channel": "sms"}))

    assert response.status_code == 302
    assert not ChannelConfig.objects.exists()


def test_channel_test_sends_and_says_so(admin, city, client_for):
    client = client_for(admin)
    with FakeWebhookReceiver(secret=SECRET) as receiver:
        client.post(_edit_url(city, "webhook"), {"url": receiver.url, "secret": SECRET, "is_enabled": "on"})

        response = client.post(
            reverse("notifications:channel_test", kwargs={"orgunit_id": city.pk, "channel": "webhook"})
        )

    assert response.status_code == 302
    assert receiver.accepted == 1
    assert _texts(response, SUCCESS)


def test_channel_test_shows_the_classified_error(admin, city, client_for):
    client = client_for(admin)
    with FakeWebhookReceiver(secret=SECRET) as receiver:
        receiver.respond_with(410)
        client.post(_edit_url(city, "webhook"), {"url": receiver.url, "secret": SECRET, "is_enabled": "on"})

        response = client.post(
            reverse("notifications:channel_test", kwargs={"orgunit_id": city.pk, "channel": "webhook"})
        )

    errors = _texts(response, ERROR)
    assert len(errors) == 1
    assert gettext("The webhook URL is gone") in errors[0]


# Message templates


def test_template_list_shows_the_event_channel_grid(admin, group, city, client_for):
    MessageTemplate.objects.create(organisation=group, event="ticket.assigned", channel="wecom", body="x")

    response = client_for(admin).get(reverse("notifications:template_list"))

    row = next(r for r in response.context["rows"] if r.event.key == "ticket.assigned")
    assert {c.channel: c.state for c in row.cells} == {"inapp": "builtin", "wecom": "inherited"}
    assert _template_url(city) in response.content.decode()


def test_template_edit_lists_the_events_variables_with_samples(admin, city, client_for):
    body = client_for(admin).get(_template_url(city)).content.decode()

    assert "{customer_name}" in body
    assert "楼上漏水，天花板渗水" in body


def test_template_edit_rejects_an_unknown_variable_on_its_field(admin, city, client_for):
    response = client_for(admin).post(
        _template_url(city), {"subject": "新工单", "body": "{customer_name}：{room_number}", "is_active": "on"}
    )

    errors = response.context["form"].errors
    assert response.status_code == 200
    assert "{room_number}" in errors["body"][0]
    assert not MessageTemplate.objects.exists()


def test_template_edit_saves_and_bumps_the_version(admin, city, client_for):
    client = client_for(admin)
    client.post(_template_url(city), {"subject": "新工单", "body": "{customer_name}", "is_active": "on"})

    response = client.post(_template_url(city), {"subject": "新工单", "body": "{customer_name}！", "is_active": "on"})

    template = MessageTemplate.objects.get(organisation=city)
    assert response.status_code == 302
    assert template.version == 2
    assert template.body == "{customer_name}！"


def test_template_edit_of_another_unit_is_404(admin, other_city, client_for):
    assert client_for(admin).get(_template_url(other_city)).status_code == 404


def test_template_preview_renders_the_sample(admin, city, client_for):
    response = client_for(admin).post(
        _template_url(city, name="template_preview"), {"subject": "新{kind}", "body": "{customer_name}您好"}
    )

    body = response.content.decode()
    assert "王先生您好" in body
    assert "新投诉" in body
    assert "<html" not in body


def test_template_preview_shows_a_missing_variable_clearly(admin, city, client_for):
    response = client_for(admin).post(
        _template_url(city, name="template_preview"), {"subject": "", "body": "{customer_name}{room}"}
    )

    assert response.status_code == 200
    assert "{room}" in response.content.decode()
    assert "alert-danger" in response.content.decode()


def test_template_delete_reverts_to_built_in(admin, city, client_for):
    client = client_for(admin)
    client.post(_template_url(city), {"subject": "新工单", "body": "{customer_name}", "is_active": "on"})

    client.post(_template_url(city, name="template_delete"))

    assert not MessageTemplate.objects.exists()


# The delivery policy and event routes


def test_policy_page_shows_the_defaults(admin, client_for):
    response = client_for(admin).get(reverse("notifications:policy"))

    assert response.status_code == 200
    assert response.context["policy_form"].initial["daily_cap"] == 3


def test_policy_save(admin, city, client_for):
    response = client_for(admin).post(
        reverse("notifications:policy_save", kwargs={"orgunit_id": city.pk}),
        {"quiet_start": "22:00", "quiet_end": "07:30", "daily_cap": "4"},
    )

    policy = DeliveryPolicy.objects.get(organisation=city)
    assert response.status_code == 302
    assert (policy.quiet_start.hour, policy.quiet_end.minute, policy.daily_cap) == (22, 30, 4)


def test_policy_save_rejects_a_cap_above_twenty_on_the_field(admin, city, client_for):
    response = client_for(admin).post(
        reverse("notifications:policy_save", kwargs={"orgunit_id": city.pk}),
        {"quiet_start": "22:00", "quiet_end": "07:30", "daily_cap": "25"},
    )

    assert response.context["policy_form"].errors["daily_cap"]
    assert not DeliveryPolicy.objects.exists()


def test_route_save_orders_the_channels(admin, city, client_for):
    event = "ticket.escalated"

    response = client_for(admin).post(
        reverse("notifications:route_save", kwargs={"orgunit_id": city.pk, "event": event}),
        {
            f"{event}-place_sms": "1",
            f"{event}-place_inapp": "2",
            f"{event}-place_wecom": "",
            f"{event}-is_enabled": "on",
        },
    )

    route = EventRoute.objects.get(organisation=city, event=event)
    assert response.status_code == 302
    assert route.channels == ["sms", "inapp"]
    assert route.is_enabled


def test_route_save_rejects_two_channels_in_one_place(admin, city, client_for):
    event = "ticket.escalated"

    response = client_for(admin).post(
        reverse("notifications:route_save", kwargs={"orgunit_id": city.pk, "event": event}),
        {f"{event}-place_sms": "1", f"{event}-place_inapp": "1", f"{event}-is_enabled": "on"},
    )

    assert response.status_code == 200
    assert not EventRoute.objects.exists()
    assert gettext("Give each channel its own place in the order.") in response.content.decode()


def test_route_save_of_an_unknown_event_is_404(admin, city, client_for):
    response = client_for(admin).post(
        reverse("notifications:route_save", kwargs={"orgunit_id": city.pk, "event": "nope"}), {}
    )

    assert response.status_code == 404
