"""The role administration pages over HTTP: who may do what (an explicit table), step-up, revocation on
the next request, the fewer-than-two-local-administrators warning, and bad input.

Everything happens at Vårdcentral Solna. Personas: rita (region administrator of Stockholm), lena
(local administrator), bo (access administrator), vera (unit manager), maria (case receiver), hans
(case handler), otto (local administrator of the orthopaedic clinic: an outsider here). Tina holds
LOCAL_ADMIN at Solna too, so that Solna has two local administrators; Nils, without roles, is the one
who receives grants; Hedvig's CASE_HANDLER grant is the one revoked or given an end date.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.conftest import Demo, log_in_staff
from vardkontakt.identity.models import Staff
from vardkontakt.identity.session import AUTH_AT_KEY
from vardkontakt.roles.actions import grant_role_by_operator
from vardkontakt.roles.models import GrantEvent, Role, RoleGrant, RoleGrantEvent
from vardkontakt.roles.tests.conftest import make_staff

# Written out by hand from DESIGN.md §1 (who grants what) and the page rules: 200 the page, 302 done
# (redirect to the list), 400 the form refuses (the persona may use the page but not grant that role:
# the error says so), 403 the persona may not administer roles at Solna at all. Columns: list = GET
# the grants page; LA..UM = grant that role to Nils; rev = revoke Hedvig's CASE_HANDLER; end = give it
# a last day; rev_la = revoke Tina's LOCAL_ADMIN (confirmed).
MATRIX = """
persona  list LA  AA  CR  CH  LR  UM  rev end rev_la
lena     200  302 302 302 302 302 302 302 302 302
bo       200  400 400 302 302 400 400 302 302 403
rita     200  400 400 400 400 400 302 403 403 302
vera     403  403 403 403 403 403 403 403 403 403
maria    403  403 403 403 403 403 403 403 403 403
hans     403  403 403 403 403 403 403 403 403 403
otto     403  403 403 403 403 403 403 403 403 403
"""
COLUMNS = ("list", "LA", "AA", "CR", "CH", "LR", "UM", "rev", "end", "rev_la")
ROLE_OF = {
    "LA": Role.LOCAL_ADMIN,
    "AA": Role.ACCESS_ADMIN,
    "CR": Role.CASE_RECEIVER,
    "CH": Role.CASE_HANDLER,
    "LR": Role.LOG_REVIEWER,
    "UM": Role.UNIT_MANAGER,
}


def parse() -> list[tuple[str, str, int]]:
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    assert tuple(lines[0][1:]) == COLUMNS
    return [
        (row[0], column, int(code))
        for row in lines[1:]
        for column, code in zip(COLUMNS, row[1:], strict=True)
    ]


CELLS = parse()


@pytest.fixture
def people(demo: Demo) -> dict[str, Staff]:
    people = dict(demo.staff)
    people["otto"] = make_staff("O002", "Otto", "Ortoped")
    grant_role_by_operator(people["otto"], Role.LOCAL_ADMIN, unit=demo.unit("ortopeden"))
    people["tina"] = make_staff("T001", "Tina", "Target")
    grant_role_by_operator(people["tina"], Role.LOCAL_ADMIN, unit=demo.unit("solna"))
    return people


def today(days: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def grant_data(hsa_id: str, role: str, **extra: str) -> dict[str, str]:
    return {
        "hsa_id": hsa_id,
        "role": role,
        "valid_from": today(),
        "last_day": "",
        "reference": "BoR 2026-17",
        **extra,
    }


def urls(demo: Demo, people: dict[str, Staff]) -> dict[str, str]:
    solna = demo.unit("solna").pk
    hedvigs = RoleGrant.objects.get(staff=people["hedvig"], role=Role.CASE_HANDLER).pk
    tinas = RoleGrant.objects.get(staff=people["tina"], role=Role.LOCAL_ADMIN).pk
    return {
        "list": reverse("roles:grants", args=[solna]),
        "new": reverse("roles:grant_new", args=[solna]),
        "rev": reverse("roles:grant_revoke", args=[solna, hedvigs]),
        "end": reverse("roles:grant_end", args=[solna, hedvigs]),
        "rev_la": reverse("roles:grant_revoke", args=[solna, tinas]),
    }


def request(client: Client, column: str, at: dict[str, str], nils: Staff) -> int:
    if column == "list":
        return client.get(at["list"]).status_code
    if column in ROLE_OF:
        return client.post(at["new"], grant_data(nils.hsa_id, ROLE_OF[column])).status_code
    if column == "end":
        return client.post(at["end"], {"last_day": today(30)}).status_code
    return client.post(at[column], {"accept_fewer": "on"}).status_code


def test_the_table_covers_every_persona_and_action() -> None:
    assert {persona for persona, _, _ in CELLS} == {"lena", "bo", "rita", "vera", "maria", "hans", "otto"}
    assert len(CELLS) == 7 * len(COLUMNS)


@pytest.mark.parametrize(("persona", "column", "expected"), CELLS, ids=[f"{p}-{c}" for p, c, _ in CELLS])
def test_who_may_do_what_over_http(
    demo: Demo, people: dict[str, Staff], persona: str, column: str, expected: int
) -> None:
    at, nils = urls(demo, people), people["nils"]
    hedvigs = RoleGrant.objects.get(staff=people["hedvig"], role=Role.CASE_HANDLER)
    tinas = RoleGrant.objects.get(staff=people["tina"], role=Role.LOCAL_ADMIN)
    grants_before, log_before = RoleGrant.objects.count(), AccessLogEntry.objects.count()
    with transaction.atomic():
        status = request(log_in_staff(Client(), people[persona]), column, at, nils)
        changed = {
            "granted": RoleGrant.objects.filter(staff=nils).exists(),
            "revoked": RoleGrant.objects.filter(pk=hedvigs.pk, revoked_at__isnull=False).exists(),
            "ended": RoleGrant.objects.filter(pk=hedvigs.pk, valid_to__isnull=False).exists(),
            "revoked_la": RoleGrant.objects.filter(pk=tinas.pk, revoked_at__isnull=False).exists(),
        }
        transaction.set_rollback(True)
    assert status == expected
    done = status == 302
    # What the request changed, and only that: a refusal writes nothing.
    assert changed["granted"] == (done and column in ROLE_OF)
    assert changed["revoked"] == (done and column == "rev")
    assert changed["ended"] == (done and column == "end")
    assert changed["revoked_la"] == (done and column == "rev_la")
    assert (RoleGrant.objects.count(), AccessLogEntry.objects.count()) == (grants_before, log_before)


def test_a_grant_over_http_records_who_when_and_the_analysis(demo: Demo, people: dict[str, Staff]) -> None:
    client = log_in_staff(Client(), people["bo"])
    data = grant_data(
        people["nils"].hsa_id.lower(), Role.CASE_HANDLER, valid_from=today(1), last_day=today(10)
    )
    response = client.post(reverse("roles:grant_new", args=[demo.unit("solna").pk]), data)
    assert response.status_code == 302
    grant = RoleGrant.objects.get(staff=people["nils"])
    assert (grant.role, grant.unit, grant.granted_by, grant.reference) == (
        Role.CASE_HANDLER,
        demo.unit("solna"),
        people["bo"],
        "BoR 2026-17",
    )
    assert timezone.localtime(grant.valid_from).date() == timezone.localdate() + timedelta(days=1)
    assert grant.last_day == timezone.localdate() + timedelta(days=10)
    assert RoleGrantEvent.objects.filter(grant=grant, event=GrantEvent.GRANTED, actor=people["bo"]).exists()
    # The list shows it as coming, and the revoked ones as ended.
    page = client.get(response["Location"]).content.decode()
    assert "Nils Nord" in page and "Kommande" in page


def test_the_list_shows_grants_in_force_and_ended_ones(demo: Demo, people: dict[str, Staff]) -> None:
    client = log_in_staff(Client(), people["lena"])
    hedvigs = RoleGrant.objects.get(staff=people["hedvig"], role=Role.CASE_HANDLER)
    client.post(reverse("roles:grant_revoke", args=[demo.unit("solna").pk, hedvigs.pk]))
    page = client.get(reverse("roles:grants", args=[demo.unit("solna").pk])).content.decode()
    current, ended = page.split("Gällande och kommande behörigheter")[1].split("Avslutade behörigheter")
    assert "Hans Holm" in current and "Hedvig Hammar" not in current
    assert "Hedvig Hammar" in ended and "Borttagen" in ended and "Lena Lind" in ended
    # Another unit's grants are not listed.
    assert "Olle Ek" not in page


def test_the_pages_ask_for_a_recent_e_id_authentication(demo: Demo, people: dict[str, Staff]) -> None:
    client = log_in_staff(Client(), people["lena"])
    session = client.session
    session[AUTH_AT_KEY] = int(timezone.now().timestamp()) - 3600
    session.save()
    at = urls(demo, people)
    for url in (at["list"], at["new"], at["rev"]):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("identity:step_up")
    response = client.post(at["new"], grant_data(people["nils"].hsa_id, Role.CASE_HANDLER))
    assert response["Location"] == reverse("identity:step_up")
    assert not RoleGrant.objects.filter(staff=people["nils"]).exists()


def test_a_revocation_over_http_takes_effect_on_the_next_request(
    demo: Demo, people: dict[str, Staff]
) -> None:
    bo, solna = people["bo"], demo.unit("solna")
    grant_role_by_operator(bo, Role.CASE_HANDLER, unit=solna)  # Bo keeps a role, so keeps his session
    bos_client = log_in_staff(Client(), bo)
    assert bos_client.get(reverse("roles:grants", args=[solna.pk])).status_code == 200
    access_admin = RoleGrant.objects.get(staff=bo, role=Role.ACCESS_ADMIN)
    lenas = log_in_staff(Client(), people["lena"])
    assert lenas.post(reverse("roles:grant_revoke", args=[solna.pk, access_admin.pk])).status_code == 302
    assert bos_client.get(reverse("roles:grants", args=[solna.pk])).status_code == 403
    assert bos_client.get(reverse("web:staff_home")).status_code == 200
    # Hans, whose only role is revoked, is logged out on his next request.
    hans_client = log_in_staff(Client(), people["hans"])
    hans = RoleGrant.objects.get(staff=people["hans"], role=Role.CASE_HANDLER)
    assert lenas.post(reverse("roles:grant_revoke", args=[solna.pk, hans.pk])).status_code == 302
    response = hans_client.get(reverse("web:staff_home"))
    assert response.status_code == 302 and response["Location"] == reverse("identity:staff_login")


# --- Fewer than two local administrators ------------------------------------------------------------------


def test_revoking_a_local_admin_warns_and_asks_for_confirmation(demo: Demo, people: dict[str, Staff]) -> None:
    solna = demo.unit("solna")
    tinas = RoleGrant.objects.get(staff=people["tina"], role=Role.LOCAL_ADMIN)
    client = log_in_staff(Client(), people["lena"])
    url = reverse("roles:grant_revoke", args=[solna.pk, tinas.pk])
    page = client.get(url).content.decode()
    assert "govuk-warning-text" in page and "färre än två lokala administratörer" in page
    refused = client.post(url)
    assert refused.status_code == 400
    assert "Bekräfta att du vill fortsätta" in refused.content.decode()
    assert RoleGrant.objects.in_force().filter(pk=tinas.pk).exists()
    assert client.post(url, {"accept_fewer": "on"}).status_code == 302
    assert not RoleGrant.objects.in_force().filter(pk=tinas.pk).exists()
    # Now Lena is the only one left: the list warns, and she cannot remove herself.
    assert (
        "färre än två lokala administratörer"
        in client.get(reverse("roles:grants", args=[solna.pk])).content.decode()
    )
    lenas = RoleGrant.objects.get(staff=people["lena"], role=Role.LOCAL_ADMIN)
    last = client.post(reverse("roles:grant_revoke", args=[solna.pk, lenas.pk]), {"accept_fewer": "on"})
    assert last.status_code == 400
    assert "minst en lokal administratör" in last.content.decode()
    assert RoleGrant.objects.in_force().filter(pk=lenas.pk).exists()


def test_no_warning_when_two_local_admins_remain(demo: Demo, people: dict[str, Staff]) -> None:
    solna = demo.unit("solna")
    grant_role_by_operator(people["vera"], Role.LOCAL_ADMIN, unit=solna)  # three now
    tinas = RoleGrant.objects.get(staff=people["tina"], role=Role.LOCAL_ADMIN)
    client = log_in_staff(Client(), people["lena"])
    url = reverse("roles:grant_revoke", args=[solna.pk, tinas.pk])
    assert "govuk-warning-text" not in client.get(url).content.decode()
    assert client.post(url).status_code == 302


def test_an_end_date_that_leaves_fewer_than_two_asks_for_confirmation(
    demo: Demo, people: dict[str, Staff]
) -> None:
    solna = demo.unit("solna")
    tinas = RoleGrant.objects.get(staff=people["tina"], role=Role.LOCAL_ADMIN)
    client = log_in_staff(Client(), people["lena"])
    url = reverse("roles:grant_end", args=[solna.pk, tinas.pk])
    refused = client.post(url, {"last_day": today(30)})
    assert refused.status_code == 400 and "govuk-warning-text" in refused.content.decode()
    assert RoleGrant.objects.get(pk=tinas.pk).valid_to is None
    assert client.post(url, {"last_day": today(30), "accept_fewer": "on"}).status_code == 302
    tinas.refresh_from_db()
    assert tinas.last_day == timezone.localdate() + timedelta(days=30)
    assert RoleGrantEvent.objects.filter(grant=tinas, event=GrantEvent.END_SET, actor=people["lena"]).exists()
    # Lena's own end date would leave none on that day: refused, even confirmed.
    lenas = RoleGrant.objects.get(staff=people["lena"], role=Role.LOCAL_ADMIN)
    url = reverse("roles:grant_end", args=[solna.pk, lenas.pk])
    last = client.post(url, {"last_day": today(60), "accept_fewer": "on"})
    assert last.status_code == 400 and "minst en lokal administratör" in last.content.decode()
    assert RoleGrant.objects.get(pk=lenas.pk).valid_to is None


# --- Bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "fields", "message"),
    [
        ("lena", {"hsa_id": "SE123"}, "Ett HSA-id skrivs som SE, tio siffror"),
        ("lena", {"hsa_id": ""}, "Ange ett HSA-id."),
        ("lena", {"hsa_id": "SE2321000016-ZZ99"}, "Det finns ingen medarbetare med HSA-id SE2321000016-ZZ99"),
        ("lena", {"valid_from": "2020-01-01"}, "Startdatum kan inte vara bakåt i tiden"),
        ("lena", {"valid_from": "1 december"}, "Skriv datumet som år-månad-dag"),
        ("lena", {"valid_from": "@+5", "last_day": "@+2"}, "Sista dagen kan inte vara före startdatum."),
        ("lena", {"reference": "  "}, "Ange en referens till behovs- och riskanalysen."),
        ("lena", {"role": "SUPERUSER"}, "Välj en roll."),
        ("lena", {"role": Role.REGION_ADMIN}, "Välj en roll."),
        ("lena", {"hsa_id": "@hans"}, "Hans Holm har redan rollen Ärendehanterare här"),
        (
            "bo",
            {"hsa_id": "@bo", "role": Role.LOCAL_ADMIN},
            "Du kan inte ge dig själv en roll som du inte får dela ut.",
        ),
        ("bo", {"role": Role.LOCAL_ADMIN}, "Du får inte dela ut den här rollen här."),
        # A new colleague (names given) with a role Bo may not grant: refused, and no member is added.
        (
            "bo",
            {
                "hsa_id": "SE2321000016-NY01",
                "role": Role.UNIT_MANAGER,
                "given_name": "Ny",
                "family_name": "Person",
            },
            "Du får inte dela ut den här rollen här.",
        ),
        (
            "lena",
            {"hsa_id": "SE2321000016-NY01", "given_name": "Ny", "family_name": "Person", "reference": ""},
            "Ange en referens till behovs- och riskanalysen.",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_written(
    demo: Demo, people: dict[str, Staff], persona: str, fields: dict[str, str], message: str
) -> None:
    data = grant_data(people["nils"].hsa_id, Role.CASE_HANDLER)
    for name, value in fields.items():
        if value.startswith("@+"):
            value = today(int(value[2:]))
        elif value.startswith("@"):
            value = people[value[1:]].hsa_id
        data[name] = value
    counts = (RoleGrant.objects.count(), Staff.objects.count(), AccessLogEntry.objects.count())
    client = log_in_staff(Client(), people[persona])
    response = client.post(reverse("roles:grant_new", args=[demo.unit("solna").pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page and message in page
    assert (RoleGrant.objects.count(), Staff.objects.count(), AccessLogEntry.objects.count()) == counts


def test_a_never_seen_hsa_id_is_added_with_the_name_given(demo: Demo, people: dict[str, Staff]) -> None:
    client = log_in_staff(Client(), people["lena"])
    data = grant_data("se2321000016-ny01", Role.CASE_RECEIVER, given_name="Nora", family_name="Ny")
    response = client.post(reverse("roles:grant_new", args=[demo.unit("solna").pk]), data)
    assert response.status_code == 302
    nora = Staff.objects.get(hsa_id="SE2321000016-NY01")
    assert nora.full_name == "Nora Ny" and nora.user.is_staff_member
    assert RoleGrant.objects.in_force().filter(staff=nora, role=Role.CASE_RECEIVER).exists()


def test_an_unknown_unit_or_grant_is_not_found(demo: Demo, people: dict[str, Staff]) -> None:
    client = log_in_staff(Client(), people["lena"])
    solna = demo.unit("solna").pk
    assert client.get(reverse("roles:grants", args=["not-a-uuid"])).status_code == 404
    assert (
        client.get(reverse("roles:grants", args=["7b0c3a52-55c4-4a51-9a3e-8f5f0c0e6c11"])).status_code == 404
    )
    assert client.get(reverse("roles:grant_revoke", args=[solna, 987654321])).status_code == 404
    # Olle's grant is at another unit: not found through Solna's pages.
    olles = RoleGrant.objects.filter(staff=people["olle"]).first()
    assert olles is not None
    assert client.get(reverse("roles:grant_revoke", args=[solna, olles.pk])).status_code == 404
