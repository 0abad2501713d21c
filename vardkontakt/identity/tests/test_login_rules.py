"""What happens after any e-ID provider has authenticated someone (identity/login.py).

The providers' own tests drive these through the real protocols; here the rules themselves are
tested with every kind of person, through a request as the provider views hand it over."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import timezone

from vardkontakt.conftest import Demo
from vardkontakt.identity.adapters import PersonRecord
from vardkontakt.identity.login import (
    STEP_UP_KEY,
    LoginRefused,
    begin_step_up,
    log_in_resident,
    log_in_staff,
    next_url,
    recently_authenticated,
)
from vardkontakt.identity.models import Guardianship, Resident, User
from vardkontakt.identity.session import AUTH_AT_KEY, METHOD_KEY, REALM_KEY, Realm
from vardkontakt.roles.actions import revoke_role
from vardkontakt.roles.models import Role, RoleGrant

ANNA, OSKAR, GOSTA = "198701022389", "201203052392", "194501103297"
NOT_IN_REGISTER = "195801082743"  # an official test number that the demo register does not know


def fresh_request() -> HttpRequest:
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.user = __import__("django.contrib.auth.models", fromlist=["AnonymousUser"]).AnonymousUser()
    return request


def logged_in_as(request: HttpRequest) -> User | None:
    return request.user if request.user.is_authenticated else None


def test_a_resident_in_the_register_is_logged_in(demo: Demo) -> None:
    request = fresh_request()
    resident = log_in_resident(request, "19870102-2389", "bankid")
    assert resident == demo.resident("anna")
    assert logged_in_as(request) == resident.user
    assert request.session[REALM_KEY] == Realm.RESIDENT
    assert request.session[METHOD_KEY] == "bankid"


def test_first_login_creates_the_resident_from_the_register(db: None) -> None:
    assert not Resident.objects.exists()
    request = fresh_request()
    resident = log_in_resident(request, ANNA, "freja")
    assert (resident.given_name, resident.family_name, resident.municipality_code) == (
        "Anna",
        "Andersson",
        "0184",
    )
    assert resident.consented_at is None  # the consent page comes next
    children = set(Guardianship.objects.filter(guardian=resident).values_list("child__given_name", flat=True))
    assert children == {"Elsa", "Leo", "Oskar"}


def test_each_login_refreshes_the_register_data(demo: Demo) -> None:
    anna = demo.resident("anna")
    Resident.objects.filter(pk=anna.pk).update(municipality_code="1280", family_name="Gammalt")
    Guardianship.objects.filter(guardian=anna, child=demo.resident("oskar")).delete()
    Guardianship.objects.create(guardian=anna, child=demo.resident("lars"))  # not in her custody
    log_in_resident(fresh_request(), ANNA, "bankid")
    anna.refresh_from_db()
    assert (anna.municipality_code, anna.family_name) == ("0184", "Andersson")
    children = set(Guardianship.objects.filter(guardian=anna).values_list("child__given_name", flat=True))
    assert children == {"Elsa", "Leo", "Oskar"}


def test_a_deceased_person_gets_an_inactive_account_and_no_session(db: None) -> None:
    request = fresh_request()
    with pytest.raises(LoginRefused) as refused:
        log_in_resident(request, GOSTA, "bankid")
    assert refused.value.code == "deceased"
    gosta = Resident.objects.by_personnummer(GOSTA)
    assert gosta is not None and gosta.deceased and not User.objects.get(pk=gosta.user_id).is_active
    assert logged_in_as(request) is None


@pytest.mark.parametrize("number", ["99123456", "SE-RES-123", "19870102238", "198701022388", ""])
def test_a_reserve_number_or_malformed_identity_cannot_log_in(db: None, number: str) -> None:
    request = fresh_request()
    with pytest.raises(LoginRefused) as refused:
        log_in_resident(request, number, "freja")
    assert refused.value.code == "not_personnummer"
    assert "reservnummer" in str(refused.value.message)
    assert logged_in_as(request) is None
    assert not Resident.objects.exists()


def test_a_person_the_register_does_not_know_cannot_log_in(db: None) -> None:
    with pytest.raises(LoginRefused) as refused:
        log_in_resident(fresh_request(), NOT_IN_REGISTER, "bankid")
    assert refused.value.code == "not_in_register"
    assert not Resident.objects.exists()


def test_a_locked_resident_cannot_log_in(demo: Demo) -> None:
    User.objects.filter(pk=demo.resident("lars").user_id).update(is_active=False)
    with pytest.raises(LoginRefused) as refused:
        log_in_resident(fresh_request(), "195801122655", "bankid")
    assert refused.value.code == "inactive"


def test_staff_with_a_role_are_logged_in(demo: Demo) -> None:
    request = fresh_request()
    staff = log_in_staff(request, demo.member("maria").hsa_id.lower(), "siths")
    assert staff == demo.member("maria")
    assert request.session[REALM_KEY] == Realm.STAFF


@pytest.mark.parametrize(
    "case", ["no role", "revoked", "ended", "future", "inactive", "unknown", "malformed"]
)
def test_staff_without_a_role_in_force_cannot_log_in(demo: Demo, case: str) -> None:
    maria = demo.member("maria")
    hsa_id = maria.hsa_id
    grant = RoleGrant.objects.get(staff=maria, role=Role.CASE_RECEIVER)
    now = timezone.now()
    if case == "no role":
        hsa_id = demo.member("nils").hsa_id
    elif case == "revoked":
        revoke_role(demo.member("lena"), grant.pk)
    elif case == "ended":
        RoleGrant.objects.filter(pk=grant.pk).update(
            valid_from=now - timedelta(days=9), valid_to=now - timedelta(days=1)
        )
    elif case == "future":
        RoleGrant.objects.filter(pk=grant.pk).update(valid_from=now + timedelta(days=1))
    elif case == "inactive":
        User.objects.filter(pk=maria.user_id).update(is_active=False)
    elif case == "unknown":
        hsa_id = "SE2321000016-ZZZZ"
    else:
        hsa_id = "not-an-hsa-id"
    request = fresh_request()
    with pytest.raises(LoginRefused):
        log_in_staff(request, hsa_id, "siths")
    assert logged_in_as(request) is None


def test_a_step_up_refreshes_the_authentication_of_the_same_person(demo: Demo) -> None:
    request = fresh_request()
    log_in_resident(request, ANNA, "bankid")
    session_key = request.session.session_key
    request.session[AUTH_AT_KEY] = int(time.time()) - 3600
    assert not recently_authenticated(request)
    begin_step_up(request, "/mina-sidor/installningar/aviseringar/")
    log_in_resident(request, ANNA, "bankid")
    assert recently_authenticated(request)
    assert request.session.session_key == session_key  # the same session, not a new login
    assert next_url(request, Realm.RESIDENT) == "/mina-sidor/installningar/aviseringar/"
    assert STEP_UP_KEY not in request.session


def test_a_step_up_by_another_person_is_refused(demo: Demo) -> None:
    request = fresh_request()
    log_in_resident(request, ANNA, "bankid")
    request.session[AUTH_AT_KEY] = int(time.time()) - 3600
    begin_step_up(request, "/mina-sidor/installningar/aviseringar/")
    with pytest.raises(LoginRefused) as refused:
        log_in_resident(request, "195801122655", "bankid")
    assert refused.value.code == "step_up_other_person"
    assert logged_in_as(request) == demo.resident("anna").user
    assert not recently_authenticated(request)


def test_next_url_never_leaves_the_site(demo: Demo) -> None:
    request = fresh_request()
    log_in_resident(request, ANNA, "bankid")
    begin_step_up(request, "https://evil.example/steal")
    assert next_url(request, Realm.RESIDENT) == "/mina-sidor/"
    assert next_url(request, Realm.STAFF) == "/vardpersonal/"


def test_person_record_children_outside_the_register_are_ignored(db: None) -> None:
    from vardkontakt.identity.register import update_from_register

    record = PersonRecord(ANNA, "Anna", "Andersson", "0184", children=(OSKAR, NOT_IN_REGISTER))
    resident = update_from_register(record)
    assert list(
        Guardianship.objects.filter(guardian=resident).values_list("child__given_name", flat=True)
    ) == ["Oskar"]
