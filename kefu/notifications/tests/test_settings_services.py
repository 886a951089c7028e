"""What staff change about notifications: channel settings, templates, routes, the policy, and
retrying or cancelling messages; and their own bell."""

from datetime import time

import pytest
from django.utils import timezone

from kefu.audit.models import AuditEntry
from kefu.core.errors import Conflict, Forbidden, InvalidInput
from kefu.core.roles import Role
from kefu.notifications import configuration, events, settings_services
from kefu.notifications.fakes.webhook import FakeWebhookReceiver
from kefu.notifications.models import (
    ChannelConfig,
    DeliveryPolicy,
    EventRoute,
    InAppNotification,
    MessageTemplate,
    OutboxMessage,
    Status,
)
from kefu.notifications.tests.world import dead_letter

SMS_VALUES = {"access_key_id": "LTAI5tExample", "access_key_secret": "s3cret-value", "sign_name": "华景物业"}


@pytest.fixture
def supervisor(city, make_staff):
    return make_staff(city, Role.SUPERVISOR, name="周主管")


def _save_sms(admin, unit, **values):
    return settings_services.channel_config_save(actor=admin, unit=unit, channel="sms", values={**SMS_VALUES, **values})


# Channel settings


def test_channel_config_save_stores_settings_and_encrypts_the_secret(admin, city):
    config = _save_sms(admin, city)

    config.refresh_from_db()
    assert config.settings["sign_name"] == "华景物业"
    assert "access_key_secret" not in config.settings
    assert "s3cret-value" not in config.secrets_encrypted
    assert configuration.read_secrets(config) == {"access_key_secret": "s3cret-value"}
    assert len(config.callback_key) >= 40


def test_channel_config_save_fills_defaults_and_converts_numbers(admin, city):
    config = _save_sms(admin, city, timeout="15")

    assert config.settings["timeout"] == 15
    assert config.settings["region_id"] == "cn-hangzhou"


def test_channel_config_save_keeps_the_stored_secret_when_left_blank(admin, city):
    first = _save_sms(admin, city)

    config = _save_sms(admin, city, access_key_secret="", sign_name="新签名")

    assert config.pk == first.pk
    assert config.callback_key == first.callback_key
    assert config.settings["sign_name"] == "新签名"
    assert configuration.read_secrets(config) == {"access_key_secret": "s3cret-value"}


def test_channel_config_save_keeps_env_references_unresolved(admin, city, monkeypatch):
    monkeypatch.setenv("KEFU_TEST_SMS_SECRET", "from-the-environment")

    config = _save_sms(admin, city, access_key_secret="env:KEFU_TEST_SMS_SECRET")

    assert configuration.read_secrets(config) == {"access_key_secret": "from-the-environment"}
    assert "from-the-environment" not in config.secrets_encrypted


def test_channel_config_save_rejects_a_malformed_env_reference(admin, city):
    with pytest.raises(InvalidInput) as raised:
        _save_sms(admin, city, access_key_secret="env:NOT VALID")

    assert raised.value.field == "access_key_secret"
    assert not ChannelConfig.objects.exists()


def test_channel_config_save_requires_a_secret_the_first_time(admin, city):
    with pytest.raises(InvalidInput) as raised:
        _save_sms(admin, city, access_key_secret="")

    assert raised.value.field == "access_key_secret"


def test_channel_config_save_requires_required_settings(admin, city):
    with pytest.raises(InvalidInput) as raised:
        _save_sms(admin, city, sign_name="  ")

    assert raised.value.field == "sign_name"


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "javascript:alert(1)", "example.com/hook"])
def test_channel_config_save_accepts_only_http_urls(admin, city, url):
    with pytest.raises(InvalidInput) as raised:
        settings_services.channel_config_save(
            actor=admin, unit=city, channel="webhook", values={"url": url, "secret": "k"}
        )

    assert raised.value.field == "url"


def test_channel_config_save_rejects_a_bad_email(admin, city):
    with pytest.raises(InvalidInput) as raised:
        settings_services.channel_config_save(
            actor=admin,
            unit=city,
            channel="email",
            values={"host": "smtp.example.com", "from_email": "not-an-address"},
        )

    assert raised.value.field == "from_email"


def test_channel_config_save_rejects_a_number_that_is_not_one(admin, city):
    with pytest.raises(InvalidInput) as raised:
        _save_sms(admin, city, timeout="ten")

    assert raised.value.field == "timeout"


def test_channel_config_save_removes_a_cleared_optional_secret(admin, city):
    values = {"host": "smtp.example.com", "from_email": "kefu@example.com", "password": "mail-pass"}
    settings_services.channel_config_save(actor=admin, unit=city, channel="email", values=values)

    config = settings_services.channel_config_save(
        actor=admin, unit=city, channel="email", values={**values, "password": ""}, clear_secrets=["password"]
    )

    assert configuration.stored_secret_names(config) == set()


def test_channel_config_save_audits_which_secrets_changed_but_not_their_values(admin, city):
    config = _save_sms(admin, city)

    entry = AuditEntry.objects.get(note="notifications.channel_save", object_id=str(config.pk))
    assert entry.changes["secrets"] == ["access_key_secret"]
    assert "s3cret-value" not in str(entry.changes)


def test_channel_config_save_refused_to_a_supervisor(supervisor, city):
    with pytest.raises(Forbidden):
        _save_sms(supervisor, city)

    assert not ChannelConfig.objects.exists()


def test_channel_config_save_refused_in_another_unit(admin, other_city):
    with pytest.raises(Forbidden):
        _save_sms(admin, other_city)


def test_channel_config_delete_falls_back_to_the_unit_above(admin, group_admin, group, city):
    _save_sms(group_admin, group, sign_name="集团签名")
    own = _save_sms(admin, city, sign_name="城市签名")

    settings_services.channel_config_delete(actor=admin, config=own)

    assert configuration.channel_config_for(city, "sms").settings["sign_name"] == "集团签名"


# The test send


def test_channel_test_sends_through_the_webhook_and_returns_the_sent_message(admin, city):
    with FakeWebhookReceiver(secret="hook-secret") as receiver:
        settings_services.channel_config_save(
            actor=admin, unit=city, channel="webhook", values={"url": receiver.url, "secret": "hook-secret"}
        )

        message = settings_services.channel_test(actor=admin, unit=city, channel="webhook")

    assert message.status == Status.SENT
    assert message.event == "notifications.test"
    assert receiver.payloads[0]["event"] == "notifications.test"
    assert message.delivery_attempts.get().outcome == "sent"


def test_channel_test_returns_the_classified_error(admin, city):
    with FakeWebhookReceiver(secret="hook-secret") as receiver:
        settings_services.channel_config_save(
            actor=admin, unit=city, channel="webhook", values={"url": receiver.url, "secret": "wrong-secret"}
        )

        message = settings_services.channel_test(actor=admin, unit=city, channel="webhook")

    assert message.status == Status.DEAD
    assert message.error_code == "401"
    assert "signature" in message.error


def test_channel_test_of_sms_needs_an_approved_template(admin, city):
    _save_sms(admin, city)

    with pytest.raises(InvalidInput) as raised:
        settings_services.channel_test(actor=admin, unit=city, channel="sms", address="13800138000")

    assert "模板" in raised.value.message  # the organisation's language names the template
    assert not OutboxMessage.objects.exists()


def test_channel_test_without_an_address_needs_the_actors_own(admin, city):
    _save_sms(admin, city)

    with pytest.raises(InvalidInput) as raised:
        settings_services.channel_test(actor=admin, unit=city, channel="wecom")

    assert raised.value.field == "address"


# Templates


def _template(admin, unit, **values):
    fields = {
        "event": "ticket.assigned",
        "channel": "wecom",
        "subject": "新工单{ticket_number}",
        "body": "{customer_name}：{summary}",
        **values,
    }
    return settings_services.template_save(actor=admin, unit=unit, **fields)


def test_template_save_creates_version_one(admin, city):
    template = _template(admin, city)

    assert template.version == 1
    assert configuration.template_for(city, "ticket.assigned", "wecom") == template


def test_template_save_bumps_the_version_on_each_change(admin, city):
    _template(admin, city)

    template = _template(admin, city, body="{customer_name}：{summary}，请尽快处理")

    assert template.version == 2
    assert MessageTemplate.objects.count() == 1


def test_template_save_keeps_the_version_when_nothing_changed(admin, city):
    _template(admin, city)

    template = _template(admin, city)

    assert template.version == 1


def test_template_save_rejects_an_unknown_variable_naming_it_and_the_field(admin, city):
    with pytest.raises(InvalidInput) as raised:
        _template(admin, city, body="{customer_name}：{room_number}")

    assert raised.value.field == "body"
    assert "{room_number}" in raised.value.message
    assert not MessageTemplate.objects.exists()


def test_template_save_rejects_an_unknown_variable_in_the_subject(admin, city):
    with pytest.raises(InvalidInput) as raised:
        _template(admin, city, subject="{nope}")

    assert raised.value.field == "subject"


def test_template_save_rejects_params_that_are_not_a_json_object(admin, city):
    with pytest.raises(InvalidInput) as raised:
        _template(
            admin, city, event="ticket.escalated", channel="sms", provider_template="SMS_1", provider_params="[1, 2]"
        )

    assert raised.value.field == "provider_params"


def test_template_save_rejects_an_unknown_variable_in_a_param(admin, city):
    with pytest.raises(InvalidInput) as raised:
        _template(
            admin,
            city,
            event="ticket.escalated",
            channel="sms",
            provider_template="SMS_1",
            provider_params='{"code": "{who}"}',
        )

    assert raised.value.field == "provider_params"
    assert "code" in raised.value.message
    assert "{who}" in raised.value.message


def test_template_save_needs_a_provider_template_on_sms(admin, city):
    with pytest.raises(InvalidInput) as raised:
        _template(admin, city, event="ticket.escalated", channel="sms", body="工单{ticket_number}已超时")

    assert raised.value.field == "provider_template"


def test_template_save_stores_the_params_of_an_sms_template(admin, city):
    template = _template(
        admin,
        city,
        event="ticket.escalated",
        channel="sms",
        body="工单{ticket_number}已超时",
        provider_template="SMS_123456789",
        provider_params='{"code": "{ticket_number}"}',
        is_approved=True,
    )

    assert template.provider_params == {"code": "{ticket_number}"}


def test_template_save_refuses_a_channel_the_event_does_not_use(admin, city):
    with pytest.raises(InvalidInput) as raised:
        _template(admin, city, channel="sms")

    assert raised.value.field == "channel"


def test_template_save_refused_to_a_supervisor(supervisor, city):
    with pytest.raises(Forbidden):
        _template(supervisor, city)


def test_template_delete_reverts_to_the_built_in_text(admin, city):
    template = _template(admin, city)

    settings_services.template_delete(actor=admin, template=template)

    assert configuration.template_for(city, "ticket.assigned", "wecom") is None


def test_template_preview_fills_in_the_sample_values(city):
    preview = settings_services.template_preview(
        unit=city, event="ticket.assigned", channel="wecom", subject="新{kind}", body="{customer_name}：{summary}"
    )

    assert preview.error == ""
    assert preview.subject == "新投诉"
    assert preview.body == "王先生：楼上漏水，天花板渗水"


def test_template_preview_names_an_unknown_variable(city):
    preview = settings_services.template_preview(
        unit=city, event="ticket.assigned", channel="wecom", subject="", body="{customer_name}{room}"
    )

    assert "{room}" in preview.error
    assert preview.error_field == "body"


def test_template_preview_reports_broken_json_instead_of_raising(city):
    preview = settings_services.template_preview(
        unit=city, event="ticket.escalated", channel="sms", subject="", body="x", provider_params="{oops"
    )

    assert preview.error_field == "provider_params"


def test_template_preview_reports_a_text_too_long_for_the_channel(city):
    preview = settings_services.template_preview(
        unit=city, event="ticket.escalated", channel="sms", subject="", body="长" * 501, provider_template="SMS_1"
    )

    assert "501" in preview.error


# Routes and the policy


def test_route_save_keeps_the_order(admin, city):
    settings_services.route_save(
        actor=admin, unit=city, event="ticket.escalated", channels=["sms", "inapp"], is_enabled=True
    )

    assert configuration.route_for(city, events.get("ticket.escalated")) == (True, ("sms", "inapp"))


def test_route_save_rejects_a_channel_the_event_does_not_use(admin, city):
    with pytest.raises(InvalidInput) as raised:
        settings_services.route_save(
            actor=admin, unit=city, event="ticket.assigned", channels=["email", "sms"], is_enabled=True
        )

    assert raised.value.field == "channels"
    assert not EventRoute.objects.exists()


def test_route_save_needs_a_channel_when_on(admin, city):
    with pytest.raises(InvalidInput):
        settings_services.route_save(actor=admin, unit=city, event="ticket.assigned", channels=[], is_enabled=True)


def test_route_save_can_turn_an_event_off(admin, city):
    route = settings_services.route_save(actor=admin, unit=city, event="ticket.assigned", channels=[], is_enabled=False)

    assert route.is_enabled is False


def test_policy_save_sets_quiet_hours_and_cap(admin, city):
    settings_services.policy_save(actor=admin, unit=city, quiet_start=time(22), quiet_end=time(7), daily_cap=5)

    assert configuration.policy_for(city) == configuration.Policy(time(22), time(7), 5)


@pytest.mark.parametrize("cap", [0, 21])
def test_policy_save_rejects_a_cap_outside_one_to_twenty(admin, city, cap):
    with pytest.raises(InvalidInput) as raised:
        settings_services.policy_save(actor=admin, unit=city, quiet_start=time(22), quiet_end=time(7), daily_cap=cap)

    assert raised.value.field == "daily_cap"
    assert not DeliveryPolicy.objects.exists()


# Retrying and cancelling


def test_message_retry_resets_a_dead_letter(admin, city):
    message = dead_letter(city, channel="wecom", address="zhangsan", idempotency_key="k-retry")

    retried = settings_services.message_retry(actor=admin, message=message)

    retried.refresh_from_db()
    assert retried.status == Status.PENDING
    assert retried.attempts == 0
    assert retried.error_code == ""
    assert retried.error == ""
    assert retried.finished_at is None
    assert retried.next_attempt_at <= timezone.now()
    assert AuditEntry.objects.filter(note="notifications.message_retry", object_id=str(message.pk)).exists()


def test_message_retry_re_renders_with_the_current_template(admin, city):
    message = dead_letter(city, channel="wecom", address="zhangsan", idempotency_key="k-rerender")
    _template(admin, city, event="ticket.escalated", channel="wecom", subject="升级", body="请处理{ticket_number}")

    retried = settings_services.message_retry(actor=admin, message=message)

    assert retried.body == "请处理KS202503040001"
    assert retried.template_version == 1


def test_message_retry_says_clearly_when_the_template_is_still_broken(admin, city):
    message = dead_letter(city)

    with pytest.raises(InvalidInput) as raised:
        settings_services.message_retry(actor=admin, message=message)

    message.refresh_from_db()
    assert message.status == Status.DEAD
    assert "模板" in raised.value.message  # the organisation's language names the template


def test_message_retry_refuses_a_sent_message(admin, city):
    message = dead_letter(city, status=Status.SENT)

    with pytest.raises(Conflict):
        settings_services.message_retry(actor=admin, message=message)


def test_message_retry_refuses_when_a_fallback_already_went_out(admin, city):
    message = dead_letter(city, channel="wecom", status=Status.FAILED, idempotency_key="k-first")
    dead_letter(city, channel="inapp", status=Status.DELIVERED, previous=message, idempotency_key="k-second")

    with pytest.raises(Conflict):
        settings_services.message_retry(actor=admin, message=message)


def test_message_retry_refused_to_a_supervisor(supervisor, city):
    message = dead_letter(city)

    with pytest.raises(Forbidden):
        settings_services.message_retry(actor=supervisor, message=message)


def test_message_retry_many_retries_those_it_can_and_counts_them(admin, city):
    ok = [dead_letter(city, channel="wecom", address="u", idempotency_key=f"k-many-{n}", n=n) for n in range(3)]
    broken = dead_letter(city, idempotency_key="k-broken")  # SMS without an approved template

    count = settings_services.message_retry_many(actor=admin, message_ids=[m.pk for m in [*ok, broken]])

    assert count == 3
    assert set(OutboxMessage.objects.filter(status=Status.PENDING).values_list("pk", flat=True)) == {m.pk for m in ok}
    broken.refresh_from_db()
    assert broken.status == Status.DEAD


def test_message_retry_many_skips_another_units_messages(admin, city, other_city):
    theirs = dead_letter(other_city, channel="wecom", address="u")

    count = settings_services.message_retry_many(actor=admin, message_ids=[theirs.pk])

    theirs.refresh_from_db()
    assert count == 0
    assert theirs.status == Status.DEAD


def test_message_cancel_stops_a_pending_message(admin, city):
    message = dead_letter(city, status=Status.PENDING, next_attempt_at=timezone.now())

    settings_services.message_cancel(actor=admin, message=message)

    message.refresh_from_db()
    assert message.status == Status.CANCELLED
    assert message.next_attempt_at is None


def test_message_cancel_refuses_a_message_being_sent(admin, city):
    message = dead_letter(city, status=Status.SENDING, lease_until=timezone.now(), lease_owner="w")

    with pytest.raises(Conflict):
        settings_services.message_cancel(actor=admin, message=message)


# The bell


def _note(membership, **values):
    return InAppNotification.objects.create(
        membership=membership, event="ticket.assigned", title="新投诉", created_at=timezone.now(), **values
    )


def test_inbox_mark_read_touches_only_the_members_own_rows(agent, admin):
    mine = _note(agent)
    theirs = _note(admin)

    count = settings_services.inbox_mark_read(membership=agent, ids=[mine.pk, theirs.pk])

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert count == 1
    assert mine.read_at is not None
    assert theirs.read_at is None


def test_inbox_mark_all_read_touches_only_the_members_own_rows(agent, admin):
    mine = [_note(agent), _note(agent)]
    theirs = _note(admin)

    count = settings_services.inbox_mark_all_read(membership=agent)

    theirs.refresh_from_db()
    assert count == 2
    assert not InAppNotification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).exists()
    assert theirs.read_at is None


def test_internal_endpoint_addresses_are_refused_outside_development(admin, city, settings):
    from kefu.core.errors import InvalidInput
    from kefu.notifications.settings_services import channel_config_save

    settings.KEFU_ALLOW_PRIVATE_ENDPOINTS = False
    for url in ("http://127.0.0.1:8080/hook", "http://10.0.0.5/hook", "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(InvalidInput) as error:
            channel_config_save(
                actor=admin, unit=city, channel="webhook", values={"url": url, "secret": "k"}, is_enabled=True
            )
        assert error.value.field == "url" and "内网" in error.value.message
