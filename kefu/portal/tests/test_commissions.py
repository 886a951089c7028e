"""The client's commission pages: the node push's link leads to the progress page, and a customer
sees only the commissions they are a contact of and only the deliverables shared with them."""

from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kefu.customers.tests.factories import CustomerFactory
from kefu.engagements.models import Commission
from kefu.engagements.services import deliverable_add, node_complete, plan_change
from kefu.engagements.tests.factories import client_with_mobile, commission_sms, open_commission
from kefu.orgs.models import OrgUnit
from kefu.orgs.tests.factories import OrgUnitFactory
from kefu.portal.links import make_link
from kefu.portal.tests.helpers import signed_in

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _pinned_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def consultancy(city: OrgUnit) -> OrgUnit:
    unit = OrgUnitFactory(name="华景咨询", code="consult", kind=OrgUnit.Kind.CONSULTANCY, parent=city)
    commission_sms(unit)
    return unit


@pytest.fixture
def commission(consultancy: OrgUnit) -> Commission:
    return open_commission(consultancy, client=client_with_mobile(consultancy, name="王总", mobile="13911112222"))


def _detail(commission: Commission) -> str:
    return reverse("portal:commission_detail", kwargs={"commission_id": commission.pk})


def _upload(commission: Commission, *, name: str, shared: bool):
    file = SimpleUploadedFile(f"{name}.pdf", b"%PDF-1.4 " + name.encode(), content_type="application/pdf")
    return deliverable_add(actor=commission.manager, commission=commission, file=file, name=name, is_shared=shared)


def test_the_node_link_leads_to_the_progress_page_without_its_token(commission):
    contact = commission.contacts.get()
    link = make_link(customer_id=contact.pk, action="commission", object_id=commission.pk, ttl=timedelta(days=30))
    token = urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]
    browser = Client()

    opened = browser.get(urlsplit(link).path)
    page = browser.get(opened["Location"])

    assert opened.status_code == 302
    assert opened["Location"] == _detail(commission)
    assert token not in opened["Location"]
    assert page.status_code == 200
    body = page.content.decode()
    assert "现场查勘" in body
    assert "前海湾住宅抵押评估" in body
    assert commission.manager.name in body


def test_the_progress_page_shows_done_nodes_the_plan_change_and_open_evaluations(commission):
    first, second, _third = commission.nodes.order_by("order")
    node_complete(actor=commission.manager, node=first, actual_on=date(2026, 11, 3))
    plan_change(
        actor=commission.manager, commission=commission, reason="限购政策调整", dates={second.pk: date(2026, 11, 30)}
    )
    contact = commission.contacts.get()
    evaluation = commission.evaluations.get(invitation__customer=contact)

    body = signed_in(contact).get(_detail(commission)).content.decode()

    assert "2026-11-03" in body
    assert "限购政策调整" in body
    assert "2026-11-30" in body
    assert "请提供产权证复印件" in body
    assert reverse("portal:survey", kwargs={"invitation_id": evaluation.invitation_id}) in body


def test_another_customers_commission_is_a_404(consultancy, commission):
    other = open_commission(
        consultancy, type_=commission.type, client=client_with_mobile(consultancy, name="李总", mobile="13933334444")
    )
    browser = signed_in(commission.contacts.get())

    own = browser.get(_detail(commission))
    theirs = browser.get(_detail(other))

    assert (own.status_code, theirs.status_code) == (200, 404)


def test_only_shared_deliverables_can_be_downloaded(commission):
    shared = _upload(commission, name="评估报告", shared=True)
    internal = _upload(commission, name="内部底稿", shared=False)
    browser = signed_in(commission.contacts.get())

    def file_url(deliverable):
        kwargs = {"commission_id": commission.pk, "deliverable_id": deliverable.pk}
        return reverse("portal:commission_file", kwargs=kwargs)

    page = browser.get(_detail(commission)).content.decode()
    got = browser.get(file_url(shared))
    hidden = browser.get(file_url(internal))

    assert "评估报告" in page
    assert "内部底稿" not in page
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == "%PDF-1.4 评估报告".encode()
    assert hidden.status_code == 404


def test_a_customer_who_is_not_a_contact_sees_nothing(consultancy, commission):
    _upload(commission, name="评估报告", shared=True)
    stranger = CustomerFactory(organisation=consultancy, name="路人甲", mobile="13955556666")
    browser = signed_in(stranger)

    listing = browser.get(reverse("portal:commission_list"))
    home = browser.get(reverse("portal:home"))
    detail = browser.get(_detail(commission))
    deliverable = commission.deliverables.get()
    download = browser.get(
        reverse("portal:commission_file", kwargs={"commission_id": commission.pk, "deliverable_id": deliverable.pk})
    )

    assert listing.status_code == 200
    assert list(listing.context["commissions"]) == []
    assert "前海湾住宅抵押评估" not in home.content.decode()
    assert (detail.status_code, download.status_code) == (404, 404)


def test_the_home_page_lists_the_customers_commissions(commission):
    body = signed_in(commission.contacts.get()).get(reverse("portal:home")).content.decode()

    assert "前海湾住宅抵押评估" in body
    assert reverse("portal:commission_list") in body
