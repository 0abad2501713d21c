"""Statements built once: a query that a hot path sends on every request, compiled to SQL by the ORM
once per database connection and then run with new parameter values.

Building a query's SQL costs the ORM 0.2 to 0.6 ms of CPU each time (filter() clones and resolves the
query, the compiler walks it), often more than the database needs to answer it. A ``Statement`` is
written as an ordinary queryset, with a ``Param`` where a value changes from call to call::

    GRANTS = Statement(
        lambda: RoleGrant.objects.in_force(Param("at", DateTimeField()), staff_id=Param("staff", UUIDField()))
        .values_list("role", "unit_id", "region_id")
    )
    GRANTS.all(at=timezone.now(), staff=staff.pk)  # -> [("CASE_RECEIVER", UUID(...), None), ...]

The first call builds the queryset and compiles it for the connection; every call then sends the same
SQL with the values in the ``Param`` slots (prepared by the Param's field, as the ORM prepares a value
in a filter) and turns the rows into what the queryset would have given: model instances with their
``select_related`` rows, values, value lists or named rows, through the same converters. Identical SQL
also lets PostgreSQL reuse its prepared statement (``prepare_threshold`` in ``env.py``).

An ``Insert`` does the same for writing one row of a model: ``ACCESS = Insert(AccessLogEntry)``,
``ACCESS.one(actor_id=..., action=...)`` is ``AccessLogEntry.objects.create(...)`` with the INSERT
compiled once (no save signals: use it only for a model nothing listens to).

``send()`` is ``all()`` in two steps: the query goes now, ``.result()`` reads its items later. Several
sent inside ``pipeline()`` reach PostgreSQL in one round trip (the staff case page's reads after the
case: ``cases.actions.read_case_for_staff``).

A query with a few forms (a filter present or not) is a ``Statements`` family keyed by the form.
The builder must not read anything that changes (the time, the request, the language, a setting
altered by a test): such a value is a ``Param``. A Param holds one value, so a list of variable length
(``__in``) cannot be one. ``prefetch_related`` is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, QuerySet
from django.db.models.expressions import Expression
from django.db.models.query import (  # type: ignore[attr-defined]  # get_related_populators
    FlatValuesListIterable,
    ModelIterable,
    NamedValuesListIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.sql import InsertQuery
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.utils import create_namedtuple_class
from django.db.transaction import TransactionManagementError

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _Slot:
    """Where a Param's value goes in the compiled statement's parameter list."""

    name: str
    field: Field[Any, Any]


class Param(Expression):
    """A named value of a ``Statement``'s query, given on each call; ``field`` prepares it for the
    database (a UUIDField turns a UUID into SQLite's text, a DateTimeField makes a datetime aware)."""

    def __init__(self, name: str, field: Field[Any, Any]) -> None:
        super().__init__(output_field=field)
        self.name = name

    def as_sql(  # type: ignore[override]  # its parameter is a slot, filled on each call
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[_Slot]]:
        return "%s", [_Slot(self.name, self.output_field)]

    def __repr__(self) -> str:
        return f"Param({self.name!r})"


@dataclass(frozen=True)
class _Compiled:
    """One statement compiled for one connection, and how to turn its rows into the queryset's items."""

    sql: str | None  # None: the query can match nothing (an empty __in, say)
    params: tuple[Any, ...]
    slots: tuple[tuple[int, _Slot], ...]
    names: frozenset[str]
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]  # (column, converters, expression)
    col_count: int
    trim: bool
    make: Callable[[list[Any]], list[Any]]
    for_update: bool

    def values_for(self, given: Mapping[str, Any], connection: BaseDatabaseWrapper) -> list[Any]:
        if given.keys() != self.names:
            raise TypeError(f"this statement takes the values {sorted(self.names)}, not {sorted(given)}")
        params = list(self.params)
        for position, slot in self.slots:
            params[position] = slot.field.get_db_prep_value(given[slot.name], connection)
        return params

    def convert(self, row: Sequence[Any], connection: BaseDatabaseWrapper) -> list[Any]:
        """The row's values as Python values, as the ORM's compiler converts them (SQLite's text UUIDs
        and integer booleans, say), with this thread's connection."""
        values = list(row)
        for position, converters, expression in self.converters:
            value = values[position]
            for convert in converters:
                value = convert(value, expression, connection)
            values[position] = value
        return values


def _model_maker(
    queryset: QuerySet[Any], compiler: SQLCompiler, alias: str
) -> Callable[[list[Any]], list[Any]]:
    """Rows to model instances, as ModelIterable makes them (select_related rows included)."""
    select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
    assert klass_info is not None  # a model query always has one
    model_cls = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, alias)
    annotations = list(annotation_col_map.items()) if annotation_col_map else []

    def make(rows: list[Any]) -> list[Any]:
        objects = []
        for row in rows:
            obj = model_cls.from_db(alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations:
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    return make


def _values_maker(queryset: QuerySet[Any]) -> Callable[[list[Any]], list[Any]]:
    """Rows to what values(), values_list() (flat, named) give: the columns come in the order the
    queryset named them (Query.selected), as the ORM's iterables rely on."""
    query = queryset.query
    names = list(query.selected or [*query.extra_select, *query.values_select, *query.annotation_select])
    iterable = queryset._iterable_class
    if iterable is ValuesIterable:
        return lambda rows: [dict(zip(names, row, strict=True)) for row in rows]
    if iterable is FlatValuesListIterable:
        return lambda rows: [row[0] for row in rows]
    if iterable is NamedValuesListIterable:
        row_class = create_namedtuple_class(*(queryset._fields or names))  # type: ignore[attr-defined]
        return lambda rows: [row_class(*row) for row in rows]
    if iterable is ValuesListIterable:
        return lambda rows: [tuple(row) for row in rows]
    raise TypeError(f"a Statement cannot give what {iterable.__name__} gives")


def _compile(queryset: QuerySet[Any], connection: BaseDatabaseWrapper) -> _Compiled:
    if queryset._prefetch_related_lookups or queryset._known_related_objects:  # type: ignore[attr-defined]
        raise TypeError("a Statement runs one query: no prefetch_related, no related manager's queryset")
    compiler = queryset.query.get_compiler(connection=connection)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        sql, params = None, ()
    if queryset._iterable_class is ModelIterable:
        make = _model_maker(queryset, compiler, connection.alias)
    else:
        make = _values_maker(queryset)
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    slots = tuple((i, p) for i, p in enumerate(params) if isinstance(p, _Slot))
    return _Compiled(
        sql=sql,
        params=tuple(params),
        slots=slots,
        names=frozenset(slot.name for _, slot in slots),
        converters=tuple(
            (position, tuple(converters), expression)
            for position, (converters, expression) in compiler.get_converters(fields).items()
        ),
        col_count=compiler.col_count,
        trim=compiler.has_extra_select,
        make=make,
        for_update=bool(queryset.query.select_for_update and connection.features.has_select_for_update),
    )


class Statement(Generic[T]):
    """A query built once and compiled once per database connection (see the module's text)."""

    def __init__(self, build: Callable[[], QuerySet[Any, T]]) -> None:
        self._build = build
        self._queryset: QuerySet[Any, T] | None = None
        self._compiled: dict[str, _Compiled] = {}

    def queryset(self) -> QuerySet[Any, T]:
        """The queryset the statement runs (built once), e.g. to compare with the ORM's own results."""
        if self._queryset is None:
            self._queryset = self._build()
        return self._queryset

    def all(self, **values: Any) -> list[T]:
        """The items the queryset gives with these Param values."""
        return self.send(**values).result()

    def send(self, **values: Any) -> Pending[T]:
        """Send the query now and read its items later (``.result()``). Inside ``pipeline()`` several
        statements sent one after the other reach PostgreSQL in one round trip."""
        queryset = self.queryset()
        connection = connections[queryset.db]
        compiled = self._compiled.get(connection.alias)
        if compiled is None:
            compiled = self._compiled[connection.alias] = _compile(queryset, connection)
        if compiled.sql is None:
            return Pending(compiled, connection, None)
        if compiled.for_update and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        cursor = connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.values_for(values, connection))
        except BaseException:
            cursor.close()
            raise
        return Pending(compiled, connection, cursor)

    def first(self, **values: Any) -> T | None:
        """The first item, or None. Slice the queryset (``[:1]``) to have the database stop there."""
        found = self.all(**values)
        return found[0] if found else None


class Pending(Generic[T]):
    """A statement's query, sent: ``result()`` reads its rows and makes its items (the same list each
    time it is asked)."""

    def __init__(self, compiled: _Compiled, connection: BaseDatabaseWrapper, cursor: Any) -> None:
        self._compiled = compiled
        self._connection = connection
        self._cursor = cursor
        self._items: list[T] | None = None if cursor is not None else []

    def result(self) -> list[T]:
        if self._items is not None:
            return self._items
        compiled, connection, cursor = self._compiled, self._connection, self._cursor
        self._cursor = None
        try:
            rows: list[Any] = cursor.fetchall()
        finally:
            cursor.close()
        if compiled.trim:  # columns the ORDER BY needed that the queryset does not give
            rows = [row[: compiled.col_count] for row in rows]
        if compiled.converters:
            rows = [compiled.convert(row, connection) for row in rows]
        self._items = compiled.make(rows)
        return self._items


@contextmanager
def pipeline(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Statements sent inside go to PostgreSQL one after the other without waiting for each other's
    answers (psycopg's pipeline mode): one round trip for several reads, where each would otherwise
    cost one, with the process switches on both sides. The pipeline's end waits for every answer; read
    them (``Pending.result()``) there or after. Enter it inside the transaction, after its first query:
    psycopg waits for the answer to BEGIN and to each change of autocommit, so a pipeline around
    ``transaction.atomic()`` costs more round trips than it saves. Other databases run each statement
    as it is sent, the same as outside."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    # An answer that reports an error can arrive while a later statement is sent (raised there as
    # Django's error, by the cursor) or at the end, when the pipeline waits for the rest: the same
    # translation into Django's errors (IntegrityError, DatabaseError) covers that too.
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


class Statements(Generic[K, T]):
    """A family of statements, one per form of a query (a model, a role, which filters apply): the
    statement for ``key`` is built from ``build(key)`` the first time it is asked for."""

    def __init__(self, build: Callable[[K], QuerySet[Any, T]]) -> None:
        self._build = build
        self._statements: dict[K, Statement[T]] = {}

    def __getitem__(self, key: K) -> Statement[T]:
        found = self._statements.get(key)
        if found is None:
            found = self._statements[key] = Statement(lambda: self._build(key))
        return found


@dataclass(frozen=True)
class _CompiledInsert:
    sql: str
    fields: tuple[Field[Any, Any], ...]  # the columns written, in the statement's order
    returning: tuple[Any, ...] | None  # the backend's RETURNING parameters; None: last_insert_id
    converters: tuple[Any, ...]  # for the new primary key, as the ORM converts it


def _compile_insert(model: type[Model], connection: BaseDatabaseWrapper) -> _CompiledInsert:
    """The INSERT that ``model.objects.create()`` sends for a row whose key the database assigns."""
    opts = model._meta
    fields = tuple(
        field
        for field in opts.local_concrete_fields
        if field is not opts.auto_field and not getattr(field, "generated", False)
    )
    query = InsertQuery(model)
    query.insert_values(fields, [model()], raw=False)
    compiler = query.get_compiler(connection=connection)
    returning = connection.features.can_return_columns_from_insert
    if returning:
        compiler.returning_fields = [opts.pk]
    ((sql, _params),) = compiler.as_sql()
    converters = compiler.get_converters([opts.pk.get_col(opts.db_table)])
    return _CompiledInsert(
        sql=sql,
        fields=fields,
        returning=tuple(compiler.returning_params) if returning else None,
        converters=tuple(converters[0][0]) if converters else (),
    )


class Insert(Generic[M]):
    """One row into ``model``'s table, the INSERT compiled once per database connection (see the
    module's text). The model's key must be one the database assigns (an AutoField)."""

    def __init__(self, model: type[M]) -> None:
        if model._meta.auto_field is None:
            raise TypeError(f"{model.__name__} has no key the database assigns")
        self._model = model
        self._compiled: dict[str, _CompiledInsert] = {}

    def one(self, **values: Any) -> M:
        """``model.objects.create(**values)``: the instance (defaults applied, each value prepared by its
        field), written, with its new key."""
        obj = self._model(**values)
        for name, value in values.items():
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"{name}: an Insert writes values, not expressions")
        connection = connections[router.db_for_write(self._model, instance=obj)]
        compiled = self._compiled.get(connection.alias)
        if compiled is None:
            compiled = self._compiled[connection.alias] = _compile_insert(self._model, connection)
        params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in compiled.fields]
        opts = self._model._meta
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            if compiled.returning is not None:
                key = connection.ops.fetch_returned_insert_columns(cursor, compiled.returning)[0]
            else:
                key = connection.ops.last_insert_id(cursor, opts.db_table, opts.pk.column)
        for convert in compiled.converters:
            key = convert(key, opts.pk, connection)
        setattr(obj, opts.pk.attname, key)
        obj._state.adding = False
        obj._state.db = connection.alias
        return obj
