"""Drawing a sample, recording conclusions, closing a review: bounds, the rules of closing, append-only
conclusions, sealed comments, and clear Swedish errors that leave nothing half-written."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.audit import actions
from vardkontakt.audit.models import (
    LogFilter,
    LogReview,
    LogReviewConclusion,
    LogReviewItem,
    ReviewOutcome,
    Verdict,
)
from vardkontakt.audit.review import filtered_entries
from vardkontakt.audit.tests.review_world import World, at, build_world, client_of, old_row, stored_bytes
from vardkontakt.conftest import Demo


@pytest.fixture
def world(demo: Demo) -> World:
    return build_world(demo)


def solna_filter(world: World, *, rows: int, hsa: str = "") -> LogFilter:
    day = timezone.localdate() - timedelta(days=2)
    for i in range(rows):
        old_row(
            world.demo,
            when=at(day) + timedelta(seconds=i),
            staff="hans" if i % 2 else "maria",
            resident="lars",
        )
    return actions.create_filter(
        staff=world.member("greta"),
        unit_id=world.demo.unit("solna").pk,
        hsa_id=hsa,
        personnummer="",
        date_from=day,
        date_to=day,
    )


def post_sample(client: Client, log_filter: LogFilter, size: str, key: str | None = None) -> object:
    return client.post(
        reverse("logreview:sample", args=[log_filter.pk]),
        {"stickprov-size": size, "stickprov-idempotency_key": key or str(uuid.uuid4())},
    )


def error_summary(response: object) -> str:
    html = response.content.decode()  # type: ignore[attr-defined]
    start = html.index("govuk-error-summary")
    return html[start : html.index("</div>", start)]


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ("0", "Välj ett antal mellan 1 och 200."),
        ("201", "Välj ett antal mellan 1 och 200."),
        ("-3", "Välj ett antal mellan 1 och 200."),
        ("tio", "Välj ett antal mellan 1 och 200."),
        ("", "Välj ett antal mellan 1 och 200."),
        ("13", "Urvalet har bara 12 loggposter. Välj ett antal mellan 1 och 12."),
    ],
)
def test_sample_size_out_of_bounds_is_refused(world: World, size: str, message: str) -> None:
    log_filter = solna_filter(world, rows=12)
    response = post_sample(client_of(world, "greta"), log_filter, size)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert message in error_summary(response)
    assert not LogReview.objects.exists() and not LogReviewItem.objects.exists()


def test_an_empty_set_has_no_sample(world: World) -> None:
    log_filter = solna_filter(world, rows=0, hsa="SE2321000016-X999")
    response = post_sample(client_of(world, "greta"), log_filter, "1")
    assert "Det finns inga loggposter i urvalet att dra ett stickprov ur." in error_summary(response)
    assert not LogReview.objects.exists()


def test_the_largest_sample_is_distinct_rows_of_the_filtered_set(world: World) -> None:
    log_filter = solna_filter(world, rows=230)
    response = post_sample(client_of(world, "greta"), log_filter, "200")
    assert response.status_code == 303  # type: ignore[attr-defined]
    sample = LogReview.objects.get()
    entries = list(sample.items.order_by("position").values_list("entry_id", flat=True))
    assert len(entries) == len(set(entries)) == 200
    in_set = set(filtered_entries(world.member("greta"), log_filter).values_list("id", flat=True))
    assert set(entries) <= in_set
    assert sample.population == len(in_set) == 230
    assert entries == sorted(entries)  # shown in the order they happened
    assert response["Location"] == reverse("logreview:review", args=[sample.pk])  # type: ignore[index]


def test_a_sample_of_one_staff_member_holds_only_their_rows(world: World) -> None:
    hans = world.demo.member("hans")
    log_filter = solna_filter(world, rows=20, hsa=hans.hsa_id)
    sample = actions.draw_sample(
        staff=world.member("greta"), filter_id=log_filter.pk, size=10, idempotency_key=uuid.uuid4()
    )
    actors = {item.entry.actor_id for item in sample.items.select_related("entry")}
    assert actors == {hans.user_id}


def test_a_repeated_submit_draws_one_sample(world: World) -> None:
    log_filter = solna_filter(world, rows=5)
    client = client_of(world, "greta")
    key = str(uuid.uuid4())
    first = post_sample(client, log_filter, "3", key)
    second = post_sample(client, log_filter, "3", key)
    assert first["Location"] == second["Location"]  # type: ignore[index]
    assert LogReview.objects.count() == 1 and LogReviewItem.objects.count() == 3


@pytest.fixture
def review(world: World) -> LogReview:
    log_filter = solna_filter(world, rows=4)
    return actions.draw_sample(
        staff=world.member("greta"), filter_id=log_filter.pk, size=3, idempotency_key=uuid.uuid4()
    )


def conclude(client: Client, review: LogReview, position: int, verdict: str, comment: str = "") -> object:
    return client.post(
        reverse("logreview:item", args=[review.pk, position]), {"verdict": verdict, "comment": comment}
    )


def close(
    client: Client, review: LogReview, outcome: str = "no_remarks", summary: str = "Allt i sin ordning."
) -> object:
    return client.post(
        reverse("logreview:review", args=[review.pk]),
        {"avsluta-outcome": outcome, "avsluta-summary": summary},
    )


def test_conclusions_are_appended_and_the_comment_is_sealed(world: World, review: LogReview) -> None:
    client = client_of(world, "greta")
    comment = "Hans läste ärendet utan att vara tilldelad. Samtal bokat med enhetschefen."
    first = conclude(client, review, 1, Verdict.FOLLOW_UP, comment)
    # On to the next row without a conclusion.
    assert first["Location"] == reverse("logreview:item", args=[review.pk, 2])  # type: ignore[index]
    conclude(client, review, 1, Verdict.NOT_JUSTIFIED, "Samtal hållet, rutinen förklarad.")
    stored = list(
        LogReviewConclusion.objects.filter(item__review=review, item__position=1).order_by("at", "id")
    )
    assert [c.verdict for c in stored] == [Verdict.FOLLOW_UP, Verdict.NOT_JUSTIFIED]  # both kept
    raw = stored_bytes(LogReviewConclusion, stored[0].pk, "comment_sealed")
    assert comment.encode() not in raw and b"Hans" not in raw
    assert stored[0].comment == comment
    page = client.get(reverse("logreview:item", args=[review.pk, 1])).content.decode()
    assert comment in page and "Samtal hållet" in page


@pytest.mark.parametrize(
    ("verdict", "comment", "message"),
    [
        ("", "", "Välj en slutsats."),
        ("maybe", "", "Välj en slutsats."),
        (
            Verdict.NOT_JUSTIFIED,
            "  ",
            "Skriv en kommentar om vad som har följts upp eller behöver följas upp.",
        ),
        (Verdict.FOLLOW_UP, "", "Skriv en kommentar om vad som har följts upp eller behöver följas upp."),
        (Verdict.JUSTIFIED, "x" * 2001, "Kommentaren är för lång: högst 2000 tecken."),
    ],
)
def test_a_conclusion_needs_a_verdict_and_a_reason(
    world: World, review: LogReview, verdict: str, comment: str, message: str
) -> None:
    response = conclude(client_of(world, "greta"), review, 1, verdict, comment)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert message in error_summary(response)
    assert not LogReviewConclusion.objects.exists()


def test_closing_needs_every_row_settled(world: World, review: LogReview) -> None:
    client = client_of(world, "greta")
    conclude(client, review, 1, Verdict.JUSTIFIED)
    response = close(client, review)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "2 loggposter i stickprovet saknar slutsats." in error_summary(response)
    conclude(client, review, 2, Verdict.JUSTIFIED)
    conclude(client, review, 3, Verdict.FOLLOW_UP, "Fråga Maria.")
    assert "1 loggpost behöver fortfarande följas upp." in error_summary(close(client, review))
    conclude(client, review, 3, Verdict.NOT_JUSTIFIED, "Maria har fått påminnelse om rutinen.")
    refused = close(client, review, outcome="no_remarks")
    assert "Stickprovet har loggposter som inte var befogade." in error_summary(refused)
    assert "Skriv granskningens slutsats." in error_summary(
        close(client, review, outcome="remarks", summary=" ")
    )
    review.refresh_from_db()
    assert review.closed_at is None
    done = close(client, review, outcome="remarks", summary="En åtkomst utan behov; följd upp.")
    assert done.status_code == 303  # type: ignore[attr-defined]
    review.refresh_from_db()
    assert (review.outcome, review.closed_by, review.summary) == (
        ReviewOutcome.REMARKS,
        world.member("greta"),
        "En åtkomst utan behov; följd upp.",
    )
    raw = stored_bytes(LogReview, review.pk, "summary_sealed")
    assert b"utan behov" not in raw


def test_a_closed_review_takes_nothing_more(world: World, review: LogReview) -> None:
    greta = world.member("greta")
    for position in (1, 2, 3):
        actions.conclude(
            staff=greta, review_id=review.pk, position=position, verdict=Verdict.JUSTIFIED, comment=""
        )
    actions.close_review(staff=greta, review_id=review.pk, outcome=ReviewOutcome.NO_REMARKS, summary="Klart.")
    client = client_of(world, "greta")
    late = conclude(client, review, 1, Verdict.NOT_JUSTIFIED, "Ändrade mig.")
    assert late.status_code == 400  # type: ignore[attr-defined]
    assert "Granskningen är avslutad och kan inte ändras." in error_summary(late)
    assert "Granskningen är avslutad och kan inte ändras." in error_summary(close(client, review, "remarks"))
    assert LogReviewConclusion.objects.count() == 3
    review.refresh_from_db()
    assert (review.outcome, review.summary) == (ReviewOutcome.NO_REMARKS, "Klart.")
    with pytest.raises(ValidationError):
        actions.conclude(staff=greta, review_id=review.pk, position=2, verdict=Verdict.JUSTIFIED, comment="")


def test_the_list_of_reviews_shows_the_units_own_and_pages_by_keyset(world: World) -> None:
    greta, otto = world.member("greta"), world.member("otto")
    log_filter = solna_filter(world, rows=2)
    mine = [
        actions.draw_sample(staff=greta, filter_id=log_filter.pk, size=1, idempotency_key=uuid.uuid4())
        for _ in range(23)
    ]
    ortho = actions.create_filter(
        staff=otto,
        unit_id=world.demo.unit("ortopeden").pk,
        hsa_id="",
        personnummer="",
        date_from=timezone.localdate(),
        date_to=timezone.localdate(),
    )
    theirs = actions.draw_sample(staff=otto, filter_id=ortho.pk, size=1, idempotency_key=uuid.uuid4())
    client = client_of(world, "greta")
    first = client.get(reverse("logreview:start")).content.decode()
    cursor = re.search(r'\?efter=([^"]+)"', first)
    assert cursor is not None
    second = client.get(reverse("logreview:start"), {"efter": cursor.group(1)}).content.decode()
    listed = re.findall(r"/granskningar/([0-9a-f-]{36})/", first + second)
    assert len(listed) == len(set(listed)) == 23
    assert set(listed) == {str(r.pk) for r in mine}
    assert str(theirs.pk) not in first + second
    assert client.get(reverse("logreview:start"), {"efter": "garbage"}).status_code == 404
