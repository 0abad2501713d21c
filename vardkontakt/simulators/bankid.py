"""A BankID simulator: the Relying Party API v6 over HTTP, and a page that plays the BankID app.

``BankIdSimulator(people)`` is a WSGI application for paths under ``/bankid/``:

- ``POST /bankid/rp/v6.0/auth|collect|cancel`` answers as BankID's API does: the same JSON, the
  same HTTP statuses and error codes, and orders that move through the same states and hint codes
  (``outstandingTransaction`` → ``started`` → ``userSign`` → ``complete``; or ``failed`` with
  ``userCancel``, ``expiredTransaction``, ``startFailed``, ``certificateErr`` or ``cancelled``).
  As at BankID, an orderRef it does not know, or whose final state has been collected, is 400
  ``invalidParameters`` ("No such order"); 404 ``notFound`` is for a path that is not a method.
- ``/bankid/app/`` is the BankID app: "scan" a QR code by pasting its content (the HMAC and its
  freshness are checked against the order's qrStartSecret, as BankID does) or arrive with
  ``?autostarttoken=``; then pick a test person and approve, cancel or fail.

Orders live in memory behind a lock. Time comes from ``clock`` so that tests can move it instead of
waiting. Only the standard library: the simulator knows nothing of Django."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import ipaddress
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, quote

from vardkontakt.simulators.people import SimResident

API_PREFIX = "/bankid/rp/v6.0/"
APP_PREFIX = "/bankid/app/"
PERSONAL_NUMBER = re.compile(r"^(18|19|20)\d{10}$")
QR_CONTENT = re.compile(r"^bankid\.([0-9a-f-]{36})\.(\d{1,6})\.([0-9a-f]{64})$")
MAX_BODY = 64 * 1024

PENDING, FAILED, COMPLETE = "pending", "failed", "complete"


class AppError(Exception):
    """Something the person using the simulated app did that the real app would not allow."""


class ApiError(Exception):
    def __init__(self, http_status: int, error_code: str, details: str) -> None:
        super().__init__(details)
        self.http_status = http_status
        self.error_code = error_code
        self.details = details


@dataclass(frozen=True)
class SimOrder:
    order_ref: str
    auto_start_token: str
    qr_start_token: str
    qr_start_secret: str
    end_user_ip: str
    created: float
    required_personal_number: str = ""
    user_visible_data: str = ""
    status: str = PENDING
    hint_code: str = "outstandingTransaction"
    opened_at: float | None = None  # when the app opened the order (QR scanned or autostart)
    user: SimResident | None = None
    finished_at: float | None = None
    collected: bool = False  # the relying party has collected the final state: it cannot again

    @property
    def opened(self) -> bool:
        return self.opened_at is not None


class BankIdSimulator:
    """The simulated BankID service. Thread-safe; every public method takes the lock.

    ``start_timeout``: seconds an order may wait for the app before it expires (BankID: 30).
    ``sign_timeout``: seconds the person has in the app once it has opened the order.
    ``qr_max_age``: how old a scanned QR code may be, in seconds.
    ``retention``: how long a finished order can still be collected."""

    def __init__(
        self,
        people: Iterable[SimResident],
        *,
        clock: Callable[[], float] = time.monotonic,
        start_timeout: float = 30.0,
        sign_timeout: float = 180.0,
        qr_max_age: float = 10.0,
        retention: float = 300.0,
    ) -> None:
        self.people = {person.personnummer: person for person in people}
        self.clock = clock
        self.start_timeout = start_timeout
        self.sign_timeout = sign_timeout
        self.qr_max_age = qr_max_age
        self.retention = retention
        self.maintenance = False  # set to answer every API call with 503 maintenance
        self._orders: dict[str, SimOrder] = {}
        self._lock = threading.RLock()

    # --- State --------------------------------------------------------------------------------------
    def _now(self) -> float:
        return self.clock()

    def _age(self, order: SimOrder) -> float:
        return self._now() - order.created

    def _refresh(self, order: SimOrder) -> SimOrder:
        """Apply the passing of time to one order: pending ones expire."""
        now = self._now()
        if order.status == PENDING:
            expired = (
                now - order.created > self.start_timeout
                if not order.opened
                else now - (order.opened_at or now) > self.sign_timeout
            )
            if expired:
                order = self._finish(order, FAILED, "expiredTransaction")
        return order

    def _finish(self, order: SimOrder, status: str, hint_code: str) -> SimOrder:
        order = replace(
            order, status=status, hint_code=hint_code if status == FAILED else "", finished_at=self._now()
        )
        self._orders[order.order_ref] = order
        return order

    def _purge(self) -> None:
        now = self._now()
        for ref, order in list(self._orders.items()):
            order = self._refresh(order)
            if order.finished_at is not None and now - order.finished_at > self.retention:
                del self._orders[ref]

    def orders(self) -> list[SimOrder]:
        with self._lock:
            self._purge()
            return sorted(self._orders.values(), key=lambda order: order.created)

    def order(self, order_ref: str) -> SimOrder:
        with self._lock:
            order = self._orders.get(order_ref)
            if order is None:
                raise AppError("Det finns ingen sådan beställning.")
            return self._refresh(order)

    # --- The relying party's side (RP API v6) -------------------------------------------------------
    def auth(self, body: dict[str, Any]) -> dict[str, str]:
        end_user_ip = body.get("endUserIp")
        if not isinstance(end_user_ip, str) or not _is_ip(end_user_ip):
            raise ApiError(400, "invalidParameters", "Invalid endUserIp")
        requirement = body.get("requirement", {})
        if not isinstance(requirement, dict):
            raise ApiError(400, "invalidParameters", "Invalid requirement")
        personal_number = requirement.get("personalNumber", "")
        if personal_number != "" and (
            not isinstance(personal_number, str) or not PERSONAL_NUMBER.match(personal_number)
        ):
            raise ApiError(400, "invalidParameters", "Invalid requirement.personalNumber")
        visible = body.get("userVisibleData", "")
        try:
            text = base64.b64decode(visible, validate=True).decode() if visible else ""
        except (TypeError, ValueError, binascii.Error):
            raise ApiError(400, "invalidParameters", "Invalid userVisibleData") from None
        with self._lock:
            self._purge()
            if personal_number:
                busy = [
                    order
                    for order in self._orders.values()
                    if order.status == PENDING
                    and personal_number
                    in (order.required_personal_number, order.user.personnummer if order.user else "")
                ]
                if busy:
                    # BankID aborts both: the order in progress fails, and no new one is created.
                    for order in busy:
                        self._finish(order, FAILED, "cancelled")
                    raise ApiError(400, "alreadyInProgress", "Order already in progress for pno")
            order = SimOrder(
                order_ref=str(uuid.uuid4()),
                auto_start_token=str(uuid.uuid4()),
                qr_start_token=str(uuid.uuid4()),
                qr_start_secret=str(uuid.uuid4()),
                end_user_ip=end_user_ip,
                created=self._now(),
                required_personal_number=personal_number,
                user_visible_data=text,
            )
            self._orders[order.order_ref] = order
        return {
            "orderRef": order.order_ref,
            "autoStartToken": order.auto_start_token,
            "qrStartToken": order.qr_start_token,
            "qrStartSecret": order.qr_start_secret,
        }

    def _known(self, body: dict[str, Any]) -> SimOrder:
        order_ref = body.get("orderRef")
        if not isinstance(order_ref, str) or not order_ref:
            raise ApiError(400, "invalidParameters", "Invalid orderRef")
        order = self._orders.get(order_ref)
        if order is None or order.collected:
            raise ApiError(400, "invalidParameters", "No such order")
        return self._refresh(order)

    def collect(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._purge()
            order = self._known(body)
            if order.status != PENDING:
                # As at BankID, a final state is collected once; the app page still shows it.
                self._orders[order.order_ref] = replace(order, collected=True)
        answer: dict[str, Any] = {"orderRef": order.order_ref, "status": order.status}
        if order.status != COMPLETE:
            answer["hintCode"] = order.hint_code
        else:
            assert order.user is not None
            answer["completionData"] = _completion_data(order, order.user)
        return answer

    def cancel(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            order = self._known(body)
            if order.status != PENDING:
                raise ApiError(400, "invalidParameters", "Order is not pending")
            del self._orders[order.order_ref]
        return {}

    # --- The person's side (the app) ----------------------------------------------------------------
    def scan(self, content: str) -> SimOrder:
        """The app reads a QR code: it must belong to a waiting order, be genuine, and be fresh."""
        match = QR_CONTENT.match(content.strip())
        if match is None:
            raise AppError("Det här är ingen QR-kod från BankID.")
        token, seconds, code = match.group(1), int(match.group(2)), match.group(3)
        with self._lock:
            self._purge()
            order = next((o for o in self._orders.values() if o.qr_start_token == token), None)
            if order is None or order.status != PENDING:
                raise AppError("QR-koden hör inte till någon pågående beställning.")
            if order.opened:
                raise AppError("Den här beställningen har redan startats.")
            expected = hmac.new(order.qr_start_secret.encode(), str(seconds).encode(), hashlib.sha256)
            elapsed = self._age(order)
            genuine = hmac.compare_digest(expected.hexdigest(), code)
            fresh = -2 <= elapsed - seconds <= self.qr_max_age
            if not (genuine and fresh):
                # The real app refuses a forged or old QR code, and the order cannot be started.
                self._finish(order, FAILED, "startFailed")
                raise AppError("QR-koden är felaktig." if not genuine else "QR-koden är för gammal.")
            return self._open(order)

    def open_autostart(self, auto_start_token: str) -> SimOrder:
        """The app is started with ``bankid:///?autostarttoken=…`` on the same device."""
        with self._lock:
            self._purge()
            order = next(
                (
                    o
                    for o in self._orders.values()
                    if hmac.compare_digest(o.auto_start_token, auto_start_token)
                ),
                None,
            )
            if order is None or order.status != PENDING:
                raise AppError("Startlänken hör inte till någon pågående beställning.")
            if order.opened:
                raise AppError("Den här beställningen har redan startats.")
            return self._open(order)

    def _open(self, order: SimOrder) -> SimOrder:
        order = replace(order, opened_at=self._now(), hint_code="started")
        self._orders[order.order_ref] = order
        return order

    def _pending(self, order_ref: str, *, opened: bool = True) -> SimOrder:
        order = self._orders.get(order_ref)
        if order is None:
            raise AppError("Det finns ingen sådan beställning.")
        order = self._refresh(order)
        if order.status != PENDING:
            raise AppError("Beställningen är inte längre pågående.")
        if opened and not order.opened:
            raise AppError("Beställningen har inte startats i appen.")
        return order

    def eligible(self, order: SimOrder) -> list[SimResident]:
        """The BankIDs the app offers for an order: with a personal number requirement, only that one."""
        people = sorted(self.people.values(), key=lambda p: (p.family_name, p.given_name))
        if order.required_personal_number:
            people = [p for p in people if p.personnummer == order.required_personal_number]
        return people

    def choose(self, order_ref: str, personnummer: str) -> SimOrder:
        """The person picks a BankID; the app asks for the security code (``userSign``)."""
        with self._lock:
            order = self._pending(order_ref)
            if order.user is not None:
                raise AppError("En person är redan vald.")
            person = self.people.get(personnummer)
            if person is None or person not in self.eligible(order):
                raise AppError("Det BankID:t kan inte användas för den här beställningen.")
            order = replace(order, user=person, hint_code="userSign")
            self._orders[order_ref] = order
            return order

    def approve(self, order_ref: str) -> SimOrder:
        """The person enters the security code and chooses Identifiera."""
        with self._lock:
            order = self._pending(order_ref)
            if order.user is None or order.hint_code != "userSign":
                raise AppError("Välj först vem som legitimerar sig.")
            return self._finish(order, COMPLETE, "")

    def user_cancel(self, order_ref: str) -> SimOrder:
        with self._lock:
            return self._finish(self._pending(order_ref, opened=False), FAILED, "userCancel")

    def fail_start(self, order_ref: str) -> SimOrder:
        with self._lock:
            return self._finish(self._pending(order_ref, opened=False), FAILED, "startFailed")

    def certificate_error(self, order_ref: str) -> SimOrder:
        with self._lock:
            return self._finish(self._pending(order_ref, opened=False), FAILED, "certificateErr")

    # --- WSGI ----------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith(API_PREFIX):
            status, headers, body = self._api(path[len(API_PREFIX) :], method, environ)
        elif path == "/bankid/app" or path.startswith(APP_PREFIX):
            status, headers, body = self._app(path, method, environ)
        else:
            status, headers, body = _json_error(404, "notFound", "No such resource")
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _api(
        self, name: str, method: str, environ: dict[str, Any]
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        handlers = {"auth": self.auth, "collect": self.collect, "cancel": self.cancel}
        handler = handlers.get(name)
        try:
            if handler is None:
                raise ApiError(404, "notFound", "No such resource")
            if method != "POST":
                raise ApiError(405, "methodNotAllowed", "Use POST")
            if self.maintenance:
                raise ApiError(503, "maintenance", "The service is under maintenance")
            content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                raise ApiError(415, "unsupportedMediaType", "Use application/json")
            try:
                body = json.loads(_read_body(environ) or b"null")
            except (ValueError, UnicodeDecodeError):
                raise ApiError(400, "invalidParameters", "Invalid JSON") from None
            if not isinstance(body, dict):
                raise ApiError(400, "invalidParameters", "Expected a JSON object")
            answer = handler(body)
        except ApiError as exc:
            return _json_error(exc.http_status, exc.error_code, exc.details)
        return "200 OK", [("Content-Type", "application/json")], json.dumps(answer).encode()

    # --- The app's pages ---------------------------------------------------------------------------
    def _app(
        self, path: str, method: str, environ: dict[str, Any]
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        rest = path[len(APP_PREFIX) :] if path.startswith(APP_PREFIX) else ""
        form = _read_form(environ) if method == "POST" else {}
        try:
            if rest == "" and method == "GET":
                token = _query(environ).get("autostarttoken", "")
                if token:
                    order = self.open_autostart(token)
                    return _see_other(f"{APP_PREFIX}order/{quote(order.order_ref)}/")
                return _page(200, *self._index_page())
            if rest == "scan" and method == "POST":
                order = self.scan(form.get("qr", ""))
                return _see_other(f"{APP_PREFIX}order/{quote(order.order_ref)}/")
            if rest.startswith("order/") and rest.endswith("/"):
                order_ref = rest[len("order/") : -1]
                if method == "POST":
                    self._act(order_ref, form)
                    return _see_other(f"{APP_PREFIX}order/{quote(order_ref)}/")
                if method == "GET":
                    return _page(200, *self._order_page(self.order(order_ref)))
            return _page(404, "Sidan finns inte", "<p>Sidan finns inte.</p>")
        except AppError as exc:
            title, content = self._index_page(error=str(exc))
            return _page(400, title, content)

    def _act(self, order_ref: str, form: dict[str, str]) -> None:
        action = form.get("action", "")
        if action == "choose":
            self.choose(order_ref, form.get("person", ""))
        elif action == "approve":
            self.approve(order_ref)
        elif action == "cancel":
            self.user_cancel(order_ref)
        elif action == "start_failed":
            self.fail_start(order_ref)
        elif action == "certificate_error":
            self.certificate_error(order_ref)
        else:
            raise AppError("Okänt val.")

    def _index_page(self, error: str = "") -> tuple[str, str]:
        rows = []
        for order in self.orders():
            link = (
                f'<a href="{APP_PREFIX}order/{_e(order.order_ref)}/" '
                f'aria-label="Fortsätt med beställning {_e(order.order_ref[:8])}">Fortsätt</a>'
                if order.opened and order.status == PENDING
                else ""
            )
            rows.append(
                "<tr>"
                f"<td>{_e(order.order_ref[:8])}</td>"
                f"<td>{_e(order.status)}</td><td>{_e(order.hint_code or '–')}</td>"
                f"<td>{int(self._age(order))} s</td>"
                f"<td>{'ja' if order.required_personal_number else 'nej'}</td>"
                f"<td>{link}</td>"
                "</tr>"
            )
        table = (
            "<table><caption>Beställningar</caption><thead><tr>"
            '<th scope="col">orderRef</th><th scope="col">Status</th><th scope="col">hintCode</th>'
            '<th scope="col">Ålder</th><th scope="col">Kräver visst personnummer</th>'
            '<th scope="col">Åtgärd</th></tr></thead><tbody>'
            + ("".join(rows) or '<tr><td colspan="6">Inga beställningar.</td></tr>')
            + "</tbody></table>"
        )
        alert = f'<div role="alert"><h2>Det gick inte</h2><p>{_e(error)}</p></div>' if error else ""
        content = (
            f"{alert}"
            "<p>Den här sidan spelar BankID-appen för demo och test. Den finns aldrig i produktion.</p>"
            "<h2>Läs av QR-kod</h2>"
            f'<form method="post" action="{APP_PREFIX}scan">'
            '<p><label for="qr">QR-kodens innehåll (börjar med bankid.)</label><br>'
            '<input id="qr" name="qr" size="80" autocomplete="off" spellcheck="false" required></p>'
            '<p><button type="submit">Läs av</button></p></form>'
            "<h2>Pågående och avslutade beställningar</h2>"
            "<p>En beställning öppnas genom att QR-koden läses av eller via länken "
            "”BankID på den här enheten”.</p>"
            f"{table}"
        )
        return "BankID-simulator", content

    def _order_page(self, order: SimOrder) -> tuple[str, str]:
        fail_buttons = (
            '<form method="post"><fieldset><legend>Avbryt eller låt det misslyckas</legend>'
            '<button type="submit" name="action" value="cancel">Avbryt</button> '
            '<button type="submit" name="action" value="start_failed">Starten misslyckades</button> '
            '<button type="submit" name="action" value="certificate_error">Spärrat eller för gammalt BankID'
            "</button></fieldset></form>"
        )
        visible = f"<p>Tjänsten visar: {_e(order.user_visible_data)}</p>" if order.user_visible_data else ""
        if order.status == COMPLETE and order.user is not None:
            body = f"<p>Klart. {_e(order.user.name)} har legitimerat sig. Gå tillbaka till tjänsten.</p>"
        elif order.status == FAILED:
            body = f"<p>Beställningen misslyckades ({_e(order.hint_code)}).</p>"
        elif order.user is None:
            people = self.eligible(order)
            choices = "".join(
                f'<div><input type="radio" id="p{i}" name="person" value="{_e(p.personnummer)}"'
                f"{' checked' if i == 0 else ''}>"
                f' <label for="p{i}">{_e(p.name)} ({_e(p.personnummer)})</label></div>'
                for i, p in enumerate(people)
            )
            body = (
                f"{visible}"
                '<form method="post"><fieldset><legend>Välj vilket BankID du vill använda</legend>'
                f"{choices or '<p>Det finns inget BankID som kan användas.</p>'}</fieldset>"
                '<p><button type="submit" name="action" value="choose">Fortsätt</button></p></form>'
                f"{fail_buttons}"
            )
        else:
            body = (
                f"{visible}"
                f"<p>Skriv in din säkerhetskod i BankID-appen och välj Identifiera, {_e(order.user.name)}.</p>"
                '<form method="post"><p><button type="submit" name="action" value="approve">Identifiera'
                "</button></p></form>"
                f"{fail_buttons}"
            )
        content = (
            f"<p>Beställning {_e(order.order_ref[:8])}: {_e(order.status)}"
            f"{' / ' + _e(order.hint_code) if order.hint_code else ''}</p>"
            f'{body}<p><a href="{APP_PREFIX}">Till simulatorns startsida</a></p>'
        )
        return "BankID-simulator: legitimering", content


def _completion_data(order: SimOrder, user: SimResident) -> dict[str, Any]:
    signature = (
        '<?xml version="1.0" encoding="UTF-8"?><Signature xmlns="http://www.w3.org/2000/09/xmldsig#">'
        f"<!-- simulated signature for order {order.order_ref} --></Signature>"
    )
    return {
        "user": {
            "personalNumber": user.personnummer,
            "name": user.name,
            "givenName": user.given_name,
            "surname": user.family_name,
        },
        "device": {
            "ipAddress": order.end_user_ip,
            "uhi": hashlib.sha256(order.order_ref.encode()).hexdigest()[:28],
        },
        "bankIdIssueDate": "2024-01-15",
        "stepUp": {"mrtd": False},
        "signature": base64.b64encode(signature.encode()).decode(),
        "ocspResponse": base64.b64encode(secrets.token_bytes(32)).decode(),
    }


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    return bytes(environ["wsgi.input"].read(min(length, MAX_BODY)))


def _read_form(environ: dict[str, Any]) -> dict[str, str]:
    fields = parse_qs(_read_body(environ).decode("utf-8", "replace"))
    return {key: values[0] for key, values in fields.items()}


def _query(environ: dict[str, Any]) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _json_error(status: int, code: str, details: str) -> tuple[str, list[tuple[str, str]], bytes]:
    reason = {
        400: "Bad Request",
        401: "Unauthorized",
        404: "Not Found",
        405: "Method Not Allowed",
        408: "Request Timeout",
        415: "Unsupported Media Type",
        500: "Internal Server Error",
        503: "Service Unavailable",
    }
    body = json.dumps({"errorCode": code, "details": details}).encode()
    return f"{status} {reason.get(status, 'Error')}", [("Content-Type", "application/json")], body


def _e(value: str) -> str:
    return html.escape(value, quote=True)


PAGE_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    (
        "Content-Security-Policy",
        "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
]


def _page(status: int, title: str, content: str) -> tuple[str, list[tuple[str, str]], bytes]:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    document = (
        '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title></head><body><main><h1>{_e(title)}</h1>{content}</main></body></html>"
    )
    return f"{status} {reason}", PAGE_HEADERS, document.encode()


def _see_other(location: str) -> tuple[str, list[tuple[str, str]], bytes]:
    return "303 See Other", [("Location", location), ("Content-Type", "text/plain; charset=utf-8")], b""
