"""The admission rule (cases.actions.admits / units_open_to): region, municipalities, legal sex from
the personnummer, age range, and the clinic's individual approval, which admits whatever the area."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from vardkontakt.cases import actions
from vardkontakt.cases.models import Case, CaseType, MyClinic, MyClinicKind
from vardkontakt.conftest import Demo, log_in_resident
from vardkontakt.directory.models import Unit
from vardkontakt.identity import personnummer as pnr


def _area(unit: Unit, **fields: object) -> None:
    for name, value in fields.items():
        setattr(unit, name, value)
    unit.save()


def test_legal_sex_is_the_parity_of_the_second_to_last_digit(demo: Demo) -> None:
    assert pnr.parse("198701022389").legal_sex == "F"  # 8: even
    assert pnr.parse("195801122655").legal_sex == "M"  # 5: odd
    assert demo.resident("anna").legal_sex == "F"
    assert demo.resident("lars").legal_sex == "M"
    assert demo.resident("oskar").legal_sex == "M"


# (fields of Vårdcentral Solna's service area, resident, admitted?). Anna: woman, Solna (0184), born
# 1987; Lars: man, Stockholm (0180), born 1958; Elsa: girl, born 2016.
CASES = [
    ({}, "anna", True),
    ({"service_area_sex": "F"}, "anna", True),
    ({"service_area_sex": "F"}, "lars", False),
    ({"service_area_sex": "M"}, "lars", True),
    ({"service_area_sex": "M"}, "anna", False),
    ({"service_area_min_age": 65}, "lars", True),
    ({"service_area_min_age": 65}, "anna", False),
    ({"service_area_max_age": 17}, "elsa", True),
    ({"service_area_max_age": 17}, "anna", False),
    ({"service_area_min_age": 18, "service_area_max_age": 64}, "anna", True),
    ({"service_area_min_age": 18, "service_area_max_age": 64}, "lars", False),
    ({"service_area_municipalities": ["0184"]}, "anna", True),
    ({"service_area_municipalities": ["0184"]}, "lars", False),
    ({"service_area_municipalities": ["0184"], "service_area_sex": "M"}, "anna", False),
]


@pytest.mark.parametrize(("fields", "who", "admitted"), CASES)
def test_the_service_area_admits_by_sex_age_and_municipality(
    demo: Demo, fields: dict[str, object], who: str, admitted: bool
) -> None:
    solna = demo.unit("solna")
    _area(solna, **fields)
    resident = demo.resident(who)
    assert actions.admits(solna, resident) is admitted
    # The list of step 1 and the one-clinic check agree.
    assert actions.units_open_to(resident).filter(pk=solna.pk).exists() is admitted


def test_the_age_limit_counts_whole_years_on_the_birthday(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    solna = demo.unit("solna")
    _area(solna, service_area_min_age=40)
    anna = demo.resident("anna")  # born 1987-01-02
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: date(2027, 1, 1))
    assert not actions.admits(solna, anna)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: date(2027, 1, 2))
    assert actions.admits(solna, anna)


def test_sending_outside_the_area_is_refused_and_writes_nothing(demo: Demo) -> None:
    solna = demo.unit("solna")
    _area(solna, service_area_sex="M")
    anna = demo.resident("anna")
    with pytest.raises(ValidationError) as raised:
        actions.send_case(
            user=anna.user,
            resident=anna,
            unit=solna,
            case_type=CaseType.objects.get(code="skicka-meddelande", unit__isnull=True),
            subject="Fråga",
            body="Hej",
            answers={},
            accepted_terms=True,
            idempotency_key=uuid.uuid4(),
        )
    assert raised.value.code == "unit"
    assert not Case.objects.exists() and not MyClinic.objects.exists()


def test_an_approval_admits_outside_the_area_and_the_region_but_not_an_inactive_clinic(demo: Demo) -> None:
    solna = demo.unit("solna")
    _area(solna, service_area_sex="M", service_area_municipalities=["0180"])
    anna, per = demo.resident("anna"), demo.resident("per")  # Per lives in Malmö
    assert not actions.admits(solna, anna) and not actions.admits(solna, per)
    for resident in (anna, per):
        MyClinic.objects.create(resident=resident, unit=solna, kind=MyClinicKind.APPROVED)
        assert actions.admits(solna, resident)
        assert list(actions.units_open_to(resident).filter(pk=solna.pk)) == [solna]
    # A clinic the resident only added is not an approval.
    lars = demo.resident("lars")
    _area(solna, service_area_sex="F")
    MyClinic.objects.create(resident=lars, unit=solna, kind=MyClinicKind.ADDED)
    assert not actions.admits(solna, lars)
    # An approval does not open a clinic that does not offer cases.
    mammografi = demo.unit("mammografi")
    MyClinic.objects.create(resident=per, unit=mammografi, kind=MyClinicKind.APPROVED)
    assert not actions.admits(mammografi, per)


def test_step_one_lists_my_clinics_first(demo: Demo) -> None:
    anna = demo.resident("anna")
    names = [u.name for u in actions.units_open_to(anna)]
    assert names == sorted(names)
    MyClinic.objects.create(resident=anna, unit=demo.unit("sodermalm"), kind=MyClinicKind.ADDED)
    units = list(actions.units_open_to(anna))
    assert units[0] == demo.unit("sodermalm") and units[0].mine  # type: ignore[attr-defined]
    assert not any(u.mine for u in units[1:])  # type: ignore[attr-defined]
    page = log_in_resident(Client(), anna).get(reverse("cases:new")).content.decode()
    assert page.index("Vårdcentral Södermalm") < page.index("Barnavårdscentralen Täby")
    assert "Min mottagning" in page
