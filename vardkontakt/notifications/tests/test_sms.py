"""SMS: the console backend logs neither the text nor the number; the HTTP client speaks to a gateway."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from vardkontakt.conftest import Demo
from vardkontakt.notifications import sms
from vardkontakt.notifications.delivery import Outcome, deliver
from vardkontakt.notifications.models import Channel, Notification
from vardkontakt.notifications.tests.notify_world import (
    ANNA_MOBILE,
    answer,
    distribute,
    everything_sent,
    forbidden_words,
    give_anna_addresses,
    send,
)


def test_console_sms_logs_only_the_last_two_digits_and_the_kind(
    demo: Demo, caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: Any
) -> None:
    give_anna_addresses(demo, email="", mobile=ANNA_MOBILE)
    case = send(demo)
    distribute(demo, case)
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        answer(demo, case)
    row = Notification.objects.get()
    assert row.channel == Channel.SMS and row.sent_at is not None
    logged = caplog.text
    assert "…67" in logged and "resident_new_message" in logged
    assert ANNA_MOBILE not in logged and "701234567" not in logged and "0701234567" not in logged
    assert "Du har ett nytt meddelande" not in logged
    text = everything_sent(logged)
    for word in forbidden_words(demo, case):
        assert word not in text


def test_masked() -> None:
    assert sms.masked("+46 70-123 45 67") == "…67"
    assert sms.masked("") == "…"


def _gateway(seen: list[httpx.Request], status: int = 200) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json={"id": "1"})

    return httpx.MockTransport(handler)


def test_http_backend_posts_json_with_the_token() -> None:
    seen: list[httpx.Request] = []
    backend = sms.HttpSmsBackend(
        "https://sms.example/send", "s3cret", sender="Vardkontakt", transport=_gateway(seen)
    )
    backend.send("+46701234567", "Ett ärende har fördelats till dig.", kind="staff_assigned")
    assert len(seen) == 1
    request = seen[0]
    assert request.method == "POST" and str(request.url) == "https://sms.example/send"
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert json.loads(request.content) == {
        "to": "+46701234567",
        "message": "Ett ärende har fördelats till dig.",
        "from": "Vardkontakt",
    }


def test_http_backend_error_says_only_the_status() -> None:
    backend = sms.HttpSmsBackend("https://sms.example/send", "s3cret", transport=_gateway([], status=503))
    with pytest.raises(sms.SmsError) as caught:
        backend.send("+46701234567", "text", kind="staff_assigned")
    assert str(caught.value) == "SMS gateway answered HTTP 503"


def test_http_backend_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused to +46701234567", request=request)

    backend = sms.HttpSmsBackend("https://sms.example/send", "t", transport=httpx.MockTransport(refuse))
    with pytest.raises(sms.SmsError) as caught:
        backend.send("+46701234567", "text", kind="staff_assigned")
    assert "4670" not in str(caught.value)


def test_delivery_through_the_http_backend(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    backend = sms.HttpSmsBackend("https://sms.example/send", "t", transport=_gateway(seen))
    monkeypatch.setattr(sms, "get_backend", lambda: backend)
    give_anna_addresses(demo, email="", mobile=ANNA_MOBILE)
    from vardkontakt.notifications.actions import notify_resident_new_message

    [row] = notify_resident_new_message(demo.resident("anna"))
    assert deliver(row.pk).outcome is Outcome.SENT
    assert json.loads(seen[0].content)["message"].startswith("Du har ett nytt meddelande i Vårdkontakt.")
