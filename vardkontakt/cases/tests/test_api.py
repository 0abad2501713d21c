"""The case operations in the JSON API (cases/api.py): each endpoint's happy path, the errors, the
realms and CSRF, the access log, and what the OpenAPI document lists.

Cases are made through cases.actions.send_case (cases_world.py), as a resident would send them."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.cases import actions
from vardkontakt.cases.models import AuthorKind, Case, CaseStatus, CaseType, Message
from vardkontakt.cases.tests.cases_world import BODY_ANNA, SUBJECT_ANNA, World, build_world, send
from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.identity.session import ACTING_FOR_KEY
from vardkontakt.roles.actions import revoke_role
from vardkontakt.roles.models import Role, RoleGrant
from vardkontakt.web import demo as demo_data

API = "/api/v1/cases"


@pytest.fixture
def world(demo: Demo) -> World:
    return build_world(demo)


def resident(world: World, key: str, *, acting_for: str = "", **kwargs: Any) -> Client:
    client = log_in_resident(Client(**kwargs), world.resident(key))
    if acting_for:
        session = client.session
        session[ACTING_FOR_KEY] = str(world.resident(acting_for).pk)
        session.save()
    return client


def staff(world: World, key: str, **kwargs: Any) -> Client:
    return log_in_staff(Client(**kwargs), world.member(key))


def post(client: Client, url: str, data: dict[str, Any], **extra: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


def reads(case: Case) -> int:
    return AccessLogEntry.objects.filter(action="case.read", object_id=str(case.pk)).count()


def start_payload(world: World, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "unit_id": str(world.demo.unit("solna").pk),
        "case_type_id": str(CaseType.objects.get(code="skicka-meddelande", unit__isnull=True).pk),
        "subject": "Fråga om vaccin",
        "body": "Behöver jag en påfyllnadsdos i år?",
        "answers": {},
        "accept_terms": True,
        "idempotency_key": str(uuid.uuid4()),
    }
    payload.update(overrides)
    return payload


# --- Resident ---------------------------------------------------------------------------------------


def test_resident_lists_their_cases_with_the_clinic_and_no_personnummer(world: World) -> None:
    response = resident(world, "anna").get(API)
    assert response.status_code == 200
    data = response.json()
    assert data["next"] is None
    assert [row["id"] for row in data["items"]] == [str(world.case("anna").pk)]
    row = data["items"][0]
    assert row["subject"] == SUBJECT_ANNA
    assert row["unit"] == {"id": str(world.demo.unit("solna").pk), "name": "Vårdcentral Solna"}
    assert row["status"] == "distributed" and row["unread"] == 0
    assert "198701022389" not in response.content.decode()


def test_resident_list_pages_by_keyset_cursor(world: World) -> None:
    anna = world.resident("anna")
    for n in range(21):  # one page is 20
        send(anna.user, anna, "solna", world.demo, subject=f"Fråga {n}")
    client = resident(world, "anna")
    first = client.get(API).json()
    assert len(first["items"]) == 20 and first["next"]
    second = client.get(API, {"after": first["next"]}).json()
    assert second["next"] is None
    ids = [row["id"] for row in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 22
    assert ids[-1] == str(world.case("anna").pk)  # the oldest activity last


def test_archiving_answers_the_row_the_list_shows_with_no_unread_count(world: World) -> None:
    case = world.case("anna")
    actions.answer_case(staff=world.member("hans"), case_id=case.pk, body="Välkommen in på torsdag.")
    client = resident(world, "anna")
    listed = next(row for row in client.get(API).json()["items"] if row["id"] == str(case.pk))
    assert listed["unread"] == 1
    response = post(client, f"{API}/{case.pk}/archive", {"archived": True})
    assert response.status_code == 200
    archived = client.get(API, {"archived": True}).json()["items"]
    assert [row["id"] for row in archived] == [str(case.pk)]
    # The archive's answer is the list's row, except that it does not count unread messages (0).
    assert response.json() == {**archived[0], "unread": 0}
    assert {**archived[0], "unread": 0} == {
        **listed,
        "unread": 0,
        "last_activity": archived[0]["last_activity"],
    }


def test_guardian_in_proxy_mode_lists_and_reads_the_childs_cases_only(world: World) -> None:
    client = resident(world, "anna", acting_for="elsa")
    assert [row["id"] for row in client.get(API).json()["items"]] == [str(world.case("elsa").pk)]
    data = client.get(f"{API}/{world.case('elsa').pk}").json()
    assert data["by_guardian"] is True and data["messages"][0]["from_me"] is True
    assert client.get(f"{API}/{world.case('anna').pk}").status_code == 404


def test_resident_reads_a_case_and_the_clinics_messages_become_read(world: World) -> None:
    case = world.case("anna")
    actions.answer_case(staff=world.member("hans"), case_id=case.pk, body="Välkommen in på torsdag.")
    client = resident(world, "anna")
    assert client.get(API).json()["items"][0]["unread"] == 1
    before = reads(case)

    response = client.get(f"{API}/{case.pk}")

    assert response.status_code == 200
    data = response.json()
    assert data["subject"] == SUBJECT_ANNA and data["status"] == "answered"
    assert data["unit"]["name"] == "Vårdcentral Solna"
    assert [(m["from_clinic"], m["body"]) for m in data["messages"]] == [
        (False, BODY_ANNA),
        (True, "Välkommen in på torsdag."),
    ]
    assert data["messages"][1]["read_at"] is None  # as shown: read now, by this request
    answer = Message.objects.get(case=case, author_kind=AuthorKind.STAFF)
    assert answer.read_by_resident_at is not None
    assert client.get(API).json()["items"][0]["unread"] == 0
    assert "Hans" not in response.content.decode()  # the clinic's name, not the staff member's
    assert reads(case) == before  # a resident's own read writes no row


def test_resident_starts_a_case_and_a_repeat_with_the_same_key_creates_nothing(world: World) -> None:
    client = resident(world, "lars")
    payload = start_payload(world)
    before = Case.objects.count()

    response = post(client, API, payload)

    assert response.status_code == 201, response.content
    data = response.json()
    case = Case.objects.get(pk=data["id"])
    assert case.resident == world.resident("lars") and case.created_by == world.resident("lars").user
    assert case.status == CaseStatus.SENT and case.subject == "Fråga om vaccin"
    assert data["messages"][0]["body"] == "Behöver jag en påfyllnadsdos i år?"
    again = post(client, API, payload)
    assert again.status_code == 201 and again.json()["id"] == data["id"]
    assert Case.objects.count() == before + 1


def test_guardian_starts_a_case_for_the_child(world: World) -> None:
    response = post(resident(world, "anna", acting_for="elsa"), API, start_payload(world))
    assert response.status_code == 201
    case = Case.objects.get(pk=response.json()["id"])
    assert case.resident == world.resident("elsa") and case.by_guardian


def test_an_idempotency_key_used_for_someone_else_does_not_show_their_case(world: World) -> None:
    payload = start_payload(world)
    assert post(resident(world, "anna", acting_for="elsa"), API, payload).status_code == 201
    response = post(resident(world, "anna"), API, payload)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "idempotency_key"]
    assert "Elsa" not in response.content.decode()


def test_starting_a_case_with_bad_input_answers_422_per_field_and_writes_nothing(world: World) -> None:
    client = resident(world, "anna")
    before = Case.objects.count()
    fornya = CaseType.objects.get(code="fornya-recept", unit__isnull=True)

    response = post(
        client,
        API,
        start_payload(
            world,
            case_type_id=str(fornya.pk),
            subject=" ",
            body="x" * (actions.BODY_MAX + 1),
            answers={"same_dose": "kanske"},
            accept_terms=False,
        ),
    )

    assert response.status_code == 422
    locs = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert locs == {
        ("body", "payload", "subject"),
        ("body", "payload", "body"),
        ("body", "payload", "answers", "medicine"),
        ("body", "payload", "answers", "same_dose"),
        ("body", "payload", "accept_terms"),
    }
    assert Case.objects.count() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"unit_id": str(uuid.uuid4())}, "unit_id"),
        ({"case_type_id": str(uuid.uuid4())}, "case_type_id"),
        ({"unit_key": "mammografi"}, "unit_id"),  # an active clinic that does not take cases
        ({"type_code": "information-fran-mottagningen"}, "case_type_id"),  # reverse flow only
    ],
)
def test_a_clinic_or_type_the_resident_cannot_use_is_a_field_error(
    world: World, overrides: dict[str, str], field: str
) -> None:
    if "unit_key" in overrides:
        overrides = {"unit_id": str(world.demo.unit(overrides["unit_key"]).pk)}
    if "type_code" in overrides:
        overrides = {"case_type_id": str(CaseType.objects.get(code=overrides["type_code"]).pk)}
    response = post(resident(world, "anna"), API, start_payload(world, **overrides))
    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [["body", "payload", field]]


def test_open_units_and_their_case_types(world: World) -> None:
    client = resident(world, "anna")
    units = client.get(f"{API}/units").json()
    solna = world.demo.unit("solna")
    assert {"id": str(solna.pk), "name": solna.name, "city": "Solna"} in units
    assert str(world.demo.unit("mammografi").pk) not in {u["id"] for u in units}
    types = client.get(f"{API}/units/{solna.pk}/case-types").json()
    fornya = next(t for t in types if t["name"] == "Förnya recept")
    assert {q["key"] for q in fornya["questions"]} == {"medicine", "same_dose"}
    assert fornya["terms"]
    assert client.get(f"{API}/units/{world.demo.unit('mammografi').pk}/case-types").status_code == 404
    assert client.get(f"{API}/units/not-a-uuid/case-types").status_code == 404


def test_resident_replies(world: World) -> None:
    case = world.case("anna")
    response = post(resident(world, "anna"), f"{API}/{case.pk}/messages", {"body": "Tack, jag kommer."})
    assert response.status_code == 201
    message = Message.objects.get(pk=response.json()["id"])
    assert message.case == case and message.body == "Tack, jag kommer."
    assert message.author == world.resident("anna").user


def test_a_reply_to_a_closed_case_or_an_empty_reply_is_422(world: World) -> None:
    case = world.case("anna")
    client = resident(world, "anna")
    empty = post(client, f"{API}/{case.pk}/messages", {"body": "  "})
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "payload", "body"]
    actions.close_case(staff=world.member("maria"), case_id=case.pk, reason="Klart")
    closed = post(client, f"{API}/{case.pk}/messages", {"body": "En sak till."})
    assert closed.status_code == 422
    assert Message.objects.filter(case=case).count() == 1


def test_resident_without_consent_gets_403(world: World) -> None:
    lars = world.resident("lars")
    client = log_in_resident(Client(), lars)
    type(lars).objects.filter(pk=lars.pk).update(consented_at=None)
    assert client.get(API).status_code == 403


def test_a_deceased_residents_session_ends(world: World) -> None:
    lars = world.resident("lars")
    client = log_in_resident(Client(), lars)
    type(lars).objects.filter(pk=lars.pk).update(deceased=True)
    assert client.get(API).status_code == 401
    assert "_auth_user_id" not in client.session


# --- Staff ------------------------------------------------------------------------------------------


def test_clinic_inbox_by_tab_and_number(world: World) -> None:
    client = staff(world, "maria")
    new = client.get(f"{API}/staff/inbox").json()
    assert {row["id"] for row in new["items"]} == {str(world.case(k).pk) for k in ("elsa", "oskar", "lars")}
    names = {row["resident"]["name"] for row in new["items"]}
    assert names == {"Elsa Andersson", "Oskar Andersson", "Lars Johansson"}
    distributed = client.get(f"{API}/staff/inbox", {"tab": "distributed"}).json()["items"]
    assert [(row["id"], row["handler"]["name"]) for row in distributed] == [
        (str(world.case("anna").pk), "Hans Holm")
    ]
    by_number = client.get(f"{API}/staff/inbox", {"number": world.case("lars").number}).json()["items"]
    assert [row["id"] for row in by_number] == [str(world.case("lars").pk)]
    solna = client.get(f"{API}/staff/inbox", {"unit": str(world.demo.unit("solna").pk)})
    assert solna.status_code == 200
    assert client.get(f"{API}/staff/inbox", {"tab": "bogus"}).status_code == 422
    # Another clinic's unit is not one of Maria's: the same 404 as an unknown one.
    ortho = client.get(f"{API}/staff/inbox", {"unit": str(world.demo.unit("ortopeden").pk)})
    assert ortho.status_code == 404 and ortho.json() == {"detail": "Not Found"}
    # A list is not a read of content: no subject, no access-log row.
    assert SUBJECT_ANNA not in json.dumps(distributed, ensure_ascii=False)
    assert AccessLogEntry.objects.filter(action="case.read", actor=world.member("maria").user).count() == 1


def test_clinic_inbox_pages_by_keyset_cursor(world: World) -> None:
    lars = world.resident("lars")
    for n in range(25):  # one page is 25; three are already new at Solna
        send(lars.user, lars, "solna", world.demo, subject=f"Fråga {n}")
    client = staff(world, "maria")
    first = client.get(f"{API}/staff/inbox").json()
    assert len(first["items"]) == 25 and first["next"]
    second = client.get(f"{API}/staff/inbox", {"after": first["next"]}).json()
    assert len(second["items"]) == 3 and second["next"] is None
    assert client.get(f"{API}/staff/inbox", {"after": "garbage"}).status_code == 404


def test_my_cases(world: World) -> None:
    data = staff(world, "hans").get(f"{API}/staff/mine").json()
    assert [row["id"] for row in data["items"]] == [str(world.case("anna").pk)]
    assert staff(world, "hedvig").get(f"{API}/staff/mine").json()["items"] == []


def test_staff_reads_a_case_with_the_residents_name_and_one_access_log_row(world: World) -> None:
    case = world.case("elsa")
    before = reads(case)

    response = staff(world, "maria").get(f"{API}/staff/{case.pk}")

    assert response.status_code == 200
    data = response.json()
    assert data["resident"] == {"id": str(world.resident("elsa").pk), "name": "Elsa Andersson"}
    assert data["by_guardian"] is True
    assert data["messages"][0]["author"] == "Vårdnadshavare"
    assert data["acting_role"] == Role.CASE_RECEIVER
    assert data["may_distribute"] and not data["may_answer"] and data["may_close"]
    assert {h["name"] for h in data["handlers"]} == {"Hans Holm", "Hedvig Hammar"}
    assert [h["to_status"] for h in data["history"]] == ["sent"]
    assert reads(case) == before + 1
    entry = AccessLogEntry.objects.filter(action="case.read", object_id=str(case.pk)).latest("id")
    assert entry.actor == world.member("maria").user and entry.subject == world.resident("elsa")
    body = response.content.decode()
    assert "201601022385" not in body and "20160102-2385" not in body


def test_distribute_with_an_interim_reply(world: World) -> None:
    case = world.case("lars")
    hedvig = world.member("hedvig")
    response = post(
        staff(world, "maria"),
        f"{API}/staff/{case.pk}/distribute",
        {"handler_id": str(hedvig.pk), "interim": "Vi återkommer i morgon."},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "interim"
    assert response.json()["handler"] == {"id": str(hedvig.pk), "name": "Hedvig Hammar"}
    case.refresh_from_db()
    assert case.handler == hedvig and case.status == CaseStatus.INTERIM
    assert Message.objects.get(case=case, interim=True).body == "Vi återkommer i morgon."


def test_distribute_to_someone_who_is_not_a_handler_there_is_422(world: World) -> None:
    case = world.case("lars")
    response = post(
        staff(world, "maria"),
        f"{API}/staff/{case.pk}/distribute",
        {"handler_id": str(world.member("olle").pk)},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "handler_id"]
    case.refresh_from_db()
    assert case.handler is None and case.status == CaseStatus.SENT


def test_answer_with_signature_and_close(world: World) -> None:
    case = world.case("anna")
    response = post(
        staff(world, "hans"),
        f"{API}/staff/{case.pk}/answer",
        {"body": "Kom in på torsdag.", "signature": "Hans Holm\nDistriktsläkare", "close": True},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    answer = Message.objects.get(case=case, author_kind=AuthorKind.STAFF)
    assert answer.body == "Kom in på torsdag.\n\nHans Holm\nDistriktsläkare"
    case.refresh_from_db()
    assert case.answered_by == world.member("hans")


def test_an_empty_answer_is_422(world: World) -> None:
    case = world.case("anna")
    response = post(staff(world, "hans"), f"{API}/staff/{case.pk}/answer", {"body": " "})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "body"]


def test_close_with_a_reason(world: World) -> None:
    case = world.case("lars")
    response = post(staff(world, "maria"), f"{API}/staff/{case.pk}/close", {"reason": "Dubblett"})
    assert response.status_code == 200
    assert response.json() == {
        "id": str(case.pk),
        "number": case.number,
        "status": "closed",
        "handler": None,
    }
    assert case.history.latest("at").reason == "Dubblett"
    assert post(staff(world, "maria"), f"{API}/staff/{case.pk}/close", {"reason": ""}).status_code == 422


def test_every_staff_api_read_writes_one_row_and_a_refused_one_none(world: World) -> None:
    case = world.case("anna")
    for key, status in (("maria", 200), ("hans", 200), ("hans", 200), ("hedvig", 404), ("olle", 404)):
        before = reads(case)
        assert staff(world, key).get(f"{API}/staff/{case.pk}").status_code == status
        assert reads(case) == before + (1 if status == 200 else 0), key


def test_staff_changes_write_their_read_to_the_access_log(world: World) -> None:
    case = world.case("lars")
    before = reads(case)
    post(staff(world, "maria"), f"{API}/staff/{case.pk}/close", {"reason": "Dubblett"})
    assert reads(case) == before + 1


def test_a_staff_member_who_loses_their_last_role_is_logged_out_on_the_next_request(world: World) -> None:
    client = staff(world, "hans")
    case = world.case("anna")
    assert client.get(f"{API}/staff/{case.pk}").status_code == 200
    grant = RoleGrant.objects.in_force().get(staff=world.member("hans"), role=Role.CASE_HANDLER)
    revoke_role(world.member("lena"), grant.pk)
    assert client.get(f"{API}/staff/{case.pk}").status_code == 401
    assert "_auth_user_id" not in client.session


def test_reassignment_takes_effect_on_the_next_request(world: World) -> None:
    client = staff(world, "hans")
    case = world.case("anna")
    assert client.get(f"{API}/staff/{case.pk}").status_code == 200
    actions.distribute_case(
        staff=world.member("maria"), case_id=case.pk, handler_id=world.member("hedvig").pk
    )
    assert client.get(f"{API}/staff/{case.pk}").status_code == 404
    assert client.get(f"{API}/staff/mine").json()["items"] == []


# --- Not found, realms, CSRF ------------------------------------------------------------------------


def test_a_hidden_case_an_unknown_id_and_a_malformed_one_answer_alike(world: World) -> None:
    hidden = str(world.case("anna").pk)
    for client, prefix in ((resident(world, "lars"), API), (staff(world, "hedvig"), f"{API}/staff")):
        answers = set()
        for ident in (hidden, str(uuid.uuid4()), "19870102-2389"):
            response = client.get(f"{prefix}/{ident}")
            answers.add((response.status_code, response.content))
        assert answers == {(404, b'{"detail": "Not Found"}')}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("post", ""),
        ("get", "/units"),
        ("get", "/{case}"),
        ("post", "/{case}/messages"),
        ("get", "/staff/inbox"),
        ("get", "/staff/mine"),
        ("get", "/staff/{case}"),
        ("post", "/staff/{case}/distribute"),
        ("post", "/staff/{case}/answer"),
        ("post", "/staff/{case}/close"),
    ],
)
def test_without_a_session_every_endpoint_is_401(world: World, method: str, path: str) -> None:
    url = API + path.format(case=world.case("anna").pk)
    client = Client(enforce_csrf_checks=True)
    response = client.get(url) if method == "get" else post(client, url, {})
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_the_other_realm_is_401(world: World) -> None:
    case = world.case("anna")
    assert resident(world, "anna").get(f"{API}/staff/{case.pk}").status_code == 401
    assert resident(world, "anna").get(f"{API}/staff/inbox").status_code == 401
    assert staff(world, "maria").get(f"{API}/{case.pk}").status_code == 401
    assert staff(world, "maria").get(API).status_code == 401


def test_unsafe_methods_need_the_csrf_token(world: World) -> None:
    case = world.case("lars")
    client = staff(world, "maria", enforce_csrf_checks=True)
    client.get("/")  # any page: sets the CSRF cookie
    url = f"{API}/staff/{case.pk}/close"
    refused = post(client, url, {"reason": "Dubblett"})
    assert refused.status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.SENT
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    accepted = post(client, url, {"reason": "Dubblett"}, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200

    anna = resident(world, "anna", enforce_csrf_checks=True)
    anna.get("/")
    reply_url = f"{API}/{world.case('anna').pk}/messages"
    assert post(anna, reply_url, {"body": "Hej"}).status_code == 403
    token = anna.cookies[settings.CSRF_COOKIE_NAME].value
    assert post(anna, reply_url, {"body": "Hej"}, HTTP_X_CSRFTOKEN=token).status_code == 201
    # Reads need no token.
    assert anna.get(API).status_code == 200


# --- The OpenAPI document, and what URLs carry ------------------------------------------------------

OPERATIONS = {
    ("get", "/api/v1/cases"),
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/cases/units"),
    ("get", "/api/v1/cases/units/{unit_id}/case-types"),
    ("get", "/api/v1/cases/my-clinics"),
    ("post", "/api/v1/cases/my-clinics"),
    ("delete", "/api/v1/cases/my-clinics/{unit_id}"),
    ("get", "/api/v1/cases/{case_id}"),
    ("post", "/api/v1/cases/{case_id}/messages"),
    ("post", "/api/v1/cases/{case_id}/messages/with-files"),
    ("post", "/api/v1/cases/{case_id}/archive"),
    ("get", "/api/v1/cases/{case_id}/attachments/{attachment_id}"),
    ("get", "/api/v1/cases/staff/inbox"),
    ("get", "/api/v1/cases/staff/mine"),
    ("get", "/api/v1/cases/staff/{case_id}"),
    ("post", "/api/v1/cases/staff/{case_id}/distribute"),
    ("post", "/api/v1/cases/staff/{case_id}/answer"),
    ("post", "/api/v1/cases/staff/{case_id}/answer/with-files"),
    ("get", "/api/v1/cases/staff/{case_id}/attachments/{attachment_id}"),
    ("post", "/api/v1/cases/staff/{case_id}/close"),
}


def test_the_openapi_document_lists_the_case_endpoints(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    listed = {
        (method, path)
        for path, operations in document["paths"].items()
        if path.startswith("/api/v1/cases")
        for method in operations
    }
    assert listed == OPERATIONS
    for method, path in OPERATIONS:
        operation = document["paths"][path][method]
        assert operation["security"], (method, path)
        assert operation["tags"] in (["Ärenden (invånare)"], ["Ärenden (vårdpersonal)"])
        assert "401" in operation["responses"] and "404" in operation["responses"]
    # Path parameters are ids; nothing in a path or a query parameter is a person's number or text.
    parameters = {
        p["name"]
        for path, operations in document["paths"].items()
        if path.startswith("/api/v1/cases")
        for operation in operations.values()
        for p in operation.get("parameters", [])
    }
    assert parameters == {"case_id", "unit_id", "attachment_id", "after", "archived", "unit", "tab", "number"}
    schemas = json.dumps(document["components"]["schemas"]).lower()
    assert "personnummer" not in schemas and "pnr" not in schemas


UUID_OR_NAME = re.compile(
    r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z][a-z0-9-]*|)$"
)


def test_no_personnummer_or_message_text_in_any_url(world: World) -> None:
    """Every URL the API hands out or is called with: path segments are UUIDs or fixed names; the
    query holds a case number, a tab or a cursor; never a personnummer, a subject or a body."""
    case = world.case("anna")
    anna = resident(world, "anna")
    maria = staff(world, "maria")
    lars = world.resident("lars")
    for n in range(25):
        send(lars.user, lars, "solna", world.demo, subject=f"Fråga {n}")
    resident_cursor = resident(world, "lars").get(API).json()["next"]
    staff_cursor = maria.get(f"{API}/staff/inbox").json()["next"]
    assert resident_cursor and staff_cursor
    urls = [
        API,
        f"{API}?after={resident_cursor}",
        f"{API}/units/{world.demo.unit('solna').pk}/case-types",
        f"{API}/{case.pk}",
        f"{API}/{case.pk}/messages",
        f"{API}/staff/inbox?number={case.number}&tab=distributed&unit={world.demo.unit('solna').pk}",
        f"{API}/staff/inbox?after={staff_cursor}",
        f"{API}/staff/{case.pk}",
        f"{API}/staff/{case.pk}/distribute",
    ]
    for url in urls:
        client = maria if "/staff/" in url else anna
        assert client.get(url).status_code in (200, 405), url
    texts = [SUBJECT_ANNA, BODY_ANNA, "Fråga", "knä"]
    numbers = set()
    for spec in demo_data.RESIDENTS:
        digits = spec.number
        numbers |= {digits, digits[2:], f"{digits[:8]}-{digits[8:]}", f"{digits[2:8]}-{digits[8:]}"}
    for url in urls:
        assert all(UUID_OR_NAME.match(part) for part in url.partition("?")[0].split("/")), url
        assert not any(text in url for text in texts), url
        assert not any(number in url for number in numbers), url


def test_an_expired_session_gets_401_from_the_api_not_a_login_page(demo: Demo) -> None:
    from vardkontakt.identity.session import SEEN_AT_KEY

    client = log_in_resident(Client(), demo.resident("anna"))
    session = client.session
    session[SEEN_AT_KEY] = 0
    session.save()
    response = client.get("/api/v1/cases")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "_auth_user_id" not in client.session
