"""One loopback HTTP server for all the simulators (``manage.py run_simulators``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from vardkontakt.simulators.bankid import BankIdSimulator
from vardkontakt.simulators.oidc import OidcSimulator
from vardkontakt.simulators.people import SimResident, SimStaff

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def build_app(
    base_url: str, residents: list[SimResident], staff: list[SimStaff], client_secret: str
) -> WsgiApp:
    """The simulators mounted by path prefix: /bankid/, /freja/ and /siths/."""
    mounts: dict[str, WsgiApp] = {
        "/bankid/": BankIdSimulator(residents),
        "/freja/": OidcSimulator(
            prefix="/freja",
            flavour="freja",
            issuer_base=base_url,
            people=residents,
            clients={"vardkontakt": client_secret},
        ),
        "/siths/": OidcSimulator(
            prefix="/siths",
            flavour="siths",
            issuer_base=base_url,
            staff=staff,
            clients={"vardkontakt": client_secret},
        ),
    }

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        for prefix, mounted in mounts.items():
            if path.startswith(prefix) or path == prefix.rstrip("/"):
                return mounted(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"No simulator here. Try /bankid/app/, /freja/ or /siths/."]

    return app


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # the simulators print nothing per request: the BankID app page polls


def serve(app: WsgiApp, host: str, port: int) -> _ThreadingServer:
    if host not in {"127.0.0.1", "::1", "localhost"}:
        raise ValueError("the simulators listen on loopback only")
    return make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
