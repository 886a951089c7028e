"""Read queries for projects, buildings, units and common parts. All start from scoping."""

from django.db.models import Count, Q, QuerySet

from kefu.core.scoping import visible
from kefu.orgs.models import Membership
from kefu.properties.models import Building, CommonPart, Project, Unit


def property_totals(*, viewer: Membership) -> dict[str, int]:
    return {
        "projects": visible(Project, viewer).count(),
        "buildings": visible(Building, viewer).count(),
        "units": visible(Unit, viewer).count(),
        "common_parts": visible(CommonPart, viewer).count(),
    }


def units_by_project(*, viewer: Membership) -> QuerySet[Project]:
    """Projects with their unit counts per delivery standard, for the workbench chart."""
    standards = Unit.DeliveryStandard
    return (
        visible(Project, viewer)
        .annotate(
            shell=Count("units", filter=Q(units__delivery_standard=standards.SHELL)),
            basic=Count("units", filter=Q(units__delivery_standard=standards.BASIC)),
            fitted=Count("units", filter=Q(units__delivery_standard=standards.FITTED)),
        )
        .order_by("name", "id")
    )
