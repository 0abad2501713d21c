"""Attachments through the pages: uploading with a case, a reply and an answer; downloading only for
those who may read the case (DESIGN.md §2), with the same 404 for everyone else; and one access-log
row ("attachment.read") per staff download."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.cases import actions
from vardkontakt.cases.models import Attachment, Case, Message
from vardkontakt.cases.tests import attachment_helpers as files
from vardkontakt.cases.tests.attachment_helpers import upload
from vardkontakt.cases.tests.cases_world import World, build_world, case_type, row_counts
from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.identity.session import ACTING_FOR_KEY
from vardkontakt.roles.models import Role


@pytest.fixture
def world(demo: Demo) -> World:
    """The case world, with a file on Anna's case from her (a reply) and from Hans (the answer), and
    one on Elsa's case (sent by Anna acting for her), Lars's Solna case and the orthopaedic case."""
    world = build_world(demo)
    anna, hans, lars = world.resident("anna"), world.member("hans"), world.resident("lars")
    actions.reply_as_resident(
        user=anna.user,
        resident=anna,
        case_id=world.case("anna").pk,
        body="Här är bilden.",
        files=[upload("knä.jpg", files.JPEG)],
    )
    actions.answer_case(
        staff=hans, case_id=world.case("anna").pk, body="Remiss.", files=[upload("remiss.pdf", files.PDF)]
    )
    elsa = world.resident("elsa")
    actions.reply_as_resident(
        user=anna.user,
        resident=elsa,
        case_id=world.case("elsa").pk,
        body="Feberkurva.",
        files=[upload("feber.txt", files.TEXT)],
    )
    for key in ("lars", "ortho"):
        actions.reply_as_resident(
            user=lars.user,
            resident=lars,
            case_id=world.case(key).pk,
            body="Bild.",
            files=[upload("höft.png", files.PNG)],
        )
    return world


def file_of(case: Case, name: str | None = None) -> Attachment:
    found = [a for a in Attachment.objects.filter(message__case=case) if name is None or a.filename == name]
    assert len(found) == 1
    return found[0]


def resident_url(case: Case, attachment: Attachment | str) -> str:
    ident = attachment if isinstance(attachment, str) else attachment.pk
    return reverse("cases:attachment", args=[case.pk, ident])


def staff_url(case: Case, attachment: Attachment | str) -> str:
    ident = attachment if isinstance(attachment, str) else attachment.pk
    return reverse("staff_cases:attachment", args=[case.pk, ident])


def assert_download(response: object, attachment: Attachment, data: bytes, content_type: str) -> None:
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.content == data  # type: ignore[attr-defined]
    assert response["Content-Type"] == content_type  # type: ignore[index]
    assert response["Content-Disposition"].startswith("attachment;")  # type: ignore[index]
    assert response["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert "no-store" in response["Cache-Control"]  # type: ignore[index]
    assert "sandbox" in response["Content-Security-Policy"]  # type: ignore[index]


# --- Residents --------------------------------------------------------------------------------------


def test_the_resident_downloads_the_files_of_their_case(world: World) -> None:
    client = log_in_resident(Client(), world.resident("anna"))
    case = world.case("anna")
    photo, referral = file_of(case, "knä.jpg"), file_of(case, "remiss.pdf")
    response = client.get(resident_url(case, photo))
    assert_download(response, photo, files.JPEG, "image/jpeg")
    # A non-ASCII name travels as RFC 6266 filename*.
    assert "filename*=utf-8''kn%C3%A4.jpg" in response["Content-Disposition"]
    assert_download(client.get(resident_url(case, referral)), referral, files.PDF, "application/pdf")
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert resident_url(case, photo) in page and resident_url(case, referral) in page
    assert "remiss.pdf" in page


def test_a_guardian_downloads_the_childs_files_only_while_acting_for_the_child(world: World) -> None:
    anna = world.resident("anna")
    elsa_case = world.case("elsa")
    elsa_file = file_of(elsa_case)
    own_file = file_of(world.case("anna"), "knä.jpg")
    client = log_in_resident(Client(), anna)
    assert client.get(resident_url(elsa_case, elsa_file)).status_code == 404  # as herself
    session = client.session
    session[ACTING_FOR_KEY] = str(world.resident("elsa").pk)
    session.save()
    assert_download(
        client.get(resident_url(elsa_case, elsa_file)), elsa_file, files.TEXT, "text/plain; charset=utf-8"
    )
    assert client.get(resident_url(world.case("anna"), own_file)).status_code == 404  # not in proxy mode


def test_other_residents_get_404(world: World) -> None:
    case, photo = world.case("anna"), file_of(world.case("anna"), "knä.jpg")
    for key in ("lars", "oskar"):
        client = log_in_resident(Client(), world.resident(key))
        assert client.get(resident_url(case, photo)).status_code == 404
    # Lars's own case id with Anna's file id: the file must belong to the case in the URL.
    lars = log_in_resident(Client(), world.resident("lars"))
    assert lars.get(resident_url(world.case("lars"), photo)).status_code == 404
    assert lars.get(resident_url(world.case("lars"), "inte-ett-id")).status_code == 404
    assert lars.get(resident_url(world.case("lars"), str(uuid.uuid4()))).status_code == 404


def test_staff_cannot_use_the_resident_download(world: World) -> None:
    case, photo = world.case("anna"), file_of(world.case("anna"), "knä.jpg")
    client = log_in_staff(Client(), world.member("maria"))
    assert client.get(resident_url(case, photo)).status_code != 200


# --- Staff ------------------------------------------------------------------------------------------


def downloads() -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(action="attachment.read").order_by("id"))


@pytest.mark.parametrize(("staff_key", "role"), [("maria", Role.CASE_RECEIVER), ("hans", Role.CASE_HANDLER)])
def test_the_receiver_and_the_assigned_handler_download_and_each_download_is_logged(
    world: World, staff_key: str, role: str
) -> None:
    staff = world.member(staff_key)
    client = log_in_staff(Client(), staff)
    case = world.case("anna")
    photo = file_of(case, "knä.jpg")
    for expected in (1, 2):
        assert_download(client.get(staff_url(case, photo)), photo, files.JPEG, "image/jpeg")
        rows = downloads()
        assert len(rows) == expected
    row = downloads()[-1]
    assert row.actor_id == staff.user.pk
    assert row.acting_role == role
    assert row.object_type == "Attachment"
    assert row.object_id == str(photo.pk)
    assert row.unit_id == case.unit_id
    assert row.subject_id == world.resident("anna").pk


def test_the_staff_case_page_links_the_files(world: World) -> None:
    client = log_in_staff(Client(), world.member("maria"))
    case = world.case("anna")
    page = client.get(reverse("staff_cases:detail", args=[case.pk])).content.decode()
    for attachment in Attachment.objects.filter(message__case=case):
        assert staff_url(case, attachment) in page
    assert "knä.jpg" in page and "remiss.pdf" in page
    assert not downloads()  # showing the names is not a download


@pytest.mark.parametrize(
    ("staff_key", "case_key"),
    [
        ("hedvig", "anna"),  # a handler at the clinic, not assigned
        ("lena", "anna"),  # local admin
        ("bo", "anna"),  # access admin
        ("greta", "anna"),  # log reviewer
        ("vera", "anna"),  # unit manager
        ("olle", "anna"),  # the other clinic's receiver
        ("rita", "anna"),  # region admin
        ("hans", "lars"),  # the handler, on a case not assigned to him
        ("maria", "ortho"),  # the receiver, on another clinic's case
    ],
)
def test_everyone_else_gets_404_and_nothing_is_logged(world: World, staff_key: str, case_key: str) -> None:
    client = log_in_staff(Client(), world.member(staff_key))
    case = world.case(case_key)
    before = AccessLogEntry.objects.count()
    response = client.get(staff_url(case, file_of(case, None if case_key != "anna" else "knä.jpg")))
    assert response.status_code == 404
    assert AccessLogEntry.objects.count() == before


def test_a_file_of_another_case_is_404_even_for_a_reader_of_both(world: World) -> None:
    client = log_in_staff(Client(), world.member("maria"))
    lars_file = file_of(world.case("lars"))
    before = AccessLogEntry.objects.count()
    assert client.get(staff_url(world.case("anna"), lars_file)).status_code == 404
    assert client.get(staff_url(world.case("anna"), str(uuid.uuid4()))).status_code == 404
    assert client.get(staff_url(world.case("anna"), "inte-ett-id")).status_code == 404
    assert AccessLogEntry.objects.count() == before


def test_reassigning_takes_the_download_away_on_the_next_request(world: World) -> None:
    hans, hedvig, maria = world.member("hans"), world.member("hedvig"), world.member("maria")
    case = world.case("lars")
    actions.distribute_case(staff=maria, case_id=case.pk, handler_id=hans.pk)
    client = log_in_staff(Client(), hans)
    lars_file = file_of(case)
    assert client.get(staff_url(case, lars_file)).status_code == 200
    actions.distribute_case(staff=maria, case_id=case.pk, handler_id=hedvig.pk)
    assert client.get(staff_url(case, lars_file)).status_code == 404


# --- Uploading through the pages --------------------------------------------------------------------


def hidden_fields(page: str) -> dict[str, str]:
    fields = {}
    for name in ("idempotency_key", "resident"):
        match = re.search(rf'name="{name}" value="([^"]*)"', page)
        assert match, name
        fields[name] = match.group(1)
    return fields


def test_a_resident_sends_a_case_with_files_through_the_form(demo: Demo, resident_client: Client) -> None:
    unit, kind = demo.unit("solna"), case_type()
    url = f"{reverse('cases:new')}?mottagning={unit.pk}&typ={kind.pk}"
    page = resident_client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert "Högst 5 filer, var och en högst 10 MB" in page
    fields = hidden_fields(page)
    data = {
        "subject": "Provsvar",
        "body": "Se bifogat.",
        "accept_terms": "on",
        **fields,
        "attachments": [upload("remiss.pdf", files.PDF), upload("bild.png", files.PNG)],
    }
    response = resident_client.post(url, data)
    assert response.status_code == 302
    case = Case.objects.get()
    assert sorted(a.filename for a in Attachment.objects.filter(message__case=case)) == [
        "bild.png",
        "remiss.pdf",
    ]


def test_a_refused_file_on_the_form_shows_a_clear_error_and_sends_nothing(
    demo: Demo, resident_client: Client
) -> None:
    unit, kind = demo.unit("solna"), case_type()
    url = f"{reverse('cases:new')}?mottagning={unit.pk}&typ={kind.pk}"
    page = resident_client.get(url).content.decode()
    fields = hidden_fields(page)
    before = row_counts()
    response = resident_client.post(
        url,
        {
            "subject": "Provsvar",
            "body": "Se bifogat.",
            "accept_terms": "on",
            **fields,
            "attachments": [upload("remiss.pdf", files.PDF), upload("faktura.pdf", files.EXE)],
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Filen faktura.pdf kan inte skickas." in text
    assert "Om du hade valt filer behöver du välja dem igen." in text
    assert row_counts() == before
    assert not Attachment.objects.exists()


def test_a_resident_replies_with_a_file(world: World) -> None:
    client = log_in_resident(Client(), world.resident("anna"))
    case = world.case("anna")
    url = reverse("cases:detail", args=[case.pk])
    response = client.post(url, {"body": "Ett till foto.", "attachments": [upload("foto2.jpg", files.JPEG)]})
    assert response.status_code == 302
    assert Message.objects.filter(case=case, attachments__isnull=False).count() == 3
    assert file_of(case, "foto2.jpg").content_type == "image/jpeg"


def test_the_handler_answers_with_a_file_through_the_staff_page(world: World) -> None:
    client = log_in_staff(Client(), world.member("hans"))
    case = world.case("anna")
    url = reverse("staff_cases:detail", args=[case.pk])
    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="svar-attachments"' in page
    response = client.post(
        url,
        {
            "action": "answer",
            "svar-body": "Här är intyget.",
            "svar-signature": "Hans",
            "svar-attachments": [upload("intyg.pdf", files.PDF)],
        },
    )
    assert response.status_code == 302
    assert file_of(case, "intyg.pdf").message.body == "Här är intyget.\n\nHans"


def test_a_refused_file_on_the_staff_page_answers_nothing(world: World) -> None:
    client = log_in_staff(Client(), world.member("hans"))
    case = world.case("anna")
    before = row_counts()
    response = client.post(
        reverse("staff_cases:detail", args=[case.pk]),
        {"action": "answer", "svar-body": "Intyg.", "svar-attachments": [upload("intyg.pdf", files.HTML)]},
    )
    assert response.status_code == 400
    assert "Filen intyg.pdf kan inte skickas." in response.content.decode()
    assert row_counts() == before
