"""A filter selects exactly the unit's rows of its period, staff member and resident; bad input is
refused with a clear Swedish error and stores nothing; pages go by keyset."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.audit.models import AccessLogEntry, LogFilter
from vardkontakt.audit.review import PAGE_SIZE
from vardkontakt.audit.tests.review_world import (
    World,
    at,
    build_world,
    client_of,
    latest_filter,
    make_filter,
    old_row,
    staff_read,
)
from vardkontakt.conftest import Demo

ANNA_PNR = "19870102-2389"


@pytest.fixture
def world(demo: Demo) -> World:
    return build_world(demo)


def shown_ids(client: Client, log_filter: LogFilter, after: str = "") -> tuple[list[str], str | None]:
    """The object ids of the rows a filter page shows, and the cursor of its next page."""
    url = reverse("logreview:filter", args=[log_filter.pk])
    response = client.get(url, {"efter": after} if after else {})
    assert response.status_code == 200
    html = response.content.decode()
    ids = re.findall(r'<span class="govuk-body-s">\w+ ([0-9a-f-]{36}|\d+)</span>', html)
    cursor = re.search(r'efter=([0-9.]+)"', html)
    return ids, cursor.group(1) if cursor else None


def filter_rows(world: World, client: Client, **filters: object) -> set[str]:
    response = make_filter(client, world.demo.unit("solna"), **filters)  # type: ignore[arg-type]
    assert response.status_code == 303, response.content.decode()
    ids, cursor = shown_ids(client, latest_filter(world.member("greta")))
    assert cursor is None
    return set(ids)


def test_the_period_includes_both_whole_days_and_nothing_else(world: World) -> None:
    demo = world.demo
    day = timezone.localdate() - timedelta(days=10)
    before = old_row(
        demo, when=at(day - timedelta(days=1), 23) + timedelta(minutes=59), staff="hans", resident="anna"
    )
    first = old_row(demo, when=at(day, 0), staff="hans", resident="anna")
    last = old_row(
        demo, when=at(day + timedelta(days=2), 23) + timedelta(minutes=59), staff="hans", resident="anna"
    )
    after = old_row(demo, when=at(day + timedelta(days=3), 0), staff="hans", resident="anna")
    client = client_of(world, "greta")
    shown = filter_rows(world, client, date_from=day, date_to=day + timedelta(days=2))
    assert shown == {first.object_id, last.object_id}
    assert before.object_id not in shown and after.object_id not in shown


def test_by_staff_member_and_by_resident_only_their_rows_of_this_unit(world: World) -> None:
    demo = world.demo
    day = timezone.localdate() - timedelta(days=3)
    hans_anna = old_row(demo, when=at(day), staff="hans", resident="anna")
    hans_lars = old_row(demo, when=at(day), staff="hans", resident="lars")
    maria_lars = old_row(demo, when=at(day), staff="maria", resident="lars")
    hans_anna_ortho = old_row(demo, when=at(day), staff="hans", resident="anna", unit="ortopeden")
    client = client_of(world, "greta")
    today = timezone.localdate()
    hans = demo.member("hans").hsa_id
    # An HSA-id in lower case is the same HSA-id.
    assert filter_rows(world, client, date_from=day, hsa=hans.lower()) == {
        hans_anna.object_id,
        hans_lars.object_id,
    }
    # Anna's rows at Solna: the old one, and Maria's read of her case today (written by cases).
    by_anna = filter_rows(world, client, date_from=day, date_to=today, pnr="870102-2389")
    # Greta's own reading of the first filter's page, which showed Anna's row, is in the log too.
    first_filter = LogFilter.objects.filter(staff_hsa_id=hans).get()
    assert by_anna == {hans_anna.object_id, str(world.anna_case.pk), str(first_filter.pk)}
    both = filter_rows(world, client, date_from=day, hsa=hans, pnr="19580112-2655")
    assert both == {hans_lars.object_id}
    everything = filter_rows(world, client, date_from=day)
    assert {hans_anna.object_id, hans_lars.object_id, maria_lars.object_id} <= everything
    assert hans_anna_ortho.object_id not in everything
    assert str(world.lars_ortho_case.pk) not in everything  # the other clinic's row


def test_an_unknown_number_is_no_error_and_no_name(world: World) -> None:
    client = client_of(world, "greta")
    # Gunnar is a resident of the demo with no rows at Solna: the page does not name him.
    response = make_filter(client, world.demo.unit("solna"), pnr="19450112-8278")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert 'id="antal">0<' in html
    assert world.resident("gunnar").family_name not in html


def test_the_set_is_frozen_when_the_filter_is_made(world: World) -> None:
    client = client_of(world, "greta")
    response = make_filter(client, world.demo.unit("solna"))
    log_filter = latest_filter(world.member("greta"))
    first, _ = shown_ids(client, log_filter)
    staff_read(world.demo.member("maria"), world.anna_case)  # a new read at Solna
    again, _ = shown_ids(client, log_filter)
    assert again == first  # neither Maria's new read nor Greta's own logged reading shows
    assert (
        AccessLogEntry.objects.filter(id__gt=log_filter.upto_entry_id, unit=world.demo.unit("solna")).count()
        >= 2
    )
    assert response.status_code == 303


def test_pages_go_by_keyset_newest_first_without_gaps_or_repeats(world: World) -> None:
    demo = world.demo
    day = timezone.localdate() - timedelta(days=5)
    rows = [
        old_row(demo, when=at(day, 8) + timedelta(minutes=i // 2), staff="hans", resident="lars")
        for i in range(PAGE_SIZE + 6)
    ]
    client = client_of(world, "greta")
    make_filter(client, demo.unit("solna"), date_from=day, date_to=day)
    log_filter = latest_filter(world.member("greta"))
    page_one, cursor = shown_ids(client, log_filter)
    assert len(page_one) == PAGE_SIZE and cursor is not None
    page_two, cursor_two = shown_ids(client, log_filter, cursor)
    assert cursor_two is None
    ordered = sorted(rows, key=lambda r: (r.at, r.pk), reverse=True)
    assert page_one + page_two == [r.object_id for r in ordered]
    assert client.get(reverse("logreview:filter", args=[log_filter.pk]), {"efter": "x.1"}).status_code == 404


BAD_INPUT = [
    ({"date_from": "2026-13-01"}, "Skriv datumet som ÅÅÅÅ-MM-DD."),
    ({"date_from": ""}, "Ange ett startdatum."),
    ({"date_from": "{today}", "date_to": "{yesterday}"}, "Startdatumet kan inte vara senare än slutdatumet."),
    ({"date_to": "{tomorrow}"}, "Slutdatumet kan inte vara senare än i dag."),
    ({"date_from": "{year_ago}"}, "Perioden kan vara högst ett år. Välj ett senare startdatum."),
    (
        {"staff_hsa_id": "M001"},
        "Ett HSA-id skrivs som SE, tio siffror, bindestreck och bokstäver eller siffror",
    ),
    ({"personnummer": "19870102"}, "Personnumret ska skrivas som ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN."),
    ({"personnummer": "19870102-2388"}, "Personnumret har fel kontrollsiffra."),
]


def _dates(value: str) -> str:
    today = timezone.localdate()
    return value.format(
        today=today.isoformat(),
        yesterday=(today - timedelta(days=1)).isoformat(),
        tomorrow=(today + timedelta(days=1)).isoformat(),
        year_ago=(today - timedelta(days=366)).isoformat(),
    )


@pytest.mark.parametrize(("given", "message"), BAD_INPUT, ids=[m[:30] for _, m in BAD_INPUT])
def test_bad_input_is_a_clear_swedish_error_and_stores_nothing(
    world: World, given: dict[str, str], message: str
) -> None:
    today = timezone.localdate().isoformat()
    data = {"unit": str(world.demo.unit("solna").pk), "date_from": today, "date_to": today}
    data.update({key: _dates(value) for key, value in given.items()})
    response = client_of(world, "greta").post(reverse("logreview:start"), data)
    assert response.status_code == 400
    html = response.content.decode()
    summary = html[html.index("govuk-error-summary") : html.index("</ul>", html.index("govuk-error-summary"))]
    assert message in summary
    assert not LogFilter.objects.exists()


def test_a_year_to_the_day_is_allowed(world: World) -> None:
    today = timezone.localdate()
    response = make_filter(
        client_of(world, "greta"),
        world.demo.unit("solna"),
        date_from=today - timedelta(days=365),
        date_to=today,
    )
    assert response.status_code == 303
    assert LogFilter.objects.get().date_from == today - timedelta(days=365)


def test_a_filter_of_a_unit_one_does_not_review_is_404(world: World) -> None:
    response = make_filter(client_of(world, "greta"), world.demo.unit("ortopeden"), date_to=date.today())
    assert response.status_code == 404
    assert not LogFilter.objects.exists()
