"""A revoked or expired role stops working on the member's next request, not at their next login."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.conftest import Demo, log_in_staff
from vardkontakt.roles.actions import grant_role, revoke_role
from vardkontakt.roles.models import Role, RoleGrant

STAFF_HOME = reverse("web:staff_home")
STAFF_LOGIN = reverse("identity:staff_login")


def test_revoking_the_last_role_ends_the_staff_session_on_the_next_request(demo: Demo) -> None:
    hans = demo.member("hans")
    client = log_in_staff(Client(), hans)
    assert client.get(STAFF_HOME).status_code == 200
    grant = RoleGrant.objects.get(staff=hans, role=Role.CASE_HANDLER)
    revoke_role(demo.member("lena"), grant.pk)

    response = client.get(STAFF_HOME)
    assert response.status_code == 302
    assert response["Location"] == STAFF_LOGIN
    assert "_auth_user_id" not in client.session
    follow = client.get(response["Location"], follow=True)
    assert "Du har inte längre någon behörighet i Vårdkontakt" in follow.content.decode()
    # Logged out for good: the next visit is anonymous.
    assert client.get(STAFF_HOME)["Location"] == STAFF_LOGIN


def test_a_role_whose_period_ends_stops_working_on_the_next_request(demo: Demo) -> None:
    maria = demo.member("maria")
    client = log_in_staff(Client(), maria)
    assert client.get(STAFF_HOME).status_code == 200
    now = timezone.now()
    RoleGrant.objects.filter(staff=maria).update(
        valid_from=now - timedelta(days=10), valid_to=now - timedelta(seconds=1)
    )
    response = client.get(STAFF_HOME)
    assert response.status_code == 302 and response["Location"] == STAFF_LOGIN
    assert "_auth_user_id" not in client.session


def test_revoking_one_of_two_roles_removes_it_from_the_next_page(demo: Demo) -> None:
    olle = demo.member("olle")
    client = log_in_staff(Client(), olle)
    page = client.get(STAFF_HOME).content.decode()
    assert "Ärendemottagare" in page and "Ärendehanterare" in page
    grant = RoleGrant.objects.get(staff=olle, role=Role.CASE_RECEIVER)
    # Olle's clinic has no local administrator; the region administrator appoints one, who revokes.
    lena = demo.member("lena")
    grant_role(demo.member("rita"), lena, Role.LOCAL_ADMIN, unit=demo.unit("ortopeden"), reference="BoR 9")
    revoke_role(lena, grant.pk)

    response = client.get(STAFF_HOME)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ärendemottagare" not in page
    assert "Ärendehanterare" in page
