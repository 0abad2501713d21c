"""Which e-ID providers this installation offers, and the start-up rule for simulators."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

BANKID = "bankid"
FREJA = "freja"
SITHS = "siths"
RESIDENT_PROVIDERS = (BANKID, FREJA)
STAFF_PROVIDERS = (SITHS,)
KNOWN = frozenset({BANKID, FREJA, SITHS})


def simulators_in_use() -> list[str]:
    """What in this configuration lets anyone log in as anyone: a simulated e-ID provider."""
    if settings.VK_EID_SIMULATORS and settings.VK_EID_PROVIDERS:
        return [f"the e-ID simulators (VK_EID_SIMULATORS) for {', '.join(settings.VK_EID_PROVIDERS)}"]
    return []


def refuse_simulators_in_production() -> None:
    """Stop start-up when a simulator is in use outside DEBUG without the explicit opt-in."""
    unknown = set(settings.VK_EID_PROVIDERS) - KNOWN
    if unknown:
        raise ImproperlyConfigured(
            f"VK_EID_PROVIDERS names unknown providers: {', '.join(sorted(unknown))}. "
            f"Known: {', '.join(sorted(KNOWN))}."
        )
    simulators = simulators_in_use()
    if simulators and not settings.DEBUG and not settings.VK_ALLOW_SIMULATORS:
        raise ImproperlyConfigured(
            f"DEBUG is off but this configuration uses {' and '.join(simulators)}. "
            "Simulators let anyone log in as anyone; set VK_ALLOW_SIMULATORS=1 only on a test installation."
        )


def enabled(provider: str) -> bool:
    return provider in settings.VK_EID_PROVIDERS
