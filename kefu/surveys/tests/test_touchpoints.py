"""Signing and handover dates recorded in the ledger fire their survey triggers: the signing-day
push the doctrine measures (10 % answered within 24 hours)."""

from datetime import timedelta

from django.utils import timezone

from kefu.customers.services import household_add, household_update
from kefu.properties.tests.factories import UnitFactory
from kefu.surveys.models import Invitation, SurveyTemplate, SurveyTrigger
from kefu.surveys.services import trigger_save
from kefu.surveys.tests.factories import builtin, customer_who_agrees


def test_a_signing_recorded_today_invites_once_and_an_old_one_never(city, admin, sms):
    trigger_save(
        actor=admin,
        organisation=city,
        event=SurveyTrigger.Event.HOUSEHOLD_SIGNED,
        template=builtin(city, SurveyTemplate.Kind.CSAT),
    )
    customer = customer_who_agrees(city)
    today = timezone.localdate()
    old = household_add(
        actor=None,
        customer=customer,
        unit=UnitFactory(building__project__organisation=city),
        signed_on=today - timedelta(days=400),
    )
    assert not Invitation.objects.exists()  # history being entered, not a touchpoint

    fresh = household_add(actor=None, customer=customer, unit=UnitFactory(building__project__organisation=city))
    household_update(actor=None, household=fresh, role=fresh.role, signed_on=today)
    household_update(actor=None, household=fresh, role=fresh.role, signed_on=today, moved_in_on=None)

    (invitation,) = Invitation.objects.all()
    assert invitation.source_key == f"household:{fresh.pk}:signed_on:{today.isoformat()}"
    assert invitation.project_id == fresh.unit.project_id and fresh.unit.label in invitation.subject
    assert old.pk != fresh.pk


def test_a_handover_fires_its_own_trigger(city, admin, sms):
    trigger_save(
        actor=admin,
        organisation=city,
        event=SurveyTrigger.Event.HOUSEHOLD_DELIVERED,
        template=builtin(city, SurveyTemplate.Kind.THREE_PRO),
    )
    customer = customer_who_agrees(city)
    today = timezone.localdate()
    household_add(
        actor=None,
        customer=customer,
        unit=UnitFactory(building__project__organisation=city),
        signed_on=today - timedelta(days=300),
        delivered_on=today,
    )
    (invitation,) = Invitation.objects.all()
    assert invitation.source_key.endswith(f":delivered_on:{today.isoformat()}")
