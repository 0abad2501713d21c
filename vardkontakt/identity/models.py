from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vardkontakt.crypto.blind import blind_index
from vardkontakt.crypto.fields import EncryptedText
from vardkontakt.identity import personnummer as pnr
from vardkontakt.identity.hsa import validate_hsa_id

GUARDIAN_PROXY_AGE_LIMIT = 13  # a guardian acts for a child until the child's 13th birthday


class UserKind(models.TextChoices):
    RESIDENT = "resident", _("Invånare")
    STAFF = "staff", _("Vårdpersonal")


class UserManager(BaseUserManager["User"]):
    def create_user(self, kind: str) -> User:
        user = self.model(kind=kind)
        user.set_unusable_password()
        user.save()
        return user


class User(AbstractBaseUser):
    """Anyone who logs in. No password: residents and staff authenticate with e-ID only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=UserKind.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    USERNAME_FIELD = "id"
    objects = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=UserKind.values), name="user_kind_valid")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def is_resident(self) -> bool:
        return self.kind == UserKind.RESIDENT

    @property
    def is_staff_member(self) -> bool:
        return self.kind == UserKind.STAFF


class ResidentQuerySet(models.QuerySet["Resident"]):
    def by_personnummer(self, value: str) -> Resident | None:
        number = pnr.parse(value)
        return self.filter(pnr_index=Resident.index_for(number.digits)).first()


class Resident(models.Model):
    """A person who uses the e-services. The personnummer is encrypted; ``pnr_index`` finds it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="resident")
    pnr_sealed = models.BinaryField()
    pnr_index = models.CharField(max_length=64, unique=True)
    personnummer = EncryptedText("pnr_sealed")
    is_coordination_number = models.BooleanField(default=False)
    birth_date = models.DateField()
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    municipality_code = models.CharField(max_length=4, blank=True)  # from the population register
    protected_identity = models.BooleanField(default=False)  # skyddad identitet
    deceased = models.BooleanField(default=False)
    synthetic = models.BooleanField(default=False)  # benchmark rows that can never be a real person
    # First login: consent to digital communication and acceptance of the terms (identity/login.py).
    consented_at = models.DateTimeField(null=True, blank=True)
    # Where content-free notifications go. Only the resident sees or edits them; never staff.
    notify_email_sealed = models.BinaryField(null=True, blank=True)
    notify_email = EncryptedText("notify_email_sealed")
    notify_mobile_sealed = models.BinaryField(null=True, blank=True)
    notify_mobile = EncryptedText("notify_mobile_sealed")

    objects = ResidentQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Resident {self.id}"

    @staticmethod
    def index_for(digits: str) -> str:
        return blind_index("personnummer", digits)

    def set_personnummer(self, number: pnr.Personnummer) -> None:
        self.personnummer = number.digits
        self.pnr_index = self.index_for(number.digits)
        self.birth_date = number.birth_date
        self.is_coordination_number = number.is_coordination_number

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> int:
        """Age in whole years (from the birth date: the personnummer stays sealed)."""
        return pnr.age_on(self.birth_date, day)

    @property
    def legal_sex(self) -> str:
        """Legal sex, "M" or "F", from the personnummer (unseals it)."""
        return pnr.Personnummer(self.personnummer, self.birth_date, self.is_coordination_number).legal_sex

    @property
    def region_code(self) -> str:
        """County code: the first two digits of the municipality code (01 = Stockholm)."""
        return self.municipality_code[:2]


class Staff(models.Model):
    """A member of clinic or region staff, identified by HSA-id."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="staff")
    hsa_id = models.CharField(max_length=31, unique=True, validators=[validate_hsa_id])
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    title = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name_plural = "staff"

    def __str__(self) -> str:
        return f"{self.full_name} ({self.hsa_id})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Guardianship(models.Model):
    """Custody (vårdnad) as the population register states it: a guardian of a child."""

    guardian = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="children_links")
    child = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="guardian_links")
    since = models.DateField(default=timezone.localdate)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["guardian", "child"], name="guardianship_unique"),
            models.CheckConstraint(
                condition=~models.Q(guardian=models.F("child")), name="guardianship_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"Guardianship {self.pk}"


class GuardianBlockQuerySet(models.QuerySet["GuardianBlock"]):
    def in_force(self, on: date | None = None) -> GuardianBlockQuerySet:
        """Blocks that hold on ``on`` (today): begun, not past their last day, not lifted."""
        on = on or timezone.localdate()
        return self.filter(valid_from__lte=on, lifted_at__isnull=True).filter(
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=on)
        )

    def holding_at(self, unit: Any) -> GuardianBlockQuerySet:
        """Blocks that cover ``unit`` (a Unit, its id or an OuterRef): those of that unit and those of every unit."""
        return self.filter(models.Q(unit__isnull=True) | models.Q(unit=unit))


class GuardianBlock(models.Model):
    """Blocking of a guardian (blockering av vårdnadshavare): the unit manager decides that a guardian
    may not act for the child at one unit, or at every unit. Lifting a block keeps the row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    guardian = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    child = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="guardian_blocks")
    # Where the block holds: one unit, or every unit when empty.
    unit = models.ForeignKey(
        "directory.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The unit whose manager decided it (and whose managers may lift it).
    decided_at = models.ForeignKey("directory.Unit", on_delete=models.PROTECT, related_name="guardian_blocks")
    decided_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    reason_sealed = models.BinaryField()
    reason = EncryptedText("reason_sealed")
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)  # the last day it holds; open-ended if empty
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = GuardianBlockQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["guardian", "child"], name="guardianblock_guardian_child")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="guardianblock_period_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(guardian=models.F("child")), name="guardianblock_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"GuardianBlock {self.pk}"
