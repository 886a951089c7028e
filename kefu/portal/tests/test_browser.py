"""The portal at phone size in headless Chromium (Debian's chromium, driven by Playwright):
from a signed link to the home page, the requests and the forms, with screenshots to look at."""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from kefu.customers.models import Household
from kefu.portal.services import link_create
from kefu.portal.tests.helpers import resident
from kefu.tickets.services import ticket_reply, ticket_resolve
from kefu.tickets.tests.factories import TicketFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
SHOTS = Path(tempfile.gettempdir()) / "portal-shots"
PHONE = {"width": 375, "height": 812}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make system-deps)"),
]


@pytest.fixture
def browser():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def audit_rows_cleared(live_server):
    """The live server's database is emptied after the test, but the customers made here wrote
    audit entries, whose append-only triggers refuse SQLite's DELETE: take the rows out first,
    with the triggers briefly lifted, the way kefu/audit/tests does."""
    yield
    if connection.vendor != "sqlite":
        return
    append_only = importlib.import_module("kefu.audit.migrations.0002_append_only")
    with connection.cursor() as cursor:
        for statement in append_only.SQLITE_REVERSE:
            cursor.execute(statement)
        cursor.execute("DELETE FROM audit_auditentry")
        for statement in append_only.SQLITE:
            cursor.execute(statement)


def _phone(browser, live_server):
    page = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"js: {e}"))
    page.on("request", lambda r: not r.url.startswith(live_server.url) and problems.append(r.url))
    return page, problems


def _overflow(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_signin_page_fits_a_phone(browser, live_server):
    page, problems = _phone(browser, live_server)

    page.goto(f"{live_server.url}/m/signin/")
    _shot(page, "01-signin")

    assert _overflow(page) <= 0
    assert page.locator("input[name=mobile]").is_visible()
    assert problems == []


def test_a_customer_follows_a_link_and_reads_their_requests_on_a_phone(
    browser, live_server, audit_rows_cleared, city, agent
):
    customer = resident(city, name="王先生", mobile="13812345678")
    unit = Household.objects.get(customer=customer).unit
    ticket = TicketFactory(actor=agent, customer=customer, unit=unit, title="卫生间天花板漏水")
    ticket_reply(actor=agent, ticket=ticket, body="维修师傅明天上午十点上门检查。")
    ticket_resolve(actor=agent, ticket=ticket, resolution="已修复楼上防水层，请观察三天。")
    TicketFactory(actor=agent, customer=customer, unit=unit, title="电梯噪音大")
    token = link_create(customer_id=customer.pk, action="request", object_id=ticket.pk, ttl=timedelta(days=1))
    page, problems = _phone(browser, live_server)

    page.goto(f"{live_server.url}/m/l/{token}/")
    assert page.url == f"{live_server.url}/m/requests/{ticket.pk}/"
    _shot(page, "02-request-detail")
    detail_overflow = _overflow(page)
    page.goto(f"{live_server.url}/m/")
    _shot(page, "03-home")
    home_overflow = _overflow(page)
    page.goto(f"{live_server.url}/m/requests/")
    _shot(page, "04-requests")
    list_overflow = _overflow(page)
    page.goto(f"{live_server.url}/m/requests/new/")
    _shot(page, "05-new-request")
    form_overflow = _overflow(page)

    assert [detail_overflow, home_overflow, list_overflow, form_overflow] == [0, 0, 0, 0]
    assert token not in page.url
    assert problems == []


def test_a_customer_answers_a_survey_from_its_link_on_a_phone(browser, live_server, audit_rows_cleared, city):
    from kefu.customers.models import Consent
    from kefu.customers.services import consent_grant
    from kefu.notifications.tests.helpers import approved_template, configure
    from kefu.surveys.models import Invitation
    from kefu.surveys.tests.factories import sent_invitation

    configure(city, "sms", {"sign_name": "华景物业"}, access_key_secret="s")
    approved_template(
        city, "survey.invitation", "sms", code="SMS_SURVEY", params={"subject": "{subject}"}, body="{subject}{link}"
    )
    customer = resident(city, name="王先生", mobile="13812345678")
    consent_grant(actor=None, customer=customer, purpose=Consent.Purpose.SURVEY, method=Consent.Method.PAPER)
    invitation = sent_invitation(city, customer=customer)
    token = link_create(customer_id=customer.pk, action="survey", object_id=invitation.pk, ttl=timedelta(days=1))
    page, problems = _phone(browser, live_server)

    page.goto(f"{live_server.url}/m/l/{token}/")
    _shot(page, "06-survey-screen-1")
    overflow = _overflow(page)
    for step in range(3):
        for radio in page.locator("fieldset.pt-question").all():
            radio.locator("label.pt-chip").first.click()
        if step == 1:
            _shot(page, "07-survey-screen-2-answered")
        page.locator("button[value=next]").click()
        page.wait_for_load_state()
    _shot(page, "08-survey-thanks")

    invitation.refresh_from_db()
    assert overflow <= 0
    assert invitation.status == Invitation.Status.ANSWERED
    assert page.locator(".pt-thanks").is_visible()
    assert problems == []


def test_a_client_follows_a_node_link_to_the_commission_progress_on_a_phone(
    browser, live_server, audit_rows_cleared, city
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from kefu.core.roles import Role
    from kefu.engagements.services import deliverable_add, node_complete, plan_change
    from kefu.engagements.tests.factories import client_with_mobile, commission_sms, open_commission
    from kefu.orgs.models import OrgUnit
    from kefu.orgs.tests.factories import MembershipFactory, OrgUnitFactory

    today = timezone.localdate()
    consultancy = OrgUnitFactory(name="华景咨询", code="consult", kind=OrgUnit.Kind.CONSULTANCY, parent=city)
    commission_sms(consultancy)
    manager = MembershipFactory(unit=consultancy, roles=(Role.ENGAGEMENT_MANAGER,), name="周明", mobile="13700001111")
    commission = open_commission(
        consultancy, manager=manager, client=client_with_mobile(consultancy, name="王总"), starts_on=today
    )
    first, second, _third = commission.nodes.order_by("order")
    node_complete(actor=manager, node=first, actual_on=today)
    plan_change(
        actor=manager,
        commission=commission,
        reason="受限购政策调整影响，需补充同片区近三个月成交案例。",
        dates={second.pk: second.planned_on + timedelta(days=2)},
    )
    report = SimpleUploadedFile("核心诉求确认书.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    deliverable_add(actor=manager, commission=commission, file=report, name="核心诉求确认书")
    contact = commission.contacts.get()
    token = link_create(customer_id=contact.pk, action="commission", object_id=commission.pk, ttl=timedelta(days=1))
    page, problems = _phone(browser, live_server)

    page.goto(f"{live_server.url}/m/l/{token}/")
    _shot(page, "09-commission-progress")
    overflow = _overflow(page)

    assert page.url == f"{live_server.url}/m/commissions/{commission.pk}/"
    assert token not in page.url
    assert overflow <= 0
    assert page.get_by_text("现场查勘").first.is_visible()
    assert problems == []
