"""Canary personal data: a customer with a distinctive mobile and ID number is driven through the
main flows (create, search, view, reveal, failed edits, API, export, erase) with every logger at
DEBUG and standard output and error captured. None of the raw numbers may come out anywhere but
the pages that show them on purpose, and the audit log holds them masked only.

The log records are captured before the masking filter of the console handler touches them:
the filter is a last guard, not a licence to log raw numbers.
"""

import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.urls import NoReverseMatch, reverse

from kefu.audit.models import AuditEntry
from kefu.core.roles import Role
from kefu.customers.models import ContactMethod, Customer
from kefu.properties.tests.factories import BuildingFactory, ProjectFactory, UnitFactory

CANARY_NAME = "金丝雀测试人"
CANARY_MOBILE = "13900001234"
CANARY_ID = "110105199001011232"
# Every raw spelling: as typed, as stored (E.164 digits), as the reveal shows it, the ID number.
RAW_FORMS = (CANARY_MOBILE, f"86{CANARY_MOBILE}", "139 0000 1234", CANARY_ID)
WRONG_CHECK_DIGIT_ID = CANARY_ID[:-1] + "3"


def _optional_url(name: str, **kwargs: object) -> str | None:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


@dataclass
class Run:
    customer: Customer
    statuses: dict[str, int]


@pytest.fixture
def console_to_capsys(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Point the configured console handlers at the captured stderr, so the output checked is
    the output an operator reads (formatted, after the masking filter)."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler) and h.name == "console"]
    assert handlers, "the LOGGING console handler is gone: point this fixture at its replacement"
    previous = [h.stream for h in handlers]
    for handler in handlers:
        handler.stream = sys.stderr
    yield
    # Put back without flushing: capsys has closed its stream by now.
    for handler, stream in zip(handlers, previous, strict=True):
        handler.stream = stream


@pytest.fixture
def raw_records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog at DEBUG on the root and on every logger configured so far, its handler first so
    it sees each record before any filter rewrites it."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    root = logging.getLogger()
    root.removeHandler(caplog.handler)
    root.handlers.insert(0, caplog.handler)
    return caplog


def _drive_main_flows(admin, city, client_for, api_client_for) -> Run:
    page: Client = client_for(admin)
    statuses: dict[str, int] = {}
    project = ProjectFactory(organisation=city)
    building = BuildingFactory(project=project)
    unit = UnitFactory(building=building)

    statuses["create"] = page.post(
        reverse("customers:customer_create"),
        {"kind": Customer.Kind.PERSON, "organisation": city.pk, "name": CANARY_NAME, "mobile": CANARY_MOBILE},
    ).status_code
    customer = Customer.objects.get(name=CANARY_NAME)
    contact = customer.contacts.get(kind=ContactMethod.Kind.MOBILE)
    detail = reverse("customers:customer_detail", kwargs={"customer_id": customer.pk})

    for q in (CANARY_MOBILE, CANARY_MOBILE[-4:], "金丝雀", f"+86 {CANARY_MOBILE}"):
        statuses[f"search {q}"] = page.get(reverse("customers:customer_list"), {"q": q}).status_code
    statuses["view"] = page.get(detail).status_code

    id_url = reverse("customers:id_number_set", kwargs={"customer_id": customer.pk})
    statuses["id wrong check digit"] = page.post(
        id_url, {"id_number": WRONG_CHECK_DIGIT_ID, "consent_method": "paper"}
    ).status_code
    statuses["id set"] = page.post(id_url, {"id_number": CANARY_ID, "consent_method": "paper"}).status_code
    statuses["search id"] = page.get(reverse("customers:customer_list"), {"q": CANARY_ID}).status_code
    statuses["view with id"] = page.get(detail).status_code

    statuses["reveal id"] = page.post(reverse("customers:reveal_id", kwargs={"customer_id": customer.pk})).status_code
    statuses["reveal mobile"] = page.post(
        reverse("customers:reveal_contact", kwargs={"contact_id": contact.pk})
    ).status_code

    statuses["duplicate mobile"] = page.post(
        reverse("customers:contact_add", kwargs={"customer_id": customer.pk}),
        {"kind": ContactMethod.Kind.MOBILE, "value": CANARY_MOBILE},
    ).status_code
    statuses["bad household dates"] = page.post(
        reverse("customers:household_add", kwargs={"customer_id": customer.pk}),
        {
            "project": project.pk,
            "building": building.pk,
            "unit": unit.pk,
            "role": "owner",
            "signed_on": "2025-06-01",
            "delivered_on": "2025-05-01",
        },
    ).status_code

    api_list = _optional_url("api:customer_list")
    if api_list is not None:
        api = api_client_for(admin)
        statuses["api search"] = api.get(api_list, {"q": CANARY_MOBILE}).status_code
        statuses["api detail"] = api.get(
            reverse("api:customer_detail", kwargs={"customer_id": customer.pk})
        ).status_code
        statuses["api bad create"] = api.post(
            api_list,
            {"name": CANARY_NAME, "mobile": CANARY_MOBILE, "id_number": WRONG_CHECK_DIGIT_ID},
            format="json",
        ).status_code

    ledger_export = _optional_url("customers:export")
    if ledger_export is not None:
        statuses["ledger export"] = page.get(ledger_export, {"download": "1", "q": CANARY_MOBILE}).status_code
    statuses["copy of the data"] = page.get(
        reverse("customers:privacy_export", kwargs={"customer_id": customer.pk})
    ).status_code

    statuses["erase"] = page.post(
        reverse("customers:privacy_erase", kwargs={"customer_id": customer.pk}),
        {"reason": f"本人书面申请, 手机 {CANARY_MOBILE}", "confirm": "on"},
    ).status_code
    statuses["view erased"] = page.get(detail).status_code
    customer.refresh_from_db()
    return Run(customer=customer, statuses=statuses)


@pytest.fixture
def canary_admin(city, make_staff):
    return make_staff(city, Role.ADMIN, name="金丝雀管理员")


def test_canary_flows_run_to_the_end(canary_admin, city, client_for, api_client_for):
    run = _drive_main_flows(canary_admin, city, client_for, api_client_for)

    steps = ("create", "id wrong check digit", "id set", "reveal id", "reveal mobile", "bad household dates", "erase")
    assert {step: run.statuses[step] for step in steps} == {
        "create": 302,
        "id wrong check digit": 200,  # the form again, with the error
        "id set": 302,
        "reveal id": 200,
        "reveal mobile": 200,
        "bad household dates": 200,  # the form again, with the error
        "erase": 302,
    }
    assert run.customer.is_anonymised
    assert not run.customer.households.exists()


def test_canary_personal_data_never_reaches_the_logs(canary_admin, city, client_for, api_client_for, raw_records):
    _drive_main_flows(canary_admin, city, client_for, api_client_for)

    assert raw_records.records, "nothing was logged: the capture is not working"
    assert [raw for raw in RAW_FORMS if raw in raw_records.text] == []


def test_canary_personal_data_never_reaches_standard_output_or_error(
    canary_admin, city, client_for, api_client_for, capsys, console_to_capsys
):
    _drive_main_flows(canary_admin, city, client_for, api_client_for)

    captured = capsys.readouterr()
    assert [raw for raw in RAW_FORMS if raw in captured.out + captured.err] == []


def test_canary_personal_data_is_masked_in_the_audit_log(canary_admin, city, client_for, api_client_for):
    _drive_main_flows(canary_admin, city, client_for, api_client_for)

    entries = list(AuditEntry.objects.values("object_label", "changes", "note", "actor_name"))
    text = DjangoJSONEncoder(ensure_ascii=False).encode(entries)
    assert [raw for raw in RAW_FORMS if raw in text] == []
    assert "139****1234" in text
