"""Write operations on surveys: templates and their versions, triggers, the fatigue policy,
invitations, answers and the interventions a low score opens.

Invitations are asked for by other modules (through `on_event` or `invite`) inside their own
transactions, so a rolled-back action asks nobody. `invite` never raises for a customer who may
not be asked (no consent, too many surveys lately, asked already about this event): the
invitation is stored as skipped with the reason, which response rates and the timeline show.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core.errors import InvalidInput
from kefu.core.permissions import ensure_can
from kefu.core.scoping import ancestor_ids, nearest
from kefu.core.texts import stored_text
from kefu.core.zones import zone_of
from kefu.customers.models import Consent, Customer
from kefu.customers.services import has_consent, timeline_record
from kefu.notifications.models import Status as MessageStatus
from kefu.notifications.services import notify
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.selectors import supervisor_of
from kefu.portal import links
from kefu.properties.models import Project
from kefu.standards.selectors import calendar_for
from kefu.standards.sla import Schedule, add_business_time, schedule_for
from kefu.surveys import builtin
from kefu.surveys.errors import (
    BuiltinLocked,
    InterventionClosed,
    InvalidAnswer,
    MissingAnswer,
    SurveyAlreadySubmitted,
    SurveyExpired,
    SurveyNotOpen,
    TemplateArchived,
    UnknownQuestion,
)
from kefu.surveys.models import (
    Answer,
    FatiguePolicy,
    Intervention,
    Invitation,
    Question,
    Response,
    SurveyTemplate,
    SurveyTrigger,
    SurveyVersion,
)

logger = logging.getLogger(__name__)

MANAGE = "surveys.manage"
INTERVENE = "surveys.intervene"
TIMELINE_PREFIX = "surveys."
INVITATION_EVENT = "survey.invitation"
INTERVENTION_EVENT = "survey.intervention"

Status = Invitation.Status
QType = Question.Type
CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
MAX_TEXT = 2000
MAX_DELAY = timedelta(days=90)
# Channels a survey can reach the customer on; consent on any one of them is enough to try.
SURVEY_CHANNELS = (Consent.Channel.SMS, Consent.Channel.WECHAT, Consent.Channel.EMAIL)


def _audit(*, actor: Membership | None, unit: OrgUnit, action: str, obj: Any, changes: dict[str, Any]) -> None:
    verb = AuditEntry.Action.CREATE if action.endswith("_create") else AuditEntry.Action.UPDATE
    audit_record(actor=actor, organisation=unit, action=verb, obj=obj, changes=changes, note=TIMELINE_PREFIX + action)


# Templates and versions ---------------------------------------------------------------------------


def _scale_bounds(question_type: str) -> tuple[int, int]:
    return (0, 10) if question_type == QType.NPS else (1, 5)


def _clean_questions(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The questions as they will be stored; InvalidInput names the first bad one."""
    if not questions:
        raise InvalidInput(_("A survey needs at least one question."), field="questions")
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(questions, start=1):
        code = str(raw.get("code", "")).strip()
        label = code or f"#{index}"
        if not code or len(code) > 10 or not set(code) <= CODE_CHARS:
            raise InvalidInput(
                _("Question %(code)s: give it a code of up to 10 letters or digits.") % {"code": label},
                field="questions",
            )
        if code in seen:
            raise InvalidInput(_("Question code %(code)s is used twice.") % {"code": code}, field="questions")
        seen.add(code)
        text = str(raw.get("text", "")).strip()
        if not text:
            raise InvalidInput(_("Question %(code)s: write the question.") % {"code": code}, field="questions")
        question_type = raw.get("type", "")
        if question_type not in QType.values:
            raise InvalidInput(_("Question %(code)s: choose its type.") % {"code": code}, field="questions")
        options = dict(raw.get("options") or {})
        if question_type == QType.CHOICE:
            choices = options.get("choices") or []
            values = [str(c.get("value", "")).strip() for c in choices if isinstance(c, dict)]
            if not values or any(not v for v in values) or len(set(values)) != len(values):
                raise InvalidInput(
                    _("Question %(code)s: list its choices, each with its own value.") % {"code": code},
                    field="questions",
                )
        elif question_type in (QType.SCALE5, QType.IMPORTANCE_SATISFACTION) and "labels" not in options:
            options["labels"] = dict(builtin.SCALE5_LABELS)
        cleaned.append(
            {
                "code": code,
                "text": text[:200],
                "type": question_type,
                "group": str(raw.get("group", "")).strip()[:10],
                "group_title": str(raw.get("group_title", "")).strip()[:50],
                "help": str(raw.get("help", "")).strip()[:300],
                "required": bool(raw.get("required", True)),
                "options": options,
            }
        )
    return cleaned


def _question_dicts(version: SurveyVersion) -> list[dict[str, Any]]:
    return [
        {
            "code": q.code,
            "text": q.text,
            "type": q.type,
            "group": q.group,
            "group_title": q.group_title,
            "help": q.help,
            "required": q.required,
            "options": q.options,
        }
        for q in version.questions.all()
    ]


def current_version(template: SurveyTemplate) -> SurveyVersion:
    version = template.versions.order_by("-number").first()
    if version is None:  # pragma: no cover - every template is created with version 1
        raise SurveyNotOpen()
    return version


def _version_create(
    *, template: SurveyTemplate, questions: list[dict[str, Any]], actor: Membership | None
) -> SurveyVersion:
    last = template.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = SurveyVersion.objects.create(template=template, number=last + 1, created_by=actor)
    Question.objects.bulk_create(Question(version=version, order=index, **q) for index, q in enumerate(questions))
    return version


def _check_template_fields(*, name: str, csat_threshold: int, valid_days: int) -> None:
    if not name.strip():
        raise InvalidInput(_("Give the survey a name."), field="name")
    if not 1 <= csat_threshold <= 5:
        raise InvalidInput(_("The threshold is a score from 1 to 5."), field="csat_threshold")
    if not 1 <= valid_days <= 90:
        raise InvalidInput(_("An invitation stays open from 1 to 90 days."), field="valid_days")


@transaction.atomic
def template_create(
    *,
    actor: Membership,
    organisation: OrgUnit,
    name: str,
    questions: list[dict[str, Any]],
    kind: str = SurveyTemplate.Kind.CUSTOM,
    description: str = "",
    csat_threshold: int = 3,
    valid_days: int = 7,
) -> SurveyTemplate:
    ensure_can(actor, MANAGE, organisation)
    if kind not in SurveyTemplate.Kind.values:
        raise InvalidInput(_("Choose what kind of survey this is."), field="kind")
    _check_template_fields(name=name, csat_threshold=csat_threshold, valid_days=valid_days)
    cleaned = _clean_questions(questions)
    template = SurveyTemplate.objects.create(
        organisation=organisation,
        name=name.strip()[:80],
        kind=kind,
        description=description.strip(),
        csat_threshold=csat_threshold,
        valid_days=valid_days,
    )
    _version_create(template=template, questions=cleaned, actor=actor)
    _audit(
        actor=actor,
        unit=organisation,
        action="template_create",
        obj=template,
        changes={"name": {"old": None, "new": template.name}, "questions": {"old": None, "new": len(cleaned)}},
    )
    return template


@transaction.atomic
def template_update(
    *,
    actor: Membership,
    template: SurveyTemplate,
    name: str | None = None,
    description: str | None = None,
    questions: list[dict[str, Any]] | None = None,
    csat_threshold: int | None = None,
    valid_days: int | None = None,
) -> SurveyTemplate:
    """Change a template. Changed questions make a new version; answers given to the old one
    stay with it."""
    template = SurveyTemplate.objects.select_for_update().select_related("organisation").get(pk=template.pk)
    ensure_can(actor, MANAGE, template.organisation)
    changes: dict[str, Any] = {}
    values = {
        "name": template.name if name is None else name.strip()[:80],
        "description": template.description if description is None else description.strip(),
        "csat_threshold": template.csat_threshold if csat_threshold is None else csat_threshold,
        "valid_days": template.valid_days if valid_days is None else valid_days,
    }
    _check_template_fields(
        name=values["name"], csat_threshold=values["csat_threshold"], valid_days=values["valid_days"]
    )
    for field, value in values.items():
        if getattr(template, field) != value:
            changes[field] = {"old": getattr(template, field), "new": value}
            setattr(template, field, value)
    if questions is not None:
        cleaned = _clean_questions(questions)
        version = current_version(template)
        if cleaned != _question_dicts(version):
            if template.is_builtin and template.kind == SurveyTemplate.Kind.THREE_PRO:
                raise BuiltinLocked(field="questions")
            new = _version_create(template=template, questions=cleaned, actor=actor)
            changes["version"] = {"old": version.number, "new": new.number}
    if changes:
        template.save()
        _audit(actor=actor, unit=template.organisation, action="template_update", obj=template, changes=changes)
    return template


@transaction.atomic
def template_archive(*, actor: Membership, template: SurveyTemplate) -> SurveyTemplate:
    """Stop using a template: its triggers stop inviting; invitations already sent stay answerable."""
    template = SurveyTemplate.objects.select_for_update().select_related("organisation").get(pk=template.pk)
    ensure_can(actor, MANAGE, template.organisation)
    if template.is_active:
        template.is_active = False
        template.save(update_fields=["is_active", "updated_at"])
        _audit(
            actor=actor,
            unit=template.organisation,
            action="template_archive",
            obj=template,
            changes={"is_active": {"old": True, "new": False}},
        )
    return template


@transaction.atomic
def ensure_builtin_templates(*, unit: OrgUnit) -> list[SurveyTemplate]:
    """The built-in 3-PRO, CSAT, NPS and experience-point templates of `unit`; safe to call again."""
    existing = {t.kind: t for t in SurveyTemplate.objects.filter(organisation=unit, is_builtin=True)}
    result = []
    for spec in builtin.BUILTIN:
        template = existing.get(spec.kind)
        if template is None:
            try:
                with transaction.atomic():
                    template = SurveyTemplate.objects.create(
                        organisation=unit, name=spec.name, kind=spec.kind, description=spec.description, is_builtin=True
                    )
                    _version_create(template=template, questions=[q.as_dict() for q in spec.questions], actor=None)
            except IntegrityError:
                template = SurveyTemplate.objects.get(organisation=unit, kind=spec.kind, is_builtin=True)
        result.append(template)
    return result


def templates_for_unit(unit: OrgUnit) -> list[SurveyTemplate]:
    """Active templates a unit may use: its own and those of the units above it."""
    return list(
        SurveyTemplate.objects.filter(organisation_id__in=ancestor_ids(unit), is_active=True).order_by("name", "pk")
    )


# Triggers and the fatigue policy ------------------------------------------------------------------


@transaction.atomic
def trigger_save(
    *,
    actor: Membership,
    organisation: OrgUnit,
    event: str,
    template: SurveyTemplate,
    delay: timedelta = timedelta(0),
    is_active: bool = True,
) -> SurveyTrigger:
    ensure_can(actor, MANAGE, organisation)
    if event not in SurveyTrigger.Event.values:
        raise InvalidInput(_("Choose the event that sends the survey."), field="event")
    if template.organisation_id not in ancestor_ids(organisation):
        raise InvalidInput(_("This survey belongs to another part of the organisation."), field="template")
    if not template.is_active and is_active:
        raise TemplateArchived(name=template.name, field="template")
    if delay < timedelta(0) or delay > MAX_DELAY:
        raise InvalidInput(_("The delay is between none and 90 days."), field="delay")
    trigger = (
        SurveyTrigger.objects.select_for_update()
        .filter(organisation=organisation, event=event, template=template)
        .first()
    )
    if trigger is None:
        trigger = SurveyTrigger.objects.create(
            organisation=organisation, event=event, template=template, delay=delay, is_active=is_active
        )
        changes = {"event": {"old": None, "new": event}, "template": {"old": None, "new": template.name}}
        action = "trigger_create"
    else:
        changes = {}
        for field, value in (("delay", delay), ("is_active", is_active)):
            if getattr(trigger, field) != value:
                changes[field] = {"old": str(getattr(trigger, field)), "new": str(value)}
                setattr(trigger, field, value)
        trigger.save()
        action = "trigger_update"
    if changes:
        _audit(actor=actor, unit=organisation, action=action, obj=trigger, changes=changes)
    return trigger


@dataclass(frozen=True)
class Fatigue:
    max_invitations: int
    within_days: int
    intervention_days: int


DEFAULT_FATIGUE = Fatigue(max_invitations=2, within_days=30, intervention_days=2)


def fatigue_policy_for(unit: OrgUnit) -> Fatigue:
    """The policy of `unit` or of its nearest ancestor that has one."""
    row = nearest(FatiguePolicy.objects.all(), unit)
    if row is None:
        return DEFAULT_FATIGUE
    return Fatigue(
        max_invitations=row.max_invitations, within_days=row.within_days, intervention_days=row.intervention_days
    )


@transaction.atomic
def fatigue_policy_save(
    *,
    actor: Membership,
    organisation: OrgUnit,
    max_invitations: int,
    within_days: int,
    intervention_days: int = DEFAULT_FATIGUE.intervention_days,
) -> FatiguePolicy:
    ensure_can(actor, MANAGE, organisation)
    if not 1 <= max_invitations <= 50:
        raise InvalidInput(_("Allow from 1 to 50 invitations."), field="max_invitations")
    if not 1 <= within_days <= 365:
        raise InvalidInput(_("The period is from 1 to 365 days."), field="within_days")
    if not 1 <= intervention_days <= 30:
        raise InvalidInput(_("Interventions are due within 1 to 30 working days."), field="intervention_days")
    policy = FatiguePolicy.objects.select_for_update().filter(organisation=organisation).first()
    old = (
        {}
        if policy is None
        else {
            "max_invitations": policy.max_invitations,
            "within_days": policy.within_days,
            "intervention_days": policy.intervention_days,
        }
    )
    new = {"max_invitations": max_invitations, "within_days": within_days, "intervention_days": intervention_days}
    if policy is None:
        policy = FatiguePolicy.objects.create(organisation=organisation, **new)
    else:
        for field, value in new.items():
            setattr(policy, field, value)
        policy.save()
    changes = {k: {"old": old.get(k), "new": v} for k, v in new.items() if old.get(k) != v}
    if changes:
        _audit(actor=actor, unit=organisation, action="fatigue_policy_save", obj=policy, changes=changes)
    return policy


# Invitations --------------------------------------------------------------------------------------


def _skip_reason(*, customer: Customer, send_at: datetime, organisation: OrgUnit) -> str:
    """Why this customer may not be asked now, or "" when they may."""
    if customer.merged_into_id or customer.is_anonymised:
        return stored_text(gettext_noop("The customer record is closed."))
    if not any(has_consent(customer=customer, purpose=Consent.Purpose.SURVEY, channel=c) for c in SURVEY_CHANNELS):
        return stored_text(gettext_noop("The customer has not agreed to receive surveys."))
    policy = fatigue_policy_for(organisation)
    recent = (
        Invitation.objects.filter(customer=customer, send_at__gt=send_at - timedelta(days=policy.within_days))
        .exclude(status=Status.SKIPPED)
        .count()
    )
    if recent >= policy.max_invitations:
        return stored_text(
            gettext_noop("The customer has had %(count)s surveys in %(days)s days, the most allowed."),
            count=recent,
            days=policy.within_days,
        )
    return ""


@transaction.atomic
def invite(
    *,
    template: SurveyTemplate,
    customer: Customer,
    source_key: str,
    organisation: OrgUnit,
    subject: str,
    evaluated: Membership | None = None,
    project: Project | None = None,
    delay: timedelta = timedelta(0),
    trigger: SurveyTrigger | None = None,
    codes: list[str] | None = None,
    now: datetime | None = None,
) -> Invitation:
    """Ask `customer` about one event occurrence (`source_key`). Asking again about the same
    occurrence returns the first invitation. A customer who may not be asked gets a skipped
    invitation with its reason; one due now is sent at once, a delayed one by the periodic sender.
    `codes` narrows the survey to some of its questions (a commission node's aspects)."""
    now = now or timezone.now()
    version = current_version(template)
    if codes:
        known = set(version.questions.values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise UnknownQuestion(code=unknown[0], field="codes")
    source_key = source_key[:120]
    found = Invitation.objects.filter(customer=customer, source_key=source_key).first()
    if found is not None:
        return found
    # One writer per customer at a time, so two events at once cannot both take the last place
    # the fatigue limit leaves.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    send_at = now + max(delay, timedelta(0))
    reason = (
        stored_text(gettext_noop("The survey %(name)s is archived."), name=template.name)
        if not template.is_active
        else _skip_reason(customer=customer, send_at=send_at, organisation=organisation)
    )
    invitation = Invitation(
        organisation=organisation,
        version=version,
        customer=customer,
        source_key=source_key,
        codes=list(codes or []),
        evaluated=evaluated,
        project=project,
        trigger=trigger,
        subject=subject[:200],
        context={
            "survey_name": template.name,
            "staff_name": evaluated.name if evaluated is not None else "",
            "project_name": project.name if project is not None else "",
        },
        status=Status.SKIPPED if reason else Status.SCHEDULED,
        send_at=send_at,
        skip_reason=reason[:300],
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        return Invitation.objects.get(customer=customer, source_key=source_key)
    if invitation.status == Status.SCHEDULED and send_at <= now:
        _send(invitation=invitation, template=template, now=now)
    return invitation


def _send(*, invitation: Invitation, template: SurveyTemplate, now: datetime) -> None:
    """Sign a link and hand the invitation to the outbox; record what became of it."""
    expires_at = now + timedelta(days=template.valid_days)
    link = links.make_link(
        customer_id=invitation.customer_id,
        action="survey",
        object_id=invitation.pk,
        ttl=expires_at - now,
        single_use=False,
    )
    zone = zone_of(invitation.organisation)
    result = notify(
        event=INVITATION_EVENT,
        organisation=invitation.organisation,
        source_key=f"survey:invitation:{invitation.pk}",
        customer=invitation.customer,
        context={
            "customer_name": invitation.customer.name,
            "survey_name": invitation.context.get("survey_name") or template.name,
            "subject": invitation.subject,
            "staff_name": invitation.context.get("staff_name", ""),
            "link": link,
            # The token alone, for SMS templates whose approved text holds the fixed address.
            "link_code": link.rstrip("/").rsplit("/", 1)[-1],
            "expires": date_format(timezone.localtime(expires_at, zone), "n月j日"),
        },
        now=now,
    )
    message = result.messages[0] if result.messages else None
    if message is None or message.status in (MessageStatus.SUPPRESSED, MessageStatus.CANCELLED):
        invitation.status = Status.SKIPPED
        if message is not None and message.error:
            invitation.skip_reason = message.error[:300]
        else:
            invitation.skip_reason = stored_text(gettext_noop("Survey invitations are switched off for this unit."))
        invitation.message = message
        invitation.save(update_fields=["status", "skip_reason", "message", "updated_at"])
        return
    invitation.status = Status.SENT
    invitation.sent_at = now
    invitation.expires_at = expires_at
    invitation.message = message
    invitation.save(update_fields=["status", "sent_at", "expires_at", "message", "updated_at"])


SEND_BATCH = 200


def send_due_invitations(now: datetime | None = None, *, batch: int = SEND_BATCH) -> dict[str, int]:
    """Send the delayed invitations whose time has come and close the ones past their expiry.
    Safe on many workers at once: each batch is claimed with SKIP LOCKED and re-checked."""
    now = now or timezone.now()
    sent = skipped = 0
    while True:
        with transaction.atomic():
            ids = list(
                Invitation.objects.select_for_update(skip_locked=True)
                .filter(status=Status.SCHEDULED, send_at__lte=now)
                .order_by("send_at", "pk")
                .values_list("pk", flat=True)[:batch]
            )
            rows = (
                Invitation.objects.filter(pk__in=ids, status=Status.SCHEDULED)
                .select_related("organisation", "customer", "version__template")
                .order_by("send_at", "pk")
            )
            for invitation in rows:
                _send(invitation=invitation, template=invitation.version.template, now=now)
                if invitation.status == Status.SENT:
                    sent += 1
                else:
                    skipped += 1
        if len(ids) < batch:
            break
    expired = Invitation.objects.filter(status__in=(Status.SENT, Status.OPENED), expires_at__lte=now).update(
        status=Status.EXPIRED, updated_at=now
    )
    return {"sent": sent, "skipped": skipped, "expired": expired}


def _nearest_trigger(*, event: str, organisation: OrgUnit) -> SurveyTrigger | None:
    return nearest(
        SurveyTrigger.objects.filter(event=event, is_active=True, template__is_active=True).select_related("template"),
        organisation,
    )


@transaction.atomic
def on_event(
    *,
    event: str,
    organisation: OrgUnit,
    customer: Customer,
    source_key: str,
    subject: str,
    evaluated: Membership | None = None,
    project: Project | None = None,
    now: datetime | None = None,
) -> Invitation | None:
    """Something a survey may follow happened (a ticket resolved, a signing, a handover). The
    nearest unit's active trigger for the event decides the survey and the delay; one event
    occurrence asks the customer once, whichever units above also have triggers."""
    trigger = _nearest_trigger(event=event, organisation=organisation)
    if trigger is None:
        return None
    return invite(
        template=trigger.template,
        customer=customer,
        source_key=source_key,
        organisation=organisation,
        subject=subject,
        evaluated=evaluated,
        project=project,
        delay=trigger.delay,
        trigger=trigger,
        now=now,
    )


@transaction.atomic
def mark_opened(*, invitation: Invitation, now: datetime | None = None) -> Invitation:
    """The customer opened the survey page (the first time counts)."""
    now = now or timezone.now()
    updated = Invitation.objects.filter(pk=invitation.pk, status=Status.SENT, opened_at__isnull=True).update(
        status=Status.OPENED, opened_at=now, updated_at=now
    )
    if updated:
        invitation.status, invitation.opened_at = Status.OPENED, now
    return invitation


# Answers ------------------------------------------------------------------------------------------


def _int(value: Any, *, question: Question, low: int, high: int, importance: bool = False) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    else:
        number = None
    if number is None or not low <= number <= high:
        if importance:
            text = _("%(code)s %(text)s: importance is a whole number from %(low)s to %(high)s.")
        else:
            text = _("%(code)s %(text)s: the score is a whole number from %(low)s to %(high)s.")
        message = text % {"code": question.code, "text": question.text, "low": low, "high": high}
        raise InvalidAnswer(message, field=question.code)
    return number


def _clean_answer(question: Question, raw: Any) -> dict[str, Any]:
    """The fields of one answer that the payload sets, validated against the question."""
    if not isinstance(raw, dict):
        raise InvalidAnswer(
            _("%(code)s %(text)s: the answer is not readable.") % {"code": question.code, "text": question.text},
            field=question.code,
        )
    cleaned: dict[str, Any] = {}
    low, high = _scale_bounds(question.type)
    if "score" in raw:
        if question.type not in (QType.SCALE5, QType.NPS, QType.IMPORTANCE_SATISFACTION):
            raise InvalidAnswer(
                _("%(code)s %(text)s takes no score.") % {"code": question.code, "text": question.text},
                field=question.code,
            )
        cleaned["score"] = _int(raw["score"], question=question, low=low, high=high)
    if "importance" in raw:
        if question.type != QType.IMPORTANCE_SATISFACTION:
            raise InvalidAnswer(
                _("%(code)s %(text)s takes no importance.") % {"code": question.code, "text": question.text},
                field=question.code,
            )
        cleaned["importance"] = _int(raw["importance"], question=question, low=1, high=5, importance=True)
    if "choice" in raw:
        choice = "" if raw["choice"] is None else str(raw["choice"]).strip()
        allowed = {str(c.get("value")) for c in question.options.get("choices", []) if isinstance(c, dict)}
        if question.type != QType.CHOICE or (choice and choice not in allowed):
            raise InvalidAnswer(
                _("%(code)s %(text)s: choose one of the options offered.")
                % {"code": question.code, "text": question.text},
                field=question.code,
            )
        cleaned["choice"] = choice
    if "text" in raw:
        text = "" if raw["text"] is None else str(raw["text"]).strip()
        if len(text) > MAX_TEXT:
            raise InvalidAnswer(
                _("%(code)s %(text)s: please keep the comment under %(max)s characters.")
                % {"code": question.code, "text": question.text, "max": MAX_TEXT},
                field=question.code,
            )
        cleaned["text"] = text
    return cleaned


def _answered(question: Question, values: dict[str, Any]) -> bool:
    if question.type in (QType.SCALE5, QType.NPS):
        return values.get("score") is not None
    if question.type == QType.IMPORTANCE_SATISFACTION:
        return values.get("score") is not None and values.get("importance") is not None
    if question.type == QType.CHOICE:
        return bool(values.get("choice"))
    return bool(values.get("text"))


ANSWER_FIELDS = ("score", "importance", "choice", "text")
_EMPTY: dict[str, Any] = {"score": None, "importance": None, "choice": "", "text": ""}


def _stored(answer: Answer | None) -> dict[str, Any]:
    if answer is None:
        return dict(_EMPTY)
    return {field: getattr(answer, field) for field in ANSWER_FIELDS}


@transaction.atomic
def answer(
    *,
    invitation: Invitation,
    answers: dict[str, dict[str, Any]],
    submit: bool,
    now: datetime | None = None,
) -> Response:
    """Save the customer's answers as they go (`submit=False`) or submit them. Replaying the
    same payload changes nothing; a survey is submitted once. `answers` maps question codes to
    {"score", "importance", "choice", "text"}; only the fields given are changed."""
    now = now or timezone.now()
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organisation", "customer", "version__template", "evaluated__unit")
        .get(pk=invitation.pk)
    )
    if invitation.status in (Status.SCHEDULED, Status.SKIPPED):
        raise SurveyNotOpen()
    questions = {q.code: q for q in invitation.version.questions.all() if invitation.asks(q.code)}
    cleaned: dict[str, dict[str, Any]] = {}
    for code, raw in answers.items():
        question = questions.get(str(code))
        if question is None:
            raise UnknownQuestion(code=code, field=str(code))
        cleaned[question.code] = _clean_answer(question, raw)

    response = Response.objects.filter(invitation=invitation).first()
    existing: dict[str, Answer] = {}
    if response is not None:
        existing = {a.question.code: a for a in response.answers.select_related("question")}
    changed = {
        code: values
        for code, values in cleaned.items()
        if any(_stored(existing.get(code))[f] != v for f, v in values.items())
    }
    if response is not None and response.submitted_at is not None:
        if changed:
            raise SurveyAlreadySubmitted()
        return response
    if invitation.status == Status.EXPIRED or (invitation.expires_at is not None and invitation.expires_at <= now):
        raise SurveyExpired()

    if response is None:
        response = Response.objects.create(invitation=invitation, started_at=now)
    for code, values in changed.items():
        row = existing.get(code)
        if row is None:
            existing[code] = Answer.objects.create(response=response, question=questions[code], **values)
        else:
            for field, value in values.items():
                setattr(row, field, value)
            row.save(update_fields=[*values, "updated_at"])
    if invitation.opened_at is None:
        invitation.opened_at = now
        invitation.status = Status.OPENED
        invitation.save(update_fields=["opened_at", "status", "updated_at"])
    if submit:
        _submit(invitation=invitation, response=response, questions=questions, answers=existing, now=now)
    return response


def _submit(
    *,
    invitation: Invitation,
    response: Response,
    questions: dict[str, Question],
    answers: dict[str, Answer],
    now: datetime,
) -> None:
    for question in sorted(questions.values(), key=lambda q: (q.order, q.pk)):
        if question.required and not _answered(question, _stored(answers.get(question.code))):
            raise MissingAnswer(code=question.code, text=question.text, field=question.code)
    response.submitted_at = now
    response.save(update_fields=["submitted_at", "updated_at"])
    invitation.status = Status.ANSWERED
    invitation.answered_at = now
    invitation.save(update_fields=["status", "answered_at", "updated_at"])
    template = invitation.version.template
    scores = {code: a.score for code, a in answers.items() if a.score is not None}
    timeline_record(
        customer=invitation.customer,
        kind=TIMELINE_PREFIX + "answered",
        summary=stored_text(
            gettext_noop("Answered the survey %(survey)s about %(subject)s"),
            survey=template.name,
            subject=invitation.subject,
        ),
        target=invitation,
        data={"survey": template.name, "version": invitation.version.number, "scores": scores},
        occurred_at=now,
    )
    open_intervention_if_needed(response=response, now=now)


# Interventions ------------------------------------------------------------------------------------


def low_scores(*, template: SurveyTemplate, answers: list[Answer]) -> list[dict[str, Any]]:
    """The answers that call for an intervention, and by which rule: a 3-PRO aspect below 良好,
    a CSAT at or below the template's threshold, an NPS detractor."""
    found = []
    for answer_row in sorted(answers, key=lambda a: (a.question.order, a.question.pk)):
        question, score = answer_row.question, answer_row.score
        if score is None:
            continue
        rule = ""
        if question.type == QType.NPS and score <= builtin.NPS_DETRACTOR_MAX:
            rule = "nps"
        elif question.type == QType.SCALE5 and template.kind == SurveyTemplate.Kind.THREE_PRO:
            rule = "three_pro" if score < builtin.THREE_PRO_GOOD else ""
        elif question.type == QType.SCALE5 and template.kind == SurveyTemplate.Kind.CSAT:
            rule = "csat" if score <= template.csat_threshold else ""
        if rule:
            label = str(question.options.get("labels", {}).get(str(score), score))
            found.append({"code": question.code, "text": question.text, "score": score, "label": label, "rule": rule})
    return found


def _working_day(schedule: Schedule) -> timedelta:
    """The working time of the schedule's longest day: "2 working days" is twice that, counted
    on the unit's calendar, so Friday 10:00 plus two days is Tuesday 10:00."""
    lengths = [
        sum(
            (datetime.combine(date.min, ends) - datetime.combine(date.min, starts) for starts, ends in periods),
            timedelta(0),
        )
        for periods in schedule.periods.values()
    ]
    return max(lengths, default=timedelta(hours=8)) or timedelta(hours=8)


def intervention_due_at(*, unit: OrgUnit, start: datetime) -> datetime:
    schedule = schedule_for(calendar_for(unit))
    days = fatigue_policy_for(unit).intervention_days
    return add_business_time(schedule, start, _working_day(schedule) * days)


def _intervention_link(intervention: Intervention) -> str:
    # The staff pages are added later; until they exist the message carries no link.
    try:
        return settings.KEFU_BASE_URL + reverse("surveys:intervention_detail", args=[intervention.pk])
    except NoReverseMatch:
        return ""


def _when(moment: datetime, unit: OrgUnit) -> str:
    return date_format(timezone.localtime(moment, zone_of(unit)), "n月j日 H:i")


def open_intervention_if_needed(*, response: Response, now: datetime | None = None) -> Intervention | None:
    """One intervention per response with a low score, assigned to the evaluated member's
    supervisor with a due time on the unit's business calendar; the assignee hears at once."""
    now = now or timezone.now()
    existing = Intervention.objects.filter(response=response).first()
    if existing is not None:
        return existing
    invitation = response.invitation
    template = invitation.version.template
    answers = list(response.answers.select_related("question"))
    low = low_scores(template=template, answers=answers)
    if not low:
        return None
    unit = invitation.organisation
    evaluated = invitation.evaluated
    assignee = supervisor_of(member=evaluated, unit=unit)
    reason_text = "；".join(
        stored_text(
            gettext_noop("%(code)s %(text)s: %(score)s (%(label)s)"), **{k: item[k] for k in item if k != "rule"}
        )
        for item in low
    )
    intervention = Intervention.objects.create(
        organisation=unit,
        invitation=invitation,
        response=response,
        evaluated=evaluated,
        assignee=assignee,
        reason=low,
        reason_text=reason_text[:500],
        due_at=intervention_due_at(unit=unit, start=now),
    )
    timeline_record(
        customer=invitation.customer,
        kind=TIMELINE_PREFIX + "intervention_opened",
        summary=stored_text(gettext_noop("Low evaluation followed up: %(reason)s"), reason=reason_text),
        target=intervention,
        data={"reason": low, "assignee": assignee.name if assignee is not None else ""},
        occurred_at=now,
    )
    if assignee is not None:
        link = _intervention_link(intervention)
        notify(
            event=INTERVENTION_EVENT,
            organisation=unit,
            source_key=f"survey:intervention:{intervention.pk}",
            membership=assignee,
            context={
                "customer_name": invitation.customer.name,
                "survey_name": template.name,
                "staff_name": evaluated.name if evaluated is not None else "—",
                "reason": reason_text,
                "due_at": _when(intervention.due_at, unit),
                "link": link,
            },
            url=link.removeprefix(settings.KEFU_BASE_URL),
            now=now,
        )
    else:
        logger.warning("intervention without an assignee", extra={"intervention": intervention.pk, "unit": unit.pk})
    return intervention


def _locked_intervention(intervention: Intervention, actor: Membership) -> Intervention:
    intervention = (
        Intervention.objects.select_for_update(of=("self",))
        .select_related("organisation", "invitation__customer")
        .get(pk=intervention.pk)
    )
    if intervention.assignee_id != actor.pk:
        ensure_can(actor, INTERVENE, intervention.organisation)
    if intervention.status == Intervention.Status.CLOSED:
        raise InterventionClosed()
    return intervention


def _record_step(
    *, intervention: Intervention, actor: Membership, action: str, summary: str, changes: dict[str, Any], at: datetime
) -> None:
    _audit(actor=actor, unit=intervention.organisation, action=action, obj=intervention, changes=changes)
    timeline_record(
        customer=intervention.invitation.customer,
        kind=TIMELINE_PREFIX + action,
        summary=summary,
        actor=actor,
        target=intervention,
        data={"status": intervention.status},
        occurred_at=at,
    )


def _required_text(value: str, field: str, message: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(message, field=field)
    return value


@transaction.atomic
def intervention_contact(
    *, actor: Membership, intervention: Intervention, note: str, contacted_at: datetime | None = None
) -> Intervention:
    """Record the contact with the client."""
    now = timezone.now()
    intervention = _locked_intervention(intervention, actor)
    note = _required_text(note, "contact_note", _("Write down what the client said."))
    old = intervention.status
    intervention.contact_note = note
    intervention.contacted_at = contacted_at or now
    if intervention.status == Intervention.Status.OPEN:
        intervention.status = Intervention.Status.CONTACTED
    intervention.save(update_fields=["contact_note", "contacted_at", "status", "updated_at"])
    _record_step(
        intervention=intervention,
        actor=actor,
        action="intervention_contact",
        summary=stored_text(gettext_noop("Client contacted about the low evaluation: %(note)s"), note=note),
        changes={"status": {"old": old, "new": intervention.status}},
        at=now,
    )
    return intervention


@transaction.atomic
def intervention_adjust(*, actor: Membership, intervention: Intervention, adjustment: str) -> Intervention:
    """Record what was adjusted: who does the work, or how."""
    now = timezone.now()
    intervention = _locked_intervention(intervention, actor)
    adjustment = _required_text(adjustment, "adjustment", _("Describe what was adjusted."))
    old = intervention.status
    intervention.adjustment = adjustment
    intervention.status = Intervention.Status.ADJUSTING
    intervention.save(update_fields=["adjustment", "status", "updated_at"])
    _record_step(
        intervention=intervention,
        actor=actor,
        action="intervention_adjust",
        summary=stored_text(
            gettext_noop("Service adjusted after the low evaluation: %(adjustment)s"), adjustment=adjustment
        ),
        changes={"status": {"old": old, "new": intervention.status}},
        at=now,
    )
    return intervention


@transaction.atomic
def intervention_close(*, actor: Membership, intervention: Intervention, outcome: str) -> Intervention:
    now = timezone.now()
    intervention = _locked_intervention(intervention, actor)
    outcome = _required_text(outcome, "outcome", _("Write down the outcome before closing."))
    old = intervention.status
    intervention.outcome = outcome
    intervention.status = Intervention.Status.CLOSED
    intervention.closed_at = now
    intervention.closed_by = actor.user
    intervention.save(update_fields=["outcome", "status", "closed_at", "closed_by", "updated_at"])
    _record_step(
        intervention=intervention,
        actor=actor,
        action="intervention_close",
        summary=stored_text(gettext_noop("Intervention closed: %(outcome)s"), outcome=outcome),
        changes={"status": {"old": old, "new": intervention.status}},
        at=now,
    )
    return intervention
