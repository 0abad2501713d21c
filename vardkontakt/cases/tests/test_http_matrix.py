"""Who gets what over HTTP (DESIGN.md §2): the case pages and the JSON API, as an explicit table.

test_access_matrix.py holds the same rule at the policy and action level; this table holds it where
people meet it: status codes of real requests through the middleware, the realm gates and the views.

The cases (cases_world.py): Anna's own at Vårdcentral Solna, distributed by Maria to Hans; Elsa's (10),
sent by Anna acting for her; Oskar's (14), sent by himself; Lars's at Solna (not distributed); Lars's
at the orthopaedic clinic (Olle's unit). "nosuch" is an id that does not exist.

Personas: a demo resident or staff key; "guardian>child" is the guardian's session acting for the
child (for Oskar, 14, the proxy does not hold and Anna stays herself); "guardian!>child" the same with
the unit manager's block of that guardian in force at Solna; "nobody" has no session.

Columns, each one request in a fresh session, rolled back afterwards so that no cell affects another:
  web pages (GET):   inbox = cases:inbox, case = cases:detail, s_inbox = staff_cases:inbox,
                     s_case = staff_cases:detail
  resident API:      list = GET /cases (":Y" the case is listed, ":-" it is not), get = GET /cases/{id},
                     reply = POST /cases/{id}/messages
  staff API:         s_list = GET /cases/staff/inbox?number=<the case's number> (":Y"/":-" as above),
                     s_get = GET /cases/staff/{id}, distr = POST .../distribute (to another handler of
                     the clinic), answer = POST .../answer, close = POST .../close
  attachments:       every case's first message carries a file; file = cases:attachment,
                     s_file = staff_cases:attachment, a_file = GET /cases/{id}/attachments/{file},
                     s_a_file = GET /cases/staff/{id}/attachments/{file}

Written out by hand, not computed: 200/201 allowed; 404 the case does not exist for you (the same answer
as for "nosuch"); 403 you can see it but may not do that, or a page of the other realm, or a staff page
that needs a role you do not hold at all; 302 a page sends you to log in (no session, or a staff member
with no role in force, whose session ends); 401 the API without a session of its realm.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.cases import attachments
from vardkontakt.cases.models import Attachment, Case
from vardkontakt.cases.tests.cases_world import World, build_world
from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.identity.actions import record_consent
from vardkontakt.identity.models import GuardianBlock
from vardkontakt.identity.session import ACTING_FOR_KEY
from vardkontakt.web import demo as demo_data

API = "/api/v1/cases"
COLUMNS = (
    "inbox",
    "case",
    "s_inbox",
    "s_case",
    "list",
    "get",
    "reply",
    "s_list",
    "s_get",
    "distr",
    "answer",
    "close",
    "file",
    "s_file",
    "a_file",
    "s_a_file",
)

MATRIX = """
persona    case   inbox case s_inbox s_case list  get reply s_list s_get distr answer close file s_file a_file s_a_file
anna       anna   200   200  403     403    200:Y 200 201   401    401   401   401    401   200  403    200    401
lars       anna   200   404  403     403    200:- 404 404   401    401   401   401    401   404  403    404    401
anna>elsa  elsa   200   200  403     403    200:Y 200 201   401    401   401   401    401   200  403    200    401
anna>elsa  anna   200   404  403     403    200:- 404 404   401    401   401   401    401   404  403    404    401
anna       elsa   200   404  403     403    200:- 404 404   401    401   401   401    401   404  403    404    401
anna>oskar oskar  200   404  403     403    200:- 404 404   401    401   401   401    401   404  403    404    401
anna>oskar anna   200   200  403     403    200:Y 200 201   401    401   401   401    401   200  403    200    401
anna!>elsa elsa   200   404  403     403    200:- 404 404   401    401   401   401    401   404  403    404    401
oskar      oskar  200   200  403     403    200:Y 200 201   401    401   401   401    401   200  403    200    401
anna       nosuch 200   404  403     403    200:- 404 404   401    401   401   401    401   404  403    404    401
maria      anna   403   403  200     200    401   401 401   200:Y  200   200   403    200   403  200    401    200
maria      elsa   403   403  200     200    401   401 401   200:Y  200   200   403    200   403  200    401    200
maria      lars   403   403  200     200    401   401 401   200:Y  200   200   403    200   403  200    401    200
maria      ortho  403   403  200     404    401   401 401   200:-  404   404   404    404   403  404    401    404
maria      nosuch 403   403  200     404    401   401 401   200:-  404   404   404    404   403  404    401    404
hans       anna   403   403  403     200    401   401 401   403    200   200   200    200   403  200    401    200
hans       lars   403   403  403     404    401   401 401   403    404   404   404    404   403  404    401    404
hedvig     anna   403   403  403     404    401   401 401   403    404   404   404    404   403  404    401    404
lena       anna   403   403  403     404    401   401 401   403    404   404   404    404   403  404    401    404
bo         anna   403   403  403     404    401   401 401   403    404   404   404    404   403  404    401    404
greta      anna   403   403  403     404    401   401 401   403    404   404   404    404   403  404    401    404
vera       anna   403   403  403     404    401   401 401   403    404   404   404    404   403  404    401    404
olle       anna   403   403  200     404    401   401 401   200:-  404   404   404    404   403  404    401    404
olle       ortho  403   403  200     200    401   401 401   200:Y  200   200   403    200   403  200    401    200
rita       anna   403   403  403     404    401   401 401   403    404   404   404    404   403  404    401    404
karl       anna   403   403  403     404    401   401 401   403    404   404   404    404   403  404    401    404
sam        anna   403   403  403     404    401   401 401   403    404   404   404    404   403  404    401    404
nils       anna   403   403  302     302    401   401 401   401    401   401   401    401   403  302    401    401
nobody     anna   302   302  302     302    401   401 401   401    401   401   401    401   302  302    401    401
"""


def parse_matrix() -> list[tuple[str, str, dict[str, str]]]:
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert tuple(header[2:]) == COLUMNS
    return [(row[0], row[1], dict(zip(COLUMNS, row[2:], strict=True))) for row in rows]


ROWS = parse_matrix()
STAFF_KEYS = {spec.key for spec in demo_data.STAFF}
NOSUCH = "7b0c3a52-55c4-4a51-9a3e-8f5f0c0e6c11"


@pytest.fixture
def http_world(demo: Demo) -> World:
    for person in demo.residents.values():  # accepted the terms at an earlier login
        if person.consented_at is None:
            record_consent(person)
    world = build_world(demo)
    for case in world.cases.values():
        first = case.messages.order_by("created_at").first()
        assert first is not None
        attachments.store(
            first, [attachments.Checked(name="blodtryck.txt", data=b"120/80", content_type=attachments.TEXT)]
        )
    return world


def file_of(case: Case | None) -> str:
    if case is None:
        return NOSUCH
    return str(Attachment.objects.get(message__case=case).pk)


def block_guardian_at_solna(world: World, persona: str) -> None:
    """For "guardian!>child": the unit manager's block of that guardian for that child at Solna."""
    guardian, _, child = persona.partition(">")
    block = GuardianBlock(
        guardian=world.resident(guardian.rstrip("!")),
        child=world.resident(child),
        unit=world.demo.unit("solna"),
        decided_at=world.demo.unit("solna"),
        decided_by=world.member("vera"),
        valid_from=timezone.localdate(),
    )
    block.reason = "Beslut enligt journal."
    block.save()


def session_of(world: World, persona: str) -> Client:
    """A fresh client with ``persona``'s session (CSRF is tested in test_api.py)."""
    client = Client()
    if persona == "nobody":
        return client
    if persona in STAFF_KEYS:
        return log_in_staff(client, world.member(persona))
    guardian, _, child = persona.partition(">")
    log_in_resident(client, world.resident(guardian.rstrip("!")))
    if child:
        session = client.session
        session[ACTING_FOR_KEY] = str(world.resident(child).pk)
        session.save()
    return client


def other_handler(world: World, case: Case | None) -> str:
    """A handler of the case's clinic to distribute to (not the one it is assigned to, if any)."""
    if case is not None and case.unit == world.demo.unit("ortopeden"):
        return str(world.member("olle").pk)
    return str(world.member("hedvig").pk)


def cell(world: World, persona: str, request: Callable[[Client], Any]) -> Any:
    """One request by ``persona`` in a fresh session; whatever it changes is rolled back."""
    with transaction.atomic():
        response = request(session_of(world, persona))
        transaction.set_rollback(True)
    return response


def listed(response: Any, ident: str) -> str:
    if response.status_code != 200:
        return str(response.status_code)
    ids = {row["id"] for row in response.json()["items"]}
    return f"200:{'Y' if ident in ids else '-'}"


def post(path: str, data: dict[str, Any]) -> Callable[[Client], Any]:
    return lambda client: client.post(path, json.dumps(data), content_type="application/json")


def row(world: World, persona: str, case_key: str) -> dict[str, str]:
    case = None if case_key == "nosuch" else world.case(case_key)
    ident = NOSUCH if case is None else str(case.pk)
    number = "2099-0000000" if case is None else case.number
    file = file_of(case)
    if "!" in persona:
        block_guardian_at_solna(world, persona)
    requests: dict[str, Callable[[Client], Any]] = {
        "inbox": lambda c: c.get(reverse("cases:inbox")),
        "case": lambda c: c.get(reverse("cases:detail", args=[ident])),
        "s_inbox": lambda c: c.get(reverse("staff_cases:inbox")),
        "s_case": lambda c: c.get(reverse("staff_cases:detail", args=[ident])),
        "get": lambda c: c.get(f"{API}/{ident}"),
        "reply": post(f"{API}/{ident}/messages", {"body": "Tack för svaret."}),
        "s_get": lambda c: c.get(f"{API}/staff/{ident}"),
        "distr": post(f"{API}/staff/{ident}/distribute", {"handler_id": other_handler(world, case)}),
        "answer": post(f"{API}/staff/{ident}/answer", {"body": "Välkommen in."}),
        "close": post(f"{API}/staff/{ident}/close", {"reason": "Klart"}),
        "file": lambda c: c.get(reverse("cases:attachment", args=[ident, file])),
        "s_file": lambda c: c.get(reverse("staff_cases:attachment", args=[ident, file])),
        "a_file": lambda c: c.get(f"{API}/{ident}/attachments/{file}"),
        "s_a_file": lambda c: c.get(f"{API}/staff/{ident}/attachments/{file}"),
    }
    actual = {key: str(cell(world, persona, request).status_code) for key, request in requests.items()}
    actual["list"] = listed(cell(world, persona, lambda c: c.get(API)), ident)
    actual["s_list"] = listed(
        cell(world, persona, lambda c: c.get(f"{API}/staff/inbox", {"number": number})), ident
    )
    return {key: actual[key] for key in COLUMNS}


@pytest.mark.parametrize(("persona", "case_key", "expected"), ROWS, ids=[f"{p}-{c}" for p, c, _ in ROWS])
def test_http_matrix(http_world: World, persona: str, case_key: str, expected: dict[str, str]) -> None:
    assert row(http_world, persona, case_key) == expected


def test_the_matrix_covers_every_staff_persona_and_nothing_changed(http_world: World) -> None:
    assert {persona for persona, _, _ in ROWS if persona in STAFF_KEYS} == STAFF_KEYS
    before = {key: (c.status, c.handler_id, c.messages.count()) for key, c in http_world.cases.items()}
    row(http_world, "hans", "anna")
    row(http_world, "maria", "lars")
    after = {}
    for key, case in http_world.cases.items():
        case.refresh_from_db()
        after[key] = (case.status, case.handler_id, case.messages.count())
    assert after == before  # every cell was rolled back
