"""The region administrator registers and ends a unit's agreements; periods do not overlap."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.conftest import log_in_staff
from vardkontakt.directory.models import Agreement
from vardkontakt.onboarding import actions
from vardkontakt.onboarding.tests.conftest import World


def test_add_and_end(world: World) -> None:
    nacka, rita = world.unit("nacka"), world.member("rita")
    today = timezone.localdate()
    agreement = actions.add_agreement(rita, nacka.pk, valid_from=today, valid_to=None, reference="RS 2026-9")
    assert Agreement.objects.in_force().filter(unit=nacka).get() == agreement
    assert AccessLogEntry.objects.filter(action="agreement.add", object_id=str(agreement.pk)).exists()
    actions.end_agreement(rita, nacka.pk, agreement.pk, last_day=today)
    agreement.refresh_from_db()
    assert agreement.valid_to == today
    assert not Agreement.objects.in_force(today + timedelta(days=1)).filter(unit=nacka).exists()
    assert AccessLogEntry.objects.filter(action="agreement.end", object_id=str(agreement.pk)).exists()


BAD = {
    "overlap": ({"valid_from": date(2026, 6, 1), "valid_to": None, "reference": "X"}, "valid_from"),
    "no reference": ({"valid_from": date(2030, 1, 1), "valid_to": None, "reference": " "}, "reference"),
    "ends before it starts": (
        {"valid_from": date(2030, 1, 2), "valid_to": date(2030, 1, 1), "reference": "X"},
        "valid_to",
    ),
}


@pytest.mark.parametrize(("values", "field"), BAD.values(), ids=BAD.keys())
def test_bad_agreements_are_refused(world: World, values: dict[str, object], field: str) -> None:
    solna = world.unit("solna")  # has an open-ended agreement from 2026-01-01
    before = Agreement.objects.filter(unit=solna).count()
    with pytest.raises(ValidationError) as refused:
        actions.add_agreement(world.member("rita"), solna.pk, **values)  # type: ignore[arg-type]
    assert field in refused.value.message_dict
    assert Agreement.objects.filter(unit=solna).count() == before


def test_an_agreement_is_not_ended_in_the_past(world: World) -> None:
    solna = world.unit("solna")
    agreement = Agreement.objects.get(unit=solna)
    with pytest.raises(ValidationError):
        actions.end_agreement(
            world.member("rita"), solna.pk, agreement.pk, last_day=timezone.localdate() - timedelta(days=1)
        )
    agreement.refresh_from_db()
    assert agreement.valid_to is None


def test_only_the_units_region_administrator(world: World) -> None:
    solna = world.unit("solna")
    with pytest.raises(PermissionDenied):  # Lena sees her unit's page but may not change agreements
        actions.add_agreement(
            world.member("lena"), solna.pk, valid_from=date(2030, 1, 1), valid_to=None, reference="X"
        )
    with pytest.raises(Http404):  # the other region's administrator does not see the unit at all
        actions.add_agreement(
            world.member("ulla"), solna.pk, valid_from=date(2030, 1, 1), valid_to=None, reference="X"
        )


def test_over_http(world: World) -> None:
    nacka = world.unit("nacka")
    rita = log_in_staff(Client(), world.member("rita"))
    found = rita.get(reverse("onboarding:overview"), {"hsa": nacka.hsa_id.lower()})
    assert found.status_code == 302 and found["Location"] == reverse("onboarding:unit", args=[nacka.pk])
    refused = rita.post(
        reverse("onboarding:unit", args=[nacka.pk]), {"action": "add_agreement", "avtal-valid_from": "igår"}
    )
    assert refused.status_code == 400 and "ÅÅÅÅ-MM-DD" in refused.content.decode()
    added = rita.post(
        reverse("onboarding:unit", args=[nacka.pk]),
        {"action": "add_agreement", "avtal-valid_from": "2030-01-01", "avtal-reference": "RS 2030-1"},
    )
    assert added.status_code == 302
    assert Agreement.objects.get(unit=nacka).reference == "RS 2030-1"
