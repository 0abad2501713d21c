"""The HTTP server's worker (vardkontakt.server): a finished connection ends at once; anything left to
drain keeps gunicorn's graceful close."""

from __future__ import annotations

import datetime
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from gunicorn import http
from gunicorn.config import Config

from vardkontakt.server import shut_reading_if_done

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A client and the server's end of one TCP connection on loopback."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    with client, server:
        yield client, server


def parse(client: socket.socket, server: socket.socket, raw: bytes):
    """Send ``raw`` and parse it on the server's end as gunicorn's workers do."""
    client.sendall(raw)
    return next(http.get_parser(Config(), server, ("127.0.0.1", 0)))


def reading_shut(server: socket.socket) -> bool:
    """Whether reading ``server`` says end of stream at once (the client has not closed)."""
    try:
        return server.recv(16, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False


def test_a_request_without_a_body_ends_reading_at_once(pair):
    client, server = pair
    req = parse(client, server, b"GET /api/v1/units?q=solna HTTP/1.1\r\nHost: x\r\n\r\n")
    assert shut_reading_if_done(server, req)
    assert reading_shut(server)


def test_a_body_read_to_its_end_ends_reading_at_once(pair):
    client, server = pair
    req = parse(client, server, b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
    assert req.body.read() == b"hello"
    assert shut_reading_if_done(server, req)
    assert reading_shut(server)


def test_a_body_left_unread_keeps_the_graceful_close(pair):
    client, server = pair
    req = parse(client, server, b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
    assert not shut_reading_if_done(server, req)
    client.sendall(b"more")
    select.select([server], [], [], 5)
    assert server.recv(16) == b"more"  # still open for the close to drain


def test_a_chunked_body_keeps_the_graceful_close(pair):
    client, server = pair
    req = parse(
        client,
        server,
        b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    )
    assert req.body.read() == b"hello"
    assert not shut_reading_if_done(server, req)
    assert not reading_shut(server)


def test_bytes_after_the_request_keep_the_graceful_close(pair):
    client, server = pair
    req = parse(client, server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    client.sendall(b"GET /next HTTP/1.1\r\n")
    select.select([server], [], [], 5)
    assert not shut_reading_if_done(server, req)
    assert server.recv(64) == b"GET /next HTTP/1.1\r\n"


def test_tls_served_by_gunicorn_keeps_the_graceful_close(pair, tmp_path):
    client, server = pair
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.check_hostname = False
    client_context.verify_mode = ssl.CERT_NONE
    with client_context.wrap_socket(client, do_handshake_on_connect=False) as tls_client:
        handshake = threading.Thread(target=tls_client.do_handshake)
        handshake.start()
        with server_context.wrap_socket(server, server_side=True) as tls_server:
            handshake.join(10)
            req = parse(tls_client, tls_server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert not shut_reading_if_done(tls_server, req)


# --- The worker in gunicorn ----------------------------------------------------------------------------


def app(environ, start_response):
    """A WSGI application for the worker: echoes the method and the body it was asked to read."""
    body = environ["wsgi.input"].read() if environ.get("QUERY_STRING") != "unread" else b""
    payload = environ["REQUEST_METHOD"].encode() + b" " + body
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))])
    return [payload]


@pytest.fixture
def gunicorn() -> Iterator[int]:
    """gunicorn with one worker of vardkontakt.server.SyncWorker, serving ``app``, on a free port."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    proc = subprocess.Popen(  # noqa: S603 - our own gunicorn on loopback
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "vardkontakt.tests.test_server:app",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "vardkontakt.server.SyncWorker",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").endswith(b"GET ")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def exchange(port: int, raw: bytes, timeout: float = 10) -> bytes:
    """Send ``raw``, read the response until the server ends it, close."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(raw)
        return read_to_end(conn)


def read_to_end(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_the_worker_serves_while_a_finished_client_has_not_closed(gunicorn):
    # The only worker answers a GET; its client reads the whole response and does not close. gunicorn's
    # graceful close would now keep the worker reading for the client's FIN for 2 s.
    with socket.create_connection(("127.0.0.1", gunicorn), timeout=10) as idle:
        idle.sendall(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_to_end(idle).startswith(b"HTTP/1.1 200")
        # Another client is answered meanwhile, well within those 2 s.
        response = exchange(gunicorn, b"GET /second HTTP/1.1\r\nHost: x\r\n\r\n", timeout=1.5)
        assert response.startswith(b"HTTP/1.1 200") and response.endswith(b"GET ")


def test_the_worker_answers_bodies_read_or_not(gunicorn):
    read = exchange(gunicorn, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
    assert read.startswith(b"HTTP/1.1 200") and read.endswith(b"POST hello")
    # A body the application leaves unread: the response still arrives whole (no reset).
    unread = exchange(gunicorn, b"POST /?unread HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
    assert unread.startswith(b"HTTP/1.1 200") and unread.endswith(b"POST ")
