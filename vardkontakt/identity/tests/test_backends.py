"""The per-request reads written once (identity.backends): the user with their resident or staff row,
and the session's row. They must give what the ORM gives, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from vardkontakt.conftest import Demo
from vardkontakt.identity.backends import EIdBackend, SessionStore, load_active_user
from vardkontakt.identity.models import Resident, Staff, User, UserKind

pytestmark = pytest.mark.django_db


def fields_of(instance: Model) -> dict[str, object]:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def orm_user(pk: uuid.UUID) -> User:
    return User.objects.select_related("resident", "staff").get(pk=pk)


def related_or_none(user: User, name: str) -> Model | None:
    try:
        return getattr(user, name)
    except ObjectDoesNotExist:
        return None


def assert_same_as_orm(loaded: User) -> None:
    expected = orm_user(loaded.pk)
    assert fields_of(loaded) == fields_of(expected)
    with CaptureQueriesContext(connection) as queries:
        for name in ("resident", "staff"):
            mine, theirs = related_or_none(loaded, name), related_or_none(expected, name)
            assert (mine is None) == (theirs is None), name
            if mine is not None and theirs is not None:
                assert fields_of(mine) == fields_of(theirs), name
                assert mine.user is loaded  # type: ignore[attr-defined]
    assert len(queries) == 0  # both rows came with the user


def test_a_resident_loads_as_the_orm_loads_them_in_one_query(demo: Demo) -> None:
    resident = demo.resident("anna")
    resident.consented_at = timezone.now()  # a nullable datetime with a value
    resident.save(update_fields=["consented_at"])
    with CaptureQueriesContext(connection) as queries:
        user = EIdBackend().get_user(str(resident.user_id))  # the session holds the id as text
    assert len(queries) == 1
    assert user is not None
    assert_same_as_orm(user)
    loaded = user.resident
    assert loaded.personnummer == resident.personnummer  # the sealed bytes open
    assert isinstance(loaded.birth_date, date) and isinstance(loaded.protected_identity, bool)
    assert isinstance(loaded.consented_at, datetime) and loaded.consented_at.tzinfo is not None
    assert isinstance(user.pk, uuid.UUID)


def test_every_demo_person_loads_as_the_orm_loads_them(demo: Demo) -> None:
    users = [r.user_id for r in demo.residents.values()] + [s.user_id for s in demo.staff.values()]
    active = set(User.objects.filter(pk__in=users, is_active=True).values_list("pk", flat=True))
    assert 0 < len(active) < len(users)  # the demo has a deactivated login too
    for pk in users:
        loaded = load_active_user(pk)
        assert (loaded is not None) == (pk in active)
        if loaded is not None:
            assert_same_as_orm(loaded)
    assert isinstance(related_or_none(load_active_user(demo.member("maria").user_id), "staff"), Staff)  # type: ignore[arg-type]


def test_a_user_with_neither_row_has_both_cached_as_absent(db: None) -> None:
    user = User.objects.create(kind=UserKind.RESIDENT)
    loaded = load_active_user(user.pk)
    assert loaded is not None
    assert_same_as_orm(loaded)
    with pytest.raises(Resident.DoesNotExist):
        loaded.resident  # noqa: B018


def test_inactive_unknown_and_malformed_ids_load_nobody(demo: Demo) -> None:
    user = demo.resident("anna").user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert load_active_user(user.pk) is None
    assert load_active_user(uuid.uuid4()) is None
    assert load_active_user("not-a-uuid") is None
    assert load_active_user(None) is None


def test_the_session_store_reads_a_live_session_and_not_an_expired_one(db: None) -> None:
    live = SessionStore()
    live["vk_realm"] = "resident"
    live.save()
    assert SessionStore(live.session_key).load() == {"vk_realm": "resident"}

    expired = SessionStore()
    expired["vk_realm"] = "staff"
    expired.save()
    Session.objects.filter(pk=expired.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    store = SessionStore(expired.session_key)
    assert store.load() == {}
    assert store.session_key is None  # as Django's store: a save makes a new key, never revives the old

    assert SessionStore("x" * 32).load() == {}  # unknown key
    assert SessionStore("short").load() == {}  # not a session key's form: nothing is asked
