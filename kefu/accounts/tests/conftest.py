from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """A stopped clock on a Monday morning; tests move it with clock.shift(...)."""
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI), tick=False) as traveller:
        yield traveller


def sign_in(client: Client, username: str, password: str) -> HttpResponse:
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def is_signed_in(client: Client) -> bool:
    """Opens a page every staff member may see: 200 when signed in, a redirect to sign-in when not."""
    response = client.get(reverse("accounts:password_change"))
    if response.status_code == 302:
        assert response.url.startswith(reverse("accounts:login"))
        return False
    assert response.status_code == 200
    return True
