"""A ticket's SLA clocks: set when it is logged, stopped while waiting for the customer, restarted on reopen.

Due times are fixed on the ticket (UTC) so that the periodic scan is a plain indexed comparison with
"now" and never has to load a calendar.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import translation

from kefu.customers.models import Customer
from kefu.orgs.models import OrgUnit
from kefu.standards.models import RequestCategory, SlaPolicy, TimeBasis
from kefu.standards.selectors import calendar_for, policy_match
from kefu.standards.sla import Schedule, business_time_between, due_at, schedule_for
from kefu.tickets.models import Ticket


def schedule_of(unit: OrgUnit) -> Schedule:
    return schedule_for(calendar_for(unit))


def _warn_after(policy: SlaPolicy, duration: timedelta) -> timedelta:
    return duration * policy.warn_at_percent / 100


def clocks_set(
    *, ticket: Ticket, customer: Customer, category: RequestCategory | None, start: datetime, schedule: Schedule
) -> None:
    """Match the policy and fix both due times, the warning time and the head-escalation time."""
    # The reason is stored on the ticket and read by everyone: write it in the organisation's language.
    with translation.override(settings.LANGUAGE_CODE):
        match = policy_match(
            organisation=ticket.organisation,
            grade=customer.grade,
            kind=ticket.kind,
            category=category,
            severity=ticket.severity,
        )
    ticket.sla_policy = match.policy
    ticket.sla_reason = match.reason[:300]
    policy = match.policy
    if policy is None:
        ticket.time_basis = TimeBasis.CALENDAR
        ticket.first_response_due_at = ticket.resolution_due_at = None
        ticket.resolution_warn_at = ticket.head_escalation_due_at = None
        return
    ticket.time_basis = policy.time_basis
    basis = policy.time_basis
    if ticket.first_responded_at is None:
        ticket.first_response_due_at = due_at(
            schedule=schedule, basis=basis, start=start, duration=policy.first_response_time
        )
    ticket.resolution_due_at = due_at(schedule=schedule, basis=basis, start=start, duration=policy.resolution_time)
    _set_followers(ticket=ticket, policy=policy, schedule=schedule, start=start, left=policy.resolution_time)


def _set_followers(*, ticket: Ticket, policy: SlaPolicy, schedule: Schedule, start: datetime, left: timedelta) -> None:
    used_before = policy.resolution_time - left
    warn_in = _warn_after(policy, policy.resolution_time) - used_before
    ticket.resolution_warn_at = due_at(
        schedule=schedule, basis=policy.time_basis, start=start, duration=max(warn_in, timedelta(0))
    )
    assert ticket.resolution_due_at is not None
    ticket.head_escalation_due_at = due_at(
        schedule=schedule,
        basis=policy.time_basis,
        start=ticket.resolution_due_at,
        duration=policy.head_escalation_after,
    )


def clocks_pause(*, ticket: Ticket, now: datetime, schedule: Schedule) -> None:
    """Keep what is left of each promise; the scan ignores paused tickets."""
    ticket.paused_at = now
    basis = ticket.time_basis
    if ticket.first_response_due_at and ticket.first_responded_at is None:
        ticket.first_response_remaining = _left(schedule, basis, now, ticket.first_response_due_at)
    if ticket.resolution_due_at:
        ticket.resolution_remaining = _left(schedule, basis, now, ticket.resolution_due_at)


def _left(schedule: Schedule, basis: str, now: datetime, due: datetime) -> timedelta:
    if due <= now:
        return timedelta(0)
    if basis == TimeBasis.CALENDAR:
        return due - now
    return business_time_between(schedule, now, due)


def clocks_resume(*, ticket: Ticket, now: datetime, schedule: Schedule) -> None:
    """Move every due time on by the time spent waiting."""
    basis = ticket.time_basis
    if ticket.first_response_remaining is not None and ticket.first_responded_at is None:
        ticket.first_response_due_at = due_at(
            schedule=schedule, basis=basis, start=now, duration=ticket.first_response_remaining
        )
    if ticket.resolution_remaining is not None:
        ticket.resolution_due_at = due_at(
            schedule=schedule, basis=basis, start=now, duration=ticket.resolution_remaining
        )
        if ticket.sla_policy is not None:
            _set_followers(
                ticket=ticket,
                policy=ticket.sla_policy,
                schedule=schedule,
                start=now,
                left=ticket.resolution_remaining,
            )
    ticket.paused_at = None
    ticket.first_response_remaining = ticket.resolution_remaining = None


def clocks_restart(*, ticket: Ticket, now: datetime, schedule: Schedule) -> None:
    """A reopened ticket gets the full resolution promise again, from now."""
    policy = ticket.sla_policy
    ticket.resolution_breached_at = None
    ticket.warned_at = None
    ticket.escalation_level = 0
    ticket.escalated_at = None
    ticket.paused_at = None
    ticket.first_response_remaining = ticket.resolution_remaining = None
    if policy is None:
        return
    ticket.resolution_due_at = due_at(
        schedule=schedule, basis=policy.time_basis, start=now, duration=policy.resolution_time
    )
    _set_followers(ticket=ticket, policy=policy, schedule=schedule, start=now, left=policy.resolution_time)
