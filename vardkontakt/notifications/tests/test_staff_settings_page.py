"""The staff settings page: one's own notification preferences only, sealed at rest."""

from __future__ import annotations

import time

from django.test import Client
from django.urls import reverse

from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.identity.session import AUTH_AT_KEY
from vardkontakt.notifications.actions import set_staff_preferences
from vardkontakt.notifications.models import StaffNotificationPreference

URL = "/vardpersonal/aviseringar/"


def test_the_url() -> None:
    assert reverse("notifications:staff_settings") == URL


def test_defaults_are_off(demo: Demo) -> None:
    client = log_in_staff(Client(), demo.member("hans"))
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Aviseringar" in page and " checked" not in page


def test_saving_own_preferences_seals_the_addresses(demo: Demo) -> None:
    hans = demo.member("hans")
    client = log_in_staff(Client(), hans)
    response = client.post(
        URL,
        {"email": "hans.holm@vard.example", "mobile": "070-987 65 43", "on_assignment": "on"},
    )
    assert response.status_code == 302 and response["Location"] == URL
    saved = StaffNotificationPreference.objects.get(staff=hans)
    assert (saved.email, saved.mobile) == ("hans.holm@vard.example", "+46709876543")
    assert (saved.on_new_case, saved.on_assignment) == (False, True)
    assert b"hans.holm" not in bytes(saved.email_sealed or b"")
    assert b"709876543" not in bytes(saved.mobile_sealed or b"")
    page = client.get(URL).content.decode()
    assert "hans.holm@vard.example" in page


def test_only_ones_own_preferences_are_shown_or_changed(demo: Demo) -> None:
    set_staff_preferences(
        demo.member("maria"),
        email="maria.secret@vard.example",
        mobile="",
        on_new_case=True,
        on_assignment=False,
    )
    client = log_in_staff(Client(), demo.member("hans"))
    page = client.get(URL).content.decode()
    assert "maria.secret" not in page
    # There is no way to name someone else: a posted staff id is ignored.
    client.post(URL, {"email": "x@vard.example", "staff": str(demo.member("maria").pk)})
    maria = StaffNotificationPreference.objects.get(staff=demo.member("maria"))
    assert maria.email == "maria.secret@vard.example" and maria.on_new_case
    assert StaffNotificationPreference.objects.get(staff=demo.member("hans")).email == "x@vard.example"


def test_opting_in_without_an_address_is_refused(demo: Demo) -> None:
    client = log_in_staff(Client(), demo.member("hans"))
    response = client.post(URL, {"on_new_case": "on"})
    assert response.status_code == 400
    assert "Ange en e-postadress eller ett mobilnummer" in response.content.decode()
    assert not StaffNotificationPreference.objects.exists()


def test_bad_mobile_is_refused(demo: Demo) -> None:
    client = log_in_staff(Client(), demo.member("hans"))
    response = client.post(URL, {"mobile": "12"})
    assert response.status_code == 400


def test_residents_and_anonymous_visitors_get_no_page(demo: Demo) -> None:
    assert Client().get(URL).status_code == 302
    resident = log_in_resident(Client(), demo.resident("anna"))
    assert resident.get(URL).status_code == 403


def test_an_old_login_must_authenticate_again(demo: Demo) -> None:
    client = log_in_staff(Client(), demo.member("hans"))
    session = client.session
    session[AUTH_AT_KEY] = int(time.time()) - 3600
    session.save()
    response = client.post(URL, {"email": "late@vard.example"})
    assert response.status_code == 302 and response["Location"] == reverse("identity:step_up")
    assert not StaffNotificationPreference.objects.exists()
