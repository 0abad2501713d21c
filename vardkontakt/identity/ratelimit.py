"""Limits on failed and cancelled logins, per session and per IP address.

Counted in the shared cache (the database cache by default), so that every web process sees the
same counts. A count lives for VK_LOGIN_FAILURE_WINDOW seconds from the first failure."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from vardkontakt.identity.network import client_ip

log = logging.getLogger("vardkontakt.login")


def _keys(request: HttpRequest) -> list[tuple[str, int]]:
    keys = [(f"vk:login-fail:ip:{client_ip(request)}", settings.VK_LOGIN_FAILURES_PER_IP)]
    if request.session.session_key:
        digest = hashlib.sha256(request.session.session_key.encode()).hexdigest()[:32]
        keys.append((f"vk:login-fail:session:{digest}", settings.VK_LOGIN_FAILURES_PER_SESSION))
    return keys


def is_limited(request: HttpRequest) -> bool:
    """Has this session or address failed too often lately? Then no new login may start."""
    return any((cache.get(key) or 0) >= limit for key, limit in _keys(request))


def note_failure(request: HttpRequest, method: str, reason: str) -> None:
    """Count a failed or cancelled login and log it, without any personal identity number."""
    if not request.session.session_key:
        request.session.save()
    for key, _limit in _keys(request):
        if cache.add(key, 1, timeout=settings.VK_LOGIN_FAILURE_WINDOW):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=settings.VK_LOGIN_FAILURE_WINDOW)
    log.info("login failed method=%s reason=%s ip=%s", method, reason, client_ip(request))
