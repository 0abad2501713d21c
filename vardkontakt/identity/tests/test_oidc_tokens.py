"""The OpenID Connect relying party's checks, against a fake provider that serves our own test keys.

Every token here is built by the test with PyJWT; the provider is an httpx.MockTransport serving a
discovery document, a JWKS and a token endpoint."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.contrib.sessions.backends.base import SessionBase

from vardkontakt.identity.eid import oidc
from vardkontakt.identity.eid.oidc import (
    FREJA_PERSONAL_NUMBER_CLAIM,
    FREJA_REGISTRATION_LEVEL_CLAIM,
    LOA2,
    LOA3,
    LOA4,
    Cancelled,
    InsufficientAssurance,
    InvalidResponse,
    OidcClient,
    ProviderConfig,
    ProviderUnavailable,
)

ISSUER = "https://idp.example.test/oidc"
CLIENT_ID = "vardkontakt"
CLIENT_SECRET = "s3cret:with/odd chars"
NONCE = "the-nonce-of-this-login"
ANNA = "198701022389"
HSA_ID = "SE2321000016-M001"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
    public = key.public_key()
    algorithm = jwt.algorithms.RSAAlgorithm if alg == "RS256" else jwt.algorithms.ECAlgorithm
    data: dict[str, Any] = algorithm.to_jwk(public, as_dict=True)
    return {**data, "kid": kid, "use": "sig", "alg": alg}


class FakeProvider:
    """Discovery, JWKS and token endpoint of a provider whose answers the test decides."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.keys = keys
        self.issuer = ISSUER
        self.token_response: tuple[int, dict[str, Any]] = (200, {})
        self.token_requests: list[httpx.Request] = []
        self.jwks_fetches = 0
        self.extra_metadata: dict[str, Any] = {}

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/oidc/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                    **self.extra_metadata,
                },
            )
        if path == "/oidc/jwks":
            self.jwks_fetches += 1
            return httpx.Response(200, json={"keys": self.keys})
        if path == "/oidc/token":
            self.token_requests.append(request)
            status, body = self.token_response
            return httpx.Response(status, json=body)
        return httpx.Response(404)


@pytest.fixture
def provider(rsa_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    fake = FakeProvider([jwk(rsa_key, "k1", "RS256")])
    monkeypatch.setattr(oidc, "transport", httpx.MockTransport(fake.handler))
    oidc.clear_cache()
    yield fake
    oidc.clear_cache()


def freja_client() -> OidcClient:
    return OidcClient(ProviderConfig("freja", ISSUER, CLIENT_ID, CLIENT_SECRET, oidc.FREJA_SCOPES))


def siths_client() -> OidcClient:
    return OidcClient(
        ProviderConfig("siths", ISSUER, CLIENT_ID, CLIENT_SECRET, oidc.SITHS_SCOPES, oidc.SITHS_ACCEPTED_LOA)
    )


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "pairwise-subject",
        "iat": now,
        "exp": now + 300,
        "auth_time": now,
        "nonce": NONCE,
        FREJA_PERSONAL_NUMBER_CLAIM: ANNA,
        FREJA_REGISTRATION_LEVEL_CLAIM: "PLUS",
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def sign(key: Any, payload: dict[str, Any], *, alg: str = "RS256", kid: str | None = "k1") -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def rejected(token: str, code: str, *, nonce: str = NONCE, max_age: int | None = None) -> None:
    with pytest.raises(InvalidResponse) as caught:
        freja_client().validate_id_token(token, nonce, max_age=max_age)
    assert caught.value.code == code
    assert ANNA not in str(caught.value) and ANNA not in str(caught.value.message)


# --- What is accepted -------------------------------------------------------------------------------


def test_a_good_rs256_token_is_accepted(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    client = freja_client()
    validated = client.validate_id_token(sign(rsa_key, claims()), NONCE)
    identity = client.identity(validated)
    assert (identity.provider, identity.value, identity.level) == ("freja", ANNA, "PLUS")
    assert ANNA not in repr(identity)


def test_a_good_es256_token_is_accepted(provider: FakeProvider, ec_key: ec.EllipticCurvePrivateKey) -> None:
    provider.keys = [jwk(ec_key, "ec1", "ES256")]
    token = sign(ec_key, claims(), alg="ES256", kid="ec1")
    assert freja_client().validate_id_token(token, NONCE)["sub"] == "pairwise-subject"


def test_a_token_without_kid_is_accepted_when_the_provider_has_one_key(
    provider: FakeProvider, rsa_key: rsa.RSAPrivateKey
) -> None:
    assert freja_client().validate_id_token(sign(rsa_key, claims(), kid=None), NONCE)


def test_a_small_clock_difference_is_tolerated(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    now = int(time.time())
    token = sign(rsa_key, claims(iat=now + 10, exp=now - 10))
    assert freja_client().validate_id_token(token, NONCE)


def test_rotated_keys_are_fetched_again(
    provider: FakeProvider, rsa_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> None:
    client = freja_client()
    client.validate_id_token(sign(rsa_key, claims()), NONCE)
    provider.keys = [jwk(other_key, "k2", "RS256")]  # the provider rotates; our cache still has k1
    assert client.validate_id_token(sign(other_key, claims(), kid="k2"), NONCE)
    assert provider.jwks_fetches == 2


# --- What is rejected -------------------------------------------------------------------------------


def test_wrong_issuer(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    rejected(sign(rsa_key, claims(iss="https://evil.example.test/oidc")), "token_issuer")


def test_missing_issuer(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    rejected(sign(rsa_key, claims(iss=None)), "token_invalid_MissingRequiredClaimError")


def test_wrong_audience(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    rejected(sign(rsa_key, claims(aud="another-client")), "token_audience")


def test_several_audiences_need_us_as_authorized_party(
    provider: FakeProvider, rsa_key: rsa.RSAPrivateKey
) -> None:
    rejected(sign(rsa_key, claims(aud=[CLIENT_ID, "another-client"])), "token_audience")
    token = sign(rsa_key, claims(aud=[CLIENT_ID, "another-client"], azp=CLIENT_ID))
    assert freja_client().validate_id_token(token, NONCE)


def test_wrong_nonce(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    rejected(sign(rsa_key, claims(nonce="another-login")), "token_nonce")


def test_missing_nonce(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    rejected(sign(rsa_key, claims(nonce=None)), "token_invalid_MissingRequiredClaimError")


def test_signed_by_another_key(
    provider: FakeProvider, rsa_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> None:
    rejected(sign(other_key, claims()), "token_signature")  # claims the provider's kid


def test_signed_by_an_unknown_key(provider: FakeProvider, other_key: rsa.RSAPrivateKey) -> None:
    rejected(sign(other_key, claims(), kid="not-published"), "unknown_key")
    assert provider.jwks_fetches == 2  # looked once more, in case the provider had rotated


def test_a_tampered_payload(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    header, _payload, signature = sign(rsa_key, claims()).split(".")
    forged = base64.urlsafe_b64encode(
        json.dumps(claims(**{FREJA_PERSONAL_NUMBER_CLAIM: "195801122655"})).encode()
    )
    rejected(f"{header}.{forged.rstrip(b'=').decode()}.{signature}", "token_signature")


def test_expired(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    now = int(time.time())
    rejected(sign(rsa_key, claims(iat=now - 400, exp=now - 100)), "token_expired")


def test_issued_in_the_future(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    now = int(time.time())
    rejected(sign(rsa_key, claims(iat=now + 600, exp=now + 900)), "token_not_yet_valid")


def test_issued_long_ago(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    now = int(time.time())
    rejected(sign(rsa_key, claims(iat=now - 3600, exp=now + 300)), "token_too_old")


def test_without_expiry(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    rejected(sign(rsa_key, claims(exp=None)), "token_invalid_MissingRequiredClaimError")


def test_alg_none(provider: FakeProvider) -> None:
    rejected(jwt.encode(claims(), "", algorithm="none", headers={"kid": "k1"}), "token_algorithm")


def test_hs256_signed_with_the_client_secret(provider: FakeProvider) -> None:
    secret = CLIENT_SECRET * 4  # long enough not to draw PyJWT's short-key warning
    rejected(sign(secret, claims(), alg="HS256"), "token_algorithm")


def test_hs256_signed_with_the_public_key_material(provider: FakeProvider) -> None:
    # The classic confusion: an HMAC over the provider's public key. Built by hand, since PyJWT refuses.
    header = jwt.utils.base64url_encode(b'{"alg":"HS256","typ":"JWT","kid":"k1"}')
    payload = jwt.utils.base64url_encode(json.dumps(claims()).encode())
    rejected(f"{header.decode()}.{payload.decode()}.c2lnbmF0dXJl", "token_algorithm")


def test_an_rs256_token_where_the_provider_publishes_only_an_es256_key(
    provider: FakeProvider, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    provider.keys = [jwk(ec_key, "ec1", "ES256")]
    rejected(sign(rsa_key, claims(), kid="ec1"), "unknown_key")


def test_malformed(provider: FakeProvider) -> None:
    rejected("not-a-jwt", "token_malformed")


def test_a_step_up_needs_a_fresh_authentication(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    now = int(time.time())
    rejected(sign(rsa_key, claims(auth_time=now - 3600)), "auth_time", max_age=300)
    rejected(sign(rsa_key, claims(auth_time=None)), "auth_time", max_age=300)
    assert freja_client().validate_id_token(sign(rsa_key, claims(auth_time=now - 60)), NONCE, max_age=300)


# --- Provider-specific claims -------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["EXTENDED", "BASIC", "plus", None])
def test_freja_below_plus_is_refused(level: str | None) -> None:
    with pytest.raises(InsufficientAssurance) as caught:
        freja_client().identity(claims(**{FREJA_REGISTRATION_LEVEL_CLAIM: level}))
    assert caught.value.code == "freja_level"
    assert "Freja eID Plus" in str(caught.value.message)
    assert "uppgradera" in str(caught.value.message)


def test_freja_without_a_personal_number_is_refused() -> None:
    with pytest.raises(InsufficientAssurance) as caught:
        freja_client().identity(claims(**{FREJA_PERSONAL_NUMBER_CLAIM: None}))
    assert caught.value.code == "freja_no_personal_number"


@pytest.mark.parametrize("acr", [LOA3, LOA4])
def test_siths_at_loa3_or_higher_is_accepted(acr: str) -> None:
    identity = siths_client().identity({"acr": acr, "employeeHsaId": HSA_ID})
    assert (identity.provider, identity.value, identity.level) == ("siths", HSA_ID, acr)


@pytest.mark.parametrize("acr", [LOA2, "http://id.elegnamnden.se/loa/1.0/loa1", "loa3", None])
def test_siths_below_loa3_is_refused(acr: str | None) -> None:
    with pytest.raises(InsufficientAssurance) as caught:
        siths_client().identity({"acr": acr, "employeeHsaId": HSA_ID} if acr else {"employeeHsaId": HSA_ID})
    assert caught.value.code == "siths_level"
    assert "tillitsnivå 3" in str(caught.value.message)


def test_siths_without_an_hsa_id_is_refused() -> None:
    with pytest.raises(InvalidResponse) as caught:
        siths_client().identity({"acr": LOA3})
    assert caught.value.code == "siths_no_hsa_id"


# --- Discovery, the authorization request and the token endpoint ---------------------------------------


def test_discovery_must_name_the_configured_issuer(provider: FakeProvider) -> None:
    provider.issuer = "https://idp.example.test/other"
    with pytest.raises(ProviderUnavailable) as caught:
        freja_client().metadata()
    assert caught.value.code == "issuer_mismatch"


def test_an_unreachable_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    monkeypatch.setattr(oidc, "transport", httpx.MockTransport(refuse))
    oidc.clear_cache()
    with pytest.raises(ProviderUnavailable):
        freja_client().metadata()


def test_the_authorization_request(provider: FakeProvider) -> None:
    session = SessionBase()
    url = freja_client().begin(session, "https://vk.example.test/logga-in/freja/retur/")
    query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    flow = session["vk_oidc:freja"]
    assert url.startswith(f"{ISSUER}/authorize?")
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["state"] == flow["state"] and query["nonce"] == flow["nonce"]
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == oidc.pkce_challenge(flow["verifier"])
    assert query["code_challenge"] != flow["verifier"]
    assert "openid" in query["scope"].split()
    assert len(flow["state"]) >= 32 and len(flow["nonce"]) >= 32


def test_without_pushed_requests_a_login_hint_is_not_put_in_the_url(provider: FakeProvider) -> None:
    session = SessionBase()
    url = freja_client().begin(session, "https://vk.example.test/cb", login_hint=ANNA)
    assert ANNA not in url and "login_hint" not in url


def test_state_is_single_use(provider: FakeProvider, rsa_key: rsa.RSAPrivateKey) -> None:
    session = SessionBase()
    client = freja_client()
    client.begin(session, "https://vk.example.test/cb")
    flow = dict(session["vk_oidc:freja"])
    provider.token_response = (200, {"id_token": sign(rsa_key, claims(nonce=flow["nonce"]))})
    identity = client.finish(session, {"state": flow["state"], "code": "c1"})
    assert identity.value == ANNA
    with pytest.raises(InvalidResponse) as caught:
        client.finish(session, {"state": flow["state"], "code": "c1"})
    assert caught.value.code == "state_mismatch"
    request = provider.token_requests[0]
    form = parse_qs(request.content.decode())
    assert form["code_verifier"] == [flow["verifier"]] and form["redirect_uri"] == [
        "https://vk.example.test/cb"
    ]
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(
        b"vardkontakt:s3cret%3Awith%2Fodd%20chars"
    ).decode("ascii")


def test_a_wrong_state_uses_up_the_flow(provider: FakeProvider) -> None:
    session = SessionBase()
    client = freja_client()
    client.begin(session, "https://vk.example.test/cb")
    with pytest.raises(InvalidResponse):
        client.finish(session, {"state": "guessed", "code": "c1"})
    assert "vk_oidc:freja" not in session
    assert provider.token_requests == []


def test_access_denied_is_a_cancel(provider: FakeProvider) -> None:
    session = SessionBase()
    client = freja_client()
    client.begin(session, "https://vk.example.test/cb")
    state = session["vk_oidc:freja"]["state"]
    with pytest.raises(Cancelled):
        client.finish(session, {"state": state, "error": "access_denied"})


def test_a_refused_code_exchange(provider: FakeProvider) -> None:
    session = SessionBase()
    client = freja_client()
    client.begin(session, "https://vk.example.test/cb")
    provider.token_response = (400, {"error": "invalid_grant"})
    with pytest.raises(InvalidResponse) as caught:
        client.finish(session, {"state": session["vk_oidc:freja"]["state"], "code": "old"})
    assert caught.value.code == "token_refused"


@pytest.mark.parametrize(
    ("error", "kind", "logged"),
    [
        ("login_required", InvalidResponse, "login_required"),
        ("temporarily_unavailable", ProviderUnavailable, "temporarily_unavailable"),
        (f"{ANNA}\nlogin failed reason=forged", InvalidResponse, "other"),
    ],
)
def test_other_errors_from_the_provider(
    provider: FakeProvider, caplog: pytest.LogCaptureFixture, error: str, kind: type[Exception], logged: str
) -> None:
    session = SessionBase()
    client = freja_client()
    client.begin(session, "https://vk.example.test/cb")
    with caplog.at_level(logging.INFO), pytest.raises(kind):
        client.finish(session, {"state": session["vk_oidc:freja"]["state"], "error": error})
    ours = [record.getMessage() for record in caplog.records if record.name == "vardkontakt.login"]
    assert ours == [f"oidc provider freja returned error={logged}"]


@pytest.mark.parametrize("keys", [[], [{"kty": "oct", "k": "c2VjcmV0", "kid": "k1"}], [{"kid": "k1"}]])
def test_a_key_set_without_usable_keys(
    provider: FakeProvider, rsa_key: rsa.RSAPrivateKey, keys: list[Any]
) -> None:
    provider.keys = keys
    with pytest.raises((ProviderUnavailable, InvalidResponse)):
        freja_client().validate_id_token(sign(rsa_key, claims()), NONCE)
