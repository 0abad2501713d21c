"""The reviewer's own reads of the log are logged; the export holds exactly the filtered rows; and no
personnummer reaches a URL anywhere in the review's pages."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.audit import actions
from vardkontakt.audit.models import AccessLogEntry, LogFilter, LogReview, Verdict
from vardkontakt.audit.review import filtered_entries
from vardkontakt.audit.tests.review_world import (
    World,
    at,
    build_world,
    client_of,
    latest_filter,
    latest_review,
    make_filter,
    old_row,
    stored_bytes,
)
from vardkontakt.conftest import Demo
from vardkontakt.identity.login import STEP_UP_KEY
from vardkontakt.identity.session import AUTH_AT_KEY
from vardkontakt.roles.models import Role
from vardkontakt.web import demo as demo_data


@pytest.fixture
def world(demo: Demo) -> World:
    return build_world(demo)


def reviewer_rows(world: World, action: str) -> list[AccessLogEntry]:
    return list(
        AccessLogEntry.objects.filter(actor_id=world.member("greta").user_id, action=action).order_by("id")
    )


def test_a_page_of_rows_logs_one_row_per_resident_shown(world: World) -> None:
    demo = world.demo
    day = timezone.localdate() - timedelta(days=1)
    for resident in ("anna", "lars", "lars", "elsa"):
        old_row(demo, when=at(day), staff="hans", resident=resident)
    client = client_of(world, "greta")
    make_filter(client, demo.unit("solna"), date_from=day, date_to=day)
    log_filter = latest_filter(world.member("greta"))
    assert reviewer_rows(world, "logreview.read") == []  # storing a filter shows nothing
    client.get(reverse("logreview:filter", args=[log_filter.pk]))
    rows = reviewer_rows(world, "logreview.read")
    assert {r.subject_id for r in rows} == {demo.resident(k).pk for k in ("anna", "lars", "elsa")}
    assert len(rows) == 3
    assert {(r.unit_id, r.acting_role, r.object_type, r.object_id) for r in rows} == {
        (demo.unit("solna").pk, Role.LOG_REVIEWER, "LogFilter", str(log_filter.pk))
    }


def test_a_filter_naming_a_resident_logs_them_even_without_rows(world: World) -> None:
    client = client_of(world, "greta")
    make_filter(client, world.demo.unit("solna"), pnr="19580112-2655")  # Lars: no rows at Solna today
    client.get(reverse("logreview:filter", args=[latest_filter(world.member("greta")).pk]))
    assert [r.subject_id for r in reviewer_rows(world, "logreview.read")] == [world.resident("lars").pk]


def test_reading_a_review_logs_the_residents_in_its_sample(world: World) -> None:
    client = client_of(world, "greta")
    make_filter(
        client, world.demo.unit("solna"), hsa=world.demo.member("maria").hsa_id
    )  # her read of Anna's case
    sample = actions.draw_sample(
        staff=world.member("greta"),
        filter_id=latest_filter(world.member("greta")).pk,
        size=1,
        idempotency_key=uuid.uuid4(),
    )
    before = len(reviewer_rows(world, "logreview.read"))
    client.get(reverse("logreview:review", args=[sample.pk]))
    client.get(reverse("logreview:item", args=[sample.pk, 1]))
    logged = reviewer_rows(world, "logreview.read")[before:]
    assert [(r.subject_id, r.object_type, r.object_id) for r in logged] == [
        (world.resident("anna").pk, "LogReview", str(sample.pk))
    ] * 2


def read_csv(response: object) -> list[list[str]]:
    assert response["Content-Disposition"].startswith("attachment;")  # type: ignore[index]
    assert response["Content-Type"] == "text/csv; charset=utf-8"  # type: ignore[index]
    body = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_the_export_holds_exactly_the_filtered_rows_and_is_logged(world: World) -> None:
    demo = world.demo
    day = timezone.localdate() - timedelta(days=4)
    for i, resident in enumerate(("anna", "lars", "elsa", "lars")):
        old_row(demo, when=at(day) + timedelta(minutes=i), staff="hans", resident=resident)
    old_row(demo, when=at(day), staff="maria", resident="anna")  # another member: not in the filter
    old_row(demo, when=at(day), staff="hans", resident="anna", unit="ortopeden")  # another unit
    old_row(demo, when=at(day - timedelta(days=1)), staff="hans", resident="anna")  # before the period
    greta = world.member("greta")
    log_filter = actions.create_filter(
        staff=greta,
        unit_id=demo.unit("solna").pk,
        hsa_id=demo.member("hans").hsa_id,
        personnummer="",
        date_from=day,
        date_to=timezone.localdate(),
    )
    expected = list(filtered_entries(greta, log_filter).order_by("at", "id"))
    assert len(expected) == 4
    client = client_of(world, "greta")
    confirm = client.get(reverse("logreview:filter_export", args=[log_filter.pk]))
    assert confirm.status_code == 200 and "skrivs i åtkomstloggen" in confirm.content.decode()
    assert reviewer_rows(world, "logreview.export") == []  # the confirmation page exports nothing
    lines = read_csv(client.post(reverse("logreview:filter_export", args=[log_filter.pk])))
    header, body = lines[0], lines[1:]
    assert header[:2] == ["Tidpunkt", "Personalens HSA-id"]
    assert [line[8] for line in body] == [e.object_id for e in expected]
    assert {line[1] for line in body} == {demo.member("hans").hsa_id}
    assert body[0][4:6] == ["19870102-2389", "Anna Andersson"]
    logged = reviewer_rows(world, "logreview.export")
    assert {r.subject_id for r in logged} == {demo.resident(k).pk for k in ("anna", "lars", "elsa")}
    assert len(logged) == 3


def test_the_review_export_holds_its_sample_and_latest_conclusions(world: World) -> None:
    greta = world.member("greta")
    day = timezone.localdate() - timedelta(days=1)
    for resident in ("anna", "lars", "elsa"):
        old_row(world.demo, when=at(day), staff="hans", resident=resident)
    log_filter = actions.create_filter(
        staff=greta,
        unit_id=world.demo.unit("solna").pk,
        hsa_id="",
        personnummer="",
        date_from=day,
        date_to=day,
    )
    sample = actions.draw_sample(staff=greta, filter_id=log_filter.pk, size=3, idempotency_key=uuid.uuid4())
    actions.conclude(
        staff=greta, review_id=sample.pk, position=1, verdict=Verdict.FOLLOW_UP, comment="Fråga."
    )
    actions.conclude(
        staff=greta, review_id=sample.pk, position=1, verdict=Verdict.NOT_JUSTIFIED, comment="=Uppföljt."
    )
    lines = read_csv(client_of(world, "greta").post(reverse("logreview:review_export", args=[sample.pk])))
    body = lines[1:]
    entries = [item.entry for item in sample.items.select_related("entry").order_by("position")]
    assert [line[9] for line in body] == [e.object_id for e in entries]
    assert body[0][10:12] == ["Inte befogad – har följts upp", "'=Uppföljt."]  # no formula in a sheet
    assert body[1][10:] == ["", "", "", ""]
    assert len(reviewer_rows(world, "logreview.export")) == 3


NUMBERS = [spec.number for spec in demo_data.RESIDENTS]


def _forms_of(number: str) -> set[str]:
    return {number, number[2:], f"{number[:8]}-{number[8:]}", f"{number[2:8]}-{number[8:]}"}


def test_no_personnummer_in_any_url_of_the_review(world: World) -> None:
    """The whole walk: filter by personnummer, page, sample, conclude, close, export; every redirect
    and every link, form action and cursor on the pages is free of the number in any written form."""
    client: Client = client_of(world, "greta")
    urls: list[str] = []

    def visit(response: object) -> str:
        if "Location" in response:  # type: ignore[operator]
            urls.append(response["Location"])  # type: ignore[index]
        if not getattr(response, "streaming", False):
            html = response.content.decode()  # type: ignore[attr-defined]
            urls.extend(re.findall(r'(?:href|action|src)="([^"]*)"', html))
            return html
        return ""

    visit(client.get(reverse("logreview:start")))
    created = make_filter(client, world.demo.unit("solna"), pnr="198701022389")
    visit(created)
    page = visit(client.get(created["Location"]))
    assert "19870102-2389" in page  # shown in the page, where the reviewer needs it
    log_filter = latest_filter(world.member("greta"))
    visit(
        client.post(
            reverse("logreview:sample", args=[log_filter.pk]),
            {"stickprov-size": "1", "stickprov-idempotency_key": str(uuid.uuid4())},
        )
    )
    sample: LogReview = latest_review(world.member("greta"))
    visit(client.get(reverse("logreview:review", args=[sample.pk])))
    visit(client.post(reverse("logreview:item", args=[sample.pk, 1]), {"verdict": "justified"}))
    visit(
        client.post(
            reverse("logreview:review", args=[sample.pk]),
            {"avsluta-outcome": "no_remarks", "avsluta-summary": "Ok"},
        )
    )
    visit(client.get(reverse("logreview:filter_export", args=[log_filter.pk])))
    visit(client.post(reverse("logreview:filter_export", args=[log_filter.pk])))
    bad = make_filter(client, world.demo.unit("solna"), pnr="19870102-2388")  # a typo: 400, no redirect
    visit(bad)
    assert bad.status_code == 400 and "19870102-2388" in bad.content.decode()
    assert len(urls) > 20
    for number in [*NUMBERS, "198701022388"]:
        for url in urls:
            assert not any(form in url for form in _forms_of(number)), url
    assert LogFilter.objects.get().personnummer == "198701022389"
    raw = stored_bytes(LogFilter, LogFilter.objects.get().pk, "pnr_sealed")
    assert b"198701022389" not in raw


def test_an_export_needs_a_recent_e_id_authentication(world: World) -> None:
    client = client_of(world, "greta")
    make_filter(client, world.demo.unit("solna"))
    log_filter = latest_filter(world.member("greta"))
    session = client.session
    session[AUTH_AT_KEY] = int(time.time()) - settings.VK_STEP_UP_SECONDS - 60
    session.save()
    url = reverse("logreview:filter_export", args=[log_filter.pk])
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("identity:step_up")
    assert client.session[STEP_UP_KEY] == {"next": url}  # back to the confirmation page afterwards
    assert reviewer_rows(world, "logreview.export") == []
