"""Which e-ID providers this installation offers, and the start-up rule for simulators."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Providers that only simulate an identity provider; never acceptable for real users.
SIMULATORS = frozenset({"demo"})
KNOWN = SIMULATORS


def refuse_simulators_in_production() -> None:
    """Stop start-up when a simulator is enabled outside DEBUG without the explicit opt-in."""
    enabled = set(settings.VK_EID_PROVIDERS)
    unknown = enabled - KNOWN
    if unknown:
        raise ImproperlyConfigured(
            f"VK_EID_PROVIDERS names unknown providers: {', '.join(sorted(unknown))}. Known: {', '.join(sorted(KNOWN))}."
        )
    simulators = enabled & SIMULATORS
    if simulators and not settings.DEBUG and not settings.VK_ALLOW_SIMULATORS:
        raise ImproperlyConfigured(
            f"The e-ID simulator(s) {', '.join(sorted(simulators))} are enabled but DEBUG is off. "
            "Simulators let anyone log in as anyone; set VK_ALLOW_SIMULATORS=1 only on a test installation."
        )


def enabled(provider: str) -> bool:
    return provider in settings.VK_EID_PROVIDERS
