"""The staff navigation: one list, filtered per user by the URL access table."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kefu.core.access import roles_allowed, rule_for


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    icon: str


@dataclass(frozen=True)
class NavSection:
    label: str | Promise
    icon: str
    items: tuple[NavItem, ...]


NAVIGATION: tuple[NavSection, ...] = (
    NavSection(_("Workbench"), "ti-layout-dashboard", (NavItem(_("Workbench"), "workbench:home", "ti-home"),)),
    NavSection(
        _("Properties"),
        "ti-building",
        (
            NavItem(_("Projects"), "properties:project_list", "ti-building-community"),
            NavItem(_("Units"), "properties:unit_list", "ti-door"),
            NavItem(_("Common parts"), "properties:commonpart_list", "ti-stairs"),
            NavItem(_("Import"), "properties:import", "ti-file-spreadsheet"),
        ),
    ),
    NavSection(
        _("Organisation"),
        "ti-sitemap",
        (
            NavItem(_("Organisation tree"), "orgs:unit_list", "ti-hierarchy"),
            NavItem(_("Staff"), "orgs:staff_list", "ti-users"),
        ),
    ),
    NavSection(
        _("Security"),
        "ti-shield-lock",
        (
            NavItem(_("Sign-in log"), "accounts:security_events", "ti-list-check"),
            NavItem(_("Security policy"), "accounts:security_policy", "ti-lock"),
            NavItem(_("API documentation"), "api-docs", "ti-api"),
        ),
    ),
)


@dataclass(frozen=True)
class NavLink:
    label: str | Promise
    url: str
    icon: str
    active: bool


def navigation_for(*, role_set: frozenset[str], current_path: str) -> list[tuple[NavSection, list[NavLink]]]:
    sections = []
    for section in NAVIGATION:
        links = []
        for item in section.items:
            rule = rule_for(item.url_name)
            if rule is None or not roles_allowed(rule, role_set):
                continue
            url = reverse(item.url_name)
            active = current_path == url if url == "/" else current_path.startswith(url)
            links.append(NavLink(item.label, url, item.icon, active))
        if links:
            sections.append((section, links))
    return sections
