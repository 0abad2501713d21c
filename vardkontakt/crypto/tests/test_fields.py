"""Encrypted model attributes: sealed at once, bound to their row and attribute, never stored in clear."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, models
from django.test.utils import isolate_apps

from vardkontakt.crypto.envelope import DecryptionError, key_id, open_sealed
from vardkontakt.crypto.fields import EncryptedBytes, EncryptedText, encrypted_attributes
from vardkontakt.identity import personnummer as pnr
from vardkontakt.identity.models import Resident, User, UserKind

ANNA = "198701022389"  # data/testpersonnummer.csv
LARS = "195801122655"  # data/testpersonnummer.csv


def make_resident(number: str, given: str = "Test") -> Resident:
    resident = Resident(
        user=User.objects.create_user(UserKind.RESIDENT), given_name=given, family_name="Test"
    )
    resident.set_personnummer(pnr.parse(number))
    resident.save()
    return resident


@isolate_apps("vardkontakt.crypto")
def test_text_and_bytes_attributes_round_trip_and_are_bound_to_their_attribute() -> None:
    class Note(models.Model):  # noqa: DJ008 (a test model)
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        body_sealed = models.BinaryField(null=True)
        scan_sealed = models.BinaryField(null=True)
        body = EncryptedText("body_sealed")
        scan = EncryptedBytes("scan_sealed")
        copy = EncryptedText("scan_sealed")  # a second attribute over the same column

        class Meta:
            app_label = "crypto"

    note = Note()
    note.body = "Tolk behövs: arabiska"
    note.scan = b"%PDF-1.7 \x00\x01\x02"
    sealed = bytes(note.body_sealed or b"")
    assert sealed.startswith(b"V1")
    assert b"arabiska" not in sealed

    fresh = Note(id=note.id, body_sealed=note.body_sealed, scan_sealed=note.scan_sealed)
    assert fresh.body == "Tolk behövs: arabiska"
    assert fresh.scan == b"%PDF-1.7 \x00\x01\x02"
    assert open_sealed(sealed, f"crypto.Note.body:{note.id}".encode()) == "Tolk behövs: arabiska".encode()

    # The same blob under another attribute of the same row does not open.
    moved = Note(id=note.id, scan_sealed=note.body_sealed)
    with pytest.raises(DecryptionError):
        _ = moved.scan
    with pytest.raises(DecryptionError):
        _ = Note(id=note.id, scan_sealed=note.scan_sealed).copy
    # Nor under the same attribute of another row.
    with pytest.raises(DecryptionError):
        _ = Note(id=uuid.uuid4(), body_sealed=note.body_sealed).body
    # An empty column reads as None.
    assert Note().body is None


def test_a_value_before_the_primary_key_exists_is_refused() -> None:
    resident = Resident()
    resident.pk = None
    with pytest.raises(
        ValueError, match=r"Resident\.personnummer: the primary key must be set before the value"
    ):
        resident.personnummer = ANNA
    assert not resident.pnr_sealed


@pytest.mark.django_db
def test_the_value_reads_back_from_the_database() -> None:
    resident = make_resident(ANNA)
    loaded = Resident.objects.get(pk=resident.pk)
    assert loaded.personnummer == ANNA
    assert key_id(loaded.pnr_sealed) == "test1"


@pytest.mark.django_db
def test_a_blob_copied_into_another_row_does_not_open() -> None:
    anna, lars = make_resident(ANNA, "Anna"), make_resident(LARS, "Lars")
    Resident.objects.filter(pk=lars.pk).update(pnr_sealed=anna.pnr_sealed)
    moved = Resident.objects.get(pk=lars.pk)
    with pytest.raises(DecryptionError):
        _ = moved.personnummer
    assert Resident.objects.get(pk=anna.pk).personnummer == ANNA


@pytest.mark.django_db
def test_a_row_read_without_an_instance_opens_as_the_attribute_does() -> None:
    """open_row: a column read on its own (a list of a few columns) opens bound to its row."""
    anna, lars = make_resident(ANNA, "Anna"), make_resident(LARS, "Lars")
    field = Resident.personnummer
    for resident, number in ((anna, ANNA), (lars, LARS)):
        pk, blob = Resident.objects.filter(pk=resident.pk).values_list("pk", "pnr_sealed").get()
        assert field.open_row(Resident, pk, blob) == number
    assert field.open_row(Resident, anna.pk, b"") is None
    with pytest.raises(DecryptionError):  # Anna's blob read as Lars's row
        field.open_row(Resident, lars.pk, anna.pnr_sealed)


@pytest.mark.django_db
def test_refresh_from_db_shows_the_new_value() -> None:
    resident = make_resident(ANNA)
    assert resident.personnummer == ANNA
    other_copy = Resident.objects.get(pk=resident.pk)
    other_copy.set_personnummer(pnr.parse(LARS))
    other_copy.save()
    resident.refresh_from_db()
    assert resident.personnummer == LARS


@pytest.mark.django_db
def test_the_database_holds_no_plaintext() -> None:
    resident = make_resident(ANNA, "Anna")
    forms = [ANNA, ANNA[2:], f"{ANNA[:8]}-{ANNA[8:]}", f"{ANNA[2:8]}-{ANNA[8:]}"]
    table = Resident._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [resident.pk.hex])  # noqa: S608
        row = cursor.fetchone()
        if row is None:  # PostgreSQL has a uuid type
            cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [resident.pk])  # noqa: S608
            row = cursor.fetchone()
        columns = [column[0] for column in cursor.description]
    assert row is not None
    record = dict(zip(columns, row, strict=True))
    assert record["given_name"] == "Anna"  # the row read is the right one, and clear text would show
    sealed = bytes(record["pnr_sealed"])
    assert sealed.startswith(b"V1")
    for value in record.values():
        raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        for form in forms:
            assert form.encode() not in raw
            assert form.encode("utf-16-le") not in raw


def test_encrypted_attributes_finds_the_residents_personnummer() -> None:
    found = {(model._meta.label, attr.name, attr.column) for model, attr in encrypted_attributes()}
    assert ("identity.Resident", "personnummer", "pnr_sealed") in found


@pytest.mark.django_db
@isolate_apps("vardkontakt.identity")
def test_a_proxy_model_reads_the_same_value() -> None:
    """The associated data names the model that owns the column, so a proxy (or a subclass) of the
    model reads and writes the same blobs."""

    class ResidentProxy(Resident):
        class Meta:
            proxy = True
            app_label = "identity"

    resident = make_resident(ANNA)
    proxied = ResidentProxy.objects.get(pk=resident.pk)
    assert proxied.personnummer == ANNA
    proxied.personnummer = LARS
    proxied.save()
    assert Resident.objects.get(pk=resident.pk).personnummer == LARS


@isolate_apps("vardkontakt.crypto")
def test_encrypted_attributes_lists_each_column_once(monkeypatch: pytest.MonkeyPatch) -> None:
    class Letter(models.Model):  # noqa: DJ008 (a test model)
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        body_sealed = models.BinaryField(null=True)
        body = EncryptedText("body_sealed")

        class Meta:
            app_label = "crypto"

    class LetterProxy(Letter):  # noqa: DJ008 (a test model)
        class Meta:
            proxy = True
            app_label = "crypto"

    class SignedLetter(Letter):  # noqa: DJ008 (multi-table inheritance: the column stays in Letter's table)
        scan_sealed = models.BinaryField(null=True)
        scan = EncryptedBytes("scan_sealed")

        class Meta:
            app_label = "crypto"

    from vardkontakt.crypto import fields

    monkeypatch.setattr(fields, "apps", Letter._meta.apps)
    found = sorted((model.__name__, attr.name) for model, attr in encrypted_attributes())
    assert found == [("Letter", "body"), ("SignedLetter", "scan")]
    letter_id = uuid.uuid4()
    signed = SignedLetter(id=letter_id, letter_ptr_id=letter_id)  # as after save
    signed.body = "hej"
    assert Letter(id=signed.id, body_sealed=signed.body_sealed).body == "hej"
    assert LetterProxy(id=signed.id, body_sealed=signed.body_sealed).body == "hej"
