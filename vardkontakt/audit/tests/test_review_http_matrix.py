"""Who gets what from the log review pages, over HTTP, as an explicit table (docs/security.md, "Log
review"): a LOG_REVIEWER at unit U sees U's log, U's reviews and their own filters at U; nobody else
sees anything through these pages.

Objects: "solna" is a filter Greta made at Vårdcentral Solna and a review she drew from it (one
sampled row, already concluded, so that it can be closed); "ortho" is the same, made by Otto, the
reviewer at the orthopaedic clinic. Gun is a second reviewer at Solna: the reviews of the unit are
hers too, Greta's filters are not (a filter may hold a personnummer its maker typed).

Columns, each one request in a fresh session, rolled back afterwards so that no cell affects another:
  start  = GET the start page            filter = POST a filter of the object's unit
  page   = GET the object's filter page  sample = POST a sample from the object's filter
  review = GET the object's review       item   = GET its first sampled row
  concl  = POST a conclusion on that row close  = POST closing the review
  fexp   = POST the filter's CSV export  rexp   = POST the review's CSV export

Written out by hand: 200 shown; 303 done, and sent on; 404 it does not exist for you (the same answer
as for an unknown id); 403 a resident's session on a staff page; 302 no session, or a member of staff
with no role in force (sent to log in).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.audit import actions
from vardkontakt.audit.models import LogFilter, LogReview, Verdict
from vardkontakt.audit.tests.review_world import World, build_world, client_of
from vardkontakt.conftest import Demo
from vardkontakt.identity.models import Staff, User, UserKind
from vardkontakt.roles.actions import grant_role_by_operator
from vardkontakt.roles.models import Role
from vardkontakt.web import demo as demo_data

COLUMNS = ("start", "filter", "page", "sample", "review", "item", "concl", "close", "fexp", "rexp")

MATRIX = """
persona  object  start filter page sample review item concl close fexp rexp
greta    solna   200   303    200  303    200    200  303   303   200  200
greta    ortho   200   404    404  404    404    404  404   404   404  404
gun      solna   200   303    404  404    200    200  303   303   404  200
otto     ortho   200   303    200  303    200    200  303   303   200  200
otto     solna   200   404    404  404    404    404  404   404   404  404
lena     solna   404   404    404  404    404    404  404   404   404  404
bo       solna   404   404    404  404    404    404  404   404   404  404
vera     solna   404   404    404  404    404    404  404   404   404  404
maria    solna   404   404    404  404    404    404  404   404   404  404
hans     solna   404   404    404  404    404    404  404   404   404  404
hedvig   solna   404   404    404  404    404    404  404   404   404  404
olle     ortho   404   404    404  404    404    404  404   404   404  404
rita     solna   404   404    404  404    404    404  404   404   404  404
karl     solna   404   404    404  404    404    404  404   404   404  404
sam      solna   404   404    404  404    404    404  404   404   404  404
nils     solna   302   302    302  302    302    302  302   302   302  302
anna     solna   403   403    403  403    403    403  403   403   403  403
nobody   solna   302   302    302  302    302    302  302   302   302  302
"""


def parse_matrix() -> list[tuple[str, str, dict[str, str]]]:
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert tuple(header[2:]) == COLUMNS
    return [(row[0], row[1], dict(zip(COLUMNS, row[2:], strict=True))) for row in rows]


ROWS = parse_matrix()


class Objects:
    def __init__(self, world: World, gun: Staff) -> None:
        self.world = world
        self.gun = gun
        self.filters: dict[str, LogFilter] = {}
        self.reviews: dict[str, LogReview] = {}
        today = timezone.localdate()
        for key, unit, maker in (("solna", "solna", "greta"), ("ortho", "ortopeden", "otto")):
            staff = world.member(maker)
            log_filter = actions.create_filter(
                staff=staff,
                unit_id=world.demo.unit(unit).pk,
                hsa_id="",
                personnummer="",
                date_from=today,
                date_to=today,
            )
            sample = actions.draw_sample(
                staff=staff, filter_id=log_filter.pk, size=1, idempotency_key=uuid.uuid4()
            )
            actions.conclude(
                staff=staff, review_id=sample.pk, position=1, verdict=Verdict.JUSTIFIED, comment=""
            )
            self.filters[key], self.reviews[key] = log_filter, sample


@pytest.fixture
def objects(demo: Demo) -> Objects:
    world = build_world(demo)
    gun = Staff.objects.create(
        user=User.objects.create_user(UserKind.STAFF),
        hsa_id="SE2321000016-G002",
        given_name="Gun",
        family_name="Gren",
    )
    grant_role_by_operator(gun, Role.LOG_REVIEWER, unit=demo.unit("solna"), reference="Test")
    return Objects(world, gun)


def session_of(objects: Objects, persona: str) -> Client:
    if persona == "gun":
        from vardkontakt.conftest import log_in_staff

        return log_in_staff(Client(), objects.gun)
    return client_of(objects.world, persona)


def cell(objects: Objects, persona: str, request: Callable[[Client], Any]) -> str:
    """One request by ``persona`` in a fresh session; whatever it changes is rolled back."""
    with transaction.atomic():
        response = request(session_of(objects, persona))
        transaction.set_rollback(True)
    return str(response.status_code)


def row(objects: Objects, persona: str, key: str) -> dict[str, str]:
    log_filter, sample = objects.filters[key], objects.reviews[key]
    unit = log_filter.unit
    today = timezone.localdate().isoformat()
    filter_args, review_args = [log_filter.pk], [sample.pk]
    requests: dict[str, Callable[[Client], Any]] = {
        "start": lambda c: c.get(reverse("logreview:start")),
        "filter": lambda c: c.post(
            reverse("logreview:start"), {"unit": str(unit.pk), "date_from": today, "date_to": today}
        ),
        "page": lambda c: c.get(reverse("logreview:filter", args=filter_args)),
        "sample": lambda c: c.post(
            reverse("logreview:sample", args=filter_args),
            {"stickprov-size": "1", "stickprov-idempotency_key": str(uuid.uuid4())},
        ),
        "review": lambda c: c.get(reverse("logreview:review", args=review_args)),
        "item": lambda c: c.get(reverse("logreview:item", args=[sample.pk, 1])),
        "concl": lambda c: c.post(
            reverse("logreview:item", args=[sample.pk, 1]),
            {"verdict": Verdict.FOLLOW_UP, "comment": "Fråga personen varför."},
        ),
        "close": lambda c: c.post(
            reverse("logreview:review", args=review_args),
            {"avsluta-outcome": "no_remarks", "avsluta-summary": "Inga avvikelser."},
        ),
        "fexp": lambda c: c.post(reverse("logreview:filter_export", args=filter_args)),
        "rexp": lambda c: c.post(reverse("logreview:review_export", args=review_args)),
    }
    return {key: cell(objects, persona, request) for key, request in requests.items()}


@pytest.mark.parametrize(("persona", "key", "expected"), ROWS, ids=[f"{p}-{k}" for p, k, _ in ROWS])
def test_http_matrix(objects: Objects, persona: str, key: str, expected: dict[str, str]) -> None:
    assert row(objects, persona, key) == expected


def test_the_matrix_covers_every_staff_persona_and_unknown_ids_are_the_same_404(objects: Objects) -> None:
    staff_keys = {spec.key for spec in demo_data.STAFF}
    assert staff_keys <= {persona for persona, _, _ in ROWS}
    client = session_of(objects, "greta")
    nosuch = "7b0c3a52-55c4-4a51-9a3e-8f5f0c0e6c11"
    for name in (
        "logreview:filter",
        "logreview:review",
        "logreview:review_export",
        "logreview:filter_export",
    ):
        assert client.get(reverse(name, args=[nosuch])).status_code == 404
        assert client.get(reverse(name, args=["not-a-uuid"])).status_code == 404
    assert client.get(reverse("logreview:item", args=[objects.reviews["solna"].pk, 2])).status_code == 404


def test_the_staff_home_links_to_the_review_for_reviewers_only(objects: Objects) -> None:
    link = reverse("logreview:start")
    assert link in session_of(objects, "greta").get(reverse("web:staff_home")).content.decode()
    assert link not in session_of(objects, "lena").get(reverse("web:staff_home")).content.decode()
