"""Statements built once (vardkontakt.statements): each shape of result must be what the ORM gives for
the same queryset with the values in place of the Params, on SQLite and on PostgreSQL, in one query;
an Insert writes the row that ``objects.create`` writes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, DateTimeField, F, Model, UUIDField
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from psycopg import pq

from vardkontakt.audit.log import record
from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.conftest import Demo
from vardkontakt.identity.models import Resident, Staff, User
from vardkontakt.roles.models import Role, RoleGrant
from vardkontakt.statements import Insert, Param, Statement, pipeline

pytestmark = pytest.mark.django_db

STAFF = Param("staff", UUIDField())
AT = Param("at", DateTimeField())


def fields_of(instance: Model) -> dict[str, object]:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def one_query(statement: Statement, **values: object) -> list:
    """Run ``statement`` twice (compiled, then from the compiled form), each time in one query."""
    results = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as sent:
            results.append(statement.all(**values))
        assert len(sent.captured_queries) == 1
    assert results[0] == results[1]
    return results[1]


def test_values_list_with_datetime_and_uuid_params(demo: Demo) -> None:
    statement = Statement(
        lambda: RoleGrant.objects.in_force(AT, staff_id=STAFF).values_list("role", "unit_id")
    )
    for member in demo.staff.values():
        now = timezone.now()
        expected = list(RoleGrant.objects.in_force(now, staff_id=member.pk).values_list("role", "unit_id"))
        assert sorted(one_query(statement, staff=member.pk, at=now), key=str) == sorted(expected, key=str)
    receiver = demo.member("maria")
    assert one_query(statement, staff=receiver.pk, at=timezone.now())  # a member with grants has rows
    # A time before every grant: none in force.
    assert statement.all(staff=receiver.pk, at=timezone.now() - timedelta(days=36500)) == []


def test_models_with_select_related_rows_present_and_absent(demo: Demo) -> None:
    statement = Statement(
        lambda: User.objects.select_related("resident", "staff").filter(pk=Param("id", UUIDField()))
    )
    people: list[Resident | Staff] = [*demo.residents.values(), *demo.staff.values()]
    for person in people:
        (loaded,) = one_query(statement, id=person.user_id)
        expected = User.objects.select_related("resident", "staff").get(pk=person.user_id)
        assert fields_of(loaded) == fields_of(expected)
        with CaptureQueriesContext(connection) as sent:
            for name in ("resident", "staff"):
                related = getattr(expected, name, None)
                assert (fields_of(getattr(loaded, name)) if related else getattr(loaded, name, None)) == (
                    fields_of(related) if related else None
                )
        assert sent.captured_queries == []  # both relations came with the row, present or absent
    assert statement.all(id=uuid.uuid4()) == []


def test_named_flat_and_dict_rows_in_the_order_asked(demo: Demo) -> None:
    members = Staff.objects.order_by("family_name", "given_name", "pk")
    named: Statement[Any] = Statement(
        lambda: members.filter(pk=STAFF).values_list("family_name", "hsa_id", named=True)
    )
    flat = Statement(lambda: members.values_list("hsa_id", flat=True))
    dicts = Statement(lambda: members.values("given_name", "pk"))
    annotated: Statement[Any] = Statement(
        lambda: (
            Staff.objects.annotate(grants_held=Count("grants"))
            .order_by("hsa_id")
            .values_list("grants_held", "hsa_id")
        )
    )
    member = demo.member("hans")
    expected_named: list[Any] = list(
        members.filter(pk=member.pk).values_list("family_name", "hsa_id", named=True)
    )
    assert one_query(named, staff=member.pk) == expected_named
    assert one_query(named, staff=member.pk)[0].hsa_id == member.hsa_id
    assert one_query(flat) == list(members.values_list("hsa_id", flat=True))
    assert one_query(dicts) == list(members.values("given_name", "pk"))
    expected = list(
        Staff.objects.annotate(grants_held=Count("grants"))
        .order_by("hsa_id")
        .values_list("grants_held", "hsa_id")
    )
    assert one_query(annotated) == expected
    assert any(held for held, _ in expected)


def test_a_param_may_appear_twice_and_sits_beside_constant_values(demo: Demo) -> None:
    statement = Statement(
        lambda: RoleGrant.objects.in_force(AT, role=Role.CASE_RECEIVER, staff_id=STAFF).values_list(
            "unit_id", flat=True
        )
    )
    receiver = demo.member("maria")
    assert one_query(statement, staff=receiver.pk, at=timezone.now()) == list(
        RoleGrant.objects.in_force(role=Role.CASE_RECEIVER, staff_id=receiver.pk).values_list(
            "unit_id", flat=True
        )
    )
    assert statement.all(staff=demo.member("hans").pk, at=timezone.now()) == list(
        RoleGrant.objects.in_force(role=Role.CASE_RECEIVER, staff_id=demo.member("hans").pk).values_list(
            "unit_id", flat=True
        )
    )


def test_the_same_sql_each_call(demo: Demo) -> None:
    statement = Statement(lambda: Staff.objects.filter(pk=STAFF).values_list("hsa_id", flat=True))
    with CaptureQueriesContext(connection) as sent:
        for member in demo.staff.values():
            assert statement.all(staff=member.pk) == [member.hsa_id]
    assert len({query["sql"].split(" WHERE ")[0] for query in sent.captured_queries}) == 1
    assert len(sent.captured_queries) == len(demo.staff)


def test_first_gives_none_when_nothing_matches(demo: Demo) -> None:
    statement = Statement(lambda: Staff.objects.filter(pk=STAFF)[:1])
    member = demo.member("maria")
    found = statement.first(staff=member.pk)
    assert found is not None and fields_of(found) == fields_of(member)
    assert statement.first(staff=uuid.uuid4()) is None


def test_a_query_that_can_match_nothing_sends_nothing(demo: Demo) -> None:
    statement = Statement(lambda: Staff.objects.filter(pk__in=[]))
    with CaptureQueriesContext(connection) as sent:
        assert statement.all() == []
    assert sent.captured_queries == []


def test_wrong_value_names_are_refused(demo: Demo) -> None:
    statement = Statement(lambda: Staff.objects.filter(pk=STAFF))
    with pytest.raises(TypeError, match="staff"):
        statement.all()
    with pytest.raises(TypeError, match="staff"):
        statement.all(staff=demo.member("maria").pk, extra=1)


def test_statements_sent_together_give_what_each_gives_alone(demo: Demo) -> None:
    """Sent one after the other (in a pipeline on PostgreSQL), read afterwards in any order: each gives
    what ``all()`` gives, and one that can match nothing gives nothing without a query."""
    names = Statement(lambda: Staff.objects.filter(pk=STAFF).values_list("hsa_id", flat=True))
    grants = Statement(lambda: RoleGrant.objects.in_force(AT, staff_id=STAFF).values_list("role", "unit_id"))
    nothing = Statement(lambda: Staff.objects.filter(pk__in=[]))
    members = list(demo.staff.values())
    now = timezone.now()
    expected = [(names.all(staff=m.pk), sorted(grants.all(staff=m.pk, at=now), key=str)) for m in members]
    with transaction.atomic(), CaptureQueriesContext(connection) as sent:
        with pipeline():
            pending = [(names.send(staff=m.pk), grants.send(staff=m.pk, at=now)) for m in members]
            empty = nothing.send()
            if connection.vendor == "postgresql":  # the answers are not waited for until asked
                assert connection.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF
        got = [(n.result(), sorted(g.result(), key=str)) for n, g in reversed(pending)]
    assert got[::-1] == expected
    assert pending[0][0].result() is pending[0][0].result()  # read once, the same list again
    assert empty.result() == []
    assert len(sent.captured_queries) == 2 * len(members)
    if connection.vendor == "postgresql":
        assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF


@pytest.mark.django_db(transaction=True)  # autocommit outside the atomic block, as in production
def test_an_error_in_a_pipeline_rolls_its_transaction_back(demo: Demo) -> None:
    """A statement that fails inside the pipeline fails the transaction it is in (nothing of it is
    kept), and the connection serves what comes next."""
    member = demo.member("maria")
    names = Statement(lambda: Staff.objects.filter(pk=STAFF).values_list("hsa_id", flat=True))
    broken = Statement(
        lambda: Staff.objects.filter(pk=STAFF).extra(where=["no_such_column = 1"]).values_list("pk")
    )
    before = AccessLogEntry.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic():
        record(actor=member.user, action="test.read", object_type="Staff", object_id=member.pk)
        with pipeline():
            names.send(staff=member.pk)
            broken.send(staff=member.pk)  # last: on PostgreSQL its error arrives as the pipeline ends
    assert AccessLogEntry.objects.count() == before
    assert names.all(staff=member.pk) == [member.hsa_id]


@pytest.mark.django_db(transaction=True)  # autocommit outside the atomic block, as in production
def test_for_update_only_inside_a_transaction(demo: Demo) -> None:
    statement = Statement(lambda: Staff.objects.select_for_update().filter(pk=STAFF))
    member = demo.member("maria")
    with transaction.atomic(), CaptureQueriesContext(connection) as sent:
        assert [found.pk for found in statement.all(staff=member.pk)] == [member.pk]
    if connection.features.has_select_for_update:  # PostgreSQL; SQLite has no row locks
        assert "FOR UPDATE" in sent.captured_queries[0]["sql"]
        with pytest.raises(TransactionManagementError):
            list(Staff.objects.select_for_update().filter(pk=member.pk))  # the ORM refuses it
        with pytest.raises(TransactionManagementError):
            statement.all(staff=member.pk)


def test_prefetch_and_related_managers_are_refused(demo: Demo) -> None:
    with pytest.raises(TypeError, match="prefetch_related"):
        Statement(lambda: Staff.objects.prefetch_related("grants")).all()
    member = demo.member("maria")
    with pytest.raises(TypeError, match="related manager"):
        Statement(lambda: member.grants.all()).all()


def test_expressions_compare_with_params(demo: Demo) -> None:
    """A Param on either side of an expression: the grants that had begun by the time given."""
    statement = Statement(
        lambda: (
            RoleGrant.objects.filter(
                staff_id=STAFF, valid_from__lte=AT, granted_at__lte=F("valid_from") + timedelta(days=1)
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    )
    member = demo.member("maria")
    now = timezone.now()
    assert one_query(statement, staff=member.pk, at=now) == list(
        RoleGrant.objects.filter(
            staff_id=member.pk, valid_from__lte=now, granted_at__lte=F("valid_from") + timedelta(days=1)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def test_row_by_id_is_first_by_id_of_all_rows(demo: Demo) -> None:
    from vardkontakt.directory.models import Unit
    from vardkontakt.ids import first_by_id, row_by_id

    unit = demo.unit("solna")
    member = demo.member("maria")
    for model, value in ((Unit, unit.pk), (Unit, str(unit.pk)), (Staff, member.pk)):
        found = row_by_id(model, value)
        expected = first_by_id(model.objects.all(), value)
        assert found is not None and expected is not None and fields_of(found) == fields_of(expected)
    wrong: tuple[object, ...] = (uuid.uuid4(), "not-an-id", "", None, member.pk)
    for other in wrong:
        assert row_by_id(Unit, other) is None  # unknown, malformed, or another model's key


def test_a_family_builds_each_form_once(demo: Demo) -> None:
    from vardkontakt.statements import Statements

    built: list[str] = []

    def build(role: str) -> Any:
        built.append(role)
        return RoleGrant.objects.in_force(AT, staff_id=STAFF, role=role).values_list("unit_id", flat=True)

    family: Statements[str, Any] = Statements(build)
    maria, hans = demo.member("maria"), demo.member("hans")
    for _ in range(2):
        for member in (maria, hans):
            for role in (Role.CASE_RECEIVER, Role.CASE_HANDLER):
                expected = list(
                    RoleGrant.objects.in_force(staff_id=member.pk, role=role).values_list(
                        "unit_id", flat=True
                    )
                )
                assert family[role].all(staff=member.pk, at=timezone.now()) == expected
    assert built == [Role.CASE_RECEIVER, Role.CASE_HANDLER]
    assert family[Role.CASE_RECEIVER] is family[Role.CASE_RECEIVER]


def test_an_insert_writes_what_create_writes(demo: Demo) -> None:
    staff = demo.member("maria")
    resident = demo.resident("anna")
    values = {
        "actor_id": staff.user_id,
        "acting_role": "CASE_RECEIVER",
        "unit_id": demo.unit("solna").pk,
        "subject_id": resident.pk,
        "object_type": "Case",
        "object_id": "Ärende 1",
        "action": "case.read",
    }
    entries = Insert(AccessLogEntry)
    created = AccessLogEntry.objects.create(**values)
    with CaptureQueriesContext(connection) as sent:
        first = entries.one(**values)
        second = entries.one(**{**values, "unit_id": None, "subject_id": None})  # compiled once, reused
    assert (
        len(sent.captured_queries) == 2
        and sent[0]["sql"].split("VALUES")[0] == sent[1]["sql"].split("VALUES")[0]
    )
    assert created.pk < first.pk < second.pk
    assert not first._state.adding and first._state.db == "default"
    for written in (first, second):
        stored = AccessLogEntry.objects.get(pk=written.pk)
        assert fields_of(stored) == fields_of(written)  # what it returns is what it wrote
    expected = {**fields_of(created), "id": first.pk, "at": first.at}
    assert fields_of(AccessLogEntry.objects.get(pk=first.pk)) == expected
    assert abs(first.at - created.at) < timedelta(minutes=1)  # the field's default, as in create()
    assert (second.unit_id, second.subject_id) == (None, None)


def test_an_insert_needs_a_key_the_database_assigns_and_plain_values() -> None:
    with pytest.raises(TypeError, match="no key the database assigns"):
        Insert(User)
    with pytest.raises(TypeError, match="not expressions"):
        Insert(AccessLogEntry).one(object_type="Case", action="case.read", object_id=F("action"))
