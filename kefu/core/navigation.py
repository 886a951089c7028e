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
        _("Customer voice"),
        "ti-message-report",
        (
            NavItem(_("Tickets"), "tickets:ticket_list", "ti-list-details"),
            NavItem(_("Log a voice"), "tickets:ticket_create", "ti-message-plus"),
            NavItem(_("Supervision"), "tickets:queue", "ti-alarm"),
            NavItem(_("Daily complaint report"), "tickets:daily_report", "ti-report"),
            NavItem(_("Import tickets"), "tickets:import", "ti-file-spreadsheet"),
            NavItem(_("Teams"), "tickets:team_list", "ti-users-group"),
            NavItem(_("Assignment rules"), "tickets:rule_list", "ti-route"),
            NavItem(_("Canned replies"), "tickets:canned_reply_list", "ti-message-2"),
        ),
    ),
    NavSection(
        _("Surveys"),
        "ti-star-half-filled",
        (
            NavItem(_("Interventions"), "surveys:intervention_list", "ti-heart-handshake"),
            NavItem(_("3-PRO results"), "surveys:results", "ti-chart-dots"),
            NavItem(_("Response rates"), "surveys:rates", "ti-chart-bar"),
            NavItem(_("Survey templates"), "surveys:template_list", "ti-clipboard-list"),
            NavItem(_("Survey triggers"), "surveys:trigger_list", "ti-bolt"),
        ),
    ),
    NavSection(
        _("Commissions"),
        "ti-briefcase",
        (
            NavItem(_("Commissions"), "engagements:commission_list", "ti-briefcase"),
            NavItem(_("New commission"), "engagements:commission_create", "ti-file-plus"),
            NavItem(_("Follow-up tasks"), "engagements:task_list", "ti-checklist"),
            NavItem(_("Commission statistics"), "engagements:statistics", "ti-chart-histogram"),
            NavItem(_("Scorecard"), "engagements:scorecard", "ti-award"),
            NavItem(_("Commission types"), "engagements:type_list", "ti-template"),
        ),
    ),
    NavSection(
        _("Customers"),
        "ti-users-group",
        (
            NavItem(_("Customer ledger"), "customers:customer_list", "ti-address-book"),
            NavItem(_("Duplicates"), "customers:duplicate_list", "ti-copy"),
            NavItem(_("Grade rules"), "customers:graderule_list", "ti-stairs-up"),
            NavItem(_("Tags"), "customers:tag_list", "ti-tags"),
        ),
    ),
    NavSection(
        _("Service standards"),
        "ti-clock-check",
        (
            NavItem(_("SLA policies"), "standards:policy_list", "ti-list-check"),
            NavItem(_("Policy matcher"), "standards:policy_match", "ti-target-arrow"),
            NavItem(_("Business calendars"), "standards:calendar_list", "ti-calendar"),
            NavItem(_("Request categories"), "standards:category_list", "ti-category"),
        ),
    ),
    NavSection(
        _("Notifications"),
        "ti-bell",
        (
            NavItem(_("Delivery log"), "notifications:message_list", "ti-send"),
            NavItem(_("Message templates"), "notifications:template_list", "ti-template"),
            NavItem(_("Channel settings"), "notifications:channel_list", "ti-plug-connected"),
            NavItem(_("Delivery policy"), "notifications:policy", "ti-clock-pause"),
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
            NavItem(_("Audit log"), "audit:entry_list", "ti-file-search"),
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


def _matches(url: str, current_path: str) -> bool:
    return current_path == url if url == "/" else current_path.startswith(url)


def navigation_for(*, role_set: frozenset[str], current_path: str) -> list[tuple[NavSection, list[NavLink]]]:
    allowed = []
    for section in NAVIGATION:
        items = []
        for item in section.items:
            rule = rule_for(item.url_name)
            if rule is not None and roles_allowed(rule, role_set):
                items.append((item, reverse(item.url_name)))
        if items:
            allowed.append((section, items))
    # Only the most specific match is active: /customers/duplicates/ is "Duplicates", not also
    # the ledger at /customers/.
    matching = [url for _, items in allowed for _, url in items if _matches(url, current_path)]
    active_url = max(matching, key=len, default=None)
    return [
        (section, [NavLink(item.label, url, item.icon, url == active_url) for item, url in items])
        for section, items in allowed
    ]
