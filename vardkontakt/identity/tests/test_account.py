"""The resident's own account: consent at first login, notification addresses behind a step-up."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.identity.login import STEP_UP_KEY
from vardkontakt.identity.models import Resident
from vardkontakt.identity.session import AUTH_AT_KEY

EDIT = reverse("identity:edit_notifications")


def age_authentication(client: Client, seconds: int) -> None:
    session = client.session
    session[AUTH_AT_KEY] = int(time.time()) - seconds
    session.save()


def test_first_login_asks_for_consent_before_anything_else(demo: Demo) -> None:
    client = log_in_resident(Client(), demo.resident("lars"), consented=False)
    response = client.get(reverse("web:resident_home"))
    assert response.status_code == 302 and response["Location"] == reverse("identity:consent")
    page = client.get(reverse("identity:consent")).content.decode()
    assert "Villkor för Vårdkontakt" in page


def test_consent_must_be_given_explicitly(demo: Demo) -> None:
    lars = demo.resident("lars")
    client = log_in_resident(Client(), lars, consented=False)
    response = client.post(reverse("identity:consent"), {})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Du behöver godkänna villkoren" in body
    assert 'href="#accept"' in body and 'id="accept"' in body  # the summary links to the checkbox
    assert Resident.objects.get(pk=lars.pk).consented_at is None
    response = client.post(reverse("identity:consent"), {"accept": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("web:resident_home")
    assert Resident.objects.get(pk=lars.pk).consented_at is not None
    assert client.get(reverse("web:resident_home")).status_code == 200


def test_staff_cannot_open_the_residents_account_pages(demo: Demo) -> None:
    client = log_in_staff(Client(), demo.member("maria"))
    for name in ("identity:consent", "identity:settings", "identity:edit_notifications"):
        assert client.get(reverse(name)).status_code == 403


def test_changing_notification_addresses_needs_a_recent_authentication(demo: Demo) -> None:
    anna = demo.resident("anna")
    client = log_in_resident(Client(), anna)
    age_authentication(client, 3600)
    response = client.get(EDIT)
    assert response.status_code == 302 and response["Location"] == reverse("identity:step_up")
    assert client.session[STEP_UP_KEY] == {"next": EDIT}
    page = client.get(reverse("identity:step_up")).content.decode()
    assert "Legitimera dig igen" in page and "BankID" in page
    # A POST with stale authentication saves nothing.
    response = client.post(EDIT, {"email": "anna@example.se", "mobile": ""})
    assert response.status_code == 302
    assert Resident.objects.get(pk=anna.pk).notify_email is None


def test_notification_addresses_are_saved_sealed_and_normalised(demo: Demo) -> None:
    anna = demo.resident("anna")
    client = log_in_resident(Client(), anna)
    response = client.post(EDIT, {"email": "anna@example.se", "mobile": "070-123 45 67"})
    assert response.status_code == 302 and response["Location"] == reverse("identity:settings")
    saved = Resident.objects.get(pk=anna.pk)
    assert (saved.notify_email, saved.notify_mobile) == ("anna@example.se", "+46701234567")
    assert saved.notify_email_sealed is not None
    assert b"anna@example.se" not in bytes(saved.notify_email_sealed)
    page = client.get(reverse("identity:settings")).content.decode()
    assert "anna@example.se" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "inte-en-adress", "mobile": ""}, "Ange en e-postadress i rätt format"),
        ({"email": "", "mobile": "12345"}, "Ange ett svenskt mobilnummer"),
        ({"email": "", "mobile": "+4712345678"}, "Ange ett svenskt mobilnummer"),
    ],
)
def test_bad_addresses_get_a_clear_error_and_nothing_is_saved(
    demo: Demo, data: dict[str, str], message: str
) -> None:
    anna = demo.resident("anna")
    client = log_in_resident(Client(), anna)
    response = client.post(EDIT, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and "govuk-error-summary" in body
    saved = Resident.objects.get(pk=anna.pk)
    assert saved.notify_email is None and saved.notify_mobile is None
