"""Inviting customers: consent, fatigue limits, one invitation per event, sending through the outbox."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kefu.customers.models import Consent
from kefu.customers.services import consent_grant
from kefu.customers.tests.factories import CustomerFactory
from kefu.notifications.models import OutboxMessage
from kefu.portal.models import PortalLink
from kefu.surveys.models import Invitation, SurveyTemplate, SurveyTrigger
from kefu.surveys.services import (
    fatigue_policy_save,
    invite,
    on_event,
    send_due_invitations,
    trigger_save,
)
from kefu.surveys.tests.factories import builtin, customer_who_agrees

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)

pytestmark = pytest.mark.usefixtures("sms")


def _invite(unit, customer, key, *, template=None, delay=timedelta(0), now=NOW):
    return invite(
        template=template or builtin(unit, SurveyTemplate.Kind.THREE_PRO),
        customer=customer,
        source_key=key,
        organisation=unit,
        subject="投诉KS202611230007的处理",
        delay=delay,
        now=now,
    )


def test_invite_sends_the_invitation_through_the_outbox_with_a_signed_link(city, professional):
    customer = customer_who_agrees(city, name="王先生")

    with time_machine.travel(NOW, tick=False):
        invitation = invite(
            template=builtin(city, SurveyTemplate.Kind.THREE_PRO),
            customer=customer,
            source_key="ticket:42:resolved",
            organisation=city,
            subject="投诉KS202611230007的处理",
            evaluated=professional,
        )

    message = OutboxMessage.objects.get(event="survey.invitation")
    assert (invitation.status, invitation.message_id, invitation.sent_at) == ("sent", message.pk, NOW)
    assert invitation.expires_at == NOW + timedelta(days=7)
    assert (message.channel, message.customer_id) == ("sms", customer.pk)
    assert message.context["staff_name"] == "刘顾问"
    assert message.context["expires"] == "11月30日"
    assert message.context["link"].startswith("http") and "/m/l/" in message.context["link"]
    link = PortalLink.objects.get()
    assert (link.customer_id, link.action, link.object_id) == (customer.pk, "survey", invitation.pk)


def test_invite_twice_for_the_same_event_asks_once(city):
    customer = customer_who_agrees(city)
    first = _invite(city, customer, "ticket:42:resolved")

    second = _invite(city, customer, "ticket:42:resolved", template=builtin(city, SurveyTemplate.Kind.CSAT))

    assert second.pk == first.pk
    assert Invitation.objects.count() == 1
    assert OutboxMessage.objects.filter(event="survey.invitation").count() == 1


def test_invite_skips_a_customer_who_has_not_agreed_to_surveys(city):
    customer = CustomerFactory(organisation=city)

    invitation = _invite(city, customer, "ticket:42:resolved")

    assert invitation.status == Invitation.Status.SKIPPED
    assert "同意" in invitation.skip_reason
    assert not OutboxMessage.objects.filter(event="survey.invitation").exists()


def test_invite_accepts_consent_given_for_one_channel(city):
    customer = CustomerFactory(organisation=city)
    consent_grant(
        actor=None,
        customer=customer,
        purpose=Consent.Purpose.SURVEY,
        method=Consent.Method.PORTAL,
        channel=Consent.Channel.SMS,
    )

    invitation = _invite(city, customer, "ticket:42:resolved")

    assert invitation.status == Invitation.Status.SENT


def test_invite_skips_the_third_survey_within_thirty_days(city):
    customer = customer_who_agrees(city)
    _invite(city, customer, "a", now=NOW - timedelta(days=20))
    _invite(city, customer, "b", now=NOW - timedelta(days=10))

    third = _invite(city, customer, "c", now=NOW)

    assert third.status == Invitation.Status.SKIPPED
    assert "2" in third.skip_reason and "30" in third.skip_reason


def test_invite_asks_again_once_the_oldest_survey_leaves_the_window(city):
    customer = customer_who_agrees(city)
    _invite(city, customer, "a", now=NOW - timedelta(days=31))
    _invite(city, customer, "b", now=NOW - timedelta(days=10))

    third = _invite(city, customer, "c", now=NOW)

    assert third.status == Invitation.Status.SENT


def test_skipped_invitations_do_not_count_toward_the_limit(city):
    customer = customer_who_agrees(city)
    _invite(city, customer, "a", now=NOW - timedelta(days=5), template=builtin(city, SurveyTemplate.Kind.NPS))
    Invitation.objects.update(status=Invitation.Status.SKIPPED)
    _invite(city, customer, "b", now=NOW - timedelta(days=4))

    third = _invite(city, customer, "c", now=NOW)

    assert third.status == Invitation.Status.SENT


def test_fatigue_policy_of_a_parent_unit_applies_below_it(group, city, group_admin):
    fatigue_policy_save(actor=group_admin, organisation=group, max_invitations=1, within_days=60)
    customer = customer_who_agrees(city)
    _invite(city, customer, "a", now=NOW - timedelta(days=45))

    second = _invite(city, customer, "b", now=NOW)

    assert second.status == Invitation.Status.SKIPPED


def test_a_delayed_invitation_waits_for_the_sender(city):
    customer = customer_who_agrees(city)
    invitation = _invite(city, customer, "household:7:signed", delay=timedelta(hours=2))
    assert invitation.status == Invitation.Status.SCHEDULED

    early = send_due_invitations(NOW + timedelta(hours=1))
    result = send_due_invitations(NOW + timedelta(hours=2))

    invitation.refresh_from_db()
    assert early["sent"] == 0 and result["sent"] == 1
    assert invitation.status == Invitation.Status.SENT
    assert OutboxMessage.objects.filter(event="survey.invitation").count() == 1


def test_send_due_invitations_twice_sends_once(city):
    customer = customer_who_agrees(city)
    _invite(city, customer, "household:7:signed", delay=timedelta(hours=2))

    send_due_invitations(NOW + timedelta(hours=3))
    again = send_due_invitations(NOW + timedelta(hours=3))

    assert again == {"sent": 0, "skipped": 0, "expired": 0}
    assert OutboxMessage.objects.filter(event="survey.invitation").count() == 1


def test_send_due_invitations_expires_unanswered_invitations(city):
    customer = customer_who_agrees(city)
    with time_machine.travel(NOW, tick=False):
        invitation = _invite(city, customer, "ticket:1:resolved")

    result = send_due_invitations(NOW + timedelta(days=8))

    invitation.refresh_from_db()
    assert result["expired"] == 1 and invitation.status == Invitation.Status.EXPIRED


def test_on_event_invites_with_the_nearest_units_trigger(group, city, group_admin, admin):
    trigger_save(
        actor=group_admin,
        organisation=group,
        event=SurveyTrigger.Event.TICKET_RESOLVED,
        template=builtin(group, SurveyTemplate.Kind.CSAT),
    )
    ours = trigger_save(
        actor=admin,
        organisation=city,
        event=SurveyTrigger.Event.TICKET_RESOLVED,
        template=builtin(city, SurveyTemplate.Kind.THREE_PRO),
    )
    customer = customer_who_agrees(city)

    invitation = on_event(
        event="ticket.resolved", organisation=city, customer=customer, source_key="ticket:9:resolved", subject="x"
    )

    assert invitation.trigger_id == ours.pk
    assert invitation.version.template.kind == SurveyTemplate.Kind.THREE_PRO
    assert Invitation.objects.count() == 1


def test_on_event_without_a_trigger_asks_nobody(city):
    customer = customer_who_agrees(city)

    result = on_event(
        event="ticket.resolved", organisation=city, customer=customer, source_key="ticket:9:resolved", subject="x"
    )

    assert result is None
    assert not Invitation.objects.exists()


def test_on_event_applies_the_triggers_delay(city, admin):
    trigger_save(
        actor=admin,
        organisation=city,
        event=SurveyTrigger.Event.HOUSEHOLD_SIGNED,
        template=builtin(city, SurveyTemplate.Kind.NPS),
        delay=timedelta(hours=4),
    )
    customer = customer_who_agrees(city)

    invitation = on_event(
        event="household.signed",
        organisation=city,
        customer=customer,
        source_key="household:3:signed",
        subject="签约",
        now=NOW,
    )

    assert (invitation.status, invitation.send_at) == (Invitation.Status.SCHEDULED, NOW + timedelta(hours=4))
