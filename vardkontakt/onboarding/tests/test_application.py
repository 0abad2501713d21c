"""Connection applications: submitting (and every refusal, with nothing half-written), the applicant's
status link, the region's approval (activation, basic services, local administrators) and rejection,
and e-mail only after commit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse

from vardkontakt.cases.models import CaseType, UnitCaseType
from vardkontakt.conftest import log_in_staff
from vardkontakt.directory.models import Agreement, EService, UnitEService, UnitStatus
from vardkontakt.identity.models import Staff
from vardkontakt.identity.session import AUTH_AT_KEY
from vardkontakt.onboarding import actions
from vardkontakt.onboarding.models import (
    Application,
    Connection,
    ConnectionChange,
    Decision,
    Lifecycle,
    ProposedAdmin,
)
from vardkontakt.onboarding.tests.conftest import NEW_ADMIN_HSA, World, apply_for
from vardkontakt.roles.models import Role, RoleGrant


def counts() -> tuple[int, int, int, int]:
    return (
        Application.objects.count(),
        ProposedAdmin.objects.count(),
        Connection.objects.count(),
        ConnectionChange.objects.count(),
    )


def status_link(message: Any) -> str:
    found = re.search(r"https://vardkontakt\.example(/anslutning/status/[A-Za-z0-9_-]+/)", message.body)
    assert found, message.body
    return found.group(1)


# --- Submitting -------------------------------------------------------------------------------------


def test_submit_records_the_application_and_mails_a_status_link_after_commit(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    unit = world.unit("vaccination")
    with django_capture_on_commit_callbacks(execute=True):
        application = apply_for(unit)
        assert mail.outbox == []  # not before commit
    assert application.decision == Decision.PENDING
    assert actions.state_of(unit) == Lifecycle.APPLIED
    assert [a.hsa_id for a in application.admins.all()] == [NEW_ADMIN_HSA]
    assert application.services == [EService.CASES, EService.BOOKING]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["chef@vaccination.example"]
    link = status_link(mail.outbox[0])
    assert application.token_digest not in link  # the link's token is not what is stored
    page = Client().get(link)
    assert page.status_code == 200
    assert "Väntar på beslut" in page.content.decode() and unit.name in page.content.decode()
    assert Client().get(link[:-5] + "xxxx/").status_code == 404


def _bad(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "unit_hsa_id": "SE5599999999-7001",
        "applicant_name": "Vilma Verksam",
        "contact_email": "chef@vaccination.example",
        "admins": [actions.AdminProposal(NEW_ADMIN_HSA, "Alva", "Admin")],
        "services": [EService.CASES],
        "language": "sv",
        "base_url": "https://vardkontakt.example",
    }
    values.update(changes)
    return values


BAD_INPUT = {
    "malformed unit": (_bad(unit_hsa_id="7001"), "unit_hsa_id"),
    "unknown unit": (_bad(unit_hsa_id="SE5599999999-9999"), "unit_hsa_id"),
    "no agreement": (_bad(unit_hsa_id="SE5599999999-7002"), "unit_hsa_id"),  # Vårdcentral Nacka
    "already connected": (_bad(unit_hsa_id="SE2321000016-1001"), "unit_hsa_id"),  # Vårdcentral Solna
    "malformed admin": (_bad(admins=[actions.AdminProposal("SE123-x", "Alva", "Admin")]), "admin1_hsa_id"),
    "admin is a unit": (
        _bad(admins=[actions.AdminProposal("SE2321000016-1001", "Alva", "Admin")]),
        "admin1_hsa_id",
    ),
    "admin twice": (
        _bad(
            admins=[
                actions.AdminProposal(NEW_ADMIN_HSA, "Alva", "Admin"),
                actions.AdminProposal(NEW_ADMIN_HSA.lower(), "Alva", "Admin"),
            ]
        ),
        "admin2_hsa_id",
    ),
    "admin without name": (
        _bad(admins=[actions.AdminProposal(NEW_ADMIN_HSA, "", "Admin")]),
        "admin1_given_name",
    ),
    "no admin": (_bad(admins=[]), "admin1_hsa_id"),
    "no services": (_bad(services=[]), "services"),
    "unknown service": (_bad(services=["teleportation"]), "services"),
    "bad e-mail": (_bad(contact_email="inte en adress"), "contact_email"),
    "no name": (_bad(applicant_name="  "), "applicant_name"),
}


@pytest.mark.parametrize(("values", "field"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_refused_with_nothing_written(
    world: World, django_capture_on_commit_callbacks: Any, values: dict[str, Any], field: str
) -> None:
    before = counts()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError) as refused,
    ):
        actions.submit_application(**values)
    assert field in refused.value.message_dict
    assert counts() == before and callbacks == [] and mail.outbox == []


def test_a_second_application_while_one_is_pending_is_refused(world: World) -> None:
    unit = world.unit("vaccination")
    apply_for(unit)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        apply_for(unit, email="annan@example.se")
    assert "väntar på beslut" in refused.value.message_dict["unit_hsa_id"][0]
    assert counts() == before


def test_the_public_form_shows_errors_in_the_error_summary(world: World) -> None:
    response = Client().post(
        reverse("onboarding_public:apply"),
        {"unit_hsa_id": "SE5599999999-7002", "applicant_name": "", "contact_email": "x", "services": []},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "inget avtal med regionen" in page
    assert 'href="#id_contact_email"' in page and 'href="#id_admin1_hsa_id"' in page
    assert Application.objects.count() == 0


def test_an_empty_post_is_refused_with_errors(world: World) -> None:
    response = Client().post(reverse("onboarding_public:apply"), {})
    assert response.status_code == 400
    assert "Ange ett HSA-id." in response.content.decode()
    assert Application.objects.count() == 0


def test_the_public_form_submits(world: World, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            reverse("onboarding_public:apply"),
            {
                "unit_hsa_id": "se5599999999-7001",
                "applicant_name": "Vilma Verksam",
                "contact_email": "chef@vaccination.example",
                "services": [EService.CASES],
                "admin1_hsa_id": NEW_ADMIN_HSA,
                "admin1_given_name": "Alva",
                "admin1_family_name": "Admin",
            },
        )
    assert response.status_code == 302 and response["Location"] == reverse("onboarding_public:sent")
    assert Application.objects.get().unit == world.unit("vaccination")
    assert len(mail.outbox) == 1
    assert "/anslutning/status/" in mail.outbox[0].body


# --- Approval ---------------------------------------------------------------------------------------


def test_approval_connects_the_unit(world: World, django_capture_on_commit_callbacks: Any) -> None:
    unit = world.unit("vaccination")
    lena = world.member("lena")  # an existing member, proposed as the second administrator
    application = apply_for(
        unit,
        admins=[
            actions.AdminProposal(NEW_ADMIN_HSA, "Alva", "Admin"),
            actions.AdminProposal(lena.hsa_id, "Fel", "Namn"),
        ],
        services=[EService.CASES, EService.BOOKING],
    )
    UnitEService.objects.create(unit=unit, service=EService.JOURNAL, active=True)  # from the feed
    rita = world.member("rita")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.approve_application(rita, application.pk)
        assert mail.outbox == []
    unit.refresh_from_db()
    application.refresh_from_db()
    assert unit.status == UnitStatus.ACTIVE and actions.state_of(unit) == Lifecycle.ACTIVE
    assert (application.decision, application.decided_by) == (Decision.APPROVED, rita)
    assert [
        (c.from_state, c.to_state, c.by) for c in ConnectionChange.objects.filter(unit=unit).order_by("pk")
    ][1:] == [(Lifecycle.APPLIED, Lifecycle.APPROVED, rita), (Lifecycle.APPROVED, Lifecycle.ACTIVE, rita)]
    assert unit.active_eservices() == [EService.CASES, EService.BOOKING]  # the journal is not chosen
    basic = set(CaseType.objects.filter(basic=True, unit__isnull=True).values_list("pk", flat=True))
    assert (
        basic
        and set(UnitCaseType.objects.filter(unit=unit, active=True).values_list("case_type_id", flat=True))
        == basic
    )
    new_admin = Staff.objects.get(hsa_id=NEW_ADMIN_HSA)
    assert (new_admin.given_name, new_admin.family_name) == ("Alva", "Admin")
    grants = RoleGrant.objects.in_force().filter(unit=unit, role=Role.LOCAL_ADMIN)
    assert {g.staff for g in grants} == {new_admin, lena}
    assert all(g.granted_by == rita and g.reference == f"Anslutningsansökan {application.pk}" for g in grants)
    assert Staff.objects.get(pk=lena.pk).given_name == "Lena"  # an existing member keeps their name
    assert len(mail.outbox) == 1
    assert "ansluten" in mail.outbox[0].subject and "Alva Admin" in mail.outbox[0].body


def test_approval_without_cases_gives_no_basic_services(world: World) -> None:
    unit = world.unit("vaccination")
    application = apply_for(unit, services=[EService.BOOKING])
    actions.approve_application(world.member("rita"), application.pk)
    assert not UnitCaseType.objects.filter(unit=unit).exists()
    unit.refresh_from_db()
    assert unit.active_eservices() == [EService.BOOKING]


def test_a_rolled_back_approval_sends_no_mail_and_changes_nothing(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    unit = world.unit("vaccination")
    application = apply_for(unit)
    mail.outbox.clear()

    class Boom(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        actions.approve_application(world.member("rita"), application.pk)
        raise Boom
    assert callbacks == [] and mail.outbox == []
    application.refresh_from_db()
    unit.refresh_from_db()
    assert application.decision == Decision.PENDING and unit.status == UnitStatus.LISTED
    assert actions.state_of(unit) == Lifecycle.APPLIED
    assert not Staff.objects.filter(hsa_id=NEW_ADMIN_HSA).exists()
    assert not RoleGrant.objects.filter(unit=unit).exists()


def test_approval_is_refused_when_the_agreement_has_ended_meanwhile(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    unit = world.unit("vaccination")
    application = apply_for(unit)
    Agreement.objects.filter(unit=unit).delete()
    mail.outbox.clear()
    before = counts()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ValidationError):
        actions.approve_application(world.member("rita"), application.pk)
    assert counts() == before and callbacks == [] and mail.outbox == []
    assert not Staff.objects.filter(hsa_id=NEW_ADMIN_HSA).exists()


def test_an_application_is_decided_once(world: World) -> None:
    application = apply_for(world.unit("vaccination"))
    actions.approve_application(world.member("rita"), application.pk)
    with pytest.raises(ValidationError):
        actions.approve_application(world.member("rita"), application.pk)
    with pytest.raises(ValidationError):
        actions.reject_application(world.member("rita"), application.pk, "Nej")


# --- Rejection --------------------------------------------------------------------------------------


def test_rejection_needs_a_reason_and_tells_the_applicant(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    unit = world.unit("vaccination")
    application = apply_for(unit)
    mail.outbox.clear()
    with pytest.raises(ValidationError) as refused:
        actions.reject_application(world.member("rita"), application.pk, "   ")
    assert "reason" in refused.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        actions.reject_application(world.member("rita"), application.pk, "Avtalet saknar underskrift")
    application.refresh_from_db()
    assert application.decision == Decision.REJECTED
    assert application.decision_reason == "Avtalet saknar underskrift"
    assert actions.state_of(unit) == Lifecycle.REJECTED
    assert len(mail.outbox) == 1 and "Avtalet saknar underskrift" in mail.outbox[0].body
    apply_for(unit)  # and the unit may apply again
    assert actions.state_of(unit) == Lifecycle.APPLIED


def test_the_region_reviews_over_http(world: World, django_capture_on_commit_callbacks: Any) -> None:
    unit = world.unit("vaccination")
    application = apply_for(unit)
    client = log_in_staff(Client(), world.member("rita"))
    overview = client.get(reverse("onboarding:overview"))
    assert reverse("onboarding:application", args=[application.pk]) in overview.content.decode()
    page = client.get(reverse("onboarding:application", args=[application.pk]))
    assert page.status_code == 200 and NEW_ADMIN_HSA in page.content.decode()
    refused = client.post(reverse("onboarding:application", args=[application.pk]), {"action": "reject"})
    assert refused.status_code == 400 and "govuk-error-summary" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("onboarding:application", args=[application.pk]), {"action": "approve"})
    assert done.status_code == 302 and done["Location"] == reverse("onboarding:unit", args=[unit.pk])
    unit.refresh_from_db()
    assert unit.status == UnitStatus.ACTIVE


def test_approval_over_http_needs_a_recent_authentication(world: World) -> None:
    application = apply_for(world.unit("vaccination"))
    client = log_in_staff(Client(), world.member("rita"))
    session = client.session
    session[AUTH_AT_KEY] = session[AUTH_AT_KEY] - 3600
    session.save()
    response = client.post(reverse("onboarding:application", args=[application.pk]), {"action": "approve"})
    assert response.status_code == 302 and response["Location"] == reverse("identity:step_up")
    application.refresh_from_db()
    assert application.decision == Decision.PENDING
