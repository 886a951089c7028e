"""Read queries for customer voices. Every one starts from kefu.core.scoping.

A ticket is visible to a viewer when its organisation unit is the viewer's unit or below it; its
events, attachments and viewers are visible exactly when the ticket is. Settings (teams, rules,
canned replies) a viewer manages are those of their subtree; those a ticket may use also include
the ones its unit inherits from above (a group's shared canned replies).
"""

import re
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from kefu.core.permissions import ACTIONS
from kefu.core.scoping import ancestor_ids, ancestor_paths, one_or_404, visible
from kefu.customers.selectors import customer_list
from kefu.orgs.models import Membership, OrgUnit, RoleGrant
from kefu.standards.models import RequestCategory
from kefu.standards.selectors import category_list
from kefu.tickets.models import (
    AssignmentRule,
    CannedReply,
    Team,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketPresence,
)

# "Due soon" on the list: the resolution promise falls due within this time.
DUE_SOON = timedelta(hours=2)
# A viewer seen within this time is "also viewing"; the page polls every 10 seconds.
PRESENCE_WINDOW = timedelta(seconds=30)
STATUS_OPEN = "open"
# Sort keys of ticket_list; a leading "-" is descending.
SORTS = {
    "-received": ("-received_at", "-id"),
    "received": ("received_at", "id"),
    "due": (F("resolution_due_at").asc(nulls_last=True), "id"),
    "-due": (F("resolution_due_at").desc(nulls_last=True), "-id"),
}
_TICKET_NUMBER = re.compile(r"(?i)KS\d{4,}")
_HANDLER_ROLES = ACTIONS["tickets.receive"] | ACTIONS["tickets.handle"]


def _tickets(viewer: Membership) -> QuerySet[Ticket]:
    return visible(Ticket, viewer)


# Tickets


def ticket_list(
    *,
    viewer: Membership,
    status: str | None = None,
    kind: str | None = None,
    severity: str | None = None,
    channel: str | None = None,
    project_id: int | None = None,
    assignee_id: int | None = None,
    team_id: int | None = None,
    customer_id: int | None = None,
    mine: bool = False,
    breached: bool = False,
    due_soon: bool = False,
    waiting: bool = False,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    q: str | None = None,
    sort: str = "-received",
    now: datetime | None = None,
) -> QuerySet[Ticket]:
    """Visible tickets with customer, unit, project, category, handler, team and first responder
    loaded (one query per page whatever its size).

    - `status`: a Ticket.Status value, or "open" for new / in progress / waiting.
    - `mine`: the viewer is the handler or the first responder.
    - `breached`: a promise was broken (recorded by the scan or a service), or an open, running
      clock is past its due time and the scan has not caught up yet.
    - `due_soon`: open, clock running, resolution due within DUE_SOON from `now`.
    - `waiting`: paused, waiting for the customer.
    - `received_from` / `received_to`: received_at >= from and < to (pass the day after for a date range).
    - `q`: a ticket number (KS…), or words of the subject, or a customer as the ledger search
      finds them (name, pinyin, mobile or its last 4, unit label).
    - `sort`: one of SORTS ("-received" newest first, "received", "due" soonest first, "-due").
    """
    now = now or timezone.now()
    tickets = _tickets(viewer)
    if status == STATUS_OPEN:
        tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
    elif status:
        tickets = tickets.filter(status=status)
    if kind:
        tickets = tickets.filter(kind=kind)
    if severity:
        tickets = tickets.filter(severity=severity)
    if channel:
        tickets = tickets.filter(channel=channel)
    if project_id is not None:
        tickets = tickets.filter(project_id=project_id)
    if assignee_id is not None:
        tickets = tickets.filter(assignee_id=assignee_id)
    if team_id is not None:
        tickets = tickets.filter(team_id=team_id)
    if customer_id is not None:
        tickets = tickets.filter(customer_id=customer_id)
    if mine:
        tickets = tickets.filter(Q(assignee=viewer) | Q(first_responder=viewer))
    if breached:
        running = Q(status__in=Ticket.OPEN_STATUSES, paused_at__isnull=True)
        tickets = tickets.filter(
            Q(resolution_breached_at__isnull=False)
            | Q(first_response_breached_at__isnull=False)
            | (running & Q(resolution_due_at__lt=now))
            | (running & Q(first_responded_at__isnull=True, first_response_due_at__lt=now))
        )
    if due_soon:
        tickets = tickets.filter(
            status__in=Ticket.OPEN_STATUSES,
            paused_at__isnull=True,
            resolution_due_at__gte=now,
            resolution_due_at__lt=now + DUE_SOON,
        )
    if waiting:
        tickets = tickets.filter(status=Ticket.Status.WAITING)
    if received_from is not None:
        tickets = tickets.filter(received_at__gte=received_from)
    if received_to is not None:
        tickets = tickets.filter(received_at__lt=received_to)
    if q and q.strip():
        tickets = _search(tickets, viewer=viewer, q=q.strip())
    return tickets.select_related(
        "customer", "unit", "project", "category", "assignee", "team", "first_responder"
    ).order_by(*SORTS.get(sort, SORTS["-received"]))


def _search(tickets: QuerySet[Ticket], *, viewer: Membership, q: str) -> QuerySet[Ticket]:
    compact = q.replace(" ", "")
    if _TICKET_NUMBER.fullmatch(compact):
        return tickets.filter(number__startswith=compact.upper())
    customers = customer_list(viewer=viewer, q=q).order_by().values("pk")
    return tickets.filter(Q(title__icontains=q) | Q(customer__in=customers))


def ticket_get(*, viewer: Membership, ticket_id: int) -> Ticket:
    """One visible ticket with everything its page shows in the header loaded (customer,
    unit with project and building, category, handler, team, first responder, service
    standard, merge and split links). Another unit's ticket is the same 404 as a missing one."""
    return one_or_404(
        _tickets(viewer).select_related(
            "organisation",
            "customer",
            "unit__project",
            "unit__building",
            "project",
            "category",
            "assignee",
            "team",
            "first_responder",
            "sla_policy",
            "merged_into",
            "split_from",
        ),
        pk=ticket_id,
    )


def ticket_get_by_number(*, viewer: Membership, number: str) -> Ticket:
    """A visible ticket by its number (KS202503040001), case and spaces forgiven; else 404."""
    return one_or_404(_tickets(viewer).select_related("organisation"), number=number.replace(" ", "").upper())


def ticket_events(*, viewer: Membership, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The ticket's full history, oldest first, with each actor loaded."""
    return (
        TicketEvent.objects.filter(ticket__in=_tickets(viewer).filter(pk=ticket.pk).values("pk"))
        .select_related("actor")
        .order_by("created_at", "id")
    )


def ticket_attachments(*, viewer: Membership, ticket: Ticket) -> QuerySet[TicketAttachment]:
    """The ticket's photos, oldest first, with the uploader's staff record loaded."""
    return (
        TicketAttachment.objects.filter(ticket__in=_tickets(viewer).filter(pk=ticket.pk).values("pk"))
        .select_related("uploaded_by__membership")
        .order_by("created_at", "id")
    )


def attachment_get(*, viewer: Membership, attachment_id: int) -> TicketAttachment:
    """A photo of a visible ticket (for the scoped file view); another unit's is a 404."""
    return one_or_404(
        TicketAttachment.objects.filter(ticket__in=_tickets(viewer).values("pk")).select_related("ticket"),
        pk=attachment_id,
    )


def presence_others(*, viewer: Membership, ticket: Ticket, now: datetime | None = None) -> QuerySet[TicketPresence]:
    """Other staff seen on the ticket within PRESENCE_WINDOW, repliers first."""
    since = (now or timezone.now()) - PRESENCE_WINDOW
    return (
        TicketPresence.objects.filter(ticket__in=_tickets(viewer).filter(pk=ticket.pk).values("pk"), seen_at__gte=since)
        .exclude(member=viewer)
        .select_related("member")
        .order_by("-is_replying", "member__name", "member_id")
    )


# Who and what a ticket can be given to


def assignee_choices(*, viewer: Membership, organisation: OrgUnit | None = None) -> QuerySet[Membership]:
    """Active staff the viewer can see who may handle customer voices; with `organisation`
    (the ticket's unit), only those who work in that unit or above it (the services refuse others)."""
    staff = visible(Membership, viewer).filter(user__is_active=True)
    if organisation is not None:
        staff = staff.filter(unit_id__in=ancestor_ids(organisation))
    with_role = RoleGrant.objects.filter(membership=OuterRef("pk"), role__in=_HANDLER_ROLES)
    return staff.filter(Exists(with_role)).select_related("unit").order_by("unit__path", "name", "id")


def _usable(viewer: Membership) -> Q:
    """Rows of the viewer's subtree and of the units above them (shared down the tree)."""
    return Q(organisation_id__in=ancestor_ids(viewer.unit)) | Q(organisation__in=visible(OrgUnit, viewer).values("pk"))


def team_choices(*, viewer: Membership) -> QuerySet[Team]:
    """Active teams a viewer may hand tickets to: their subtree's and those above them."""
    return Team.objects.filter(_usable(viewer), is_active=True).select_related("organisation").order_by("name")


def canned_replies_for(*, viewer: Membership, ticket: Ticket) -> QuerySet[CannedReply]:
    """Active canned replies offered on `ticket`: the ticket unit's and those above it (and the
    viewer's subtree's), for any kind or the ticket's kind, any category or the ticket's; the
    most specific first."""
    paths = ancestor_paths(ticket.organisation.path)
    return (
        CannedReply.objects.filter(Q(organisation__path__in=paths), is_active=True)
        .filter(Q(kind="") | Q(kind=ticket.kind))
        .filter(Q(category__isnull=True) | Q(category_id=ticket.category_id))
        .select_related("category")
        .order_by(F("category_id").desc(nulls_last=True), "-kind", "title", "id")
    )


# Settings pages: what the viewer manages (their subtree)


def team_list(*, viewer: Membership) -> QuerySet[Team]:
    """Visible teams with their unit and members (with units) loaded."""
    return (
        visible(Team, viewer)
        .select_related("organisation")
        .prefetch_related("members__unit")
        .order_by("organisation__path", "name", "id")
    )


def team_get(*, viewer: Membership, team_id: int) -> Team:
    return one_or_404(team_list(viewer=viewer), pk=team_id)


def rule_list(*, viewer: Membership) -> QuerySet[AssignmentRule]:
    """Visible assignment rules with what they match and their team loaded."""
    return (
        visible(AssignmentRule, viewer)
        .select_related("organisation", "project", "building", "category", "team")
        .order_by("organisation__path", "name", "id")
    )


def rule_get(*, viewer: Membership, rule_id: int) -> AssignmentRule:
    return one_or_404(rule_list(viewer=viewer), pk=rule_id)


def canned_reply_list(*, viewer: Membership) -> QuerySet[CannedReply]:
    """Visible canned replies with their unit and category loaded."""
    return (
        visible(CannedReply, viewer)
        .select_related("organisation", "category")
        .order_by("organisation__path", "title", "id")
    )


def canned_reply_get(*, viewer: Membership, reply_id: int) -> CannedReply:
    return one_or_404(canned_reply_list(viewer=viewer), pk=reply_id)


# Canned reply text

CANNED_VARIABLES = ("customer_name", "ticket_number", "agent_name", "due_at", "unit")
VARIABLE_PATTERN = re.compile(r"\{(\w+)\}")


def canned_reply_render(*, body: str, ticket: Ticket | None, agent: Membership) -> str:
    """The reply text with {customer_name} {ticket_number} {agent_name} {due_at} {unit} filled in
    from the ticket; unknown {names} stay as written. Without a ticket (a preview) sample values
    stand in. Plain substitution, never str.format: a body cannot reach attributes."""
    if ticket is None:
        values = {
            "customer_name": "张三",
            "ticket_number": "KS202501010001",
            "agent_name": agent.name,
            "due_at": "2025-01-01 18:00",
            "unit": "3-1-1202",
        }
    else:
        due = ticket.resolution_due_at
        values = {
            "customer_name": ticket.customer.name,
            "ticket_number": ticket.number,
            "agent_name": agent.name,
            "due_at": timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "",
            "unit": ticket.unit.label if ticket.unit_id else "",
        }
    return VARIABLE_PATTERN.sub(lambda m: values.get(m.group(1), m.group(0)), body)


# For the API (ticket-api): ids that arrive in request bodies, and idempotent creation.


def team_choice_get(*, viewer: Membership, team_id: int) -> Team:
    """An active team the viewer may hand tickets to (team_choices); else 404."""
    return one_or_404(team_choices(viewer=viewer), pk=team_id)


def category_choice_get(*, viewer: Membership, category_id: int) -> RequestCategory:
    """A request category the viewer may put on a ticket (their own, inherited or below); else 404.
    Whether it suits the ticket's unit and kind is the service's rule."""
    return one_or_404(category_list(viewer=viewer), pk=category_id)


def ticket_for_client_key(*, viewer: Membership, client_key: str) -> Ticket | None:
    """The visible ticket an API client logged with this Idempotency-Key, if any (the oldest,
    should the key have been used in two units)."""
    if not client_key:
        return None
    return _tickets(viewer).filter(client_key=client_key).order_by("id").first()
