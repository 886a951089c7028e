"""How customers are classified, kept as data administrators edit: grade rules and tags.

Grades come from rules on the contribution, influence and potential scores (the first active
rule the scores meet decides, see services.grade_for_scores); tags are free labels owned by an
organisation unit.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core.errors import InvalidInput
from kefu.core.permissions import ensure_can
from kefu.core.scoping import ancestor_ids, one_or_404, visible
from kefu.customers.errors import (
    CustomerAnonymised,
    CustomerMerged,
    ScoreOutOfRange,
    TagNameInvalid,
    TagNameTaken,
)
from kefu.customers.models import Customer, Grade, GradeRule, Tag, TimelineEntry
from kefu.customers.services import TimelineKind, grade_for_scores, timeline_record
from kefu.orgs.models import Membership, OrgUnit

logger = logging.getLogger(__name__)

MANAGE = "customers.manage"
MANAGE_GRADES = "customers.manage_grades"
MANAGE_TAGS = "customers.manage_tags"
MAX_SCORE = 100
MAX_PRIORITY = 999
TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length or 30


# Grade rules: selectors


def graderule_list(*, viewer: Membership) -> QuerySet[GradeRule]:
    """The rules that grade customers in the viewer's scope: those of their unit and the units
    below it, and those of the units above it, which apply here too (shown, not editable)."""
    ancestors = ancestor_ids(viewer.unit)
    # Rules are policy, not personal data: a unit's staff may read the rules set above them.
    inherited = GradeRule.objects.filter(organisation_id__in=ancestors)
    return (
        (visible(GradeRule, viewer) | inherited)
        .select_related("organisation")
        .order_by("organisation__path", "priority", "id")
    )


def graderule_get(*, viewer: Membership, graderule_id: int) -> GradeRule:
    """A rule the viewer may change (their unit's or below); inherited rules are a 404 here."""
    return one_or_404(visible(GradeRule, viewer).select_related("organisation"), pk=graderule_id)


def grade_counts(*, viewer: Membership) -> dict[str, int]:
    """Active customers in scope per grade ("" for not graded), every grade listed."""
    rows = (
        visible(Customer, viewer)
        .filter(merged_into__isnull=True, is_anonymised=False)
        .order_by()
        .values("grade")
        .annotate(n=Count("pk"))
    )
    counts = {grade: 0 for grade in [*Grade.values, ""]}
    counts.update({row["grade"]: row["n"] for row in rows})
    return counts


# Grade rules: services


def _check_rule(*, grade: str, priority: int, scores: dict[str, int]) -> None:
    if grade not in Grade.values:
        raise InvalidInput(_("Choose one of the grades."), field="grade")
    if not 0 <= priority <= MAX_PRIORITY:
        raise InvalidInput(_("Enter a priority from 0 to %(max)s.") % {"max": MAX_PRIORITY}, field="priority")
    for name, value in scores.items():
        if not 0 <= value <= MAX_SCORE:
            raise ScoreOutOfRange(field=name)


@transaction.atomic
def graderule_create(
    *,
    actor: Membership,
    organisation: OrgUnit,
    grade: str,
    priority: int = 10,
    min_contribution: int = 0,
    min_influence: int = 0,
    min_potential: int = 0,
    description: str = "",
    is_active: bool = True,
) -> GradeRule:
    ensure_can(actor, MANAGE_GRADES, organisation)
    scores = {"min_contribution": min_contribution, "min_influence": min_influence, "min_potential": min_potential}
    _check_rule(grade=grade, priority=priority, scores=scores)
    rule = GradeRule.objects.create(
        organisation=organisation,
        grade=grade,
        priority=priority,
        description=description.strip(),
        is_active=is_active,
        **scores,
    )
    logger.info("grade rule created id=%s organisation=%s", rule.pk, organisation.pk)
    return rule


@transaction.atomic
def graderule_update(
    *,
    actor: Membership,
    rule: GradeRule,
    grade: str,
    priority: int,
    min_contribution: int,
    min_influence: int,
    min_potential: int,
    description: str = "",
    is_active: bool = True,
) -> GradeRule:
    rule = GradeRule.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=rule.pk)
    ensure_can(actor, MANAGE_GRADES, rule.organisation)
    scores = {"min_contribution": min_contribution, "min_influence": min_influence, "min_potential": min_potential}
    _check_rule(grade=grade, priority=priority, scores=scores)
    rule.grade, rule.priority, rule.description, rule.is_active = grade, priority, description.strip(), is_active
    for name, value in scores.items():
        setattr(rule, name, value)
    rule.save()
    logger.info("grade rule updated id=%s", rule.pk)
    return rule


@transaction.atomic
def graderule_delete(*, actor: Membership, rule: GradeRule) -> None:
    ensure_can(actor, MANAGE_GRADES, rule.organisation)
    logger.info("grade rule deleted id=%s", rule.pk)
    rule.delete()


@dataclass(frozen=True)
class RegradeResult:
    checked: int
    changed: int


@transaction.atomic
def graderule_apply(*, actor: Membership, batch_size: int = 500) -> RegradeResult:
    """Grade every customer in the actor's scope by the rules now, except those graded by hand.

    One grade_for_scores call per distinct (unit, scores) combination rather than per customer,
    and the changes written in batches, so re-grading a large ledger takes a bounded number of
    queries per combination, not per customer."""
    ensure_can(actor, MANAGE_GRADES, actor.unit)
    customers = (
        visible(Customer, actor)
        .filter(merged_into__isnull=True, is_anonymised=False)
        .exclude(grade_source=Customer.GradeSource.MANUAL)
        .select_related("organisation")
        .only(
            "pk",
            "organisation",
            "organisation__path",
            "grade",
            "grade_reason",
            "grade_source",
            "contribution_score",
            "influence_score",
            "potential_score",
        )
        .order_by("pk")
    )
    decided: dict[tuple[int, int, int, int], tuple[str, str]] = {}
    now = timezone.now()
    updates: list[Customer] = []
    entries: list[TimelineEntry] = []
    checked = changed = 0
    for customer in customers.iterator(chunk_size=2000):
        checked += 1
        key = (
            customer.organisation_id,
            customer.contribution_score,
            customer.influence_score,
            customer.potential_score,
        )
        if key not in decided:
            decided[key] = grade_for_scores(
                organisation=customer.organisation,
                contribution=customer.contribution_score,
                influence=customer.influence_score,
                potential=customer.potential_score,
            )
        grade, reason = decided[key]
        reason = reason[:255]
        source = Customer.GradeSource.RULE if grade else Customer.GradeSource.NONE
        if (customer.grade, customer.grade_reason, customer.grade_source) == (grade, reason, source):
            continue
        if customer.grade != grade:
            changed += 1
            entries.append(
                TimelineEntry(
                    organisation_id=customer.organisation_id,
                    customer_id=customer.pk,
                    kind=TimelineKind.GRADE_CHANGED,
                    occurred_at=now,
                    actor=actor.user,
                    summary=(
                        _("Grade %(old)s → %(new)s: %(reason)s")
                        % {"old": customer.grade.upper() or "—", "new": grade.upper() or "—", "reason": reason}
                    )[:255],
                    data={"old": customer.grade, "new": grade, "source": Customer.GradeSource.RULE},
                )
            )
        customer.grade, customer.grade_reason, customer.grade_source = grade, reason, source
        customer.grade_set_at = customer.updated_at = now
        updates.append(customer)
    Customer.objects.bulk_update(
        updates, ["grade", "grade_reason", "grade_source", "grade_set_at", "updated_at"], batch_size=batch_size
    )
    TimelineEntry.objects.bulk_create(entries, batch_size=batch_size)
    logger.info("customers re-graded unit=%s checked=%s changed=%s", actor.unit_id, checked, changed)
    return RegradeResult(checked=checked, changed=changed)


# Tags: selectors


def tag_list(*, viewer: Membership) -> QuerySet[Tag]:
    """Tags that apply in the viewer's scope: their unit's and below (editable), and those of the
    units above (shared labels, read-only); customer_count counts only customers in scope."""
    ancestors = ancestor_ids(viewer.unit)
    counted = Q(customers__merged_into__isnull=True, customers__organisation__path__startswith=viewer.unit.path)
    return (
        (visible(Tag, viewer) | Tag.objects.filter(organisation_id__in=ancestors))
        .select_related("organisation")
        .annotate(customer_count=Count("customers", filter=counted))
        .order_by("name", "id")
    )


def tag_get(*, viewer: Membership, tag_id: int) -> Tag:
    return one_or_404(visible(Tag, viewer).select_related("organisation"), pk=tag_id)


def customer_tag_get(*, customer: Customer, tag_id: int) -> Tag:
    """One of the customer's tags (the customer comes from a scoped selector)."""
    return one_or_404(customer.tags.all(), pk=tag_id)


# Tags: services


def _clean_tag_name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not name or len(name) > TAG_MAX_LENGTH:
        raise TagNameInvalid(field="name", max=TAG_MAX_LENGTH)
    return name


def _taggable(customer: Customer) -> Customer:
    """The customer re-read under lock, so a merge or erasure in between is seen."""
    customer = Customer.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=customer.pk)
    if customer.merged_into_id:
        raise CustomerMerged(name=customer.name)
    if customer.is_anonymised:
        raise CustomerAnonymised()
    return customer


def _name_in_use(*, organisation: OrgUnit, name: str, exclude_pk: int | None = None) -> bool:
    """A tag so named already applies in the unit (its own or a unit's above) or below it: two
    tags one member of staff sees under the same name would be told apart by nobody."""
    ancestors = ancestor_ids(organisation)
    clash = Tag.objects.filter(
        Q(organisation_id__in=ancestors) | Q(organisation__path__startswith=organisation.path), name=name
    )
    return clash.exclude(pk=exclude_pk).exists() if exclude_pk else clash.exists()


@transaction.atomic
def tag_create(*, actor: Membership, organisation: OrgUnit, name: str) -> Tag:
    ensure_can(actor, MANAGE_TAGS, organisation)
    name = _clean_tag_name(name)
    if _name_in_use(organisation=organisation, name=name):
        raise TagNameTaken(field="name", name=name)
    return Tag.objects.create(organisation=organisation, name=name)


@transaction.atomic
def tag_rename(*, actor: Membership, tag: Tag, name: str) -> Tag:
    tag = Tag.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=tag.pk)
    ensure_can(actor, MANAGE_TAGS, tag.organisation)
    name = _clean_tag_name(name)
    if _name_in_use(organisation=tag.organisation, name=name, exclude_pk=tag.pk):
        raise TagNameTaken(field="name", name=name)
    tag.name = name
    tag.save(update_fields=["name", "updated_at"])
    return tag


@transaction.atomic
def tag_delete(*, actor: Membership, tag: Tag) -> None:
    """Delete the tag; the customers that carried it simply lose it."""
    ensure_can(actor, MANAGE_TAGS, tag.organisation)
    tag.delete()


def _tag_for(*, customer: Customer, name: str) -> Tag:
    """The tag so named that applies to the customer: their unit's, else the nearest unit
    above's (a city's tags serve its project teams); created in the customer's unit if none."""
    chain = ancestor_ids(customer.organisation)
    nearest_first = {unit_id: depth for depth, unit_id in enumerate(reversed(chain))}
    existing = list(Tag.objects.filter(organisation_id__in=chain, name=name))
    if existing:
        return min(existing, key=lambda t: nearest_first[t.organisation_id])
    return Tag.objects.create(organisation_id=customer.organisation_id, name=name)


@transaction.atomic
def customer_tag_add(*, actor: Membership, customer: Customer, name: str) -> Tag:
    """Tag the customer by name, creating the tag in the customer's unit if no tag so named
    applies there yet."""
    ensure_can(actor, MANAGE, customer.organisation)
    customer = _taggable(customer)
    name = _clean_tag_name(name)
    tag = _tag_for(customer=customer, name=name)
    if not customer.tags.filter(pk=tag.pk).exists():
        customer.tags.add(tag)
        audit_record(
            actor=actor,
            organisation=customer.organisation,
            action=AuditEntry.Action.UPDATE,
            obj=customer,
            object_label=customer.name,
            changes={"tags": {"old": None, "new": tag.name}},
        )
        timeline_record(
            customer=customer,
            kind=TimelineKind.TAG_ADDED,
            summary=_("Tag added: %(tag)s") % {"tag": tag.name},
            actor=actor,
            target=tag,
        )
    return tag


@transaction.atomic
def customer_tag_remove(*, actor: Membership, customer: Customer, tag: Tag) -> None:
    ensure_can(actor, MANAGE, customer.organisation)
    customer = _taggable(customer)
    if not customer.tags.filter(pk=tag.pk).exists():
        return
    customer.tags.remove(tag)
    audit_record(
        actor=actor,
        organisation=customer.organisation,
        action=AuditEntry.Action.UPDATE,
        obj=customer,
        object_label=customer.name,
        changes={"tags": {"old": tag.name, "new": None}},
    )
    timeline_record(
        customer=customer,
        kind=TimelineKind.TAG_REMOVED,
        summary=_("Tag removed: %(tag)s") % {"tag": tag.name},
        actor=actor,
        target=tag,
    )
