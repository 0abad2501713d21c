"""Files in the JSON API: a resident's reply and a handler's answer with files (multipart/form-data),
and downloads under the same policy as the pages (the staff download written to the access log)."""

from __future__ import annotations

import pytest
from django.test import Client

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.cases.models import Attachment, Case, Message
from vardkontakt.cases.tests.attachment_helpers import EXE, PDF, TEXT, upload
from vardkontakt.cases.tests.cases_world import World, build_world
from vardkontakt.conftest import Demo, log_in_resident, log_in_staff

API = "/api/v1/cases"


@pytest.fixture
def world(demo: Demo) -> World:
    return build_world(demo)


def test_a_reply_with_files_is_stored_and_listed_and_downloads(world: World) -> None:
    case = world.case("anna")
    client = log_in_resident(Client(), world.resident("anna"))
    response = client.post(
        f"{API}/{case.pk}/messages/with-files",
        {"body": "Här är mätningarna.", "files": [upload("matningar.txt", TEXT), upload("remiss.pdf", PDF)]},
    )
    assert response.status_code == 201, response.content
    sent = response.json()
    assert [(f["name"], f["content_type"]) for f in sent["attachments"]] == [
        ("matningar.txt", "text/plain; charset=utf-8"),
        ("remiss.pdf", "application/pdf"),
    ]
    listed = client.get(f"{API}/{case.pk}").json()["messages"][-1]["attachments"]
    assert {f["id"] for f in listed} == {f["id"] for f in sent["attachments"]}
    pdf = next(f for f in sent["attachments"] if f["name"] == "remiss.pdf")
    download = client.get(f"{API}/{case.pk}/attachments/{pdf['id']}")
    assert download.status_code == 200 and download.content == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    # Another resident, and a file asked for under another case: the same 404.
    lars = log_in_resident(Client(), world.resident("lars"))
    assert lars.get(f"{API}/{case.pk}/attachments/{pdf['id']}").status_code == 404
    other = world.case("elsa")
    assert client.get(f"{API}/{other.pk}/attachments/{pdf['id']}").status_code == 404


def test_a_disguised_file_refuses_the_whole_reply(world: World) -> None:
    case = world.case("anna")
    before = Message.objects.count(), Attachment.objects.count()
    response = log_in_resident(Client(), world.resident("anna")).post(
        f"{API}/{case.pk}/messages/with-files",
        {"body": "Se bilagor.", "files": [upload("ok.txt", TEXT), upload("intyg.pdf", EXE)]},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "files"
    assert (Message.objects.count(), Attachment.objects.count()) == before


def test_the_handler_answers_with_a_file_and_the_staff_download_is_logged(world: World) -> None:
    case = world.case("anna")
    hans = log_in_staff(Client(), world.member("hans"))
    response = hans.post(
        f"{API}/staff/{case.pk}/answer/with-files",
        {"body": "Se remissen.", "signature": "Hans", "files": [upload("remiss.pdf", PDF)]},
    )
    assert response.status_code == 200, response.content
    file = Attachment.objects.get(message__case=case, message__author_kind="staff")
    resident = log_in_resident(Client(), world.resident("anna"))
    assert resident.get(f"{API}/{case.pk}/attachments/{file.pk}").content == PDF
    before = AccessLogEntry.objects.filter(action="attachment.read").count()
    maria = log_in_staff(Client(), world.member("maria"))
    assert maria.get(f"{API}/staff/{case.pk}/attachments/{file.pk}").content == PDF
    entry = AccessLogEntry.objects.filter(action="attachment.read").latest("id")
    assert AccessLogEntry.objects.filter(action="attachment.read").count() == before + 1
    assert entry.object_id == str(file.pk) and entry.actor_id == world.member("maria").user_id
    # Not a handler of this case: 404, and nothing logged.
    hedvig = log_in_staff(Client(), world.member("hedvig"))
    assert hedvig.get(f"{API}/staff/{case.pk}/attachments/{file.pk}").status_code == 404
    assert AccessLogEntry.objects.filter(action="attachment.read").count() == before + 1


def test_an_answer_with_an_option_through_the_api(world: World) -> None:
    case: Case = world.case("anna")
    case.case_type.answer_options = ["Välkommen på besök"]
    case.case_type.save()
    hans = log_in_staff(Client(), world.member("hans"))
    assert "Välkommen på besök" in hans.get(f"{API}/staff/{case.pk}").json()["answer_options"]
    bad = hans.post(f"{API}/staff/{case.pk}/answer", {"option": 3}, content_type="application/json")
    assert bad.status_code == 422
    ok = hans.post(f"{API}/staff/{case.pk}/answer", {"option": 0}, content_type="application/json")
    assert ok.status_code == 200
    assert case.messages.filter(author_kind="staff").get().body == "Välkommen på besök"
