"""The BankID RP API v6 client: the QR code's test vector, the requests it sends, the answers it
understands, every error mapped from HTTP status and errorCode, and the messages BankID recommends."""

from __future__ import annotations

import base64
import ipaddress
import json
import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from pytest_django import Settings

from vardkontakt.identity.eid import bankid
from vardkontakt.identity.eid.bankid import BankIdError, ErrorCode, Status
from vardkontakt.simulators.bankid import BankIdSimulator
from vardkontakt.simulators.people import SimResident

ANNA = SimResident("198701022389", "Anna", "Andersson")


# --- The animated QR code ---------------------------------------------------------------------------
def test_qr_data_matches_bankids_test_vector() -> None:
    token = "67df3917-fa0d-44e5-b327-edcc928297f8"
    secret = "d28db9a7-4cde-429e-a983-359be676944c"
    assert bankid.qr_data(token, secret, 0) == (
        f"bankid.{token}.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8"
    )
    assert bankid.qr_data(token, secret, 1) == (
        f"bankid.{token}.1.949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2"
    )


def test_qr_data_never_counts_backwards() -> None:
    assert bankid.qr_data("t", "s", -3) == bankid.qr_data("t", "s", 0)


# --- Against the simulator --------------------------------------------------------------------------
@pytest.fixture
def sim() -> BankIdSimulator:
    return BankIdSimulator([ANNA])


@pytest.fixture
def client(sim: BankIdSimulator) -> bankid.BankIdClient:
    return bankid.get_client(httpx.WSGITransport(app=sim))


def test_a_whole_order_through_the_client(client: bankid.BankIdClient, sim: BankIdSimulator) -> None:
    order = client.auth("192.0.2.7", user_visible_data="Logga in i Vårdkontakt.")
    assert order.qr_start_secret not in repr(order)
    assert client.collect(order.order_ref) == bankid.Collect(
        order.order_ref, Status.PENDING, "outstandingTransaction"
    )
    sim.scan(bankid.qr_data(order.qr_start_token, order.qr_start_secret, 0))
    sim.choose(order.order_ref, ANNA.personnummer)
    assert client.collect(order.order_ref).hint_code == "userSign"
    sim.approve(order.order_ref)
    done = client.collect(order.order_ref)
    assert done.status == Status.COMPLETE
    assert done.hint_code == ""
    assert done.completion is not None
    assert done.completion.user == bankid.User(ANNA.personnummer, "Anna Andersson", "Anna", "Andersson")
    assert done.completion.device_ip == "192.0.2.7"
    assert ANNA.personnummer not in repr(done)
    assert sim.order(order.order_ref).user_visible_data == "Logga in i Vårdkontakt."


def test_cancel_through_the_client(client: bankid.BankIdClient) -> None:
    order = client.auth("192.0.2.7")
    client.cancel(order.order_ref)
    with pytest.raises(BankIdError) as caught:
        client.collect(order.order_ref)
    assert (caught.value.code, caught.value.http_status) == ("invalidParameters", 400)
    assert caught.value.details == "No such order"


def test_errors_the_simulator_gives(client: bankid.BankIdClient, sim: BankIdSimulator) -> None:
    client.auth("192.0.2.7", personal_number=ANNA.personnummer)
    with pytest.raises(BankIdError) as caught:
        client.auth("192.0.2.7", personal_number=ANNA.personnummer)
    assert caught.value.code == ErrorCode.ALREADY_IN_PROGRESS
    assert not caught.value.transient
    with pytest.raises(BankIdError) as caught:
        client.auth("not-an-ip")
    assert caught.value.code == ErrorCode.INVALID_PARAMETERS
    sim.maintenance = True
    with pytest.raises(BankIdError) as caught:
        client.auth("192.0.2.7")
    assert (caught.value.code, caught.value.http_status, caught.value.transient) == ("maintenance", 503, True)


# --- Every HTTP error, from a mock -------------------------------------------------------------------
def mock_client(handler: Callable[[httpx.Request], httpx.Response]) -> bankid.BankIdClient:
    return bankid.get_client(httpx.MockTransport(handler))


def answering(status: int, body: object = None, content: bytes | None = None) -> bankid.BankIdClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if content is not None:
            return httpx.Response(status, content=content)
        return httpx.Response(status, json=body)

    return mock_client(handler)


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [
        (400, "alreadyInProgress", False),
        (400, "invalidParameters", False),
        (401, "unauthorized", False),
        (403, "unauthorized", False),
        (404, "notFound", False),
        (405, "methodNotAllowed", False),
        (408, "requestTimeout", True),
        (415, "unsupportedMediaType", False),
        (500, "internalError", True),
        (503, "maintenance", True),
    ],
)
def test_each_error_code_is_mapped(status: int, code: str, transient: bool) -> None:
    client = answering(status, {"errorCode": code, "details": "Something"})
    for call in (lambda: client.auth("192.0.2.1"), lambda: client.collect("x"), lambda: client.cancel("x")):
        with pytest.raises(BankIdError) as caught:
            call()
        assert caught.value.code == code
        assert caught.value.http_status == status
        assert caught.value.details == "Something"
        assert caught.value.transient is transient


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "invalidParameters"),
        (401, "unauthorized"),
        (403, "unauthorized"),
        (404, "notFound"),
        (405, "methodNotAllowed"),
        (408, "requestTimeout"),
        (415, "unsupportedMediaType"),
        (500, "internalError"),
        (502, "internalError"),
        (503, "maintenance"),
    ],
)
def test_an_error_without_an_error_code_is_mapped_from_the_status(status: int, code: str) -> None:
    with pytest.raises(BankIdError) as caught:
        answering(status, content=b"<html>Bad gateway</html>").auth("192.0.2.1")
    assert (caught.value.code, caught.value.http_status) == (code, status)


def test_an_unknown_error_code_is_kept() -> None:
    with pytest.raises(BankIdError) as caught:
        answering(400, {"errorCode": "somethingNew", "details": ""}).auth("192.0.2.1")
    assert caught.value.code == "somethingNew"
    assert str(caught.value.message) == str(bankid.RFA22)


def test_unreachable_and_timeouts_are_transient() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    for handler in (refuse, slow):
        with pytest.raises(BankIdError) as caught:
            mock_client(handler).collect("x")
        assert caught.value.code == ErrorCode.UNREACHABLE
        assert caught.value.transient


@pytest.mark.parametrize(
    "body",
    [
        {"orderRef": "x"},
        {"orderRef": "x", "status": "weird"},
        {"orderRef": "x", "status": "complete"},
        {"orderRef": "x", "status": "complete", "completionData": {"user": {}}},
        ["not", "an", "object"],
    ],
)
def test_answers_that_break_the_protocol_are_errors(body: object) -> None:
    with pytest.raises(BankIdError) as caught:
        answering(200, body).collect("x")
    assert caught.value.code == ErrorCode.BAD_RESPONSE


def test_auth_without_its_tokens_is_an_error() -> None:
    with pytest.raises(BankIdError) as caught:
        answering(200, {"orderRef": "x"}).auth("192.0.2.1")
    assert caught.value.code == ErrorCode.BAD_RESPONSE


def test_the_requests_are_what_the_api_expects(settings: Settings) -> None:
    settings.VK_BANKID_API_URL = "https://appapi2.test.bankid.com/rp/v6.0/"
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/auth"):
            return httpx.Response(
                200,
                json={"orderRef": "o", "autoStartToken": "a", "qrStartToken": "q", "qrStartSecret": "s"},
            )
        return httpx.Response(200, json={})

    client = mock_client(handler)
    client.auth("2001:db8::5", personal_number="198701022389", user_visible_data="Hej")
    client.cancel("o")
    auth, cancel = seen
    assert (auth.method, str(auth.url)) == ("POST", "https://appapi2.test.bankid.com/rp/v6.0/auth")
    assert auth.headers["Content-Type"] == "application/json"
    assert json.loads(auth.content) == {
        "endUserIp": "2001:db8::5",
        "requirement": {"personalNumber": "198701022389"},
        "userVisibleData": base64.b64encode(b"Hej").decode(),
    }
    assert str(cancel.url).endswith("/rp/v6.0/cancel")
    assert json.loads(cancel.content) == {"orderRef": "o"}


# --- Configuration ----------------------------------------------------------------------------------
def test_outside_the_simulators_mutual_tls_is_required(settings: Settings) -> None:
    settings.VK_EID_SIMULATORS = False
    settings.VK_BANKID_API_URL = "https://appapi2.bankid.com/rp/v6.0/"
    settings.VK_BANKID_CLIENT_CERT = ""
    settings.VK_BANKID_CA_CERT = ""
    with pytest.raises(ImproperlyConfigured, match="VK_BANKID_CLIENT_CERT"):
        bankid.get_client()
    settings.VK_BANKID_API_URL = "http://bankid.example/rp/v6.0/"
    with pytest.raises(ImproperlyConfigured, match="https"):
        bankid.get_client()


def test_mutual_tls_uses_the_configured_certificates(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: dict[str, object] = {}

    class Context:
        minimum_version = None

        def load_cert_chain(self, cert: str, key: str | None) -> None:
            loaded["chain"] = (cert, key)

    def create_default_context(purpose: object, cafile: str) -> Context:
        loaded["cafile"] = cafile
        return Context()

    monkeypatch.setattr(bankid.ssl, "create_default_context", create_default_context)
    created: dict[str, object] = {}

    class Http:
        def __init__(self, **kwargs: object) -> None:
            created.update(kwargs)

        def close(self) -> None:
            pass

    monkeypatch.setattr(httpx, "Client", Http)
    settings.VK_EID_SIMULATORS = False
    settings.VK_BANKID_API_URL = "https://appapi2.bankid.com/rp/v6.0/"
    settings.VK_BANKID_CLIENT_CERT = "/etc/vk/bankid-rp.pem"
    settings.VK_BANKID_CLIENT_KEY = "/etc/vk/bankid-rp.key"
    settings.VK_BANKID_CA_CERT = "/etc/vk/bankid-ca.pem"
    bankid.get_client().close()
    assert loaded == {
        "cafile": "/etc/vk/bankid-ca.pem",
        "chain": ("/etc/vk/bankid-rp.pem", "/etc/vk/bankid-rp.key"),
    }
    assert isinstance(created["verify"], Context)
    assert created["trust_env"] is False
    assert created["timeout"] == bankid.TIMEOUT


# --- The messages -----------------------------------------------------------------------------------
PENDING = {
    "outstandingTransaction": "Starta BankID-appen.",
    "noClient": "Starta BankID-appen.",
    "userSign": "Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under.",
    "userMrtd": "Fotografera och läs av din ID-handling med BankID-appen.",
    "userCallConfirm": "Identifiering eller underskrift pågår.",
    "somethingNew": "Identifiering eller underskrift pågår.",
}
FAILED = {
    "userCancel": "Åtgärden avbruten.",
    "cancelled": "Åtgärden avbruten. Försök igen.",
    "expiredTransaction": "BankID-appen svarar inte. Kontrollera att den är startad och att du har "
    "internetanslutning. Om du inte har något giltigt BankID kan du skaffa ett hos din bank. Försök sedan igen.",
    "certificateErr": "Det BankID du försöker använda är för gammalt eller spärrat. Använd ett annat BankID "
    "eller skaffa ett nytt hos din bank.",
    "userDeclinedCall": "Okänt fel. Försök igen.",
    "notSupportedByUserApp": "Okänt fel. Försök igen.",
    "transactionRiskBlocked": "Okänt fel. Försök igen.",
    "somethingNew": "Okänt fel. Försök igen.",
}
ERRORS = {
    "alreadyInProgress": "En identifiering eller underskrift för det här personnumret är redan påbörjad. "
    "Försök igen.",
    "requestTimeout": "Internt tekniskt fel. Försök igen.",
    "internalError": "Internt tekniskt fel. Försök igen.",
    "maintenance": "Internt tekniskt fel. Försök igen.",
    "unreachable": "Internt tekniskt fel. Försök igen.",
    "invalidParameters": "Okänt fel. Försök igen.",
    "unauthorized": "Okänt fel. Försök igen.",
    "notFound": "Okänt fel. Försök igen.",
    "methodNotAllowed": "Okänt fel. Försök igen.",
    "unsupportedMediaType": "Okänt fel. Försök igen.",
    "badResponse": "Okänt fel. Försök igen.",
}


@pytest.fixture
def swedish() -> Iterator[None]:
    with translation.override("sv"):
        yield


@pytest.mark.usefixtures("swedish")
def test_every_hint_and_error_code_has_bankids_message() -> None:
    for hint, text in PENDING.items():
        assert str(bankid.pending_message(hint)) == text, hint
    for hint, text in FAILED.items():
        assert str(bankid.failed_message(hint)) == text, hint
    for code, text in ERRORS.items():
        assert str(bankid.error_message(code)) == text, code
        assert str(BankIdError(code).message) == text
    # Every code the protocol defines is covered, above or (started, startFailed) below.
    assert {str(h) for h in bankid.Hint} - {"started", "startFailed"} <= set(PENDING) | set(FAILED)
    assert {str(c) for c in ErrorCode} <= set(ERRORS)


@pytest.mark.usefixtures("swedish")
def test_messages_that_depend_on_the_device() -> None:
    assert "i den här datorn" in str(bankid.pending_message("started", mobile=False))  # RFA14A
    assert "i den här enheten" in str(bankid.pending_message("started", mobile=True))  # RFA14B
    assert str(bankid.failed_message("startFailed", qr=True)).startswith("Misslyckades att läsa av QR-koden.")
    assert str(bankid.failed_message("startFailed", qr=False)).startswith("BankID-appen verkar inte finnas")


# --- Mutual TLS, for real ---------------------------------------------------------------------------
def _certificate(
    name: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = issuer or (subject, key)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(
    directory: Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> tuple[str, str]:
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_bankid(tmp_path: Path) -> Iterator[dict[str, object]]:
    """A stand-in for BankID's API over TLS that demands a client certificate from our CA."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Test BankID CA", ca_key, None)
    server_key, client_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    server = _certificate("127.0.0.1", server_key, (ca.subject, ca_key))
    client = _certificate("Vardkontakt RP", client_key, (ca.subject, ca_key))
    ca_path = tmp_path / "ca.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server_files = _write(tmp_path, "server", server, server_key)
    client_files = _write(tmp_path, "client", client, client_key)
    seen: dict[str, object] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            peer = self.connection.getpeercert()
            seen["client"] = dict(item[0] for item in peer["subject"])["commonName"]
            seen["body"] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            body = json.dumps(
                {"orderRef": "o", "autoStartToken": "a", "qrStartToken": "q", "qrStartSecret": "s"}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*server_files)
    context.load_verify_locations(cafile=str(ca_path))
    context.verify_mode = ssl.CERT_REQUIRED
    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield {
            "url": f"https://127.0.0.1:{httpd.server_address[1]}/rp/v6.0/",
            "ca": str(ca_path),
            "client": client_files,
            "seen": seen,
        }
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_mutual_tls_against_a_tls_server(settings: Settings, tls_bankid: dict[str, Any]) -> None:
    settings.VK_EID_SIMULATORS = False
    settings.VK_BANKID_API_URL = tls_bankid["url"]
    settings.VK_BANKID_CLIENT_CERT, settings.VK_BANKID_CLIENT_KEY = tls_bankid["client"]
    settings.VK_BANKID_CA_CERT = tls_bankid["ca"]
    with bankid.get_client() as client:
        order = client.auth("192.0.2.1")
    assert order.order_ref == "o"
    assert tls_bankid["seen"] == {"client": "Vardkontakt RP", "body": {"endUserIp": "192.0.2.1"}}


def test_a_server_our_ca_did_not_sign_is_refused(
    settings: Settings, tls_bankid: dict[str, Any], tmp_path: Path
) -> None:
    other_key = ec.generate_private_key(ec.SECP256R1())
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(
        _certificate("Someone else", other_key, None).public_bytes(serialization.Encoding.PEM)
    )
    settings.VK_EID_SIMULATORS = False
    settings.VK_BANKID_API_URL = tls_bankid["url"]
    settings.VK_BANKID_CLIENT_CERT, settings.VK_BANKID_CLIENT_KEY = tls_bankid["client"]
    settings.VK_BANKID_CA_CERT = str(other_ca)
    with bankid.get_client() as client, pytest.raises(BankIdError) as caught:
        client.auth("192.0.2.1")
    assert caught.value.code == ErrorCode.UNREACHABLE
    assert tls_bankid["seen"] == {}  # no request got through
