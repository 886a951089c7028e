"""The staff shell in headless Chromium (Debian's chromium, driven by Playwright)."""

import os
import shutil

import pytest

from kefu.core.roles import Role
from kefu.orgs.tests.factories import TEST_PASSWORD, MembershipFactory
from kefu.properties.tests.factories import BuildingFactory, ProjectFactory, UnitFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make system-deps)"),
]


@pytest.fixture
def browser_page():
    # Playwright's sync API keeps an event loop in this thread; Django's ORM calls made by the
    # test itself (fixtures) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _watch(page, live_server):
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"js: {e}"))
    page.on(
        "request",
        lambda r: not r.url.startswith(live_server.url) and not r.url.startswith("data:") and problems.append(r.url),
    )
    return problems


def test_staff_member_signs_in_and_sees_the_workbench_chart(browser_page, live_server, city):
    admin = MembershipFactory(unit=city, roles=(Role.ADMIN,), name="李四", username="lisi")
    building = BuildingFactory(project=ProjectFactory(organisation=city, name="H小区"))
    for n in range(3):
        UnitFactory(building=building, number=f"{n + 1}01")
    page = browser_page.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    problems = _watch(page, live_server)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", admin.user.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".kefu-chart canvas")

    assert "李四" in page.inner_text(".page-title")
    assert problems == []


def test_login_page_fits_a_phone_screen(browser_page, live_server):
    page = browser_page.new_page(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)

    page.goto(f"{live_server.url}/accounts/login/")
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")

    assert overflow <= 0
