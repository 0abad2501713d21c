"""SMS gateways. ``console`` (the default) writes a line to the log and sends nothing; ``http`` posts to
the gateway at VK_SMS_URL with a bearer token. Neither ever logs a text or a whole number."""

from __future__ import annotations

import logging
from typing import Protocol

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """A send that failed. Its message is safe to store and log: never a number or a text."""


class SmsBackend(Protocol):
    def send(self, to: str, text: str, *, kind: str) -> None: ...


def masked(number: str) -> str:
    """Only the last two digits of a number, for logs."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"…{digits[-2:]}" if len(digits) >= 2 else "…"


class ConsoleSmsBackend:
    """For development and tests: logs that an SMS would go out, and to which …NN, of which kind."""

    def send(self, to: str, text: str, *, kind: str) -> None:
        logger.info("SMS (console) to %s, kind %s", masked(to), kind)


class HttpSmsBackend:
    """A small client for an SMS gateway's HTTP API: POST {"to", "message", "from"} as JSON with
    ``Authorization: Bearer <token>``; any 2xx is success."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        sender: str = "",
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ImproperlyConfigured("VK_SMS_URL must be an http(s) URL when VK_SMS_BACKEND is http.")
        self.url = url
        self.token = token
        self.sender = sender
        self.timeout = timeout
        self.transport = transport

    def send(self, to: str, text: str, *, kind: str) -> None:
        payload = {"to": to, "message": text}
        if self.sender:
            payload["from"] = self.sender
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.post(
                    self.url, json=payload, headers={"Authorization": f"Bearer {self.token}"}
                )
        except httpx.HTTPError as exc:
            raise SmsError(f"SMS gateway unreachable: {type(exc).__name__}") from None
        if not response.is_success:
            raise SmsError(f"SMS gateway answered HTTP {response.status_code}")
        logger.info("SMS (http) to %s, kind %s", masked(to), kind)


def get_backend() -> SmsBackend:
    if settings.VK_SMS_BACKEND == "http":
        return HttpSmsBackend(settings.VK_SMS_URL, settings.VK_SMS_TOKEN, sender=settings.VK_SMS_SENDER)
    return ConsoleSmsBackend()
