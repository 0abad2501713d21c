"""Guardians act for their own children under 13, and only for them; the proxy ends by itself at 13.

Anna Andersson is the guardian of Elsa (born 2016-01-02), Leo (2014-01-01) and Oskar (2012-03-05).
The tests fix "today" so that they do not depend on the day they run."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.conftest import Demo, log_in_resident
from vardkontakt.identity.models import Resident
from vardkontakt.identity.policy import can_act_for, proxy_children
from vardkontakt.identity.session import ACTING_FOR_KEY

ACT_FOR = reverse("identity:act_for")
HOME = reverse("web:resident_home")


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """Sets the day that ``timezone.localdate()`` returns."""
    real = timezone.localdate

    def set_today(day: date) -> None:
        monkeypatch.setattr(
            timezone,
            "localdate",
            lambda value=None, timezone=None: day if value is None else real(value, timezone),
        )

    set_today(date(2026, 12, 31))  # Elsa is 10, Leo 12 (13 tomorrow), Oskar 14
    return set_today


@pytest.fixture
def anna(demo: Demo, today: Callable[[date], None]) -> Client:
    return log_in_resident(Client(), demo.resident("anna"))


def acting_name(page: str) -> str | None:
    marker = "Du agerar för "
    if marker not in page:
        return None
    return page[page.index(marker) + len(marker) :].split(" (")[0]


def test_a_guardian_acts_for_a_child_under_13(demo: Demo, anna: Client) -> None:
    elsa = demo.resident("elsa")
    response = anna.post(ACT_FOR, {"child": str(elsa.pk)})
    assert response.status_code == 302 and response["Location"] == HOME
    page = anna.get(HOME).content.decode()
    assert acting_name(page) == "Elsa Andersson"
    assert "Du agerar för Elsa Andersson (10 år)." in page
    assert "2016-01-02" in page  # the child's birth date, not the guardian's
    assert "1987-01-02" not in page


def test_a_guardian_can_switch_between_children_and_back(demo: Demo, anna: Client) -> None:
    anna.post(ACT_FOR, {"child": str(demo.resident("leo").pk)})
    assert acting_name(anna.get(HOME).content.decode()) == "Leo Andersson"
    anna.post(ACT_FOR, {"child": str(demo.resident("elsa").pk)})
    assert acting_name(anna.get(HOME).content.decode()) == "Elsa Andersson"
    response = anna.post(ACT_FOR, {"child": ""})
    assert response.status_code == 302
    assert ACTING_FOR_KEY not in anna.session
    page = anna.get(HOME).content.decode()
    assert acting_name(page) is None and "1987-01-02" in page


def test_the_children_offered_are_exactly_those_the_guardian_may_act_for(demo: Demo, anna: Client) -> None:
    page = anna.get(HOME).content.decode()
    offered = {r.given_name for r in demo.residents.values() if f'value="{r.pk}"' in page}
    assert offered == {"Elsa", "Leo"}
    assert {c.given_name for c in proxy_children(demo.resident("anna"))} == {"Elsa", "Leo"}


def test_a_14_year_old_own_child_is_404(demo: Demo, anna: Client) -> None:
    oskar = demo.resident("oskar")
    response = anna.post(ACT_FOR, {"child": str(oskar.pk)})
    assert response.status_code == 404
    assert "Sidan hittades inte" in response.content.decode()
    assert "Oskar" not in response.content.decode()
    assert ACTING_FOR_KEY not in anna.session


def test_someone_elses_child_is_404(demo: Demo, today: Callable[[date], None]) -> None:
    lars = log_in_resident(Client(), demo.resident("lars"))
    for child in ("elsa", "leo"):
        response = lars.post(ACT_FOR, {"child": str(demo.resident(child).pk)})
        assert response.status_code == 404
        assert ACTING_FOR_KEY not in lars.session
    assert acting_name(lars.get(HOME).content.decode()) is None


@pytest.mark.parametrize("who", ["anna", "lars", "gunnar"])
def test_an_adult_who_is_not_ones_child_or_oneself_is_404(demo: Demo, anna: Client, who: str) -> None:
    response = anna.post(ACT_FOR, {"child": str(demo.resident(who).pk)})
    assert response.status_code == 404
    assert ACTING_FOR_KEY not in anna.session


@pytest.mark.parametrize(
    "child", ["not-a-uuid", "1 OR 1=1", "201601022385", "\x00", "x" * 5000, str(uuid.uuid4())]
)
def test_a_malformed_or_unknown_child_id_is_404(demo: Demo, anna: Client, child: str) -> None:
    response = anna.post(ACT_FOR, {"child": child})
    assert response.status_code == 404
    assert ACTING_FOR_KEY not in anna.session


def test_acting_for_is_post_only(demo: Demo, anna: Client) -> None:
    response = anna.get(ACT_FOR, {"child": str(demo.resident("elsa").pk)})
    assert response.status_code == 405
    assert ACTING_FOR_KEY not in anna.session


def test_the_proxy_ends_by_itself_on_the_13th_birthday(
    demo: Demo, anna: Client, today: Callable[[date], None]
) -> None:
    leo = demo.resident("leo")
    anna.post(ACT_FOR, {"child": str(leo.pk)})
    page = anna.get(HOME).content.decode()
    assert "Du agerar för Leo Andersson (12 år)." in page

    today(date(2027, 1, 1))  # Leo turns 13
    page = anna.get(HOME).content.decode()
    assert acting_name(page) is None
    assert "Anna Andersson" in page and "1987-01-02" in page
    assert f'value="{leo.pk}"' not in page  # no longer offered
    assert ACTING_FOR_KEY not in anna.session
    assert anna.post(ACT_FOR, {"child": str(leo.pk)}).status_code == 404


def test_the_proxy_ends_when_the_register_moves_the_birth_date(demo: Demo, anna: Client) -> None:
    elsa = demo.resident("elsa")
    anna.post(ACT_FOR, {"child": str(elsa.pk)})
    assert acting_name(anna.get(HOME).content.decode()) == "Elsa Andersson"
    Resident.objects.filter(pk=elsa.pk).update(birth_date=date(2013, 12, 31))  # 13 today (2026-12-31)
    page = anna.get(HOME).content.decode()
    assert acting_name(page) is None
    assert ACTING_FOR_KEY not in anna.session


def test_the_proxy_ends_when_the_child_is_registered_deceased(demo: Demo, anna: Client) -> None:
    elsa = demo.resident("elsa")
    anna.post(ACT_FOR, {"child": str(elsa.pk)})
    Resident.objects.filter(pk=elsa.pk).update(deceased=True)
    assert acting_name(anna.get(HOME).content.decode()) is None


@pytest.mark.parametrize(
    ("born", "day", "may_act"),
    [
        (date(2016, 2, 29), date(2029, 2, 28), True),  # a leap-day child is 12 on 28 February ...
        (date(2016, 2, 29), date(2029, 3, 1), False),  # ... and 13 on 1 March of a common year
        (date(2015, 2, 28), date(2028, 2, 29), False),  # on a leap day, 13 years back is 28 February
        (date(2015, 3, 1), date(2028, 2, 29), True),
    ],
)
def test_leap_years(demo: Demo, today: Callable[[date], None], born: date, day: date, may_act: bool) -> None:
    elsa, anna = demo.resident("elsa"), demo.resident("anna")
    Resident.objects.filter(pk=elsa.pk).update(birth_date=born)
    elsa.refresh_from_db()
    today(day)
    assert can_act_for(anna, elsa) is may_act
    assert (elsa.age_on(day) < 13) is may_act  # the age shown agrees with the rule
