"""A local OpenID provider for the demo and the tests: Freja eID Plus or the SITHS IdP, by flavour.

A plain WSGI application (standard library, PyJWT and cryptography; no Django) that answers under
its path prefix:

- ``/.well-known/openid-configuration`` — the discovery document;
- ``/jwks`` — the public half of an RSA key generated when the simulator is created;
- ``/par`` — pushed authorization requests (RFC 9126), client authentication required;
- ``/authorize`` — a page where the tester plays the person: pick someone from the list or type a
  personnummer / HSA-id, pick the Freja registration level or the SITHS assurance level, then
  approve or cancel. The browser goes back to ``redirect_uri`` with ``code`` and ``state``, or with
  ``error=access_denied``;
- ``/token`` — the authorization code for an ID token (RS256): client_secret_basic, the code single
  use and short-lived, ``redirect_uri`` as in the authorization request, the PKCE verifier (S256).

Any redirect URI is accepted for a known client (a simulator convenience); the token endpoint checks
that it matches the authorization request. State lives in memory, per process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from vardkontakt.simulators.people import SimResident, SimStaff

StartResponse = Callable[..., Any]

FREJA = "freja"
SITHS = "siths"
FREJA_PERSONAL_NUMBER_CLAIM = "https://frejaeid.com/oidc/claims/personalIdentityNumber"
FREJA_REGISTRATION_LEVEL_CLAIM = "https://frejaeid.com/oidc/claims/registrationLevel"
FREJA_LEVELS = (
    ("BASIC", "Basic – e-postadress och telefonnummer, identiteten är inte styrkt"),
    ("EXTENDED", "Extended – id-handlingen är registrerad men inte granskad på plats"),
    ("PLUS", "Plus – identiteten är styrkt med id-handling (Freja eID Plus)"),
)
LOA_PREFIX = "http://id.elegnamnden.se/loa/1.0/"
SITHS_LEVELS = (
    ("loa2", "Tillitsnivå 2 – till exempel lösenord och sms-kod"),
    ("loa3", "Tillitsnivå 3 – SITHS-kort eller SITHS eID"),
    ("loa4", "Tillitsnivå 4"),
)
PAR_URN = "urn:ietf:params:oauth:request_uri:"
MAX_BODY = 64 * 1024
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


@dataclass
class _Pending:
    """An authorization request waiting for the person on the /authorize page."""

    params: dict[str, str]
    created: float


@dataclass
class _Grant:
    """An issued authorization code and what it stands for."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    subject: str
    level: str
    auth_time: int
    created: float
    extra: dict[str, Any] = field(default_factory=dict)


class _OAuthError(Exception):
    def __init__(self, error: str, description: str, status: str = "400 Bad Request") -> None:
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status


class OidcSimulator:
    def __init__(
        self,
        *,
        prefix: str,
        flavour: str,
        issuer_base: str,
        clients: dict[str, str],
        people: Sequence[SimResident] = (),
        staff: Sequence[SimStaff] = (),
        code_lifetime: int = 60,
        token_lifetime: int = 300,
        request_lifetime: int = 600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if flavour not in (FREJA, SITHS):
            raise ValueError(f"unknown flavour {flavour!r}: freja or siths")
        self.prefix = "/" + prefix.strip("/")
        self.flavour = flavour
        self.issuer = issuer_base.rstrip("/") + self.prefix
        self.clients = dict(clients)
        self.people = list(people)
        self.staff = list(staff)
        self.code_lifetime = code_lifetime
        self.token_lifetime = token_lifetime
        self.request_lifetime = request_lifetime
        self.clock = clock
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = secrets.token_urlsafe(12)
        self._pseudonym_key = secrets.token_bytes(32)
        self._pending: dict[str, _Pending] = {}
        self._pushed: dict[str, _Pending] = {}
        self._codes: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    # --- WSGI -------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            return self._text(start_response, "404 Not Found", "Not found")
        route = path[len(self.prefix) :].rstrip("/") or "/"
        routes: dict[tuple[str, str], Callable[[dict[str, Any], StartResponse], Iterable[bytes]]] = {
            ("GET", "/.well-known/openid-configuration"): self._discovery,
            ("GET", "/jwks"): self._jwks,
            ("POST", "/par"): self._par,
            ("GET", "/authorize"): self._authorize_page,
            ("POST", "/authorize"): self._authorize_decision,
            ("POST", "/token"): self._token,
        }
        handler = routes.get((method, route))
        if handler is None:
            if any(known == route for _method, known in routes):
                return self._text(start_response, "405 Method Not Allowed", "Method not allowed")
            return self._text(start_response, "404 Not Found", "Not found")
        self._purge()
        return handler(environ, start_response)

    # --- Metadata ---------------------------------------------------------------------------------

    def _discovery(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        document: dict[str, Any] = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "pushed_authorization_request_endpoint": f"{self.issuer}/par",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "claims_parameter_supported": False,
        }
        if self.flavour == FREJA:
            document["scopes_supported"] = [
                "openid",
                "https://frejaeid.com/oidc/scopes/personalIdentityNumber",
                "https://frejaeid.com/oidc/scopes/registrationLevel",
            ]
            document["claims_supported"] = [
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                FREJA_PERSONAL_NUMBER_CLAIM,
                FREJA_REGISTRATION_LEVEL_CLAIM,
            ]
        else:
            document["scopes_supported"] = ["openid"]
            document["acr_values_supported"] = [LOA_PREFIX + level for level, _label in SITHS_LEVELS]
            document["claims_supported"] = [
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "acr",
                "employeeHsaId",
                "given_name",
                "family_name",
            ]
        return self._json(start_response, "200 OK", document)

    def _jwks(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return self._json(start_response, "200 OK", {"keys": [self.public_jwk()]})

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {**jwk, "kid": self._kid, "use": "sig", "alg": "RS256"}

    # --- Pushed authorization requests ------------------------------------------------------------

    def _par(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            client_id = self._authenticate_client(environ)
            params = self._form(environ)
            if params.get("client_id", client_id) != client_id:
                raise _OAuthError("invalid_request", "client_id does not match the client authentication")
            if "request_uri" in params:
                raise _OAuthError("invalid_request", "request_uri may not be pushed")
            params["client_id"] = client_id
            self._check_request(params)
        except _OAuthError as exc:
            return self._oauth_error(start_response, exc)
        handle = secrets.token_urlsafe(32)
        with self._lock:
            self._pushed[handle] = _Pending(params, self.clock())
        body = {"request_uri": PAR_URN + handle, "expires_in": 60}
        return self._json(start_response, "201 Created", body)

    # --- The authorization page -------------------------------------------------------------------

    def _authorize_page(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            params = self._query(environ)
        except _OAuthError as exc:
            return self._error_page(start_response, exc.description)
        if "request_uri" in params:
            handle = params["request_uri"].removeprefix(PAR_URN)
            with self._lock:
                pushed = self._pushed.pop(handle, None)
            if (
                pushed is None
                or not params["request_uri"].startswith(PAR_URN)
                or self.clock() - pushed.created > 60
                or pushed.params.get("client_id") != params.get("client_id")
            ):
                return self._error_page(start_response, "Begäran är okänd eller har gått ut.")
            params = pushed.params
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if client_id not in self.clients:
            return self._error_page(start_response, "Okänd klient (client_id).")
        if not _is_redirect_uri(redirect_uri):
            return self._error_page(start_response, "redirect_uri saknas eller är ogiltig.")
        try:
            self._check_request(params)
        except _OAuthError as exc:
            return self._redirect(
                start_response,
                _with_query(
                    redirect_uri,
                    {"error": exc.error, "error_description": exc.description} | _state(params),
                ),
            )
        handle = secrets.token_urlsafe(32)
        with self._lock:
            self._pending[handle] = _Pending(params, self.clock())
        hint = params.get("login_hint", "")
        return self._page(start_response, "200 OK", self._form_html(handle, params, chosen=hint, typed=""))

    def _authorize_decision(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            form = self._form(environ)
        except _OAuthError as exc:
            return self._error_page(start_response, exc.description)
        handle = form.get("request", "")
        with self._lock:
            pending = self._pending.get(handle)
        if pending is None:
            return self._error_page(
                start_response, "Begäran är okänd eller har gått ut. Börja om från tjänsten."
            )
        params = pending.params
        redirect_uri = params["redirect_uri"]
        if form.get("action") == "cancel":
            with self._lock:
                self._pending.pop(handle, None)
            return self._redirect(
                start_response, _with_query(redirect_uri, {"error": "access_denied"} | _state(params))
            )
        chosen, typed = form.get("person", ""), form.get("other", "").strip()
        subject, problem = self._subject(chosen, typed)
        level = form.get("level", "")
        levels = FREJA_LEVELS if self.flavour == FREJA else SITHS_LEVELS
        if problem is None and level not in {value for value, _label in levels}:
            problem = "Välj en nivå."
        if problem is not None or subject is None:
            html_page = self._form_html(
                handle, params, chosen=chosen, typed=typed, level=level, error=problem
            )
            return self._page(start_response, "400 Bad Request", html_page)
        with self._lock:
            if self._pending.pop(handle, None) is None:  # approved twice at once
                return self._error_page(start_response, "Begäran är redan besvarad.")
            code = secrets.token_urlsafe(32)
            self._codes[code] = _Grant(
                client_id=params["client_id"],
                redirect_uri=redirect_uri,
                code_challenge=params["code_challenge"],
                nonce=params.get("nonce"),
                subject=subject,
                level=level,
                auth_time=int(self.clock()),
                created=self.clock(),
                extra=self._names(subject),
            )
        return self._redirect(start_response, _with_query(redirect_uri, {"code": code} | _state(params)))

    def _subject(self, chosen: str, typed: str) -> tuple[str | None, str | None]:
        """The identity the tester chose or typed, or an error message for the page."""
        if self.flavour == FREJA:
            if typed:
                digits = re.sub(r"[\s+-]", "", typed)
                if not re.fullmatch(r"\d{12}", digits, re.ASCII):
                    return None, "Skriv personnumret med tolv siffror, till exempel 198701022389."
                return digits, None
            if chosen in {person.personnummer for person in self.people}:
                return chosen, None
            return None, "Välj en person i listan eller skriv ett personnummer."
        if typed:
            hsa_id = typed.upper()
            if len(hsa_id) > 31 or not re.fullmatch(r"[A-Z0-9-]+", hsa_id, re.ASCII):
                return None, "Skriv ett HSA-id, till exempel SE2321000016-M001."
            return hsa_id, None
        if chosen in {member.hsa_id for member in self.staff}:
            return chosen, None
        return None, "Välj en person i listan eller skriv ett HSA-id."

    def _names(self, subject: str) -> dict[str, Any]:
        if self.flavour == SITHS:
            for member in self.staff:
                if member.hsa_id == subject:
                    return {"given_name": member.given_name, "family_name": member.family_name}
        return {}

    # --- Token endpoint ---------------------------------------------------------------------------

    def _token(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            client_id = self._authenticate_client(environ)
            form = self._form(environ)
            if form.get("grant_type") != "authorization_code":
                raise _OAuthError("unsupported_grant_type", "only authorization_code")
            with self._lock:
                grant = self._codes.pop(form.get("code", ""), None)  # single use, whatever follows
            if grant is None:
                raise _OAuthError("invalid_grant", "unknown or already used code")
            if self.clock() - grant.created > self.code_lifetime:
                raise _OAuthError("invalid_grant", "the code has expired")
            if grant.client_id != client_id:
                raise _OAuthError("invalid_grant", "the code was issued to another client")
            if form.get("redirect_uri") != grant.redirect_uri:
                raise _OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
            verifier = form.get("code_verifier", "")
            if not _VERIFIER.match(verifier) or not hmac.compare_digest(
                _b64url(hashlib.sha256(verifier.encode("ascii")).digest()), grant.code_challenge
            ):
                raise _OAuthError("invalid_grant", "PKCE verification failed")
        except _OAuthError as exc:
            return self._oauth_error(start_response, exc)
        body = {
            "access_token": secrets.token_urlsafe(32),
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "id_token": self.id_token(grant),
        }
        return self._json(start_response, "200 OK", body)

    def id_token(self, grant: _Grant) -> str:
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self._pseudonym(grant.client_id, grant.subject),
            "aud": grant.client_id,
            "exp": now + self.token_lifetime,
            "iat": now,
            "auth_time": grant.auth_time,
            **grant.extra,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        if self.flavour == FREJA:
            claims[FREJA_PERSONAL_NUMBER_CLAIM] = grant.subject
            claims[FREJA_REGISTRATION_LEVEL_CLAIM] = grant.level
        else:
            claims["employeeHsaId"] = grant.subject
            claims["acr"] = LOA_PREFIX + grant.level
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self._kid})

    def _pseudonym(self, client_id: str, subject: str) -> str:
        """A pairwise ``sub``: stable per person and client, and not the personnummer itself."""
        return hmac.new(self._pseudonym_key, f"{client_id}\0{subject}".encode(), hashlib.sha256).hexdigest()

    def _authenticate_client(self, environ: dict[str, Any]) -> str:
        header = environ.get("HTTP_AUTHORIZATION", "")
        unauthorized = _OAuthError("invalid_client", "client authentication failed", "401 Unauthorized")
        if not header.startswith("Basic "):
            raise unauthorized
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise unauthorized from None
        client_id, sep, secret = decoded.partition(":")
        client_id, secret = unquote(client_id), unquote(secret)
        expected = self.clients.get(client_id)
        if not sep or expected is None or not hmac.compare_digest(secret.encode(), expected.encode()):
            raise unauthorized
        return client_id

    # --- Shared checks ----------------------------------------------------------------------------

    def _check_request(self, params: dict[str, str]) -> None:
        if params.get("client_id", "") not in self.clients:
            raise _OAuthError("invalid_client", "unknown client", "401 Unauthorized")
        if not _is_redirect_uri(params.get("redirect_uri", "")):
            raise _OAuthError("invalid_request", "redirect_uri is missing or not an absolute http(s) URL")
        if params.get("response_type") != "code":
            raise _OAuthError("unsupported_response_type", "only the authorization code flow")
        if "openid" not in params.get("scope", "").split():
            raise _OAuthError("invalid_scope", "the openid scope is required")
        if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
            raise _OAuthError("invalid_request", "PKCE with S256 is required")

    def _purge(self) -> None:
        now = self.clock()
        with self._lock:
            for store, lifetime in ((self._pending, self.request_lifetime), (self._pushed, 60)):
                for handle in [h for h, item in store.items() if now - item.created > lifetime]:
                    del store[handle]
            for code in [c for c, grant in self._codes.items() if now - grant.created > self.code_lifetime]:
                del self._codes[code]

    # --- Requests and responses -------------------------------------------------------------------

    @staticmethod
    def _single(pairs: list[tuple[str, str]]) -> dict[str, str]:
        params: dict[str, str] = {}
        for name, value in pairs:
            if name in params:
                raise _OAuthError("invalid_request", f"{name} is repeated")
            params[name] = value
        return params

    def _query(self, environ: dict[str, Any]) -> dict[str, str]:
        return self._single(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))

    def _form(self, environ: dict[str, Any]) -> dict[str, str]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            raise _OAuthError("invalid_request", "request too large")
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _OAuthError("invalid_request", "the body is not UTF-8") from None
        return self._single(parse_qsl(text, keep_blank_values=True))

    @staticmethod
    def _json(start_response: StartResponse, status: str, body: dict[str, Any]) -> Iterable[bytes]:
        data = json.dumps(body).encode()
        start_response(
            status,
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [data]

    def _oauth_error(self, start_response: StartResponse, exc: _OAuthError) -> Iterable[bytes]:
        data = json.dumps({"error": exc.error, "error_description": exc.description}).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
        ]
        if exc.status.startswith("401"):
            headers.append(("WWW-Authenticate", 'Basic realm="simulator"'))
        start_response(exc.status, headers)
        return [data]

    @staticmethod
    def _text(start_response: StartResponse, status: str, text: str) -> Iterable[bytes]:
        data = text.encode()
        start_response(
            status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
        )
        return [data]

    @staticmethod
    def _redirect(start_response: StartResponse, location: str) -> Iterable[bytes]:
        start_response(
            "303 See Other",
            [("Location", location), ("Content-Length", "0"), ("Cache-Control", "no-store")],
        )
        return [b""]

    @staticmethod
    def _page(start_response: StartResponse, status: str, page: str) -> Iterable[bytes]:
        data = page.encode()
        start_response(
            status,
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(data))),
                ("Cache-Control", "no-store"),
                ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
                ("X-Frame-Options", "DENY"),
                ("Referrer-Policy", "no-referrer"),
            ],
        )
        return [data]

    def _error_page(self, start_response: StartResponse, message: str) -> Iterable[bytes]:
        body = f'<h1>{html.escape(self._title())}</h1>\n<p role="alert">{html.escape(message)}</p>'
        return self._page(start_response, "400 Bad Request", _document(f"Fel – {self._title()}", body))

    # --- HTML -------------------------------------------------------------------------------------

    def _title(self) -> str:
        return "Freja eID (simulator)" if self.flavour == FREJA else "SITHS-inloggning (simulator)"

    def _form_html(
        self,
        handle: str,
        params: dict[str, str],
        *,
        chosen: str,
        typed: str,
        level: str = "",
        error: str | None = None,
    ) -> str:
        esc = html.escape
        if self.flavour == FREJA:
            people = [(p.personnummer, f"{p.name}, {_pnr_display(p.personnummer)}") for p in self.people]
            who, other_label, other_hint = (
                "Vem legitimerar sig?",
                "Eller skriv ett personnummer",
                "Tolv siffror, till exempel 198701022389.",
            )
            levels, level_legend, default_level = FREJA_LEVELS, "Registreringsnivå i Freja eID", "PLUS"
        else:
            people = [(s.hsa_id, f"{s.name}, {s.hsa_id}") for s in self.staff]
            who, other_label, other_hint = (
                "Vem loggar in?",
                "Eller skriv ett HSA-id",
                "Till exempel SE2321000016-M001.",
            )
            levels, level_legend, default_level = SITHS_LEVELS, "Tillitsnivå", "loa3"
        known = {value for value, _label in people}
        if chosen and chosen not in known and not typed:
            typed, chosen = chosen, ""  # a login hint for someone not in the list
        level = level or default_level
        parts = [f"<h1>{esc(self._title())}</h1>"]
        parts.append(
            "<p>Det här är en simulator för demo och test. Här spelar du personen som legitimerar sig. "
            "Ingen riktig e-legitimation används.</p>"
        )
        parts.append(
            f"<p>Tjänsten <strong>{esc(params['client_id'])}</strong> vill att du legitimerar dig.</p>"
        )
        if error:
            parts.append(
                '<div role="alert" aria-labelledby="error-title">'
                f'<h2 id="error-title">Det finns ett problem</h2><p><a href="#person">{esc(error)}</a></p></div>'
            )
        parts.append('<form method="post" action="authorize">')
        parts.append(f'<input type="hidden" name="request" value="{esc(handle)}">')
        parts.append(f'<fieldset id="person"><legend>{esc(who)}</legend>')
        for index, (value, label) in enumerate(people):
            checked = " checked" if value == chosen else ""
            parts.append(
                f'<div><input type="radio" name="person" id="person-{index}" value="{esc(value)}"{checked}> '
                f'<label for="person-{index}">{esc(label)}</label></div>'
            )
        parts.append("</fieldset>")
        parts.append(
            f'<p><label for="other">{esc(other_label)}</label><br>'
            f'<span id="other-hint">{esc(other_hint)}</span><br>'
            f'<input type="text" name="other" id="other" value="{esc(typed)}" autocomplete="off" '
            'spellcheck="false" aria-describedby="other-hint"></p>'
        )
        parts.append(f"<fieldset><legend>{esc(level_legend)}</legend>")
        for value, label in levels:
            checked = " checked" if value == level else ""
            parts.append(
                f'<div><input type="radio" name="level" id="level-{esc(value)}" value="{esc(value)}"{checked}> '
                f'<label for="level-{esc(value)}">{esc(label)}</label></div>'
            )
        parts.append("</fieldset>")
        parts.append(
            '<p><button type="submit" name="action" value="approve">Godkänn</button> '
            '<button type="submit" name="action" value="cancel">Avbryt</button></p>'
        )
        parts.append("</form>")
        return _document(f"Legitimera dig – {self._title()}", "\n".join(parts))


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="sv">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _pnr_display(digits: str) -> str:
    return f"{digits[:8]}-{digits[8:]}" if len(digits) == 12 else digits


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _is_redirect_uri(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment


def _state(params: dict[str, str]) -> dict[str, str]:
    return {"state": params["state"]} if "state" in params else {}


def _with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}{'&' if urlsplit(url).query else '?'}{urlencode(params)}"
