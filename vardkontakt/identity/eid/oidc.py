"""OpenID Connect relying party: Freja eID Plus for residents and SITHS (through an IdP such as
Inera's) for staff. One mechanism, two configurations.

The flow is the authorization-code flow with PKCE (S256), ``state`` and ``nonce``:

1. ``begin`` makes a random state, nonce and PKCE verifier, keeps them in the server-side session
   under the provider's name, and returns the provider's authorization URL. A ``login_hint`` (the
   person we expect during a step-up) is only ever sent over the back channel, as a pushed
   authorization request (RFC 9126), never in a URL; a provider without PAR gets no hint.
2. ``finish`` takes the callback's parameters, checks and consumes the state (single use), exchanges
   the code at the token endpoint (client_secret_basic, with the PKCE verifier), validates the ID
   token against the provider's JWKS (RS256/ES256 only; issuer, audience, expiry, iat, nonce) and
   then the provider's own claims: Freja's registration level must be PLUS, SITHS's assurance level
   (``acr``) LoA 3 or higher. It returns the identity the provider asserted.

Every failure is one of a few ``OidcError`` types that carry a code (for logs and rate limiting) and
a message for the person. Neither ever holds a personal identity number.

HTTP goes through httpx; ``transport`` can be set to another httpx transport (the tests use
``httpx.WSGITransport(app=<simulator>)``) so that this code runs unchanged against the simulator.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import jwt
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

log = logging.getLogger("vardkontakt.login")

FREJA = "freja"
SITHS = "siths"

# Freja eID's claims and scopes (Freja eID OIDC).
FREJA_PERSONAL_NUMBER_CLAIM = "https://frejaeid.com/oidc/claims/personalIdentityNumber"
FREJA_REGISTRATION_LEVEL_CLAIM = "https://frejaeid.com/oidc/claims/registrationLevel"
FREJA_SCOPES = (
    "openid",
    "https://frejaeid.com/oidc/scopes/personalIdentityNumber",
    "https://frejaeid.com/oidc/scopes/registrationLevel",
)
FREJA_REQUIRED_LEVEL = "PLUS"

# The Swedish assurance levels (DIGG, formerly E-legitimationsnämnden).
LOA2 = "http://id.elegnamnden.se/loa/1.0/loa2"
LOA3 = "http://id.elegnamnden.se/loa/1.0/loa3"
LOA4 = "http://id.elegnamnden.se/loa/1.0/loa4"
SITHS_ACCEPTED_LOA = (LOA3, LOA4)
SITHS_HSA_ID_CLAIM = "employeeHsaId"
SITHS_SCOPES = ("openid",)

ALGORITHMS = ("RS256", "ES256")  # never "none", never a shared-secret HS* algorithm
LEEWAY = 30  # seconds of clock difference tolerated on exp, iat and auth_time
MAX_TOKEN_AGE = 10 * 60  # an ID token issued longer ago than this is not accepted
FLOW_LIFETIME = 10 * 60  # how long a started login may take before its state is no longer accepted
METADATA_TTL = 5 * 60  # discovery document and JWKS are cached this long
HTTP_TIMEOUT = 10.0
SESSION_PREFIX = "vk_oidc:"

# Tests set an httpx transport here (httpx.WSGITransport(app=simulator)); None is the network.
transport: httpx.BaseTransport | None = None


# --- Errors ---------------------------------------------------------------------------------------


class OidcError(Exception):
    """A login that did not complete. ``code`` is for logs; ``message`` is for the person."""

    status = 400
    message: str | Promise = _("Inloggningen kunde inte slutföras. Börja om och försök igen.")

    def __init__(self, code: str, message: str | Promise | None = None) -> None:
        super().__init__(code)
        self.code = code
        if message is not None:
            self.message = message


class Cancelled(OidcError):
    """The person cancelled at the provider."""

    status = 200
    message = _("Du avbröt inloggningen. Du kan försöka igen eller välja ett annat sätt att logga in.")


class ProviderUnavailable(OidcError):
    """The provider could not be reached or answered something unusable."""

    status = 502
    message = _("Inloggningstjänsten svarar inte just nu. Försök igen om en stund.")


class InvalidResponse(OidcError):
    """The callback or the ID token did not pass the checks (state, signature, issuer, nonce ...)."""


class InsufficientAssurance(OidcError):
    """The provider authenticated the person, but at a lower level than we require."""

    status = 403


FREJA_LEVEL_TOO_LOW = _(
    "Du behöver Freja eID Plus för att logga in. Ditt Freja eID har en lägre nivå. Öppna Freja-appen, "
    "välj att uppgradera till Freja eID Plus och följ anvisningarna för att styrka din identitet med "
    "en giltig id-handling. Du kan också logga in med BankID."
)
FREJA_NO_PERSONAL_NUMBER = _(
    "Ditt Freja eID är inte kopplat till ett svenskt personnummer eller samordningsnummer. "
    "Du behöver Freja eID Plus med ett svenskt personnummer för att logga in."
)
SITHS_LEVEL_TOO_LOW = _(
    "Inloggningen hade för låg tillitsnivå. Vårdpersonal loggar in med SITHS-kort eller SITHS eID på "
    "tillitsnivå 3 eller högre. Kontakta din IT-support om det inte fungerar."
)
SITHS_NO_HSA_ID = _("Inloggningen gav inget HSA-id. Kontakta din IT-support.")


# --- Configuration --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderConfig:
    name: str  # FREJA or SITHS: also the session key and the login method
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    acr_values: tuple[str, ...] = ()


def provider_config(name: str) -> ProviderConfig:
    """The configuration of provider ``name`` from the settings (VK_FREJA_*, VK_SITHS_*)."""
    if name == FREJA:
        return ProviderConfig(
            FREJA,
            settings.VK_FREJA_ISSUER.rstrip("/"),
            settings.VK_FREJA_CLIENT_ID,
            settings.VK_FREJA_CLIENT_SECRET,
            FREJA_SCOPES,
        )
    if name == SITHS:
        return ProviderConfig(
            SITHS,
            settings.VK_SITHS_ISSUER.rstrip("/"),
            settings.VK_SITHS_CLIENT_ID,
            settings.VK_SITHS_CLIENT_SECRET,
            SITHS_SCOPES,
            acr_values=SITHS_ACCEPTED_LOA,
        )
    raise ValueError(f"not an OpenID Connect provider: {name}")


# --- HTTP and the provider's published metadata ---------------------------------------------------

_cache: dict[str, tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    """Forget cached discovery documents and key sets (the tests start each simulator afresh)."""
    with _cache_lock:
        _cache.clear()


def _http() -> httpx.Client:
    return httpx.Client(transport=transport, timeout=HTTP_TIMEOUT, follow_redirects=False)


def _get_json(url: str) -> dict[str, Any]:
    try:
        with _http() as http:
            response = http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("oidc fetch failed url=%s error=%s", url, type(exc).__name__)
        raise ProviderUnavailable("fetch_failed") from None
    if not isinstance(data, dict):
        raise ProviderUnavailable("not_json_object")
    return data


def _cached_json(url: str, *, refresh: bool = False) -> dict[str, Any]:
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(url)
    if hit is not None and not refresh and now - hit[0] < METADATA_TTL:
        value: dict[str, Any] = hit[1]
        return value
    data = _get_json(url)
    with _cache_lock:
        _cache[url] = (now, data)
    return data


def _basic_auth(client_id: str, client_secret: str) -> str:
    # RFC 6749 §2.3.1: both are form-urlencoded before they are joined and base64-encoded.
    raw = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    return "Basic " + base64.b64encode(raw.encode()).decode("ascii")


def _error_code(value: object) -> str:
    """An OAuth error code fit for a log line: what the provider or the browser sent is not trusted."""
    return value if isinstance(value, str) and re.fullmatch(r"[a-z_]{1,40}", value) else "other"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


# --- The relying party ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """Who the provider says authenticated: a personal identity number (Freja) or an HSA-id (SITHS).
    ``repr`` leaves the value out, so that it cannot end up in a log line by accident."""

    provider: str
    value: str
    level: str

    def __repr__(self) -> str:
        return f"Identity(provider={self.provider!r}, level={self.level!r})"


class OidcClient:
    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    # Metadata

    def metadata(self) -> dict[str, Any]:
        if not self.config.issuer or not self.config.client_id:
            log.error("oidc provider %s is not configured (issuer or client id missing)", self.config.name)
            raise ProviderUnavailable("not_configured")
        if not self.config.issuer.startswith("https://") and not settings.VK_EID_SIMULATORS:
            log.error("oidc provider %s: the issuer must be an https URL", self.config.name)
            raise ProviderUnavailable("not_configured")
        data = _cached_json(f"{self.config.issuer}/.well-known/openid-configuration")
        # OpenID Connect Discovery §4.3: the document must name exactly the issuer we asked.
        if data.get("issuer") != self.config.issuer:
            log.warning("oidc discovery of %s names another issuer", self.config.name)
            raise ProviderUnavailable("issuer_mismatch")
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(data.get(field), str):
                raise ProviderUnavailable("incomplete_metadata")
        return data

    def signing_key(self, kid: str | None, alg: str) -> Any:
        """The provider's public key for ``kid``; the JWKS is fetched again once for an unknown kid
        (the provider has rotated its keys)."""
        uri = self.metadata()["jwks_uri"]
        for refresh in (False, True):
            try:
                keyset = jwt.PyJWKSet.from_dict(_cached_json(uri, refresh=refresh))
            except jwt.PyJWTError:  # no usable key at all, or not a key set
                raise ProviderUnavailable("bad_jwks") from None
            candidates = [
                key
                for key in keyset.keys
                if (kid is None or key.key_id == kid)
                and key.public_key_use in (None, "sig")
                and key.algorithm_name == alg  # the key's own "alg", or what its type implies
            ]
            if (kid is None and len(candidates) == 1) or (kid is not None and candidates):
                return candidates[0].key
        raise InvalidResponse("unknown_key")

    # Step 1: the authorization request

    def begin(
        self, session: SessionBase, redirect_uri: str, *, login_hint: str = "", max_age: int | None = None
    ) -> str:
        """Start a login: remember state, nonce and PKCE verifier in ``session``, return the URL to
        send the browser to."""
        meta = self.metadata()
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters of the unreserved set (RFC 7636 §4.1)
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self.config.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if self.config.acr_values:
            params["acr_values"] = " ".join(self.config.acr_values)
        if max_age is not None:
            params["max_age"] = str(max_age)
            params["prompt"] = "login"
        par_endpoint = meta.get("pushed_authorization_request_endpoint")
        if isinstance(par_endpoint, str):
            if login_hint:
                params["login_hint"] = login_hint
            query = {"client_id": self.config.client_id, "request_uri": self._push(par_endpoint, params)}
        else:
            # Without PAR a hint would travel in the URL (browser history, logs): none is sent, and the
            # same-person check after the login (identity.login) is what holds.
            query = params
        session[SESSION_PREFIX + self.config.name] = {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "redirect_uri": redirect_uri,
            "max_age": max_age,
            "started": int(time.time()),
        }
        endpoint = meta["authorization_endpoint"]
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"

    def _push(self, endpoint: str, params: dict[str, str]) -> str:
        try:
            with _http() as http:
                response = http.post(
                    endpoint,
                    data=params,
                    headers={
                        "Authorization": _basic_auth(self.config.client_id, self.config.client_secret),
                        "Accept": "application/json",
                    },
                )
            response.raise_for_status()
            request_uri = response.json().get("request_uri")
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.warning(
                "oidc pushed authorization request failed provider=%s error=%s",
                self.config.name,
                type(exc).__name__,
            )
            raise ProviderUnavailable("par_failed") from None
        if not isinstance(request_uri, str) or not request_uri:
            raise ProviderUnavailable("par_failed")
        return request_uri

    # Step 2: the callback

    def finish(self, session: SessionBase, query: dict[str, str]) -> Identity:
        """Complete a login from the callback's query parameters; the started flow is used up."""
        flow = session.pop(SESSION_PREFIX + self.config.name, None)
        state = query.get("state", "")
        if not isinstance(flow, dict) or not state or not constant_time_compare(flow.get("state", ""), state):
            raise InvalidResponse("state_mismatch")
        if time.time() - flow.get("started", 0) > FLOW_LIFETIME:
            raise InvalidResponse("flow_expired")
        error = query.get("error")
        if error == "access_denied":
            raise Cancelled("cancelled")
        if error:
            log.warning("oidc provider %s returned error=%s", self.config.name, _error_code(error))
            if error in ("server_error", "temporarily_unavailable"):
                raise ProviderUnavailable("provider_error")
            raise InvalidResponse("provider_error")
        code = query.get("code", "")
        if not code:
            raise InvalidResponse("no_code")
        id_token = self.exchange(code, flow["redirect_uri"], flow["verifier"])
        claims = self.validate_id_token(id_token, flow["nonce"], max_age=flow.get("max_age"))
        return self.identity(claims)

    def exchange(self, code: str, redirect_uri: str, verifier: str) -> str:
        """Trade the authorization code for tokens at the token endpoint; return the ID token."""
        endpoint = self.metadata()["token_endpoint"]
        try:
            with _http() as http:
                response = http.post(
                    endpoint,
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": redirect_uri,
                        "code_verifier": verifier,
                    },
                    headers={
                        "Authorization": _basic_auth(self.config.client_id, self.config.client_secret),
                        "Accept": "application/json",
                    },
                )
        except httpx.HTTPError as exc:
            log.warning(
                "oidc token request failed provider=%s error=%s", self.config.name, type(exc).__name__
            )
            raise ProviderUnavailable("token_unreachable") from None
        if response.status_code >= 500:
            raise ProviderUnavailable("token_server_error")
        try:
            body = response.json()
        except ValueError:
            raise ProviderUnavailable("token_not_json") from None
        if not isinstance(body, dict):
            raise ProviderUnavailable("token_not_json")
        if response.status_code != 200:
            # invalid_grant: the code was used, expired or did not match; invalid_client: our secret.
            error = _error_code(body.get("error"))
            log.warning("oidc token request refused provider=%s error=%s", self.config.name, error)
            if error == "invalid_client":
                raise ProviderUnavailable("token_invalid_client")
            raise InvalidResponse("token_refused")
        id_token = body.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise InvalidResponse("no_id_token")
        return id_token

    def validate_id_token(self, id_token: str, nonce: str, *, max_age: int | None = None) -> dict[str, Any]:
        """The ID token's claims after checking its signature, issuer, audience, times and nonce."""
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError:
            raise InvalidResponse("token_malformed") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise InvalidResponse("token_algorithm")
        kid = header.get("kid")
        key = self.signing_key(kid if isinstance(kid, str) else None, alg)
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=[alg],
                audience=self.config.client_id,
                issuer=self.config.issuer,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "sub", "nonce"]},
            )
        except jwt.InvalidSignatureError:
            raise InvalidResponse("token_signature") from None
        except jwt.ExpiredSignatureError:
            raise InvalidResponse("token_expired") from None
        except jwt.InvalidIssuerError:
            raise InvalidResponse("token_issuer") from None
        except jwt.InvalidAudienceError:
            raise InvalidResponse("token_audience") from None
        except jwt.ImmatureSignatureError:
            raise InvalidResponse("token_not_yet_valid") from None
        except jwt.PyJWTError as exc:
            raise InvalidResponse(f"token_invalid_{type(exc).__name__}") from None
        now = time.time()
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.config.client_id:
            raise InvalidResponse("token_audience")
        iat = claims["iat"]
        if not isinstance(iat, int | float) or now - iat > MAX_TOKEN_AGE:
            raise InvalidResponse("token_too_old")
        if not isinstance(claims["nonce"], str) or not constant_time_compare(claims["nonce"], nonce):
            raise InvalidResponse("token_nonce")
        if max_age is not None:
            auth_time = claims.get("auth_time")
            if not isinstance(auth_time, int | float) or now - auth_time > max_age + LEEWAY:
                raise InvalidResponse("auth_time")
        return claims

    def identity(self, claims: dict[str, Any]) -> Identity:
        """The provider-specific claims: who authenticated, and at a level we accept."""
        if self.config.name == FREJA:
            level = claims.get(FREJA_REGISTRATION_LEVEL_CLAIM)
            if level != FREJA_REQUIRED_LEVEL:
                raise InsufficientAssurance("freja_level", FREJA_LEVEL_TOO_LOW)
            number = claims.get(FREJA_PERSONAL_NUMBER_CLAIM)
            if not isinstance(number, str) or not number:
                raise InsufficientAssurance("freja_no_personal_number", FREJA_NO_PERSONAL_NUMBER)
            return Identity(FREJA, number, level)
        acr = claims.get("acr")
        if acr not in SITHS_ACCEPTED_LOA:
            raise InsufficientAssurance("siths_level", SITHS_LEVEL_TOO_LOW)
        hsa_id = claims.get(SITHS_HSA_ID_CLAIM)
        if not isinstance(hsa_id, str) or not hsa_id:
            raise InvalidResponse("siths_no_hsa_id", SITHS_NO_HSA_ID)
        return Identity(SITHS, hsa_id, acr)


def client(name: str) -> OidcClient:
    return OidcClient(provider_config(name))
