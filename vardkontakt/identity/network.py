"""The end user's IP address, as the trusted proxy in front of us saw it."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or with VK_TRUSTED_PROXIES = n, the address the outermost of our n proxies saw.

    Each proxy appends the address it received the request from to X-Forwarded-For; entries before
    those our own proxies added are the client's to invent, so they are never read."""
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.VK_TRUSTED_PROXIES
    if hops:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
        ]
        if len(forwarded) >= hops:
            remote = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(remote))
    except ValueError:
        return "0.0.0.0"  # noqa: S104 - not a bind address: an unknown client
