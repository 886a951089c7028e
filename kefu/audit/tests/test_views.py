import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.audit.tests.test_services import _triggers_disabled
from kefu.core.roles import Role
from kefu.customers.models import Household
from kefu.customers.services import customer_update
from kefu.customers.tests.factories import CustomerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _entry(unit, *, action=AuditEntry.Action.UPDATE, object_type="customers.customer", object_id=1, **kw):
    with transaction.atomic():
        return audit_record(
            actor=None, organisation=unit, action=action, object_type=object_type, object_id=object_id, **kw
        )


def _panel(response) -> dict[str, str]:
    """The verification result the panel carries in its data attributes."""
    match = re.search(r'<div class="card h-100" id="verify-panel"([^>]*)>', response.content.decode())
    assert match, "the verification panel is missing"
    return dict(re.findall(r'data-chain-([a-z-]+)="([^"]*)"', match[1]))


def _listed(client, **params):
    response = client.get(reverse("audit:entry_list"), params)
    assert response.status_code == 200
    return [row["entry"] for row in response.context["rows"]]


def test_audit_entry_list_shows_the_entries_of_the_admins_unit(admin, city, client_for):
    entry = _entry(city, object_label="张三")

    assert _listed(client_for(admin)) == [entry]


def test_audit_entry_list_hides_the_entries_of_another_unit(admin, other_city, client_for):
    _entry(other_city, object_label="赵六")

    assert _listed(client_for(admin)) == []


def test_audit_entry_list_refuses_a_non_admin(city, make_staff, client_for):
    supervisor = make_staff(city, Role.SUPERVISOR)

    assert client_for(supervisor).get(reverse("audit:entry_list")).status_code == 403


def test_audit_entry_list_filters_by_action(admin, city, client_for):
    _entry(city, action=AuditEntry.Action.UPDATE)
    reveal = _entry(city, action=AuditEntry.Action.REVEAL)

    assert _listed(client_for(admin), action="reveal") == [reveal]


def test_audit_entry_list_filters_by_record_type(admin, city, client_for):
    _entry(city, object_type="customers.customer")
    household = _entry(city, object_type="customers.household")

    assert _listed(client_for(admin), object_type="customers.household") == [household]


def test_audit_entry_list_filters_by_who_did_it(admin, agent, city, client_for):
    customer = CustomerFactory(organisation=city, name="王芳")
    customer_update(actor=agent, customer=customer, name="王芳芳")
    by_agent = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)

    assert _listed(client_for(admin), actor=agent.name) == [by_agent]


def test_audit_entry_list_finds_entries_by_customer_name(admin, city, client_for):
    _entry(city, object_label="张三")
    wanted = _entry(city, object_label="李雷 · 手机")

    assert _listed(client_for(admin), q="李雷") == [wanted]


def test_audit_entry_list_finds_entries_by_record_number(admin, city, client_for):
    _entry(city, object_id=7)
    wanted = _entry(city, object_id=42)

    assert _listed(client_for(admin), q="42") == [wanted]


def test_audit_entry_list_filters_by_date_range(admin, city, client_for):
    with time_machine.travel(datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI), tick=False):
        _entry(city)
    with time_machine.travel(datetime(2026, 3, 2, 0, 30, tzinfo=SHANGHAI), tick=False):
        wanted = _entry(city)
    with time_machine.travel(datetime(2026, 3, 3, 0, 0, tzinfo=SHANGHAI), tick=False):
        _entry(city)

    assert _listed(client_for(admin), since="2026-03-02", until="2026-03-02") == [wanted]


def test_audit_entry_list_shows_the_masked_changes(admin, city, client_for):
    _entry(city, changes={"mobile": {"old": "138****5678", "new": "139****1234"}})

    response = client_for(admin).get(reverse("audit:entry_list"))

    [change] = response.context["rows"][0]["changes"]
    assert (change.old, change.new) == ("138****5678", "139****1234")
    assert "138****5678" in response.content.decode()


def test_audit_entry_list_shows_choice_values_and_fields_by_their_labels(admin, city, client_for):
    _entry(city, object_type="customers.household", changes={"role": {"old": None, "new": "owner"}})

    response = client_for(admin).get(reverse("audit:entry_list"))

    [change] = response.context["rows"][0]["changes"]
    assert (change.field, change.old, change.new) == (
        Household._meta.get_field("role").verbose_name,
        "—",
        str(Household.Role.OWNER.label),
    )


def test_audit_entry_list_costs_the_same_queries_for_more_rows(admin, city, client_for, django_assert_num_queries):
    client = client_for(admin)
    for i in range(3):
        _entry(city, object_id=i, changes={"name": {"old": "a", "new": "b"}})
    client.get(reverse("audit:entry_list"))  # the first request of a session writes it
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("audit:entry_list"))
    for i in range(3, 10):
        _entry(city, object_id=i, changes={"name": {"old": "a", "new": "b"}}, object_type=f"customers.t{i}")

    with django_assert_num_queries(len(three.captured_queries)):
        client.get(reverse("audit:entry_list"))


def test_audit_entry_list_htmx_request_renders_only_the_rows(admin, city, client_for):
    _entry(city)

    response = client_for(admin).get(reverse("audit:entry_list"), headers={"HX-Request": "true"})

    assert b"<table" in response.content
    assert b"<html" not in response.content
    assert b"verify-panel" not in response.content


def test_audit_verify_panel_reports_an_intact_chain(admin, city, client_for):
    _entry(city)
    _entry(city)

    response = client_for(admin).post(reverse("audit:verify"), headers={"HX-Request": "true"})

    assert _panel(response) == {"status": "intact", "checked": "2", "broken-at": "", "started-after": "0"}


def test_audit_verify_panel_names_the_first_broken_entry(admin, city, client_for):
    for _ in range(3):
        _entry(city)
    with _triggers_disabled():
        AuditEntry.objects.filter(sequence=2).update(object_label="改过")

    response = client_for(admin).post(reverse("audit:verify"), headers={"HX-Request": "true"})

    assert _panel(response)["broken-at"] == "2"


def test_audit_verify_panel_starts_after_archived_entries(admin, city, client_for):
    for _ in range(3):
        _entry(city)
    with _triggers_disabled():
        AuditEntry.objects.filter(sequence=1).delete()

    response = client_for(admin).post(reverse("audit:verify"), headers={"HX-Request": "true"})

    assert _panel(response) == {"status": "intact", "checked": "2", "broken-at": "", "started-after": "1"}


def test_audit_verify_without_htmx_redirects_with_the_result(admin, city, client_for):
    _entry(city)

    response = client_for(admin).post(reverse("audit:verify"), follow=True)

    assert [m.level_tag for m in response.context["messages"]] == ["success"]


def test_audit_verify_refuses_a_non_admin(agent, client_for):
    assert client_for(agent).post(reverse("audit:verify")).status_code == 403


@pytest.mark.parametrize("role", [Role.ADMIN])
def test_navigation_shows_the_audit_log_to_admins(role, city, make_staff, client_for):
    member = make_staff(city, role)

    response = client_for(member).get(reverse("workbench:home"))

    assert reverse("audit:entry_list") in response.content.decode()


def test_navigation_hides_the_audit_log_from_other_roles(city, make_staff, client_for):
    supervisor = make_staff(city, Role.SUPERVISOR)

    response = client_for(supervisor).get(reverse("workbench:home"))

    assert reverse("audit:entry_list") not in response.content.decode()
