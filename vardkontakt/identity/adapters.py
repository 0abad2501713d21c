"""The population register (folkbokföring): the boundary to Skatteverket's register.

``PopulationRegister`` is the interface the rest of the code uses; ``LocalPopulationRegister`` answers
from a JSON file (data/population-register.json) for the demo and the tests. A real installation
plugs in a client of its register service (Navet) behind the same interface, named by
VK_POPULATION_REGISTER. The local one is a simulator: refused at start-up outside DEBUG unless
VK_ALLOW_SIMULATORS is set (eid/registry.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class PersonRecord:
    personnummer: str  # 12 digits
    given_name: str
    family_name: str
    municipality_code: str  # where the person is registered (folkbokförd); '' if not registered
    protected_identity: bool = False
    deceased: bool = False
    children: tuple[str, ...] = field(default_factory=tuple)  # in the person's custody, 12 digits each


class PopulationRegister(Protocol):
    def lookup(self, personnummer: str) -> PersonRecord | None:
        """The register's record of a person, or None when the register does not know them."""


class LocalPopulationRegister:
    def __init__(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self._people = {
                person["personnummer"]: PersonRecord(
                    personnummer=person["personnummer"],
                    given_name=person["given_name"],
                    family_name=person["family_name"],
                    municipality_code=person.get("municipality_code", ""),
                    protected_identity=bool(person.get("protected_identity", False)),
                    deceased=bool(person.get("deceased", False)),
                    children=tuple(person.get("children", ())),
                )
                for person in data["people"]
            }
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"The local population register {path} cannot be read: {exc}"
            ) from None

    def lookup(self, personnummer: str) -> PersonRecord | None:
        return self._people.get(personnummer)

    def people(self) -> list[PersonRecord]:
        return list(self._people.values())


def local_register() -> LocalPopulationRegister:
    return LocalPopulationRegister(Path(settings.VK_POPULATION_REGISTER_FILE))


@cache
def population_register() -> PopulationRegister:
    factory = import_string(settings.VK_POPULATION_REGISTER)
    register: PopulationRegister = factory()
    return register
