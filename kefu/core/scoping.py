"""The one place that turns (viewer, model) into the rows that viewer may see.

A viewer sees the rows of their organisation unit and of every unit below it. Units store a
materialised path ("0001.0004.0012."), so "this unit and everything below it" is one indexed
prefix query; the scoped query filters on `organisation_id IN (that subquery)`, which keeps
every list a single SQL statement whatever the depth of the tree.
"""

from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from kefu.orgs.models import OrgUnit

M = TypeVar("M", bound=models.Model)


class Viewer(Protocol):
    """What scoping needs of a viewer: the unit they belong to (a Membership has it)."""

    @property
    def unit(self) -> "OrgUnit": ...


def _unit_model() -> type[models.Model]:
    return apps.get_model("orgs", "OrgUnit")


def subtree_units(unit: "OrgUnit") -> models.QuerySet[Any]:
    """The unit and all its descendants, as a queryset of OrgUnit."""
    return _unit_model()._default_manager.filter(path__startswith=unit.path)


def ancestor_paths(path: str) -> list[str]:
    """The paths of a unit and of every unit above it: "000001.000004." → ["000001.", "000001.000004."].

    What a unit inherits (calendars, policies, categories, teams) is looked up with these."""
    parts = [p for p in path.split(".") if p]
    return [".".join(parts[: i + 1]) + "." for i in range(len(parts))]


def ancestor_ids(unit: "OrgUnit") -> list[int]:
    """The ids of `unit` and of every unit above it, root first, read off its path (no query)."""
    return [int(segment) for segment in unit.path.split(".") if segment]


def nearest(rows: models.QuerySet[M], unit: "OrgUnit") -> M | None:
    """The row of `unit` or of its nearest ancestor among `rows`: what a unit inherits down the
    tree (calendars, policies, triggers, weights, built-in surveys)."""
    return rows.filter(organisation_id__in=ancestor_ids(unit)).order_by("-organisation__depth", "pk").first()


def visible_to_unit(model: type[M], unit: "OrgUnit") -> models.QuerySet[M]:
    """Rows of `model` owned by `unit` or a descendant; for system jobs acting for a unit."""
    manager = model._default_manager
    if model is _unit_model():
        return manager.filter(path__startswith=unit.path)
    field = getattr(model, "scope_field", None)
    if not field:
        raise ImproperlyConfigured(f"{model.__name__} declares no scope_field")
    unit_ids = subtree_units(unit).values("pk")
    return manager.filter(**{f"{field}__in": unit_ids})


def visible(model: type[M], viewer: Viewer) -> models.QuerySet[M]:
    """Rows of `model` that `viewer` may see. Every user-triggered query starts here."""
    return visible_to_unit(model, viewer.unit)


def get_visible_or_404(model: type[M], viewer: Viewer, **lookup: Any) -> M:
    """One visible row; a row of another unit raises the same 404 as a missing one."""
    return one_or_404(visible(model, viewer), **lookup)


def one_or_404(queryset: models.QuerySet[M], **lookup: Any) -> M:
    """One row of an already scoped queryset (a selector's), or the uniform 404."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc
