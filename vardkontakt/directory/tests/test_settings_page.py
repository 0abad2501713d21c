"""The clinic's administration hub and settings pages: who may change what (an explicit table), the
service area's validation, the access-log row per change, and how the staff notification defaults
apply to members who have not made their own choices.

Personas as in roles/tests/test_admin_pages.py, all at Vårdcentral Solna: rita (region administrator),
lena (local administrator), bo (access administrator), vera (unit manager), maria (case receiver),
hans (case handler), otto (local administrator of the orthopaedic clinic: an outsider here).
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.conftest import Demo, log_in_staff
from vardkontakt.directory.models import Unit
from vardkontakt.identity.models import Staff
from vardkontakt.identity.session import AUTH_AT_KEY
from vardkontakt.notifications.actions import set_staff_preferences
from vardkontakt.notifications.models import UnitNotificationDefaults
from vardkontakt.roles.actions import grant_role_by_operator
from vardkontakt.roles.models import Role
from vardkontakt.roles.tests.conftest import make_staff

# 200 the page, 302 saved, 403 not theirs. Written out by hand: the hub is for whoever may administer
# roles or settings at the unit (the region administrator may appoint its unit manager); the settings
# are the local administrators' alone (DESIGN.md §1).
MATRIX = """
persona  hub  settings desc area notif
lena     200  200      302  302  302
bo       200  403      403  403  403
rita     200  403      403  403  403
vera     403  403      403  403  403
maria    403  403      403  403  403
hans     403  403      403  403  403
otto     403  403      403  403  403
"""
COLUMNS = ("hub", "settings", "desc", "area", "notif")
CELLS = [
    (row[0], column, int(code))
    for row in (line.split() for line in MATRIX.strip().splitlines()[1:])
    for column, code in zip(COLUMNS, row[1:], strict=True)
]
POSTS = {
    "desc": ("unit_settings:description", {"description": "Vi svarar inom två arbetsdagar."}),
    "area": (
        "unit_settings:service_area",
        {"municipalities": "0184", "sex": "", "min_age": "", "max_age": ""},
    ),
    "notif": ("unit_settings:notifications", {"on_new_case": "on"}),
}


@pytest.fixture
def people(demo: Demo) -> dict[str, Staff]:
    people = dict(demo.staff)
    people["otto"] = make_staff("O002", "Otto", "Ortoped")
    grant_role_by_operator(people["otto"], Role.LOCAL_ADMIN, unit=demo.unit("ortopeden"))
    return people


def snapshot(unit: Unit) -> tuple[str, list[str], bool, int]:
    unit.refresh_from_db()
    return (
        unit.description,
        unit.service_area_municipalities,
        UnitNotificationDefaults.objects.filter(unit=unit).exists(),
        AccessLogEntry.objects.filter(unit_id=unit.pk).count(),
    )


def test_the_table_covers_every_persona_and_page() -> None:
    assert len(CELLS) == 7 * len(COLUMNS)


@pytest.mark.parametrize(("persona", "column", "expected"), CELLS, ids=[f"{p}-{c}" for p, c, _ in CELLS])
def test_who_may_change_the_settings_over_http(
    demo: Demo, people: dict[str, Staff], persona: str, column: str, expected: int
) -> None:
    solna = demo.unit("solna")
    before = snapshot(solna)
    with transaction.atomic():
        client = log_in_staff(Client(), people[persona])
        if column in POSTS:
            name, data = POSTS[column]
            status = client.post(reverse(name, args=[solna.pk]), data).status_code
        else:
            status = client.get(reverse(f"unit_settings:{column}", args=[solna.pk])).status_code
        during = snapshot(solna)
        transaction.set_rollback(True)
    assert status == expected
    # A saved change writes its access-log row; anything else changes nothing.
    assert (during != before) == (status == 302)
    if status == 302:
        assert during[3] == before[3] + 1


def test_each_change_is_saved_and_logged_with_who_made_it(demo: Demo, people: dict[str, Staff]) -> None:
    solna, lena = demo.unit("solna"), people["lena"]
    client = log_in_staff(Client(), lena)
    for column, action in (
        ("desc", "unit.description"),
        ("area", "unit.service_area"),
        ("notif", "unit.notification_defaults"),
    ):
        name, data = POSTS[column]
        response = client.post(reverse(name, args=[solna.pk]), data)
        assert response.status_code == 302 and response["Location"] == reverse(
            "unit_settings:settings", args=[solna.pk]
        )
        entry = AccessLogEntry.objects.get(action=action)
        assert (entry.actor_id, entry.unit_id, entry.object_id) == (lena.user_id, solna.pk, str(solna.pk))
    solna.refresh_from_db()
    assert solna.description == "Vi svarar inom två arbetsdagar."
    assert solna.service_area_municipalities == ["0184"]
    defaults = UnitNotificationDefaults.objects.get(unit=solna)
    assert (defaults.on_new_case, defaults.on_assignment) == (True, False)
    page = client.get(reverse("unit_settings:settings", args=[solna.pk])).content.decode()
    assert "Vi svarar inom två arbetsdagar." in page and "0184" in page
    # The contact card shows the new text.
    assert (
        "Vi svarar inom två arbetsdagar."
        in client.get(reverse("directory:unit", args=[solna.pk])).content.decode()
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"municipalities": "184"}, "En kommunkod har fyra siffror"),
        ({"municipalities": "0184, abcd"}, "Kontrollera: abcd"),
        ({"municipalities": "0180 1280"}, "Kommunerna måste ligga i Region Stockholm"),
        ({"sex": "X"}, "Välj kvinnor, män eller alla."),
        ({"min_age": "tolv"}, "Ange åldern i hela år"),
        ({"min_age": "-1"}, "Ange en ålder mellan 0 och 130 år."),
        ({"max_age": "131"}, "Ange en ålder mellan 0 och 130 år."),
        ({"min_age": "18", "max_age": "17"}, "Den högsta åldern kan inte vara lägre än den lägsta."),
    ],
)
def test_a_bad_service_area_is_refused_with_a_clear_error(
    demo: Demo, people: dict[str, Staff], data: dict[str, str], message: str
) -> None:
    solna = demo.unit("solna")
    before = snapshot(solna)
    client = log_in_staff(Client(), people["lena"])
    posted = {"municipalities": "", "sex": "", "min_age": "", "max_age": "", **data}
    response = client.post(reverse("unit_settings:service_area", args=[solna.pk]), posted)
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page and message in page
    assert snapshot(solna) == before


def test_a_good_service_area_is_stored_sorted_without_repeats(demo: Demo, people: dict[str, Staff]) -> None:
    solna = demo.unit("solna")
    client = log_in_staff(Client(), people["lena"])
    data = {"municipalities": "0184;0180\n0184", "sex": "F", "min_age": "16", "max_age": "16"}
    assert client.post(reverse("unit_settings:service_area", args=[solna.pk]), data).status_code == 302
    solna.refresh_from_db()
    assert solna.service_area_municipalities == ["0180", "0184"]
    assert (solna.service_area_sex, solna.service_area_min_age, solna.service_area_max_age) == ("F", 16, 16)


def test_a_too_long_description_is_refused(demo: Demo, people: dict[str, Staff]) -> None:
    solna = demo.unit("solna")
    client = log_in_staff(Client(), people["lena"])
    response = client.post(reverse("unit_settings:description", args=[solna.pk]), {"description": "x" * 2001})
    assert response.status_code == 400 and "Texten får vara högst 2000 tecken." in response.content.decode()
    solna.refresh_from_db()
    assert solna.description != "x" * 2001


def test_the_edit_pages_ask_for_a_recent_e_id_authentication(demo: Demo, people: dict[str, Staff]) -> None:
    client = log_in_staff(Client(), people["lena"])
    session = client.session
    session[AUTH_AT_KEY] = session[AUTH_AT_KEY] - 3600
    session.save()
    for name, data in POSTS.values():
        response = client.post(reverse(name, args=[demo.unit("solna").pk]), data)
        assert response.status_code == 302 and response["Location"] == reverse("identity:step_up")
    assert not UnitNotificationDefaults.objects.exists()


def test_the_hub_links_what_the_member_may_administer(demo: Demo, people: dict[str, Staff]) -> None:
    solna = demo.unit("solna")
    roles_url = reverse("roles:grants", args=[solna.pk])
    settings_url = reverse("unit_settings:settings", args=[solna.pk])
    lenas = (
        log_in_staff(Client(), people["lena"])
        .get(reverse("unit_settings:hub", args=[solna.pk]))
        .content.decode()
    )
    types_url = f"{reverse('staff_cases:types')}?enhet={solna.pk}"
    approved_url = f"{reverse('staff_cases:approved_residents')}?enhet={solna.pk}"
    assert roles_url in lenas and settings_url in lenas
    assert types_url in lenas and approved_url in lenas
    lena = log_in_staff(Client(), people["lena"])
    assert solna.name in lena.get(types_url).content.decode()
    bos = (
        log_in_staff(Client(), people["bo"])
        .get(reverse("unit_settings:hub", args=[solna.pk]))
        .content.decode()
    )
    assert roles_url in bos and settings_url not in bos and types_url not in bos
    # The staff home links the hub for local and access administrators only; one unit goes straight to it.
    for persona, linked in (("lena", True), ("bo", True), ("maria", False), ("rita", False)):
        home = log_in_staff(Client(), people[persona]).get(reverse("web:staff_home")).content.decode()
        assert (reverse("unit_settings:hub_list") in home) == linked, persona
    response = log_in_staff(Client(), people["lena"]).get(reverse("unit_settings:hub_list"))
    assert response["Location"] == reverse("unit_settings:hub", args=[solna.pk])
    assert log_in_staff(Client(), people["maria"]).get(reverse("unit_settings:hub_list")).status_code == 403


# --- The staff notification defaults ----------------------------------------------------------------------


def _choices(client: Client) -> dict[str, bool]:
    page = client.get(reverse("notifications:staff_settings")).content.decode()
    return {
        name: f'name="{name}" type="checkbox" value="on" checked' in page
        for name in ("on_new_case", "on_assignment")
    }


def test_the_defaults_are_offered_to_members_without_their_own_choices(
    demo: Demo, people: dict[str, Staff]
) -> None:
    solna = demo.unit("solna")
    maria = log_in_staff(Client(), people["maria"])
    assert _choices(maria) == {"on_new_case": False, "on_assignment": False}
    lena = log_in_staff(Client(), people["lena"])
    lena.post(
        reverse("unit_settings:notifications", args=[solna.pk]), {"on_new_case": "on", "on_assignment": "on"}
    )
    assert _choices(maria) == {"on_new_case": True, "on_assignment": True}
    # Olle works at another clinic: Solna's defaults are not his.
    assert _choices(log_in_staff(Client(), people["olle"])) == {"on_new_case": False, "on_assignment": False}
    # Once Maria has saved her own choices, they hold, whatever the defaults.
    set_staff_preferences(
        people["maria"], email="maria@example.se", mobile="", on_new_case=False, on_assignment=True
    )
    assert _choices(maria) == {"on_new_case": False, "on_assignment": True}


def test_every_problem_of_a_service_area_is_named_at_once(demo: Demo, people: dict[str, Staff]) -> None:
    client = log_in_staff(Client(), people["lena"])
    data = {"municipalities": "1280", "sex": "", "min_age": "18", "max_age": "17"}
    page = client.post(
        reverse("unit_settings:service_area", args=[demo.unit("solna").pk]), data
    ).content.decode()
    assert 'href="#id_municipalities"' in page and 'href="#id_max_age"' in page
