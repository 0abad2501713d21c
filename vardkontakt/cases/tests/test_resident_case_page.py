"""The resident's case page: messages, tracker, marking read, replying where allowed, and 404 for
every case that is not the acting resident's."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.cases import actions
from vardkontakt.cases.models import AuthorKind, Case, CaseStatus, Message
from vardkontakt.cases.tests.resident_helpers import send
from vardkontakt.conftest import Demo, log_in_resident


def url(case: Case | str) -> str:
    return reverse("cases:detail", args=[case.pk if isinstance(case, Case) else case])


def current_step(page: str) -> str:
    match = re.search(r'<li aria-current="step"><strong>([^<]+)</strong>', page)
    assert match, "no current step"
    return match.group(1)


@pytest.fixture
def case(demo: Demo) -> Case:
    return send(demo.resident("anna"), demo.unit("solna"), subject="Ont i ryggen", body="Det gör ont.")


def test_the_case_page_shows_the_case_its_messages_and_the_tracker(
    demo: Demo, resident_client: Client, case: Case
) -> None:
    page = resident_client.get(url(case)).content.decode()
    assert "Ont i ryggen" in page and case.number in page and "Det gör ont." in page
    assert "Vårdcentral Solna" in page and "Skicka meddelande" in page
    assert "Från dig" in page
    steps = re.findall(
        r"<li[^>]*>(?:<strong>|<span class=\"govuk-hint[^\"]*\">)?([^<]+)<", page.split("vk-case-tracker")[1]
    )
    assert steps[:5] == ["Skickat", "Hos en handläggare", "Delsvar", "Besvarat", "Avslutat"]
    assert page.count('aria-current="step"') == 1 and current_step(page) == "Skickat"
    assert f"Mottagningen har lovat att svara senast {case.promised_by.isoformat()}." in page
    assert "Mottagningen har inte svarat i tid" not in page
    assert 'name="body"' in page  # a reply is allowed


def test_staff_messages_are_marked_interim_replies_labelled_and_the_tracker_moves(
    demo: Demo, resident_client: Client, case: Case
) -> None:
    maria, hans = demo.member("maria"), demo.member("hans")
    actions.distribute_case(
        staff=maria, case_id=case.pk, handler_id=hans.pk, interim="Vi återkommer i morgon."
    )
    page = resident_client.get(url(case)).content.decode()
    assert current_step(page) == "Delsvar"
    interim = page[page.index("Vi återkommer i morgon.") - 1200 : page.index("Vi återkommer i morgon.")]
    assert "Från Vårdcentral Solna" in interim and ">Delsvar<" in interim and ">Nytt<" in interim
    assert page.index("Det gör ont.") < page.index("Vi återkommer i morgon.")  # in order
    actions.answer_case(staff=hans, case_id=case.pk, body="Boka en tid hos sjukgymnasten.")
    page = resident_client.get(url(case)).content.decode()
    assert current_step(page) == "Besvarat"
    assert page.count(">Nytt<") == 1  # the interim reply was read on the first visit
    assert "Mottagningen har lovat att svara senast" not in page
    tracker = resident_client.get(reverse("cases:tracker", args=[case.pk]))
    assert tracker.status_code == 200 and 'aria-current="step"' in tracker.content.decode()


def test_viewing_the_case_marks_the_staff_messages_read(
    demo: Demo, resident_client: Client, case: Case
) -> None:
    actions.distribute_case(
        staff=demo.member("maria"), case_id=case.pk, handler_id=demo.member("hans").pk, interim="Delsvar här."
    )
    staff_messages = Message.objects.filter(case=case, author_kind=AuthorKind.STAFF)
    assert staff_messages.get().read_by_resident_at is None
    resident_client.get(reverse("cases:tracker", args=[case.pk]))  # the tracker alone reads nothing
    assert staff_messages.get().read_by_resident_at is None
    resident_client.get(url(case))
    assert staff_messages.get().read_by_resident_at is not None
    assert Message.objects.get(case=case, author_kind=AuthorKind.RESIDENT).read_by_resident_at is None


def test_an_overdue_case_says_what_to_do(demo: Demo, resident_client: Client, case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(promised_by=timezone.localdate() - timedelta(days=1))
    page = resident_client.get(url(case)).content.decode()
    assert "Mottagningen har inte svarat i tid. Ring mottagningen på 08-123 456 00" in page
    case.refresh_from_db()
    actions.close_case(staff=demo.member("maria"), case_id=case.pk)
    assert "Mottagningen har inte svarat i tid" not in resident_client.get(url(case)).content.decode()


def test_a_resident_replies(demo: Demo, resident_client: Client, case: Case) -> None:
    response = resident_client.post(url(case), {"body": "Det har blivit värre."})
    assert response.status_code == 302 and response["Location"] == url(case)
    assert case.messages.order_by("created_at").last().body == "Det har blivit värre."  # type: ignore[union-attr]
    assert "Ditt svar är skickat." in resident_client.get(url(case)).content.decode()


@pytest.mark.parametrize(
    ("body", "error"), [("", "Fältet får inte vara tomt."), ("x" * 10_001, "högst 10000 tecken")]
)
def test_a_bad_reply_is_refused(resident_client: Client, case: Case, body: str, error: str) -> None:
    page = resident_client.post(url(case), {"body": body}).content.decode()
    assert "Det finns ett problem" in page and error in page
    assert case.messages.count() == 1


def test_no_reply_to_a_closed_case(demo: Demo, resident_client: Client, case: Case) -> None:
    actions.close_case(staff=demo.member("maria"), case_id=case.pk)
    page = resident_client.get(url(case)).content.decode()
    assert current_step(page) == "Avslutat"
    assert "Ärendet är avslutat, så du kan inte svara i det." in page and 'name="body"' not in page
    page = resident_client.post(url(case), {"body": "Hallå?"}).content.decode()
    assert "Det går inte att svara i det här ärendet." in page
    assert case.messages.count() == 1


def test_no_reply_where_the_type_does_not_allow_it(demo: Demo, resident_client: Client) -> None:
    case = send(
        demo.resident("anna"), demo.unit("solna"), code="fornya-recept", medicine="Alvedon", same_dose="ja"
    )
    page = resident_client.get(url(case)).content.decode()
    assert "Det här ärendet går inte att svara på." in page and 'name="body"' not in page
    assert "Alvedon" in page and "Tar du samma dos som tidigare?" in page and ">Ja<" in page
    page = resident_client.post(url(case), {"body": "Tillägg"}).content.decode()
    assert "Det går inte att svara i det här ärendet." in page
    assert case.messages.count() == 1


def test_another_residents_case_and_malformed_ids_are_404(demo: Demo, case: Case) -> None:
    lars = log_in_resident(Client(), demo.resident("lars"))
    for target in (url(case), reverse("cases:tracker", args=[case.pk])):
        assert lars.get(target).status_code == 404
    assert lars.post(url(case), {"body": "Inbrott"}).status_code == 404
    assert case.messages.count() == 1
    anna = log_in_resident(Client(), demo.resident("anna"))
    for bad in ("inte-ett-id", str(uuid.uuid4()), case.number, "198701022389", str(case.pk).upper()[:-1]):
        assert anna.get(url(bad)).status_code == 404
    assert Message.objects.filter(read_by_resident_at__isnull=False).count() == 0


def test_the_cases_of_a_child_are_seen_only_while_acting_for_the_child(
    demo: Demo, resident_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = timezone.localdate
    day = [date(2026, 12, 31)]
    monkeypatch.setattr(
        timezone,
        "localdate",
        lambda value=None, timezone=None: day[0] if value is None else real(value, timezone),
    )
    anna, leo = demo.resident("anna"), demo.resident("leo")
    leos = send(leo, demo.unit("solna"), user=anna.user, subject="Leos öra")
    assert resident_client.get(url(leos)).status_code == 404  # Anna's own view
    resident_client.post(reverse("identity:act_for"), {"child": str(leo.pk)})
    page = resident_client.get(url(leos)).content.decode()
    assert "Leos öra" in page and "Du agerar för Leo Andersson (12 år)." in page
    own = send(anna, demo.unit("solna"))
    assert resident_client.get(url(own)).status_code == 404  # while acting for Leo
    day[0] = date(2027, 1, 1)  # Leo turns 13: the proxy ends by itself
    assert resident_client.get(url(leos)).status_code == 404
    assert resident_client.get(url(own)).status_code == 200
    assert Case.objects.get(pk=leos.pk).status == CaseStatus.SENT
