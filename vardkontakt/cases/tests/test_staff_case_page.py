"""The staff case page: what it shows, and distributing, answering and closing from it."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.cases import actions, attachments, policy
from vardkontakt.cases.models import (
    AuthorKind,
    Case,
    CaseStatus,
    Message,
    StatusChange,
    send_history,
    send_people,
)
from vardkontakt.cases.templatetags.case_lists import staff_history, staff_thread
from vardkontakt.cases.tests.attachment_helpers import PDF, TEXT, upload
from vardkontakt.cases.tests.staff_helpers import page, send
from vardkontakt.conftest import Demo, log_in_staff


def _statuses(case: Case) -> list[tuple[str, str]]:
    return list(
        StatusChange.objects.filter(case=case).order_by("at", "pk").values_list("from_status", "to_status")
    )


def test_receiver_sees_the_case_and_may_distribute_but_not_answer(demo: Demo) -> None:
    case = send(demo)
    response = log_in_staff(Client(), demo.member("maria")).get(page(case))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ont i knät" in body and "Hemligt meddelande om knät" in body
    assert "Anna" in body and case.number in body
    assert "Skickat av vårdnadshavare" not in body
    assert response.context["may_distribute"] and not response.context["may_answer"]
    names = {h.full_name for h in response.context["handlers"]}
    assert names == {"Hans Holm", "Hedvig Hammar"}
    inbox = reverse("staff_cases:inbox")
    assert f'href="{inbox}?enhet={case.unit_id}">Till mottagningens inkorg</a>' in body


def test_case_sent_by_a_guardian_says_so(demo: Demo) -> None:
    from vardkontakt.cases.actions import send_case
    from vardkontakt.cases.models import CaseType

    anna, elsa = demo.resident("anna"), demo.resident("elsa")
    import uuid

    case = send_case(
        user=anna.user,
        resident=elsa,
        unit=demo.unit("solna"),
        case_type=CaseType.objects.get(code="skicka-meddelande", unit__isnull=True),
        subject="Elsas hosta",
        body="Hon hostar",
        answers={},
        accepted_terms=True,
        idempotency_key=uuid.uuid4(),
    )
    body = log_in_staff(Client(), demo.member("maria")).get(page(case)).content.decode()
    assert "Skickat av vårdnadshavare" in body and "Elsa" in body


def test_distribute_without_interim(demo: Demo) -> None:
    case = send(demo)
    hans = demo.member("hans")
    client = log_in_staff(Client(), demo.member("maria"))
    response = client.post(page(case), {"action": "distribute", "fordela-handler": str(hans.pk)})
    assert response.status_code == 302 and response["Location"] == page(case)
    case.refresh_from_db()
    assert case.status == CaseStatus.DISTRIBUTED and case.handler == hans
    assert _statuses(case) == [("", "sent"), ("sent", "distributed")]
    assert not Message.objects.filter(case=case, author_kind=AuthorKind.STAFF).exists()


def test_distribute_with_interim_reaches_the_resident(demo: Demo) -> None:
    case = send(demo)
    hedvig = demo.member("hedvig")
    client = log_in_staff(Client(), demo.member("maria"))
    response = client.post(
        page(case),
        {
            "action": "distribute",
            "fordela-handler": str(hedvig.pk),
            "fordela-interim": "Vi hör av oss i morgon.",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.INTERIM and case.handler == hedvig
    assert _statuses(case) == [("", "sent"), ("sent", "interim")]
    seen = policy.cases_of_resident(demo.resident("anna")).get(pk=case.pk)
    interim = [m for m in seen.messages.all() if m.interim]
    assert [m.body for m in interim] == ["Vi hör av oss i morgon."]
    assert interim[0].author_kind == AuthorKind.STAFF
    # The case page shows it, not yet read by the resident.
    body = client.get(page(case)).content.decode()
    assert "Vi hör av oss i morgon." in body and "Inte läst av invånaren än" in body


def test_distribute_to_a_handler_of_another_clinic_is_refused(demo: Demo) -> None:
    case = send(demo)
    client = log_in_staff(Client(), demo.member("maria"))
    response = client.post(
        page(case), {"action": "distribute", "fordela-handler": str(demo.member("olle").pk)}
    )
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()
    assert "Välj en ärendehanterare på mottagningen." in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.SENT and case.handler is None


def test_handler_answers_with_a_standard_reply_and_signature_and_closes(demo: Demo) -> None:
    case = send(demo)
    case.case_type.standard_replies = ["Välkommen på besök.", "Ring oss på 08-123 456 00."]
    case.case_type.save()
    hans = demo.member("hans")
    actions.distribute_case(staff=demo.member("maria"), case_id=case.pk, handler_id=hans.pk)
    client = log_in_staff(Client(), hans)
    first = client.get(page(case))
    assert first.context["may_answer"]
    assert f'href="{reverse("staff_cases:mine")}">Till mina ärenden</a>' in first.content.decode()
    assert first.context["answer_form"]["signature"].value() == "Hans Holm\nDistriktsläkare"
    used = client.post(
        page(case),
        {
            "action": "use_reply",
            "svar-standard_reply": "1",
            "svar-body": "Hej Anna,",
            "svar-signature": "Hans H",
        },
    )
    assert used.status_code == 200
    assert used.context["answer_form"]["body"].value() == "Hej Anna,\n\nRing oss på 08-123 456 00."
    assert used.context["answer_form"]["signature"].value() == "Hans H"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DISTRIBUTED  # using a reply sends nothing
    response = client.post(
        page(case),
        {
            "action": "answer",
            "svar-body": "Hej Anna, ring oss.",
            "svar-signature": "Hans Holm\nDistriktsläkare",
            "svar-close": "on",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.answered_by == hans
    assert _statuses(case)[-2:] == [("distributed", "answered"), ("answered", "closed")]
    answer = Message.objects.get(case=case, author_kind=AuthorKind.STAFF)
    assert answer.body == "Hej Anna, ring oss.\n\nHans Holm\nDistriktsläkare"
    # Answered cases stay visible to the handler who answered them.
    assert client.get(page(case)).status_code == 200


def test_empty_answer_shows_the_error_summary_and_changes_nothing(demo: Demo) -> None:
    case = send(demo)
    hans = demo.member("hans")
    actions.distribute_case(staff=demo.member("maria"), case_id=case.pk, handler_id=hans.pk)
    response = log_in_staff(Client(), hans).post(
        page(case), {"action": "answer", "svar-body": "   ", "svar-signature": "Hans"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "govuk-error-summary" in body and "Skriv ett svar." in body
    case.refresh_from_db()
    assert case.status == CaseStatus.DISTRIBUTED
    assert not Message.objects.filter(case=case, author_kind=AuthorKind.STAFF).exists()


def test_receiver_closes_with_a_reason(demo: Demo) -> None:
    case = send(demo)
    client = log_in_staff(Client(), demo.member("maria"))
    assert client.post(page(case), {"action": "close", "avsluta-reason": ""}).status_code == 400
    response = client.post(page(case), {"action": "close", "avsluta-reason": "Dubblett av annat ärende"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    last = StatusChange.objects.filter(case=case).latest("at", "pk")
    assert (last.to_status, last.reason) == ("closed", "Dubblett av annat ärende")
    assert "Dubblett av annat ärende" in client.get(page(case)).content.decode()


def test_handler_redistributes_own_case(demo: Demo) -> None:
    case = send(demo)
    hans, hedvig = demo.member("hans"), demo.member("hedvig")
    actions.distribute_case(staff=demo.member("maria"), case_id=case.pk, handler_id=hans.pk)
    client = log_in_staff(Client(), hans)
    assert client.get(page(case)).context["may_distribute"]
    response = client.post(page(case), {"action": "distribute", "fordela-handler": str(hedvig.pk)})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.handler == hedvig and case.status == CaseStatus.DISTRIBUTED
    assert _statuses(case)[-1] == ("distributed", "distributed")
    # Hans no longer sees it; Hedvig does.
    assert client.get(page(case)).status_code == 404
    assert log_in_staff(Client(), hedvig).get(page(case)).status_code == 200


def test_answering_a_closed_case_is_refused_and_changes_nothing(demo: Demo) -> None:
    case = send(demo)
    hans = demo.member("hans")
    actions.distribute_case(staff=demo.member("maria"), case_id=case.pk, handler_id=hans.pk)
    actions.close_case(staff=demo.member("maria"), case_id=case.pk, reason="Löst per telefon")
    client = log_in_staff(Client(), hans)
    assert not client.get(page(case)).context["may_answer"]
    before = StatusChange.objects.filter(case=case).count()
    response = client.post(page(case), {"action": "answer", "svar-body": "Sent svar", "svar-signature": ""})
    assert response.status_code == 403
    assert "Du saknar behörighet" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert StatusChange.objects.filter(case=case).count() == before
    assert not Message.objects.filter(case=case, author_kind=AuthorKind.STAFF).exists()


def test_closing_twice_is_refused_and_changes_nothing(demo: Demo) -> None:
    """A double-submitted close, or one racing another member: CLOSED leads nowhere in the table."""
    case = send(demo)
    client = log_in_staff(Client(), demo.member("maria"))
    data = {"action": "close", "avsluta-reason": "Dubblett"}
    assert client.post(page(case), data).status_code == 302
    before = StatusChange.objects.filter(case=case).count()
    again = client.post(page(case), data)
    assert again.status_code == 403
    assert "Du saknar behörighet" in again.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert StatusChange.objects.filter(case=case).count() == before
    # Nor can the closed case be distributed again.
    redistribute = {"action": "distribute", "fordela-handler": str(demo.member("hans").pk)}
    assert client.post(page(case), redistribute).status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.handler is None
    # The page offers none of the actions.
    shown = client.get(page(case)).context
    assert not (shown["may_distribute"] or shown["may_answer"] or shown["may_close"])


@pytest.mark.parametrize("member", ["maria", "hans"])
def test_every_view_of_the_case_page_writes_exactly_one_access_log_row(demo: Demo, member: str) -> None:
    case = send(demo)
    if member == "hans":
        actions.distribute_case(
            staff=demo.member("maria"), case_id=case.pk, handler_id=demo.member("hans").pk
        )
    staff = demo.member(member)
    client = log_in_staff(Client(), staff)
    rows = AccessLogEntry.objects.filter(action="case.read", object_id=str(case.pk))
    before = rows.count()
    for view in range(1, 3):
        assert client.get(page(case)).status_code == 200
        assert rows.count() == before + view
    entry = rows.latest("id")
    assert entry.actor_id == staff.user_id
    assert entry.acting_role == ("CASE_RECEIVER" if member == "maria" else "CASE_HANDLER")
    assert entry.unit_id == demo.unit("solna").pk
    assert entry.subject_id == demo.resident("anna").pk
    # A form that fails validation shows the page again: one more read, one more row.
    client.post(page(case), {"action": "close", "avsluta-reason": ""})
    assert rows.count() == before + 3


# The loop of cases/staff_detail.html before case_lists.staff_thread built the messages, over the
# entries the view built for it.
THREAD_LOOP = """{% load i18n case_lists %}{% for entry in entries %}
    <div class="govuk-inset-text">
      <p class="govuk-body-s govuk-!-margin-bottom-2">
        <strong>{{ entry.author }}</strong>, {{ entry.message.created_at|iso_minute }}
        {% if entry.message.interim %} <strong class="govuk-tag govuk-tag--blue">{% translate "Delsvar" %}</strong>{% endif %}
      </p>
      <p class="govuk-body">{{ entry.body|linebreaksbr }}</p>
      {% if entry.files %}{% include "cases/_attachment_list.html" with files=entry.files url_name="staff_cases:attachment" %}{% endif %}
      {% if entry.from_staff %}
      <p class="govuk-body-s govuk-!-margin-bottom-0">{% if entry.message.read_by_resident_at %}{% blocktranslate with at=entry.message.read_by_resident_at|iso_minute %}Läst av invånaren {{ at }}{% endblocktranslate %}{% else %}{% translate "Inte läst av invånaren än" %}{% endif %}</p>
      {% endif %}
    </div>
    {% endfor %}"""


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_thread_prints_what_the_template_loop_printed(demo: Demo, language: str) -> None:
    anna, maria, hans = demo.resident("anna"), demo.member("maria"), demo.member("hans")
    case = send(demo)
    actions.distribute_case(
        staff=maria, case_id=case.pk, handler_id=hans.pk, interim="Vi återkommer <snart> & 'gärna'."
    )
    actions.reply_as_resident(
        user=anna.user, resident=anna, case_id=case.pk, body="Tack!\nHälsningar\n\nAnna"
    )
    actions.answer_case(
        staff=hans,
        case_id=case.pk,
        body="Rad ett\nRad två <b>fet</b>",
        signature="Hans Holm",
        close=False,
        files=[upload("Svar & <provsvar>.pdf", PDF), upload("råd.txt", TEXT)],
        option=None,
    )
    Message.objects.filter(case=case, interim=True).update(read_by_resident_at=timezone.now())
    thread, name_of = attachments.thread_of(case), send_people(case)()
    entries = [
        {
            "message": m,
            "body": m.body,
            "author": name_of(m.author_id),
            "from_staff": m.author_kind == AuthorKind.STAFF,
            "files": list(m.attachments.all()),
        }
        for m in thread
    ]
    # The resident's message, the read interim reply, her reply, the unread answer with two files.
    assert [
        (m.author_kind == AuthorKind.STAFF, m.read_by_resident_at is not None, len(m.attachments.all()))
        for m in thread
    ] == [(False, False, 0), (True, True, 0), (False, False, 0), (True, False, 2)]
    with translation.override(language):
        expected = Template(THREAD_LOOP).render(Context({"entries": entries, "case": case}))
        assert staff_thread(case, thread, name_of) == expected
    assert "Svar &amp; &lt;provsvar&gt;.pdf" in expected and "Rad ett<br>Rad två &lt;b&gt;" in expected
    assert expected.count("<li>") == 2 and expected.count('class="govuk-inset-text"') == 4


# The loop of cases/staff_detail.html before case_lists.staff_history built the "Händelser" items,
# over the entries the view built for it.
HISTORY_LOOP = """{% load i18n case_lists %}{% for item in changes %}
      <li class="govuk-!-margin-bottom-3">
        <span class="govuk-body-s">{{ item.change.at|iso_minute }}</span><br>
        <strong>{{ item.to_label }}</strong>{% if item.from_label %} ({% blocktranslate with before=item.from_label %}från {{ before }}{% endblocktranslate %}){% endif %}<br>
        <span class="govuk-body-s">{{ item.by }}{% if item.change.reason %}: {{ item.change.reason }}{% endif %}</span>
      </li>
      {% endfor %}"""


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_history_prints_what_the_template_loop_printed(demo: Demo, language: str) -> None:
    maria, hans = demo.member("maria"), demo.member("hans")
    case = send(demo)
    actions.distribute_case(staff=maria, case_id=case.pk, handler_id=hans.pk, interim="Vi återkommer.")
    actions.close_case(staff=hans, case_id=case.pk, reason="Klart <enligt> 'samtal' & brev")
    history, name_of = send_history(case)(), send_people(case)()
    changes = [
        {
            "change": h,
            "from_label": CaseStatus(h.from_status).label if h.from_status else "",
            "to_label": CaseStatus(h.to_status).label,
            "by": name_of(h.by_id),
        }
        for h in history
    ]
    # Sent (no status before it), the interim reply, closed with a reason.
    assert [(h.from_status, h.to_status, bool(h.reason)) for h in history] == [
        ("", CaseStatus.SENT, False),
        (CaseStatus.SENT, CaseStatus.INTERIM, False),
        (CaseStatus.INTERIM, CaseStatus.CLOSED, True),
    ]
    with translation.override(language):
        expected = Template(HISTORY_LOOP).render(Context({"changes": changes}))
        assert staff_history(history, name_of) == expected
    assert "Klart &lt;enligt&gt; &#x27;samtal&#x27; &amp; brev" in expected
    assert expected.count("<li ") == 3 and ("(från " in expected or "(from " in expected)
