"""The list rows' filters (cases/templatetags/case_lists.py) print exactly what the general Django tags
they replace print."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from vardkontakt.cases.models import CaseStatus
from vardkontakt.conftest import Demo

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def render(source: str, **context: object) -> str:
    return Template("{% load case_lists %}" + source).render(Context(context))


@pytest.mark.parametrize("name", ["cases:detail", "staff_cases:detail"])
def test_url_with_id_is_the_url_tag(name: str) -> None:
    for _ in range(3):  # the first call reverses, the others reuse the pattern
        pk = uuid.uuid4()
        assert render(f"{{{{ pk|url_with_id:'{name}' }}}}", pk=pk) == render(
            f"{{% url '{name}' pk %}}", pk=pk
        )
    assert render("{{ pk|url_with_id:'cases:detail' }}", pk=pk).endswith(f"/{pk}/")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_status_label_is_get_status_display(language: str) -> None:
    from vardkontakt.cases.models import Case

    with translation.override(language):
        for status in CaseStatus.values:
            expected = render("{{ case.get_status_display }}", case=Case(status=status))
            assert render("{{ status|status_label }}", status=status) == expected
        assert render("{{ status|status_label }}", status="okänd") == "okänd"
    with translation.override("en"):
        assert render("{{ status|status_label }}", status=CaseStatus.SENT) != render(
            "{{ status|status_label }}", status=CaseStatus.CLOSED
        )


@pytest.mark.parametrize(
    "at",
    [
        datetime.datetime(2026, 1, 15, 23, 30, tzinfo=datetime.UTC),  # winter: the next day in Stockholm
        datetime.datetime(2026, 7, 1, 22, 5, tzinfo=datetime.UTC),  # summer time
        datetime.datetime(2026, 3, 29, 0, 59, tzinfo=datetime.UTC),  # the hour summer time begins
        datetime.datetime(999, 12, 31, 12, 0, tzinfo=datetime.UTC),  # a year of three digits
    ],
)
def test_iso_minute_and_iso_day_are_the_date_filter(at: datetime.datetime) -> None:
    for zone in (STOCKHOLM, datetime.UTC):
        with timezone.override(zone):
            assert render("{{ at|iso_minute }}", at=at) == render('{{ at|date:"Y-m-d H:i" }}', at=at)
            assert render("{{ at|iso_day }}", at=at) == render('{{ at|date:"Y-m-d" }}', at=at)
            day = at.date()
            assert render("{{ day|iso_day }}", day=day) == render('{{ day|date:"Y-m-d" }}', day=day)
    with timezone.override(STOCKHOLM):
        winter = datetime.datetime(2026, 1, 15, 23, 30, tzinfo=datetime.UTC)
        assert render("{{ at|iso_minute }}", at=winter) == "2026-01-16 00:30"


def test_nothing_prints_nothing() -> None:
    for source in ("{{ v|iso_minute }}", "{{ v|iso_day }}"):
        assert render(source, v=None) == ""
        assert render(source) == ""


# The row loop cases/staff_case_table.html had before staff_case_rows, over model instances.
_ROW_LOOP = """{% load i18n case_lists %}{% translate "Ej fördelat" as not_distributed %}
    {% for case in cases %}
    <tr class="govuk-table__row">
      <td class="govuk-table__cell"><a class="govuk-link" href="{{ case.pk|url_with_id:'staff_cases:detail' }}">{{ case.number }}</a></td>
      {% if show_resident %}<td class="govuk-table__cell">{{ case.resident.full_name }}</td>{% endif %}
      <td class="govuk-table__cell">{{ case.case_type.name }}</td>
      <td class="govuk-table__cell">{{ case.created_at|iso_minute }}</td>
      <td class="govuk-table__cell">{{ case.promised_by|iso_day }}{% if case.promised_by < today and case.status != "answered" and case.status != "closed" %} <strong class="govuk-tag govuk-tag--red">{% translate "Försenat" %}</strong>{% endif %}</td>
      <td class="govuk-table__cell">{% if case.handler %}{{ case.handler.full_name }}{% else %}{{ not_distributed }}{% endif %}</td>
      <td class="govuk-table__cell">{{ case.status|status_label }}</td>
    </tr>
    {% endfor %}"""


@pytest.mark.parametrize("language", ["sv", "en"])
def test_staff_case_rows_is_the_template_loop(demo: Demo, language: str) -> None:
    from vardkontakt.cases import actions
    from vardkontakt.cases.models import Case
    from vardkontakt.cases.tests.staff_helpers import send
    from vardkontakt.cases.views_staff import CASE_ROW_FIELDS

    maria, hans = demo.member("maria"), demo.member("hans")
    hans.given_name = "<Hans & 'Co'>"
    hans.save()
    cases = [send(demo, resident="lars" if n % 2 else "anna", subject=f"Ärende {n}") for n in range(6)]
    actions.distribute_case(staff=maria, case_id=cases[1].pk, handler_id=hans.pk)
    actions.distribute_case(staff=maria, case_id=cases[2].pk, handler_id=hans.pk)
    actions.answer_case(staff=hans, case_id=cases[2].pk, body="Svar")
    actions.close_case(staff=maria, case_id=cases[3].pk, reason="Klart")
    today = timezone.localdate()
    # Late and not late, in every status that has a case here.
    Case.objects.filter(pk__in=[c.pk for c in cases[:4]]).update(
        promised_by=today - datetime.timedelta(days=1)
    )
    models = list(Case.objects.select_related("case_type", "handler", "resident").order_by("-last_activity"))
    rows = list(Case.objects.values_list(*CASE_ROW_FIELDS, named=True).order_by("-last_activity"))
    assert len({c.status for c in models}) >= 4
    loop = Template(_ROW_LOOP)
    with translation.override(language), timezone.override(STOCKHOLM):
        for show_resident in (True, False):
            expected = loop.render(Context({"cases": models, "show_resident": show_resident, "today": today}))
            got = render(
                "{% staff_case_rows cases show_resident today %}",
                cases=rows,
                show_resident=show_resident,
                today=today,
            )
            assert got == expected.removeprefix("\n    ")
    assert "&lt;Hans &amp; &#x27;Co&#x27;&gt;" in got
    assert "govuk-tag--red" in got
