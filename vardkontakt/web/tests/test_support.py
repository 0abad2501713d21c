"""The staff support page, and the region's support contacts that its region administrators keep.

A second region (Uppsala, with its own region administrator Ulla and account administrator Ulf) sits
next to the demo one, so that "another region" is tested too. Stockholm also has a revoked and an
expired account administrator, who must not be listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt import conftest
from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.conftest import Demo, OtherRegion, log_in_resident, log_in_staff
from vardkontakt.directory.models import Region
from vardkontakt.identity.models import Staff
from vardkontakt.identity.session import AUTH_AT_KEY
from vardkontakt.roles.actions import grant_role_by_operator
from vardkontakt.roles.models import Role, RoleGrant
from vardkontakt.web.actions import SUPPORT_TEXT_MAX

STOCKHOLM_TEXT = "Lokal IT-support: 08-123 00 00\nFörvaltning 1177: forvaltning@example.org"


@dataclass
class World:
    demo: Demo
    uppsala: Region
    people: dict[str, Staff]

    def client_for(self, persona: str) -> Client:
        client = Client()
        if persona.startswith("resident:"):
            return log_in_resident(client, self.demo.resident(persona.split(":")[1]))
        if persona == "nobody":
            return client
        return log_in_staff(client, self.people[persona])


def make_staff(hsa_suffix: str, given: str, family: str, title: str = "") -> Staff:
    return conftest.make_staff(f"SE2321000016-{hsa_suffix}", given, family, title)


@pytest.fixture
def world(demo: Demo, other_region: OtherRegion) -> World:
    stockholm = demo.region
    stockholm.support_text = STOCKHOLM_TEXT
    stockholm.save(update_fields=["support_text"])
    uppsala = other_region.region
    ulla = other_region.admin
    ulf = make_staff("U002", "Ulf", "Upp", "Kontoadministratör")
    grant_role_by_operator(ulf, Role.ACCOUNT_ADMIN, region=uppsala)
    kajsa = make_staff("K002", "Kajsa", "Återkallad")
    revoked = grant_role_by_operator(kajsa, Role.ACCOUNT_ADMIN, region=stockholm)
    RoleGrant.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    erik = make_staff("E002", "Erik", "Utgången")
    expired = grant_role_by_operator(erik, Role.ACCOUNT_ADMIN, region=stockholm)
    RoleGrant.objects.filter(pk=expired.pk).update(
        valid_from=timezone.now() - timedelta(days=30), valid_to=timezone.now() - timedelta(days=1)
    )
    people = {**demo.staff, "ulla": ulla, "ulf": ulf}
    return World(demo=demo, uppsala=uppsala, people=people)


def support_page(world: World, persona: str) -> str:
    response = world.client_for(persona).get(reverse("web:support"))
    assert response.status_code == 200
    return response.content.decode()


def section(body: str, start: str, end: str) -> str:
    begin = body.index(start)
    return body[begin : body.index(end, begin)]


def test_local_support_comes_first_then_the_region(world: World) -> None:
    body = support_page(world, "maria")

    local = section(body, ">Lokal support</h2>", "Support i Region Stockholm")
    assert "Vårdcentral Solna" in local
    assert "Lena Lind" in local and "SE2321000016-L001" in local and "Lokal administratör" in local
    assert "Bo Berglund" in local and "SE2321000016-B001" in local and "Behörighetsadministratör" in local
    assert local.index("Lena Lind") < local.index("Bo Berglund")  # local administrators first
    assert "Maria Malm" not in local  # a case receiver is not local support
    assert body.index(">Lokal support</h2>") < body.index("Support i Region Stockholm")


def test_the_region_shows_its_text_and_its_account_admins_in_force(world: World) -> None:
    body = support_page(world, "maria")

    region = section(body, "Support i Region Stockholm", "</main>")
    assert "Lokal IT-support: 08-123 00 00<br>Förvaltning 1177: forvaltning@example.org" in region
    assert "Karl Kvist" in region and "SE2321000016-K001" in region
    assert "Kajsa" not in region  # revoked
    assert "Erik" not in region  # expired
    assert "Region Uppsala" not in body and "Ulf" not in body  # another region


def test_a_revoked_account_admin_leaves_the_page_at_once(world: World) -> None:
    karl = RoleGrant.objects.get(staff=world.people["karl"], role=Role.ACCOUNT_ADMIN)
    RoleGrant.objects.filter(pk=karl.pk).update(revoked_at=timezone.now())

    body = support_page(world, "maria")

    assert "Karl Kvist" not in body
    assert "Regionen har ingen kontoadministratör just nu." in body


def test_a_clinic_without_local_administrators_points_to_the_region(world: World) -> None:
    body = support_page(world, "olle")  # the orthopaedic clinic has no local administrator

    assert "Ortopedmottagningen Danderyds sjukhus" in body
    assert "Mottagningen har ingen lokal administratör. Vänd dig till regionens support nedan." in body
    assert "Lokal IT-support: 08-123 00 00" in body


def test_a_region_role_has_no_local_support_but_its_region(world: World) -> None:
    body = support_page(world, "ulf")

    assert "Du har ingen roll på en mottagning." in body
    assert "Support i Region Uppsala" in body and "Uppsalas servicedesk" in body
    assert "Ulf Upp" in body
    assert "Region Stockholm" not in body


def test_platform_support_sees_every_region(world: World) -> None:
    body = support_page(world, "sam")

    assert "Support i Region Stockholm" in body and "Support i Region Uppsala" in body
    assert "Karl Kvist" in body and "Ulf Upp" in body


def test_the_support_text_is_shown_as_text(world: World) -> None:
    world.demo.region.support_text = '<script>alert("x")</script>'
    world.demo.region.save(update_fields=["support_text"])

    body = support_page(world, "maria")

    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body


def test_only_the_regions_own_administrator_sees_the_edit_link(world: World) -> None:
    stockholm = reverse("web:region_support", args=["01"])
    uppsala = reverse("web:region_support", args=["03"])

    assert stockholm in support_page(world, "rita")
    assert uppsala not in support_page(world, "rita")
    assert uppsala in support_page(world, "ulla")
    for persona in ("lena", "maria", "hans", "karl", "sam"):
        assert stockholm not in support_page(world, persona), persona


# Who may see the support page: every member of staff with a role; one without is logged out, a
# resident gets the other realm's 403, no session is sent to log in.
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("lena", 200),
        ("maria", 200),
        ("hans", 200),
        ("rita", 200),
        ("nils", 302),
        ("resident:anna", 403),
        ("nobody", 302),
    ],
)
def test_who_may_see_the_support_page(world: World, persona: str, status: int) -> None:
    assert world.client_for(persona).get(reverse("web:support")).status_code == status


# Editing a region's support text, written out by hand: only that region's REGION_ADMIN.
# Columns: GET and POST of Stockholm's (01) and Uppsala's (03) page. 302: to log in (no session, or a
# member with no role, whose session ends); 403: a member without the right, or the resident realm.
EDIT_MATRIX = """
persona        get01 post01 get03 post03
rita           200   302    403   403
ulla           403   403    200   302
lena           403   403    403   403
bo             403   403    403   403
maria          403   403    403   403
hans           403   403    403   403
vera           403   403    403   403
karl           403   403    403   403
ulf            403   403    403   403
sam            403   403    403   403
nils           302   302    302   302
resident:anna  403   403    403   403
nobody         302   302    302   302
"""


def _edit_cells() -> list[tuple[str, str, str, int]]:
    lines = [line.split() for line in EDIT_MATRIX.strip().splitlines()]
    header = lines[0][1:]
    return [
        (row[0], column[:-2], column[-2:], int(value))
        for row in lines[1:]
        for column, value in zip(header, row[1:], strict=True)
    ]


@pytest.mark.parametrize(("persona", "method", "code", "status"), _edit_cells())
def test_who_may_edit_a_regions_support_text(
    world: World, persona: str, method: str, code: str, status: int
) -> None:
    region = Region.objects.get(code=code)
    before = region.support_text
    client = world.client_for(persona)
    url = reverse("web:region_support", args=[code])

    response = client.get(url) if method == "get" else client.post(url, {"text": "Ny text"})

    assert response.status_code == status
    region.refresh_from_db()
    assert (region.support_text != before) == (
        method == "post" and persona in {"rita", "ulla"} and status == 302
    )
    if persona in {"nils", "nobody"}:
        assert response["Location"] == reverse("identity:staff_login")


def test_saving_the_support_text(world: World) -> None:
    client = world.client_for("rita")

    response = client.post(reverse("web:region_support", args=["01"]), {"text": "  Rad ett  \r\nRad två\r\n"})

    assert response.status_code == 302
    assert response["Location"] == reverse("web:support")
    assert Region.objects.get(code="01").support_text == "Rad ett\nRad två"
    entry = AccessLogEntry.objects.get(action="region.support_text")
    assert entry.actor_id == world.people["rita"].user_id
    assert entry.object_id == str(world.demo.region.pk)
    assert entry.acting_role == Role.REGION_ADMIN
    assert "Rad ett<br>Rad två" in client.get(reverse("web:support")).content.decode()


def test_the_edit_page_shows_the_current_text(world: World) -> None:
    body = world.client_for("rita").get(reverse("web:region_support", args=["01"])).content.decode()

    assert "Lokal IT-support: 08-123 00 00\nFörvaltning 1177: forvaltning@example.org</textarea>" in body


def test_a_text_that_is_too_long_is_refused_with_a_clear_error(world: World) -> None:
    response = world.client_for("rita").post(
        reverse("web:region_support", args=["01"]), {"text": "x" * (SUPPORT_TEXT_MAX + 1)}
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in body
    assert f"Texten får vara högst {SUPPORT_TEXT_MAX} tecken (nu {SUPPORT_TEXT_MAX + 1})." in body
    assert Region.objects.get(code="01").support_text == STOCKHOLM_TEXT
    assert not AccessLogEntry.objects.filter(action="region.support_text").exists()


def test_an_old_authentication_must_be_renewed_first(world: World) -> None:
    client = world.client_for("rita")
    session = client.session
    session[AUTH_AT_KEY] -= 3600
    session.save()

    response = client.post(reverse("web:region_support", args=["01"]), {"text": "Ny text"})

    assert response.status_code == 302
    assert response["Location"] == reverse("identity:step_up")
    assert Region.objects.get(code="01").support_text == STOCKHOLM_TEXT


def test_an_unknown_region_is_404(world: World) -> None:
    assert world.client_for("rita").get(reverse("web:region_support", args=["99"])).status_code == 404
