"""The BankID simulator on its own: the RP API v6 over HTTP, its states and hint codes, the QR check,
alreadyInProgress, time-outs, and the page that plays the app. No Django here, as in the simulator."""

from __future__ import annotations

import hashlib
import hmac
import threading

import httpx
import pytest

from vardkontakt.simulators.bankid import AppError, BankIdSimulator
from vardkontakt.simulators.people import SimResident

ANNA = SimResident("198701022389", "Anna", "Andersson")
LARS = SimResident("195801122655", "Lars", "Johansson")
API = "http://sim/bankid/rp/v6.0/"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock: Clock) -> BankIdSimulator:
    return BankIdSimulator([ANNA, LARS], clock=clock)


@pytest.fixture
def http(sim: BankIdSimulator) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=sim), base_url="http://sim")


def qr(order: dict[str, str], seconds: int) -> str:
    code = hmac.new(order["qrStartSecret"].encode(), str(seconds).encode(), hashlib.sha256).hexdigest()
    return f"bankid.{order['qrStartToken']}.{seconds}.{code}"


def auth(http: httpx.Client, **body: object) -> dict[str, str]:
    response = http.post(API + "auth", json={"endUserIp": "192.0.2.10", **body})
    assert response.status_code == 200, response.text
    data: dict[str, str] = response.json()
    return data


def collect(http: httpx.Client, order_ref: str) -> dict[str, object]:
    response = http.post(API + "collect", json={"orderRef": order_ref})
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data


def error(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["errorCode"]


# --- The API ----------------------------------------------------------------------------------------
def test_auth_answers_the_four_values(http: httpx.Client) -> None:
    order = auth(http)
    assert set(order) == {"orderRef", "autoStartToken", "qrStartToken", "qrStartSecret"}
    assert len(set(order.values())) == 4
    assert collect(http, order["orderRef"]) == {
        "orderRef": order["orderRef"],
        "status": "pending",
        "hintCode": "outstandingTransaction",
    }


def test_an_order_goes_through_started_and_user_sign_to_complete(
    http: httpx.Client, sim: BankIdSimulator
) -> None:
    order = auth(http)
    ref = order["orderRef"]
    sim.scan(qr(order, 0))
    assert collect(http, ref)["hintCode"] == "started"
    sim.choose(ref, ANNA.personnummer)
    assert collect(http, ref)["hintCode"] == "userSign"
    sim.approve(ref)
    done = collect(http, ref)
    assert done["status"] == "complete"
    assert "hintCode" not in done
    completion = done["completionData"]
    assert isinstance(completion, dict)
    assert completion["user"] == {
        "personalNumber": ANNA.personnummer,
        "name": "Anna Andersson",
        "givenName": "Anna",
        "surname": "Andersson",
    }
    assert completion["device"]["ipAddress"] == "192.0.2.10"
    assert completion["signature"] and completion["ocspResponse"] and completion["bankIdIssueDate"]


@pytest.mark.parametrize(
    ("act", "hint"),
    [("user_cancel", "userCancel"), ("fail_start", "startFailed"), ("certificate_error", "certificateErr")],
)
def test_the_person_can_cancel_or_fail(http: httpx.Client, sim: BankIdSimulator, act: str, hint: str) -> None:
    order = auth(http)
    sim.open_autostart(order["autoStartToken"])
    getattr(sim, act)(order["orderRef"])
    assert collect(http, order["orderRef"]) == {
        "orderRef": order["orderRef"],
        "status": "failed",
        "hintCode": hint,
    }


def test_an_order_not_started_expires_after_30_seconds(http: httpx.Client, clock: Clock) -> None:
    order = auth(http)
    clock.advance(30)
    assert collect(http, order["orderRef"])["hintCode"] == "outstandingTransaction"
    clock.advance(1)
    assert collect(http, order["orderRef"]) == {
        "orderRef": order["orderRef"],
        "status": "failed",
        "hintCode": "expiredTransaction",
    }


def test_a_started_order_has_longer_but_expires_too(
    http: httpx.Client, sim: BankIdSimulator, clock: Clock
) -> None:
    order = auth(http)
    clock.advance(20)
    sim.open_autostart(order["autoStartToken"])
    clock.advance(60)
    assert collect(http, order["orderRef"])["status"] == "pending"
    clock.advance(sim.sign_timeout)
    assert collect(http, order["orderRef"])["hintCode"] == "expiredTransaction"


def test_timeouts_are_configurable(clock: Clock) -> None:
    sim = BankIdSimulator([ANNA], clock=clock, start_timeout=5)
    http = httpx.Client(transport=httpx.WSGITransport(app=sim), base_url="http://sim")
    order = auth(http)
    clock.advance(6)
    assert collect(http, order["orderRef"])["hintCode"] == "expiredTransaction"


def test_a_second_order_for_the_same_personal_number_is_already_in_progress(http: httpx.Client) -> None:
    first = auth(http, requirement={"personalNumber": ANNA.personnummer})
    response = http.post(
        API + "auth", json={"endUserIp": "192.0.2.10", "requirement": {"personalNumber": ANNA.personnummer}}
    )
    assert error(response) == (400, "alreadyInProgress")
    # As at BankID, the order in progress is aborted too.
    assert collect(http, first["orderRef"]) == {
        "orderRef": first["orderRef"],
        "status": "failed",
        "hintCode": "cancelled",
    }
    # Another person, or no requirement, is not affected.
    auth(http, requirement={"personalNumber": LARS.personnummer})
    auth(http)


def test_already_in_progress_also_when_the_person_is_signing_another_order(
    http: httpx.Client, sim: BankIdSimulator
) -> None:
    first = auth(http)
    sim.open_autostart(first["autoStartToken"])
    sim.choose(first["orderRef"], LARS.personnummer)
    response = http.post(
        API + "auth", json={"endUserIp": "192.0.2.10", "requirement": {"personalNumber": LARS.personnummer}}
    )
    assert error(response) == (400, "alreadyInProgress")


def test_the_requirement_limits_who_can_complete(http: httpx.Client, sim: BankIdSimulator) -> None:
    order = auth(http, requirement={"personalNumber": ANNA.personnummer})
    opened = sim.open_autostart(order["autoStartToken"])
    assert [p.personnummer for p in sim.eligible(opened)] == [ANNA.personnummer]
    with pytest.raises(AppError, match="kan inte användas"):
        sim.choose(order["orderRef"], LARS.personnummer)
    sim.choose(order["orderRef"], ANNA.personnummer)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"endUserIp": "not an address"},
        {"endUserIp": 12},
        {"endUserIp": "192.0.2.1", "requirement": {"personalNumber": "19870102-2389"}},
        {"endUserIp": "192.0.2.1", "requirement": "198701022389"},
        {"endUserIp": "192.0.2.1", "userVisibleData": "not base64!"},
    ],
)
def test_auth_refuses_bad_parameters(http: httpx.Client, body: dict[str, object]) -> None:
    assert error(http.post(API + "auth", json=body)) == (400, "invalidParameters")


def test_ipv6_end_user_address_is_fine(http: httpx.Client) -> None:
    assert http.post(API + "auth", json={"endUserIp": "2001:db8::1"}).status_code == 200


def test_collect_and_cancel_refuse_an_unknown_order(http: httpx.Client) -> None:
    # As at BankID: an orderRef it does not know (or no longer knows) is invalidParameters, "No such order".
    for method in ("collect", "cancel"):
        response = http.post(API + method, json={"orderRef": "6ab7ab5c-5b61-4c4f-9c5e-0bb4fd0a1c3e"})
        assert error(response) == (400, "invalidParameters")
        assert response.json()["details"] == "No such order"
        assert error(http.post(API + method, json={})) == (400, "invalidParameters")


def test_protocol_errors(http: httpx.Client, sim: BankIdSimulator) -> None:
    assert error(http.post(API + "sign2", json={})) == (404, "notFound")
    assert error(http.get(API + "auth")) == (405, "methodNotAllowed")
    assert error(
        http.post(API + "auth", content=b"endUserIp=1.2.3.4", headers={"Content-Type": "text/plain"})
    ) == (
        415,
        "unsupportedMediaType",
    )
    bad_json = http.post(API + "auth", content=b"{", headers={"Content-Type": "application/json"})
    assert error(bad_json) == (400, "invalidParameters")
    sim.maintenance = True
    assert error(http.post(API + "auth", json={"endUserIp": "192.0.2.1"})) == (503, "maintenance")


def test_a_final_state_is_collected_once(http: httpx.Client, sim: BankIdSimulator) -> None:
    order = auth(http)
    sim.user_cancel(order["orderRef"])
    assert collect(http, order["orderRef"])["hintCode"] == "userCancel"
    again = http.post(API + "collect", json={"orderRef": order["orderRef"]})
    assert error(again) == (400, "invalidParameters")
    assert sim.order(order["orderRef"]).hint_code == "userCancel"  # the app page can still show it


def test_cancel_removes_a_pending_order(http: httpx.Client) -> None:
    order = auth(http)
    response = http.post(API + "cancel", json={"orderRef": order["orderRef"]})
    assert response.status_code == 200
    assert response.json() == {}
    assert error(http.post(API + "collect", json={"orderRef": order["orderRef"]})) == (
        400,
        "invalidParameters",
    )


def test_finished_orders_are_forgotten_after_a_while(
    http: httpx.Client, sim: BankIdSimulator, clock: Clock
) -> None:
    order = auth(http)
    sim.user_cancel(order["orderRef"])
    clock.advance(sim.retention + 1)
    assert error(http.post(API + "collect", json={"orderRef": order["orderRef"]})) == (
        400,
        "invalidParameters",
    )


# --- The QR code ------------------------------------------------------------------------------------
def test_a_genuine_fresh_qr_code_opens_the_order(
    http: httpx.Client, sim: BankIdSimulator, clock: Clock
) -> None:
    order = auth(http)
    clock.advance(7)
    opened = sim.scan(qr(order, 7))
    assert opened.order_ref == order["orderRef"]
    assert opened.hint_code == "started"


def test_a_forged_qr_code_is_refused_and_the_start_fails(http: httpx.Client, sim: BankIdSimulator) -> None:
    order = auth(http)
    forged = qr({**order, "qrStartSecret": "00000000-0000-0000-0000-000000000000"}, 0)
    with pytest.raises(AppError, match="felaktig"):
        sim.scan(forged)
    assert collect(http, order["orderRef"])["hintCode"] == "startFailed"


def test_an_old_qr_code_is_refused(http: httpx.Client, sim: BankIdSimulator, clock: Clock) -> None:
    order = auth(http)
    clock.advance(sim.qr_max_age + 2)
    with pytest.raises(AppError, match="för gammal"):
        sim.scan(qr(order, 0))
    assert collect(http, order["orderRef"])["hintCode"] == "startFailed"


def test_a_qr_code_from_the_future_is_refused(http: httpx.Client, sim: BankIdSimulator) -> None:
    order = auth(http)
    with pytest.raises(AppError, match="för gammal"):
        sim.scan(qr(order, 25))


def test_a_qr_code_works_once(http: httpx.Client, sim: BankIdSimulator) -> None:
    order = auth(http)
    sim.scan(qr(order, 0))
    with pytest.raises(AppError, match="redan startats"):
        sim.scan(qr(order, 0))
    with pytest.raises(AppError, match="redan startats"):
        sim.open_autostart(order["autoStartToken"])


@pytest.mark.parametrize(
    "content", ["", "hello", "bankid.x.0.y", "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0." + "0" * 64]
)
def test_not_a_qr_code_of_a_waiting_order(sim: BankIdSimulator, content: str) -> None:
    with pytest.raises(AppError):
        sim.scan(content)


def test_the_app_needs_a_chosen_person_before_approving(http: httpx.Client, sim: BankIdSimulator) -> None:
    order = auth(http)
    with pytest.raises(AppError, match="inte startats"):
        sim.choose(order["orderRef"], ANNA.personnummer)
    sim.open_autostart(order["autoStartToken"])
    with pytest.raises(AppError, match="Välj först"):
        sim.approve(order["orderRef"])


# --- The page that plays the app ---------------------------------------------------------------------
def test_the_app_page_scans_picks_and_approves(http: httpx.Client) -> None:
    order = auth(http)
    index = http.get("/bankid/app/")
    assert index.status_code == 200
    assert index.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in index.headers["Content-Security-Policy"]
    assert '<html lang="sv">' in index.text
    assert order["orderRef"][:8] in index.text
    assert order["qrStartSecret"] not in index.text

    scanned = http.post("/bankid/app/scan", data={"qr": qr(order, 0)})
    assert scanned.status_code == 303
    page_url = scanned.headers["Location"]
    assert page_url == f"/bankid/app/order/{order['orderRef']}/"
    page = http.get(page_url)
    assert "Välj vilket BankID du vill använda" in page.text
    assert 'for="p0"' in page.text and "Anna Andersson" in page.text

    assert http.post(page_url, data={"action": "choose", "person": ANNA.personnummer}).status_code == 303
    assert "Skriv in din säkerhetskod" in http.get(page_url).text
    assert http.post(page_url, data={"action": "approve"}).status_code == 303
    assert "Anna Andersson har legitimerat sig" in http.get(page_url).text
    assert collect(http, order["orderRef"])["status"] == "complete"


def test_the_app_page_opens_with_the_autostart_token(http: httpx.Client) -> None:
    order = auth(http)
    opened = http.get("/bankid/app/", params={"autostarttoken": order["autoStartToken"], "redirect": "null"})
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/bankid/app/order/{order['orderRef']}/"
    assert collect(http, order["orderRef"])["hintCode"] == "started"


@pytest.mark.parametrize(
    ("action", "hint"),
    [("cancel", "userCancel"), ("start_failed", "startFailed"), ("certificate_error", "certificateErr")],
)
def test_the_app_page_cancels_or_fails(http: httpx.Client, action: str, hint: str) -> None:
    order = auth(http)
    http.get("/bankid/app/", params={"autostarttoken": order["autoStartToken"]})
    assert http.post(f"/bankid/app/order/{order['orderRef']}/", data={"action": action}).status_code == 303
    assert collect(http, order["orderRef"])["hintCode"] == hint


def test_the_app_page_says_what_went_wrong(http: httpx.Client, clock: Clock, sim: BankIdSimulator) -> None:
    order = auth(http)
    clock.advance(sim.qr_max_age + 5)
    response = http.post("/bankid/app/scan", data={"qr": qr(order, 0)})
    assert response.status_code == 400
    assert 'role="alert"' in response.text and "för gammal" in response.text
    assert http.get("/bankid/app/", params={"autostarttoken": "nope"}).status_code == 400
    assert http.get("/bankid/app/nowhere").status_code == 404


def test_the_app_page_escapes_what_it_shows(http: httpx.Client, sim: BankIdSimulator) -> None:
    response = http.post("/bankid/app/scan", data={"qr": "<script>alert(1)</script>"})
    assert "<script>" not in response.text


def test_concurrent_orders_are_safe(sim: BankIdSimulator) -> None:
    refs: list[str] = []

    def start() -> None:
        for _ in range(20):
            refs.append(sim.auth({"endUserIp": "192.0.2.1"})["orderRef"])

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(refs)) == 160
    assert len(sim.orders()) == 160
