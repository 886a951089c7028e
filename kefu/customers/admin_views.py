"""Staff pages that look after the ledger as a whole: likely duplicates and merging them, the
grade rules, and tags. Selectors read, services write; another unit's row is a 404."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.forms import StyledForm
from kefu.core.pages import add_service_error as _add_error
from kefu.core.permissions import in_scope
from kefu.customers import grading, merge, selectors
from kefu.customers.errors import CustomerAnonymised, CustomerMerged, MergeWithItself
from kefu.customers.forms import OrgUnitChoiceField
from kefu.customers.models import Customer, Grade, GradeRule
from kefu.orgs.models import Membership
from kefu.orgs.selectors import unit_choices

PAGE_SIZE = 50


class PageRequest(HttpRequest):
    membership: Membership


# Forms: shape only, the services apply the rules.


class MergeForm(StyledForm):
    note = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Why these are the same customer; it is kept in the audit log."),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I have checked that both records are the same customer. A merge cannot be undone."),
    )


class GradeRuleForm(StyledForm):
    organisation = OrgUnitChoiceField(label=gettext_lazy("Organisation unit"), queryset=None)
    grade = forms.ChoiceField(label=gettext_lazy("Grade"), choices=Grade.choices)
    priority = forms.IntegerField(
        label=gettext_lazy("Priority"),
        min_value=0,
        max_value=grading.MAX_PRIORITY,
        initial=10,
        help_text=gettext_lazy("Rules are tried from the lowest number up; the first one the scores meet decides."),
    )
    min_contribution = forms.IntegerField(
        label=gettext_lazy("Minimum contribution"), min_value=0, max_value=grading.MAX_SCORE, initial=0
    )
    min_influence = forms.IntegerField(
        label=gettext_lazy("Minimum influence"), min_value=0, max_value=grading.MAX_SCORE, initial=0
    )
    min_potential = forms.IntegerField(
        label=gettext_lazy("Minimum potential"), min_value=0, max_value=grading.MAX_SCORE, initial=0
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: Any, organisations: Any = None, base_depth: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organisations is None:
            del self.fields["organisation"]  # a rule stays with its unit once made
        else:
            self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
            self.fields["organisation"].base_depth = base_depth  # type: ignore[attr-defined]


class TagForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Tag"), max_length=grading.TAG_MAX_LENGTH)


# Duplicates and merge


def duplicate_list(request: PageRequest) -> HttpResponse:
    groups = merge.duplicate_groups(viewer=request.membership)
    context = {"page_obj": Paginator(groups, PAGE_SIZE).get_page(request.GET.get("page"))}
    return TemplateResponse(request, "customers/duplicate_list.html", context)


def _merge_blocker(target: Customer, source: Customer) -> str | None:
    """Why this pair cannot be merged, said before anyone fills in the form."""
    if target.pk == source.pk:
        return MergeWithItself().message
    for customer in (target, source):
        if customer.merged_into_id:
            return CustomerMerged(name=customer.name).message
        if customer.is_anonymised:
            return CustomerAnonymised().message
    return None


def _merge_page(request: PageRequest, *, target: Customer, source: Customer, form: MergeForm) -> HttpResponse:
    viewer = request.membership
    context = {
        "target": merge.merge_side(viewer=viewer, customer=target),
        "source": merge.merge_side(viewer=viewer, customer=source),
        "form": form,
        "blocker": _merge_blocker(target, source),
    }
    return TemplateResponse(request, "customers/merge_compare.html", context)


def merge_compare(request: PageRequest, target_id: int, source_id: int) -> HttpResponse:
    viewer = request.membership
    target = selectors.customer_get(viewer=viewer, customer_id=target_id)
    source = selectors.customer_get(viewer=viewer, customer_id=source_id)
    return _merge_page(request, target=target, source=source, form=MergeForm())


@require_POST
def customer_merge(request: PageRequest, target_id: int, source_id: int) -> HttpResponse:
    viewer = request.membership
    target = selectors.customer_get(viewer=viewer, customer_id=target_id)
    source = selectors.customer_get(viewer=viewer, customer_id=source_id)
    form = MergeForm(request.POST)
    if form.is_valid():
        try:
            merge.customer_merge(actor=viewer, target=target, source=source, note=form.cleaned_data["note"])
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(
                request,
                _("%(source)s has been merged into %(target)s.") % {"source": source.name, "target": target.name},
            )
            return redirect("customers:customer_detail", customer_id=target.pk)
    return _merge_page(request, target=target, source=source, form=form)


# Grade rules


def graderule_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    page_obj = Paginator(grading.graderule_list(viewer=viewer), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = grading.grade_counts(viewer=viewer)
    context = {
        "page_obj": page_obj,
        "editable": {rule.pk for rule in page_obj if in_scope(viewer, rule.organisation)},
        "grade_counts": [(label, counts[value]) for value, label in Grade.choices],
        "ungraded_count": counts[""],
    }
    return TemplateResponse(request, "customers/graderule_list.html", context)


def _graderule_form(request: PageRequest, rule: GradeRule | None) -> GradeRuleForm:
    viewer = request.membership
    if rule is None:
        return GradeRuleForm(
            request.POST or None,
            organisations=unit_choices(viewer=viewer),
            base_depth=viewer.unit.depth,
            initial={"organisation": viewer.unit},
        )
    initial = {name: getattr(rule, name) for name in GradeRuleForm.base_fields if name != "organisation"}
    return GradeRuleForm(request.POST or None, initial=initial)


def graderule_create(request: PageRequest) -> HttpResponse:
    form = _graderule_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = grading.graderule_create(actor=request.membership, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Grade rule %(rule)s has been created.") % {"rule": rule})
            return redirect("customers:graderule_list")
    return TemplateResponse(request, "customers/graderule_form.html", {"form": form, "rule": None})


def graderule_edit(request: PageRequest, graderule_id: int) -> HttpResponse:
    rule = grading.graderule_get(viewer=request.membership, graderule_id=graderule_id)
    form = _graderule_form(request, rule)
    if request.method == "POST" and form.is_valid():
        try:
            rule = grading.graderule_update(actor=request.membership, rule=rule, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Grade rule %(rule)s has been saved.") % {"rule": rule})
            return redirect("customers:graderule_list")
    return TemplateResponse(request, "customers/graderule_form.html", {"form": form, "rule": rule})


@require_POST
def graderule_delete(request: PageRequest, graderule_id: int) -> HttpResponse:
    rule = grading.graderule_get(viewer=request.membership, graderule_id=graderule_id)
    label = str(rule)
    try:
        grading.graderule_delete(actor=request.membership, rule=rule)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Grade rule %(rule)s has been deleted.") % {"rule": label})
    return redirect("customers:graderule_list")


@require_POST
def graderule_apply(request: PageRequest) -> HttpResponse:
    try:
        result = grading.graderule_apply(actor=request.membership)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(checked)s customers graded by the rules; %(changed)s changed grade.")
            % {"checked": result.checked, "changed": result.changed},
        )
    return redirect("customers:graderule_list")


# Tags


def _tag_page(request: PageRequest, form: TagForm) -> HttpResponse:
    viewer = request.membership
    page_obj = Paginator(grading.tag_list(viewer=viewer), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "editable": {tag.pk for tag in page_obj if in_scope(viewer, tag.organisation)},
        "form": form,
    }
    return TemplateResponse(request, "customers/tag_list.html", context)


def tag_list(request: PageRequest) -> HttpResponse:
    return _tag_page(request, TagForm())


@require_POST
def tag_create(request: PageRequest) -> HttpResponse:
    form = TagForm(request.POST)
    if form.is_valid():
        try:
            tag = grading.tag_create(
                actor=request.membership, organisation=request.membership.unit, name=form.cleaned_data["name"]
            )
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Tag %(name)s has been created.") % {"name": tag.name})
            return redirect("customers:tag_list")
    return _tag_page(request, form)


def tag_rename(request: PageRequest, tag_id: int) -> HttpResponse:
    tag = grading.tag_get(viewer=request.membership, tag_id=tag_id)
    form = TagForm(request.POST or None, initial={"name": tag.name})
    if request.method == "POST" and form.is_valid():
        old = tag.name
        try:
            tag = grading.tag_rename(actor=request.membership, tag=tag, name=form.cleaned_data["name"])
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Tag %(old)s is now called %(new)s.") % {"old": old, "new": tag.name})
            return redirect("customers:tag_list")
    return TemplateResponse(request, "customers/tag_form.html", {"form": form, "tag": tag})


@require_POST
def tag_delete(request: PageRequest, tag_id: int) -> HttpResponse:
    tag = grading.tag_get(viewer=request.membership, tag_id=tag_id)
    name = tag.name
    try:
        grading.tag_delete(actor=request.membership, tag=tag)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Tag %(name)s has been deleted.") % {"name": name})
    return redirect("customers:tag_list")


@require_POST
def customer_tag_add(request: PageRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(viewer=request.membership, customer_id=customer_id)
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("name", [])))
        return redirect("customers:customer_detail", customer_id=customer.pk)
    try:
        tag = grading.customer_tag_add(actor=request.membership, customer=customer, name=form.cleaned_data["name"])
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Tag %(name)s added.") % {"name": tag.name})
    return redirect("customers:customer_detail", customer_id=customer.pk)


@require_POST
def customer_tag_remove(request: PageRequest, customer_id: int, tag_id: int) -> HttpResponse:
    customer = selectors.customer_get(viewer=request.membership, customer_id=customer_id)
    tag = grading.customer_tag_get(customer=customer, tag_id=tag_id)
    try:
        grading.customer_tag_remove(actor=request.membership, customer=customer, tag=tag)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Tag %(name)s removed.") % {"name": tag.name})
    return redirect("customers:customer_detail", customer_id=customer.pk)
