"""Who may do what in onboarding, over HTTP, as an explicit table (docs/security.md).

The objects: a pending connection application from Vaccinationsmottagning Solna (Region Stockholm),
Vårdcentral Solna's connection page and agreement, and a local-admin request that Vera (unit manager
at Solna) made. Ulla is the region administrator of another region (Uppsala).

Columns, each one request in a fresh session, rolled back afterwards so that no cell affects another:
  overview = GET the connection overview; unit = GET Solna's page; app = GET the application;
  approve / reject = POST on the application; agr_add / agr_end = POST an agreement for Solna / end
  Solna's agreement; deact_req = POST Solna's request to leave; deact_cancel / deact = POST withdraw
  or carry out a request to leave (made by Vera before the request); la_req = POST a request for a
  local administrator; la_view / la_approve / la_reject = GET / POST on Vera's request.

Written by hand, not computed: "ok" the change was made (and it was: the cell checks the database);
200 the page; 404 the object does not exist for you (the same answer as an unknown id); 403 you see it
but may not do that, or a staff page that needs a role you do not hold at all, or the other realm;
"login" you are sent to log in (no session, or a member of staff without any role, whose session ends).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.conftest import log_in_resident, log_in_staff
from vardkontakt.directory.models import Agreement, Unit
from vardkontakt.identity.actions import record_consent
from vardkontakt.onboarding import actions
from vardkontakt.onboarding.models import Application, Decision, Lifecycle, LocalAdminRequest
from vardkontakt.onboarding.tests.conftest import World, apply_for
from vardkontakt.web import demo as demo_data

COLUMNS = (
    "overview",
    "unit",
    "app",
    "approve",
    "reject",
    "agr_add",
    "agr_end",
    "deact_req",
    "deact_cancel",
    "deact",
    "la_req",
    "la_view",
    "la_approve",
    "la_reject",
)

MATRIX = """
persona overview unit app  approve reject agr_add agr_end deact_req deact_cancel deact la_req la_view la_approve la_reject
rita    200      200  200  ok      ok     ok      ok      403       ok           ok    403    200     ok         ok
ulla    200      404  404  404     404    404     404     404       404          404   404    404     404        404
lena    200      200  404  404     404    403     403     ok        ok           403   403    404     404        404
vera    200      200  404  404     404    403     403     ok        ok           403   ok     200     403        403
bo      403      404  404  404     404    404     404     404       404          404   404    404     404        404
maria   403      404  404  404     404    404     404     404       404          404   404    404     404        404
hans    403      404  404  404     404    404     404     404       404          404   404    404     404        404
hedvig  403      404  404  404     404    404     404     404       404          404   404    404     404        404
greta   403      404  404  404     404    404     404     404       404          404   404    404     404        404
olle    403      404  404  404     404    404     404     404       404          404   404    404     404        404
karl    403      404  404  404     404    404     404     404       404          404   404    404     404        404
sam     403      404  404  404     404    404     404     404       404          404   404    404     404        404
nils    login    login login login login  login   login   login     login        login login  login   login      login
nobody  login    login login login login  login   login   login     login        login login  login   login      login
anna    403      403  403  403     403    403     403     403       403          403   403    403     403        403
"""


def parse_matrix() -> list[tuple[str, dict[str, str]]]:
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert tuple(header[1:]) == COLUMNS
    return [(row[0], dict(zip(COLUMNS, row[1:], strict=True))) for row in rows]


ROWS = parse_matrix()
STAFF_KEYS = {spec.key for spec in demo_data.STAFF}


@dataclass
class Objects:
    solna: Unit
    application: Application
    agreement: Agreement


@dataclass
class Column:
    setup: Callable[[], Any]  # run before the request, inside the cell's transaction
    request: Callable[[Client], Any]
    effect: Callable[[], bool] | None  # for a change: did it happen?


def session_of(world: World, persona: str) -> Client:
    client = Client()
    if persona == "nobody":
        return client
    if persona in STAFF_KEYS or persona == "ulla":
        return log_in_staff(client, world.member(persona))
    resident = world.demo.resident(persona)
    record_consent(resident)
    return log_in_resident(client, resident)


def outcome(response: Any, effect: Callable[[], bool] | None) -> str:
    happened = effect() if effect is not None else False
    if response.status_code == 302 and response["Location"] in (
        reverse("identity:staff_login"),
        reverse("identity:login"),
    ):
        result = "login"
    elif response.status_code == 302 and effect is not None:
        result = "ok" if happened else "302-without-effect"
    else:
        result = str(response.status_code)
    if happened and result != "ok":
        return f"{result}-BUT-CHANGED"
    return result


def columns(world: World, objects: Objects) -> dict[str, Column]:
    solna, application, agreement = objects.solna, objects.application, objects.agreement
    vera, rita = world.member("vera"), world.member("rita")
    unit_url = reverse("onboarding:unit", args=[solna.pk])
    app_url = reverse("onboarding:application", args=[application.pk])

    def state() -> str:
        return actions.state_of(Unit.objects.get(pk=solna.pk))

    def decision() -> str:
        return Application.objects.get(pk=application.pk).decision

    def ask_to_leave() -> None:
        actions.request_deactivation(vera, solna.pk, "Vi flyttar")

    def la_request() -> LocalAdminRequest:
        return actions.request_local_admin(
            vera, solna.pk, hsa_id="SE2321000016-N900", given_name="Nora", family_name="Ny"
        )

    la: dict[str, LocalAdminRequest] = {}

    def la_setup() -> None:
        la["request"] = la_request()

    def la_url() -> str:
        return reverse("onboarding:local_admin_request", args=[la["request"].pk])

    def la_decision() -> str:
        return LocalAdminRequest.objects.get(pk=la["request"].pk).decision

    def nothing() -> None:
        return None

    def end_solna_agreement_first() -> None:
        Agreement.objects.filter(pk=agreement.pk).update(valid_to=date(2029, 12, 31))

    last_day = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert rita  # the region administrator made no set-up change: every cell starts alike
    return {
        "overview": Column(nothing, lambda c: c.get(reverse("onboarding:overview")), None),
        "unit": Column(nothing, lambda c: c.get(unit_url), None),
        "app": Column(nothing, lambda c: c.get(app_url), None),
        "approve": Column(
            nothing, lambda c: c.post(app_url, {"action": "approve"}), lambda: decision() == Decision.APPROVED
        ),
        "reject": Column(
            nothing,
            lambda c: c.post(app_url, {"action": "reject", "reason": "Inget underskrivet avtal"}),
            lambda: decision() == Decision.REJECTED,
        ),
        "agr_add": Column(
            end_solna_agreement_first,
            lambda c: c.post(
                unit_url,
                {"action": "add_agreement", "avtal-reference": "RS 2030-1", "avtal-valid_from": "2030-01-01"},
            ),
            lambda: Agreement.objects.filter(unit=solna, reference="RS 2030-1").exists(),
        ),
        "agr_end": Column(
            nothing,
            lambda c: c.post(
                unit_url,
                {"action": "end_agreement", "avsluta-agreement": agreement.pk, "avsluta-last_day": last_day},
            ),
            lambda: Agreement.objects.get(pk=agreement.pk).valid_to is not None,
        ),
        "deact_req": Column(
            nothing,
            lambda c: c.post(unit_url, {"action": "request_deactivation", "begaran-reason": "Vi lämnar"}),
            lambda: state() == Lifecycle.DEACTIVATION_REQUESTED,
        ),
        "deact_cancel": Column(
            ask_to_leave,
            lambda c: c.post(unit_url, {"action": "cancel_deactivation", "avbryt-reason": "Vi stannar"}),
            lambda: state() == Lifecycle.ACTIVE,
        ),
        "deact": Column(
            ask_to_leave,
            lambda c: c.post(unit_url, {"action": "deactivate"}),
            lambda: state() == Lifecycle.INACTIVE,
        ),
        "la_req": Column(
            nothing,
            lambda c: c.post(
                unit_url,
                {
                    "action": "request_local_admin",
                    "lokaladmin-hsa_id": "SE2321000016-N900",
                    "lokaladmin-given_name": "Nora",
                    "lokaladmin-family_name": "Ny",
                },
            ),
            lambda: LocalAdminRequest.objects.filter(unit=solna).exists(),
        ),
        "la_view": Column(la_setup, lambda c: c.get(la_url()), None),
        "la_approve": Column(
            la_setup,
            lambda c: c.post(la_url(), {"action": "approve"}),
            lambda: la_decision() == Decision.APPROVED,
        ),
        "la_reject": Column(
            la_setup,
            lambda c: c.post(la_url(), {"action": "reject", "reason": "Behovsanalys saknas"}),
            lambda: la_decision() == Decision.REJECTED,
        ),
    }


@pytest.fixture
def objects(world: World) -> Objects:
    solna = world.unit("solna")
    return Objects(
        solna=solna,
        application=apply_for(world.unit("vaccination")),
        agreement=Agreement.objects.get(unit=solna),
    )


def cell(world: World, persona: str, column: Column) -> str:
    """One request by ``persona`` in a fresh session; whatever it changes is rolled back."""
    with transaction.atomic():
        column.setup()
        result = outcome(column.request(session_of(world, persona)), column.effect)
        transaction.set_rollback(True)
    return result


@pytest.mark.parametrize(("persona", "expected"), ROWS, ids=[p for p, _ in ROWS])
def test_http_matrix(world: World, objects: Objects, persona: str, expected: dict[str, str]) -> None:
    table = columns(world, objects)
    actual = {name: cell(world, persona, table[name]) for name in COLUMNS}
    assert actual == expected


def test_the_matrix_covers_every_staff_persona(world: World) -> None:
    assert {persona for persona, _ in ROWS if persona in STAFF_KEYS} == STAFF_KEYS


def test_unknown_ids_get_the_same_404(world: World) -> None:
    rita = log_in_staff(Client(), world.member("rita"))
    for name in ("onboarding:unit", "onboarding:application", "onboarding:local_admin_request"):
        for bad in ("nosuch", "7b0c3a52-55c4-4a51-9a3e-8f5f0c0e6c11"):
            assert rita.get(reverse(name, args=[bad])).status_code == 404


def test_the_staff_home_links_to_the_connection_pages(world: World) -> None:
    link = reverse("onboarding:overview")
    for persona, shown in (("rita", True), ("lena", True), ("vera", True), ("maria", False), ("bo", False)):
        page = log_in_staff(Client(), world.member(persona)).get(reverse("web:staff_home")).content.decode()
        assert (link in page) is shown, persona
