"""Encrypted attributes on models.

A model keeps the sealed bytes in a ``BinaryField`` and exposes the clear value through a descriptor::

    class Message(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        body_sealed = models.BinaryField()
        body = EncryptedText("body_sealed")

``message.body = "..."`` seals at once, with ``"<app.Model>.<attribute>:<pk>"`` as associated data, so
the primary key must exist before the value is set (a UUID default does that). ``<app.Model>`` is the
model that declares the column, so proxies and subclasses read the same blobs. Reading opens the blob
once per instance (again when the column holds a new blob). The ``rotate_keys`` command finds every
such descriptor by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar, overload

from django.apps import apps
from django.db import models

from vardkontakt.crypto.envelope import open_sealed, seal

T = TypeVar("T", str, bytes)


class _Encrypted(Generic[T]):
    def __init__(self, column: str) -> None:
        self.column = column
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def aad(self, instance: models.Model) -> bytes:
        if instance.pk is None:
            raise ValueError(
                f"{type(instance).__name__}.{self.name}: the primary key must be set before the value."
            )
        return self._aad(type(instance), instance.pk)

    def _aad(self, model: type[models.Model], pk: object) -> bytes:
        # The model that declares the column, not the instance's class: a proxy or a subclass of the
        # model must read the same blobs.
        owner = model._meta.get_field(self.column).model
        return f"{owner._meta.label}.{self.name}:{pk}".encode()

    def open_row(self, model: type[models.Model], pk: object, blob: bytes | None) -> T | None:
        """The clear value of ``blob``, the column as read from the row ``pk`` of ``model`` without
        making an instance (a list that reads a few columns): what the attribute of that row gives."""
        return self._decode(open_sealed(blob, self._aad(model, pk))) if blob else None

    def _encode(self, value: T) -> bytes:
        raise NotImplementedError

    def _decode(self, raw: bytes) -> T:
        raise NotImplementedError

    @overload
    def __get__(self, instance: None, owner: type) -> _Encrypted[T]: ...
    @overload
    def __get__(self, instance: models.Model, owner: type) -> T: ...
    def __get__(self, instance: models.Model | None, owner: type) -> Any:
        if instance is None:
            return self
        # The clear value is cached with the blob it came from, so that a new blob in the column
        # (refresh_from_db, say) is opened again instead of showing the old value.
        cache_name = f"_clear_{self.name}"
        blob = getattr(instance, self.column)
        cached = instance.__dict__.get(cache_name)
        if cached is None or not (cached[0] is blob or cached[0] == blob):
            value = self._decode(open_sealed(blob, self.aad(instance))) if blob else None
            cached = instance.__dict__[cache_name] = (blob, value)
        return cached[1]

    def __set__(self, instance: models.Model, value: T) -> None:
        blob = seal(self._encode(value), self.aad(instance))
        setattr(instance, self.column, blob)
        instance.__dict__[f"_clear_{self.name}"] = (blob, value)


class EncryptedText(_Encrypted[str]):
    def _encode(self, value: str) -> bytes:
        return value.encode("utf-8")

    def _decode(self, raw: bytes) -> str:
        return raw.decode("utf-8")


class EncryptedBytes(_Encrypted[bytes]):
    def _encode(self, value: bytes) -> bytes:
        return bytes(value)

    def _decode(self, raw: bytes) -> bytes:
        return raw


def encrypted_attributes() -> Iterator[tuple[type[models.Model], _Encrypted[Any]]]:
    """Every (model, descriptor) pair in the installed apps, once per column: on the model that
    declares the column, never again on its proxies or subclasses."""
    for model in apps.get_models():
        seen: set[str] = set()
        for klass in model.__mro__:
            for value in vars(klass).values():
                if (
                    isinstance(value, _Encrypted)
                    and value.name not in seen
                    and model._meta.get_field(value.column).model is model
                ):
                    seen.add(value.name)
                    yield model, value
