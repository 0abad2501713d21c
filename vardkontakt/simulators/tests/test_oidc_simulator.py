"""The local OpenID provider on its own: the protocol as a relying party sees it, and its page.

No Django here: a plain httpx client talks to the WSGI application, and tokens are checked with
PyJWT against the simulator's published JWKS."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest

from vardkontakt.simulators.oidc import (
    FREJA_PERSONAL_NUMBER_CLAIM,
    FREJA_REGISTRATION_LEVEL_CLAIM,
    PAR_URN,
    OidcSimulator,
)
from vardkontakt.simulators.people import SimResident, SimStaff

BASE = "http://sim.example.test"
CALLBACK = "https://vk.example.test/logga-in/retur/"
SECRET = "simulator-secret"
ANNA = SimResident("198701022389", "Anna", "Andersson")
LARS = SimResident("195801122655", "Lars", "Johansson")
MARIA = SimStaff("SE2321000016-M001", "Maria", "Malm")


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def freja(clock: Clock) -> OidcSimulator:
    return OidcSimulator(
        prefix="/freja",
        flavour="freja",
        issuer_base=BASE,
        people=[ANNA, LARS],
        clients={"vardkontakt": SECRET},
        clock=clock,
    )


@pytest.fixture
def siths(clock: Clock) -> OidcSimulator:
    return OidcSimulator(
        prefix="/siths",
        flavour="siths",
        issuer_base=BASE + "/",
        staff=[MARIA],
        clients={"vardkontakt": SECRET},
        clock=clock,
    )


def http(sim: OidcSimulator) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=sim), base_url=BASE)


@pytest.fixture
def freja_http(freja: OidcSimulator) -> Iterator[httpx.Client]:
    with http(freja) as client:
        yield client


@pytest.fixture
def siths_http(siths: OidcSimulator) -> Iterator[httpx.Client]:
    with http(siths) as client:
        yield client


def basic(client_id: str = "vardkontakt", secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class Login:
    """One authorization request, as a relying party makes it."""

    def __init__(self, prefix: str, **overrides: str | None) -> None:
        self.prefix = prefix
        self.verifier = secrets.token_urlsafe(48)
        self.state = secrets.token_urlsafe(16)
        self.nonce = secrets.token_urlsafe(16)
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": "vardkontakt",
            "redirect_uri": CALLBACK,
            "scope": "openid",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": challenge(self.verifier),
            "code_challenge_method": "S256",
            **overrides,
        }
        self.params = {name: value for name, value in params.items() if value is not None}

    def url(self) -> str:
        return f"{self.prefix}/authorize?{urlencode(self.params)}"


def request_handle(page: httpx.Response) -> str:
    match = re.search(r'name="request" value="([^"]+)"', page.text)
    assert match is not None, page.text
    return match.group(1)


def approve(client: httpx.Client, login: Login, *, level: str, person: str = "", other: str = "") -> str:
    page = client.get(login.url())
    assert page.status_code == 200, page.text
    answer = client.post(
        f"{login.prefix}/authorize",
        data={
            "request": request_handle(page),
            "person": person,
            "other": other,
            "level": level,
            "action": "approve",
        },
    )
    assert answer.status_code == 303, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == [login.state]
    return query["code"][0]


def redeem(client: httpx.Client, login: Login, code: str, **changes: Any) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": login.verifier,
    }
    headers = changes.pop("headers", basic())
    form.update(changes)
    return client.post(f"{login.prefix}/token", data=form, headers=headers)


def verified_claims(client: httpx.Client, prefix: str, id_token: str) -> dict[str, Any]:
    keys = jwt.PyJWKSet.from_dict(client.get(f"{prefix}/jwks").json())
    kid = jwt.get_unverified_header(id_token)["kid"]
    key = next(key for key in keys.keys if key.key_id == kid)
    claims: dict[str, Any] = jwt.decode(
        id_token,
        key.key,
        algorithms=["RS256"],
        audience="vardkontakt",
        issuer=f"{BASE}{prefix}",
        options={"verify_exp": False, "verify_iat": False},  # the simulator runs on the test's clock
    )
    return claims


# --- Discovery and keys -------------------------------------------------------------------------------


def test_discovery(freja_http: httpx.Client) -> None:
    document = freja_http.get("/freja/.well-known/openid-configuration").json()
    assert document["issuer"] == f"{BASE}/freja"
    assert document["authorization_endpoint"] == f"{BASE}/freja/authorize"
    assert document["token_endpoint"] == f"{BASE}/freja/token"
    assert document["jwks_uri"] == f"{BASE}/freja/jwks"
    assert document["pushed_authorization_request_endpoint"] == f"{BASE}/freja/par"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["token_endpoint_auth_methods_supported"] == ["client_secret_basic"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]


def test_the_siths_issuer_tolerates_a_trailing_slash_in_the_base(siths_http: httpx.Client) -> None:
    document = siths_http.get("/siths/.well-known/openid-configuration").json()
    assert document["issuer"] == f"{BASE}/siths"
    assert "http://id.elegnamnden.se/loa/1.0/loa3" in document["acr_values_supported"]


def test_jwks_publishes_a_public_rsa_key_only(freja_http: httpx.Client) -> None:
    keys = freja_http.get("/freja/jwks").json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(keys[0])


def test_each_simulator_has_its_own_key() -> None:
    one = OidcSimulator(prefix="/a", flavour="freja", issuer_base=BASE, clients={})
    two = OidcSimulator(prefix="/a", flavour="freja", issuer_base=BASE, clients={})
    assert one.public_jwk()["n"] != two.public_jwk()["n"]


def test_paths_outside_the_prefix_and_wrong_methods(freja_http: httpx.Client) -> None:
    assert freja_http.get("/siths/jwks").status_code == 404
    assert freja_http.get("/freja/nothing").status_code == 404
    assert freja_http.get("/freja/token").status_code == 405


# --- The whole flow -----------------------------------------------------------------------------------


def test_freja_flow(freja_http: httpx.Client, clock: Clock) -> None:
    login = Login("/freja")
    code = approve(freja_http, login, person=ANNA.personnummer, level="PLUS")
    response = redeem(freja_http, login, code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    claims = verified_claims(freja_http, "/freja", body["id_token"])
    assert claims["aud"] == "vardkontakt"
    assert claims["nonce"] == login.nonce
    assert claims[FREJA_PERSONAL_NUMBER_CLAIM] == ANNA.personnummer
    assert claims[FREJA_REGISTRATION_LEVEL_CLAIM] == "PLUS"
    assert claims["iat"] == claims["auth_time"] == int(clock.now)
    assert claims["exp"] == int(clock.now) + 300
    assert ANNA.personnummer not in claims["sub"]


def test_the_subject_is_stable_per_person(freja_http: httpx.Client) -> None:
    subjects = []
    for person in (ANNA, ANNA, LARS):
        login = Login("/freja")
        token = redeem(
            freja_http, login, approve(freja_http, login, person=person.personnummer, level="PLUS")
        )
        subjects.append(verified_claims(freja_http, "/freja", token.json()["id_token"])["sub"])
    assert subjects[0] == subjects[1] != subjects[2]


@pytest.mark.parametrize("level", ["BASIC", "EXTENDED"])
def test_freja_lower_levels_are_asserted_as_chosen(freja_http: httpx.Client, level: str) -> None:
    login = Login("/freja")
    token = redeem(freja_http, login, approve(freja_http, login, person=LARS.personnummer, level=level))
    assert (
        verified_claims(freja_http, "/freja", token.json()["id_token"])[FREJA_REGISTRATION_LEVEL_CLAIM]
        == level
    )


def test_a_typed_personal_number(freja_http: httpx.Client) -> None:
    login = Login("/freja")
    code = approve(freja_http, login, other="19121212-1212", level="PLUS")
    token = redeem(freja_http, login, code).json()["id_token"]
    assert verified_claims(freja_http, "/freja", token)[FREJA_PERSONAL_NUMBER_CLAIM] == "191212121212"


@pytest.mark.parametrize("level", ["loa2", "loa3", "loa4"])
def test_siths_flow(siths_http: httpx.Client, level: str) -> None:
    login = Login("/siths", acr_values="http://id.elegnamnden.se/loa/1.0/loa3")
    code = approve(siths_http, login, person=MARIA.hsa_id, level=level)
    claims = verified_claims(siths_http, "/siths", redeem(siths_http, login, code).json()["id_token"])
    assert claims["employeeHsaId"] == MARIA.hsa_id
    assert claims["acr"] == f"http://id.elegnamnden.se/loa/1.0/{level}"
    assert (claims["given_name"], claims["family_name"]) == ("Maria", "Malm")


def test_a_typed_hsa_id(siths_http: httpx.Client) -> None:
    login = Login("/siths")
    code = approve(siths_http, login, other="se2321000016-x999", level="loa3")
    claims = verified_claims(siths_http, "/siths", redeem(siths_http, login, code).json()["id_token"])
    assert claims["employeeHsaId"] == "SE2321000016-X999"


def test_cancel(freja_http: httpx.Client) -> None:
    login = Login("/freja")
    page = freja_http.get(login.url())
    answer = freja_http.post("/freja/authorize", data={"request": request_handle(page), "action": "cancel"})
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    assert parse_qs(urlsplit(location).query) == {"error": ["access_denied"], "state": [login.state]}
    # The request is answered: it cannot be approved afterwards.
    again = freja_http.post(
        "/freja/authorize",
        data={
            "request": request_handle(page),
            "person": ANNA.personnummer,
            "level": "PLUS",
            "action": "approve",
        },
    )
    assert again.status_code == 400


# --- The page -------------------------------------------------------------------------------------------


def test_the_page_is_accessible_and_escapes_what_it_shows(freja_http: httpx.Client) -> None:
    page = freja_http.get(Login("/freja", client_id="vardkontakt").url())
    text = page.text
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="sv">' in text and "<title>" in text and "<main>" in text and "<h1>" in text
    assert "<script" not in text and "style=" not in text
    for field_id in re.findall(r'<input type="(?:radio|text)" name="\w+" id="([^"]+)"', text):
        assert f'<label for="{field_id}">' in text
    assert text.count("<fieldset") == text.count("<legend>") == 2
    assert "Anna Andersson, 19870102-2389" in text
    for level in ("BASIC", "EXTENDED", "PLUS"):
        assert f'value="{level}"' in text
    assert 'value="PLUS" checked' in text
    assert "content-security-policy" in page.headers


def test_the_siths_page_offers_staff_and_assurance_levels(siths_http: httpx.Client) -> None:
    text = siths_http.get(Login("/siths").url()).text
    assert "Maria Malm, SE2321000016-M001" in text
    assert 'value="loa3" checked' in text and 'value="loa2"' in text and 'value="loa4"' in text


def test_nothing_chosen(freja_http: httpx.Client) -> None:
    page = freja_http.get(Login("/freja").url())
    answer = freja_http.post(
        "/freja/authorize", data={"request": request_handle(page), "level": "PLUS", "action": "approve"}
    )
    assert answer.status_code == 400
    assert (
        'role="alert"' in answer.text
        and "Välj en person i listan eller skriv ett personnummer." in answer.text
    )
    # The request survives the mistake.
    again = freja_http.post(
        "/freja/authorize",
        data={
            "request": request_handle(answer),
            "person": ANNA.personnummer,
            "level": "PLUS",
            "action": "approve",
        },
    )
    assert again.status_code == 303


def test_a_badly_typed_personal_number(freja_http: httpx.Client) -> None:
    page = freja_http.get(Login("/freja").url())
    answer = freja_http.post(
        "/freja/authorize",
        data={"request": request_handle(page), "other": "1234<b>", "level": "PLUS", "action": "approve"},
    )
    assert answer.status_code == 400
    assert "tolv siffror" in answer.text and "1234&lt;b&gt;" in answer.text and "<b>" not in answer.text


def test_an_unknown_request(freja_http: httpx.Client) -> None:
    answer = freja_http.post("/freja/authorize", data={"request": "made-up", "action": "approve"})
    assert answer.status_code == 400


# --- Errors of the authorization request ------------------------------------------------------------------


def test_an_unknown_client_is_not_redirected(freja_http: httpx.Client) -> None:
    response = freja_http.get(Login("/freja", client_id="intruder").url())
    assert response.status_code == 400 and "location" not in response.headers


def test_a_bad_redirect_uri_is_not_redirected(freja_http: httpx.Client) -> None:
    for bad in ("javascript:alert(1)", "/relative", None):
        response = freja_http.get(Login("/freja", redirect_uri=bad).url())
        assert response.status_code == 400 and "location" not in response.headers


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
    ],
)
def test_bad_requests_go_back_with_an_error(
    freja_http: httpx.Client, overrides: dict[str, str | None], error: str
) -> None:
    login = Login("/freja", **overrides)
    response = freja_http.get(login.url())
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == [error] and query["state"] == [login.state]


def test_a_repeated_parameter(freja_http: httpx.Client) -> None:
    response = freja_http.get(Login("/freja").url() + "&client_id=vardkontakt")
    assert response.status_code == 400


# --- Pushed authorization requests ------------------------------------------------------------------------


def test_a_pushed_request_with_a_login_hint(freja_http: httpx.Client) -> None:
    login = Login("/freja", login_hint=LARS.personnummer)
    pushed = freja_http.post("/freja/par", data=login.params, headers=basic())
    assert pushed.status_code == 201
    request_uri = pushed.json()["request_uri"]
    assert request_uri.startswith(PAR_URN)
    url = f"/freja/authorize?{urlencode({'client_id': 'vardkontakt', 'request_uri': request_uri})}"
    page = freja_http.get(url)
    assert page.status_code == 200
    assert f'value="{LARS.personnummer}" checked' in page.text
    assert f'value="{ANNA.personnummer}" checked' not in page.text
    assert freja_http.get(url).status_code == 400  # a pushed request is used once


def test_a_login_hint_for_someone_not_listed_is_typed_in(freja_http: httpx.Client) -> None:
    login = Login("/freja", login_hint="191212121212")
    request_uri = freja_http.post("/freja/par", data=login.params, headers=basic()).json()["request_uri"]
    page = freja_http.get(
        f"/freja/authorize?{urlencode({'client_id': 'vardkontakt', 'request_uri': request_uri})}"
    )
    assert 'name="other" id="other" value="191212121212"' in page.text


def test_pushing_needs_client_authentication(freja_http: httpx.Client) -> None:
    login = Login("/freja")
    response = freja_http.post("/freja/par", data=login.params, headers=basic(secret="wrong"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert freja_http.post("/freja/par", data=login.params).status_code == 401


def test_a_pushed_request_belongs_to_its_client(freja: OidcSimulator) -> None:
    freja.clients["other"] = "other-secret"
    with http(freja) as client:
        login = Login("/freja")
        request_uri = client.post("/freja/par", data=login.params, headers=basic()).json()["request_uri"]
        page = client.get(f"/freja/authorize?{urlencode({'client_id': 'other', 'request_uri': request_uri})}")
        assert page.status_code == 400


def test_a_pushed_request_expires(freja_http: httpx.Client, clock: Clock) -> None:
    login = Login("/freja")
    request_uri = freja_http.post("/freja/par", data=login.params, headers=basic()).json()["request_uri"]
    clock.now += 61
    page = freja_http.get(
        f"/freja/authorize?{urlencode({'client_id': 'vardkontakt', 'request_uri': request_uri})}"
    )
    assert page.status_code == 400


# --- The token endpoint --------------------------------------------------------------------------------


def test_a_code_is_single_use(freja_http: httpx.Client) -> None:
    login = Login("/freja")
    code = approve(freja_http, login, person=ANNA.personnummer, level="PLUS")
    assert redeem(freja_http, login, code).status_code == 200
    again = redeem(freja_http, login, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_code_is_short_lived(freja_http: httpx.Client, clock: Clock) -> None:
    login = Login("/freja")
    code = approve(freja_http, login, person=ANNA.personnummer, level="PLUS")
    clock.now += 61
    response = redeem(freja_http, login, code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "changes",
    [
        {"redirect_uri": "https://vk.example.test/elsewhere/"},
        {"code_verifier": secrets.token_urlsafe(48)},
        {"code_verifier": "short"},
        {"code_verifier": ""},
    ],
)
def test_a_code_needs_the_same_redirect_uri_and_the_pkce_verifier(
    freja_http: httpx.Client, changes: dict[str, str]
) -> None:
    login = Login("/freja")
    code = approve(freja_http, login, person=ANNA.personnummer, level="PLUS")
    response = redeem(freja_http, login, code, **changes)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    # A failed attempt uses the code up: it cannot be tried again with the right values.
    assert redeem(freja_http, login, code).status_code == 400


@pytest.mark.parametrize(
    "headers",
    [
        basic(secret="wrong"),
        basic(client_id="intruder"),
        {},
        {"Authorization": "Bearer x"},
        {"Authorization": "Basic !!"},
    ],
)
def test_the_token_endpoint_authenticates_the_client(
    freja_http: httpx.Client, headers: dict[str, str]
) -> None:
    login = Login("/freja")
    code = approve(freja_http, login, person=ANNA.personnummer, level="PLUS")
    response = redeem(freja_http, login, code, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


def test_a_code_belongs_to_its_client(freja: OidcSimulator) -> None:
    freja.clients["other"] = "other-secret"
    with http(freja) as client:
        login = Login("/freja")
        code = approve(client, login, person=ANNA.personnummer, level="PLUS")
        response = redeem(client, login, code, headers=basic("other", "other-secret"))
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_client_credentials_are_form_urlencoded_in_basic_auth() -> None:
    sim = OidcSimulator(
        prefix="/freja", flavour="freja", issuer_base=BASE, people=[ANNA], clients={"vardkontakt": "a:b/c d"}
    )
    with http(sim) as client:
        login = Login("/freja")
        code = approve(client, login, person=ANNA.personnummer, level="PLUS")
        response = redeem(client, login, code, headers=basic(secret="a%3Ab%2Fc%20d"))
        assert response.status_code == 200


def test_only_the_authorization_code_grant(freja_http: httpx.Client) -> None:
    login = Login("/freja")
    response = redeem(freja_http, login, "x", grant_type="client_credentials")
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"
