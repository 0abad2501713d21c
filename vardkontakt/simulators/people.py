"""Who the simulators can authenticate: the demo's people, passed in by whoever starts them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimResident:
    personnummer: str  # 12 digits, one of Skatteverket's test numbers
    given_name: str
    family_name: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True)
class SimStaff:
    hsa_id: str
    given_name: str
    family_name: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"
