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
