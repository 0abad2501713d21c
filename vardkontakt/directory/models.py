from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vardkontakt.identity.hsa import validate_hsa_id


class Region(models.Model):
    """A Swedish region (county). ``code`` is the county code: 01 = Stockholm."""

    code = models.CharField(max_length=2, unique=True)
    name = models.CharField(max_length=100)
    support_text = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


class CareProvider(models.Model):
    """Vårdgivare: the organisation that runs one or more units."""

    hsa_id = models.CharField(max_length=31, unique=True, validators=[validate_hsa_id])
    name = models.CharField(max_length=200)
    organisation_number = models.CharField(max_length=10)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="providers")

    def __str__(self) -> str:
        return self.name


class CareType(models.TextChoices):
    PRIMARY_CARE = "primary_care", _("Vårdcentral")
    SPECIALIST = "specialist", _("Specialistmottagning")
    MAMMOGRAPHY = "mammography", _("Mammografi")
    DENTAL = "dental", _("Tandvård")
    INTERPRETING = "interpreting", _("Tolkcentral")
    COMPLAINTS = "complaints", _("Patientnämnd")
    OTHER = "other", _("Övrig vård")


class UnitStatus(models.TextChoices):
    LISTED = "listed", _("I katalogen, ej ansluten")
    ACTIVE = "active", _("Ansluten")
    INACTIVE = "inactive", _("Inaktiverad")


class EService(models.TextChoices):
    """The e-services a unit can offer; the contact card lists the active ones."""

    CASES = "cases", _("Ärenden och meddelanden")
    BOOKING = "booking", _("Boka, av- och omboka tid")
    JOURNAL = "journal", _("Journalen")
    PRESCRIPTIONS = "prescriptions", _("Förnya recept")
    DENTAL_CERTIFICATE = "dental_certificate", _("Tandvårdsintyg")
    MAMMOGRAPHY = "mammography", _("Kallelse till mammografi")
    INTERPRETER = "interpreter", _("Boka tolk")
    COMPLAINTS = "complaints", _("Synpunkter och klagomål till Patientnämnden")
    RHEUMATOLOGY = "rheumatology", _("Egenrapportering reumatologi")


class ServiceAreaSex(models.TextChoices):
    """Legal sex as the personnummer gives it (the second-to-last digit: odd = male)."""

    FEMALE = "F", _("Kvinnor")
    MALE = "M", _("Män")


def is_municipality_code(value: str) -> bool:
    """Kommunkod: four ASCII digits, the first two being the county (``Region.code``)."""
    return len(value) == 4 and value.isascii() and value.isdigit()


_ESERVICES = tuple(EService)  # in their order (iterating the enum itself costs more)


def usable_eservices(status: str, services: Iterable[tuple[str, bool]]) -> list[EService]:
    """The e-services residents can use at a unit with ``status`` whose e-service rows are
    ``services`` (code, active): the active ones, in the order of ``EService``; none unless the unit
    is ACTIVE. ``Unit.active_eservices`` and the search (which reads the rows in its own statement)
    both ask this."""
    if status != UnitStatus.ACTIVE:
        return []
    active = {service for service, on in services if on}
    return [service for service in _ESERVICES if service in active]


class Unit(models.Model):
    """Vårdenhet / mottagning: a clinic as the provider directory describes it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hsa_id = models.CharField(max_length=31, unique=True, validators=[validate_hsa_id])
    name = models.CharField(max_length=200)
    provider = models.ForeignKey(CareProvider, on_delete=models.PROTECT, related_name="units")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="units")
    care_type = models.CharField(max_length=32, choices=CareType.choices, default=CareType.OTHER)
    status = models.CharField(max_length=16, choices=UnitStatus.choices, default=UnitStatus.LISTED)
    street_address = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=6, blank=True)
    city = models.CharField(max_length=100, blank=True)
    municipality_code = models.CharField(max_length=4)
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    opening_hours = models.TextField(blank=True)
    description = models.TextField(blank=True)  # the clinic's free text on its contact card
    # Service area (betjäningsområde): the region always; optionally narrowed to some municipalities
    # (codes), to one sex and to an age range (whole years, both ends included).
    service_area_municipalities = models.JSONField(default=list, blank=True)
    service_area_sex = models.CharField(max_length=1, choices=ServiceAreaSex.choices, blank=True)
    service_area_min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    service_area_max_age = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["municipality_code", "name"], name="unit_municipality_name"),
            models.Index(fields=["status", "name"], name="unit_status_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=UnitStatus.values), name="unit_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(care_type__in=CareType.values), name="unit_care_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(service_area_sex__in=["", *ServiceAreaSex.values]),
                name="unit_service_area_sex_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(service_area_min_age__isnull=True)
                | models.Q(service_area_max_age__isnull=True)
                | models.Q(service_area_min_age__lte=models.F("service_area_max_age")),
                name="unit_service_area_ages_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def active_eservices(self) -> list[EService]:
        """The e-services residents can use here (``usable_eservices``).

        Reads ``self.eservices.all()``, so a list of units should ``prefetch_related("eservices")``.
        """
        return usable_eservices(self.status, ((s.service, s.active) for s in self.eservices.all()))


class UnitEService(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="eservices")
    service = models.CharField(max_length=32, choices=EService.choices)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "service"], name="unit_eservice_unique"),
            models.CheckConstraint(
                condition=models.Q(service__in=EService.values), name="unit_eservice_valid"
            ),
        ]
        indexes = [models.Index(fields=["service", "active"], name="unit_eservice_service_active")]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.service}"


class AgreementQuerySet(models.QuerySet["Agreement"]):
    def in_force(self, on: date | None = None) -> AgreementQuerySet:
        on = on or timezone.localdate()
        return self.filter(valid_from__lte=on).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=on)
        )


class Agreement(models.Model):
    """The unit's agreement with the region (avtal). A unit with an agreement in force is visible and
    searchable in "Hitta vård"; connecting it to the e-services is a separate step (onboarding).

    It lives here, not in onboarding, because the directory's own search depends on it and the
    directory must not import onboarding."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="agreements")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)  # the last day it holds; open-ended if empty
    reference = models.CharField(max_length=100)  # the region's reference (diarienummer)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["unit", "valid_from"], name="agreement_unit_from")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="agreement_period_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.unit_id})"
