"""A small client of the BankID Relying Party API v6: ``auth``, ``collect`` and ``cancel``.

The API is JSON over HTTPS with mutual TLS: we present the relying party's certificate
(VK_BANKID_CLIENT_CERT/KEY) and trust only the CA that signed BankID's server certificate
(VK_BANKID_CA_CERT). With VK_EID_SIMULATORS the API is the local simulator over plain HTTP on
loopback (vardkontakt/simulators/bankid.py), which speaks the same protocol.

Also here: the animated QR code's content, and the user messages BankID recommends for every
hint code and error code (their "RFA" messages), in Swedish through gettext."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ssl
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


# --- Protocol values -------------------------------------------------------------------------------
class Status(StrEnum):
    PENDING = "pending"
    FAILED = "failed"
    COMPLETE = "complete"


class Hint(StrEnum):
    """The hint codes of ``collect``. BankID may add codes; unknown ones are kept as plain strings."""

    # pending
    OUTSTANDING_TRANSACTION = "outstandingTransaction"
    NO_CLIENT = "noClient"
    STARTED = "started"
    USER_MRTD = "userMrtd"
    USER_CALL_CONFIRM = "userCallConfirm"
    USER_SIGN = "userSign"
    # failed
    EXPIRED_TRANSACTION = "expiredTransaction"
    CERTIFICATE_ERR = "certificateErr"
    USER_CANCEL = "userCancel"
    CANCELLED = "cancelled"
    START_FAILED = "startFailed"
    USER_DECLINED_CALL = "userDeclinedCall"
    NOT_SUPPORTED_BY_USER_APP = "notSupportedByUserApp"
    TRANSACTION_RISK_BLOCKED = "transactionRiskBlocked"


class ErrorCode(StrEnum):
    ALREADY_IN_PROGRESS = "alreadyInProgress"
    INVALID_PARAMETERS = "invalidParameters"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "notFound"
    METHOD_NOT_ALLOWED = "methodNotAllowed"
    REQUEST_TIMEOUT = "requestTimeout"
    UNSUPPORTED_MEDIA_TYPE = "unsupportedMediaType"
    INTERNAL_ERROR = "internalError"
    MAINTENANCE = "maintenance"
    # Not BankID's: we could not reach the API, or its answer was not what the protocol says.
    UNREACHABLE = "unreachable"
    BAD_RESPONSE = "badResponse"


# The errorCode to expect for an HTTP status when the body has none (a proxy answered, say).
_STATUS_CODES = {
    400: ErrorCode.INVALID_PARAMETERS,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.UNAUTHORIZED,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    408: ErrorCode.REQUEST_TIMEOUT,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    500: ErrorCode.INTERNAL_ERROR,
    503: ErrorCode.MAINTENANCE,
}
# Errors that say nothing about the order: asking again later may well work.
TRANSIENT = frozenset(
    {ErrorCode.REQUEST_TIMEOUT, ErrorCode.INTERNAL_ERROR, ErrorCode.MAINTENANCE, ErrorCode.UNREACHABLE}
)


class BankIdError(Exception):
    """The API refused a request or could not be reached. ``details`` is BankID's text, for logs only
    (it never contains the personal number, but it is not meant for the person either)."""

    def __init__(self, code: str, http_status: int | None = None, details: str = "") -> None:
        super().__init__(f"{code} (HTTP {http_status}): {details}" if http_status else code)
        self.code = code
        self.http_status = http_status
        self.details = details

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT

    @property
    def message(self) -> Promise:
        return error_message(self.code)


# --- Responses -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Order:
    """What ``auth`` answers. ``qr_start_secret`` stays on the server: it is the QR code's key."""

    order_ref: str
    auto_start_token: str
    qr_start_token: str
    qr_start_secret: str = ""

    def __repr__(self) -> str:  # keep the secret out of tracebacks and logs
        return f"Order(order_ref={self.order_ref!r})"


@dataclass(frozen=True)
class User:
    personal_number: str
    name: str
    given_name: str
    surname: str

    def __repr__(self) -> str:  # a personal number never ends up in a log line
        return "User(…)"


@dataclass(frozen=True)
class CompletionData:
    user: User
    device_ip: str = ""
    bankid_issue_date: str = ""
    signature: str = ""
    ocsp_response: str = ""
    risk: str = ""


@dataclass(frozen=True)
class Collect:
    order_ref: str
    status: Status
    hint_code: str = ""
    completion: CompletionData | None = None


# --- The client ------------------------------------------------------------------------------------
class BankIdClient:
    def __init__(self, base_url: str, http: httpx.Client) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._http = http

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BankIdClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def auth(
        self,
        end_user_ip: str,
        *,
        personal_number: str | None = None,
        user_visible_data: str | None = None,
    ) -> Order:
        """Start an authentication order. ``personal_number`` restricts who may complete it (step-up)."""
        body: dict[str, Any] = {"endUserIp": end_user_ip}
        if personal_number:
            body["requirement"] = {"personalNumber": personal_number}
        if user_visible_data:
            body["userVisibleData"] = base64.b64encode(user_visible_data.encode()).decode()
        data = self._post("auth", body)
        try:
            return Order(
                order_ref=_text(data, "orderRef"),
                auto_start_token=_text(data, "autoStartToken"),
                qr_start_token=_text(data, "qrStartToken"),
                qr_start_secret=_text(data, "qrStartSecret"),
            )
        except (KeyError, TypeError):
            raise BankIdError(ErrorCode.BAD_RESPONSE, details="auth: missing fields") from None

    def collect(self, order_ref: str) -> Collect:
        data = self._post("collect", {"orderRef": order_ref})
        try:
            status = Status(_text(data, "status"))
            completion = None
            if status == Status.COMPLETE:
                raw = data["completionData"]
                user = raw["user"]
                completion = CompletionData(
                    user=User(
                        personal_number=_text(user, "personalNumber"),
                        name=str(user.get("name", "")),
                        given_name=str(user.get("givenName", "")),
                        surname=str(user.get("surname", "")),
                    ),
                    device_ip=str(raw.get("device", {}).get("ipAddress", "")),
                    bankid_issue_date=str(raw.get("bankIdIssueDate", "")),
                    signature=str(raw.get("signature", "")),
                    ocsp_response=str(raw.get("ocspResponse", "")),
                    risk=str(raw.get("risk", "")),
                )
            return Collect(
                order_ref=_text(data, "orderRef"),
                status=status,
                hint_code=str(data.get("hintCode") or ""),
                completion=completion,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BankIdError(ErrorCode.BAD_RESPONSE, details="collect: unexpected answer") from None

    def cancel(self, order_ref: str) -> None:
        self._post("cancel", {"orderRef": order_ref})

    def _post(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.post(self.base_url + method, json=body)
        except httpx.HTTPError as exc:
            raise BankIdError(ErrorCode.UNREACHABLE, details=f"{method}: {type(exc).__name__}") from None
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = None
        if response.status_code != 200:
            code = data.get("errorCode") if isinstance(data, dict) else None
            if not isinstance(code, str) or not code:
                code = _STATUS_CODES.get(response.status_code, ErrorCode.INTERNAL_ERROR)
            details = data.get("details", "") if isinstance(data, dict) else ""
            raise BankIdError(code, response.status_code, str(details)[:200])
        if not isinstance(data, dict):
            raise BankIdError(ErrorCode.BAD_RESPONSE, response.status_code, f"{method}: not a JSON object")
        return data


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value:
        raise TypeError(key)
    return value


def _ssl_context() -> ssl.SSLContext:
    """Mutual TLS: BankID's server certificate checked against its own CA; ours presented."""
    cert, key, ca = settings.VK_BANKID_CLIENT_CERT, settings.VK_BANKID_CLIENT_KEY, settings.VK_BANKID_CA_CERT
    if not (cert and ca):
        raise ImproperlyConfigured(
            "BankID needs VK_BANKID_CLIENT_CERT (and VK_BANKID_CLIENT_KEY unless the key is in the same "
            "PEM file) and VK_BANKID_CA_CERT, or the simulators (VK_EID_SIMULATORS)."
        )
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key or None)
    return context


def get_client(transport: httpx.BaseTransport | None = None) -> BankIdClient:
    """A client for VK_BANKID_API_URL. Tests pass ``httpx.WSGITransport(app=simulator)``."""
    base_url = settings.VK_BANKID_API_URL
    headers = {"Accept": "application/json"}
    if transport is not None:
        http = httpx.Client(transport=transport, timeout=TIMEOUT, headers=headers)
    elif settings.VK_EID_SIMULATORS:
        # The loopback simulator: plain HTTP, no certificates.
        http = httpx.Client(timeout=TIMEOUT, headers=headers, trust_env=False)
    else:
        if not base_url.startswith("https://"):
            raise ImproperlyConfigured("VK_BANKID_API_URL must be an https:// URL outside the simulators.")
        http = httpx.Client(verify=_ssl_context(), timeout=TIMEOUT, headers=headers, trust_env=False)
    return BankIdClient(base_url, http)


# --- The animated QR code --------------------------------------------------------------------------
def qr_data(qr_start_token: str, qr_start_secret: str, seconds: int) -> str:
    """The QR code's content ``seconds`` after the order started: it changes every second."""
    seconds = max(0, int(seconds))
    auth_code = hmac.new(qr_start_secret.encode(), str(seconds).encode(), hashlib.sha256).hexdigest()
    return f"bankid.{qr_start_token}.{seconds}.{auth_code}"


# --- What to tell the person -----------------------------------------------------------------------
# BankID's recommended user messages (developers.bankid.com, "Recommended user messages"), by RFA number.
RFA1 = _("Starta BankID-appen.")
RFA3 = _("Åtgärden avbruten. Försök igen.")
RFA4 = _("En identifiering eller underskrift för det här personnumret är redan påbörjad. Försök igen.")
RFA5 = _("Internt tekniskt fel. Försök igen.")
RFA6 = _("Åtgärden avbruten.")
RFA8 = _(
    "BankID-appen svarar inte. Kontrollera att den är startad och att du har internetanslutning. "
    "Om du inte har något giltigt BankID kan du skaffa ett hos din bank. Försök sedan igen."
)
RFA9 = _("Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under.")
RFA14A = _(
    "Söker efter BankID, det kan ta en liten stund … Om det har gått några sekunder och inget BankID har "
    "hittats har du sannolikt inget BankID som går att använda för den aktuella "
    "identifieringen/underskriften i den här datorn. Om du har ett BankID-kort, sätt in det i "
    "kortläsaren. Om du inte har något BankID kan du skaffa ett hos din bank. Om du har ett BankID på en "
    "annan enhet kan du starta din BankID-app där."
)
RFA14B = _(
    "Söker efter BankID, det kan ta en liten stund … Om det har gått några sekunder och inget BankID har "
    "hittats har du sannolikt inget BankID som går att använda för den aktuella "
    "identifieringen/underskriften i den här enheten. Om du inte har något BankID kan du skaffa ett hos "
    "din bank. Om du har ett BankID på en annan enhet kan du starta din BankID-app där."
)
RFA16 = _(
    "Det BankID du försöker använda är för gammalt eller spärrat. Använd ett annat BankID eller skaffa "
    "ett nytt hos din bank."
)
RFA17A = _(
    "BankID-appen verkar inte finnas i din dator eller mobil. Installera den och skaffa ett BankID hos "
    "din bank. Installera appen från din appbutik eller https://install.bankid.com"
)
RFA17B = _(
    "Misslyckades att läsa av QR-koden. Starta BankID-appen och läs av QR-koden. Kontrollera att "
    "BankID-appen är uppdaterad. Om du inte har BankID-appen måste du installera den och skaffa ett "
    "BankID hos din bank. Installera appen från din appbutik eller https://install.bankid.com"
)
RFA21 = _("Identifiering eller underskrift pågår.")
RFA22 = _("Okänt fel. Försök igen.")
RFA23 = _("Fotografera och läs av din ID-handling med BankID-appen.")


def pending_message(hint_code: str, *, mobile: bool = False) -> Promise:
    """What to show while the order is pending. ``mobile``: the browser runs on a phone or tablet."""
    match hint_code:
        case Hint.OUTSTANDING_TRANSACTION | Hint.NO_CLIENT:
            return RFA1
        case Hint.STARTED:
            return RFA14B if mobile else RFA14A
        case Hint.USER_SIGN:
            return RFA9
        case Hint.USER_MRTD:
            return RFA23
        case _:
            return RFA21


def failed_message(hint_code: str, *, qr: bool = True) -> Promise:
    """What to show when the order has failed. ``qr``: the person was most likely using the QR code."""
    match hint_code:
        case Hint.USER_CANCEL:
            return RFA6
        case Hint.CANCELLED:
            return RFA3
        case Hint.EXPIRED_TRANSACTION:
            return RFA8
        case Hint.CERTIFICATE_ERR:
            return RFA16
        case Hint.START_FAILED:
            return RFA17B if qr else RFA17A
        case _:
            return RFA22


def error_message(code: str) -> Promise:
    """What to show when the API answers with an error (or cannot be reached)."""
    match code:
        case ErrorCode.ALREADY_IN_PROGRESS:
            return RFA4
        case (
            ErrorCode.REQUEST_TIMEOUT
            | ErrorCode.INTERNAL_ERROR
            | ErrorCode.MAINTENANCE
            | ErrorCode.UNREACHABLE
        ):
            return RFA5
        case _:  # invalidParameters, unauthorized, notFound, unsupportedMediaType and the unknown
            return RFA22
