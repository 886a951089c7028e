import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ],
)
def test_page_response_carries_security_header(agent, client_for, header, expected):
    response = client_for(agent).get(reverse("accounts:password_change"))

    assert response[header] == expected


def test_page_response_carries_a_content_security_policy_without_inline_scripts(agent, client_for):
    response = client_for(agent).get(reverse("accounts:password_change"))

    directives = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
