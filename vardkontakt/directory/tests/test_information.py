"""Information material: the waiting-room PDF of a connected clinic."""

from __future__ import annotations

import base64
import re
import uuid
import zlib

import pytest
import segno
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.directory.information import QrCode, information_units, render_pdf, sheet_for
from vardkontakt.directory.models import EService, UnitEService, UnitStatus
from vardkontakt.env import env_base_url

SOLNA_SERVICES = ["Ärenden och meddelanden", "Boka, av- och omboka tid", "Journalen", "Förnya recept"]
ALL_LABELS_SV = [str(service.label) for service in EService]

_LITERAL = re.compile(rb"\(((?:\\.|[^\\)])*)\) Tj")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> str:
    out = bytearray()
    i = 0
    while i < len(raw):
        byte = raw[i : i + 1]
        if byte != b"\\":
            out += byte
            i += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(), 8))
            i += 1 + len(octal.group())
        else:
            nxt = raw[i + 1 : i + 2]
            out += _ESCAPES.get(nxt, nxt)
            i += 2
    return out.decode("cp1252")


_STREAM = re.compile(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", re.S)


def page_content(pdf: bytes) -> bytes:
    """The PDF's streams, decoded (reportlab writes them ASCII85 over Flate)."""
    decoded = []
    for header, data in _STREAM.findall(pdf):
        if b"/ASCII85Decode" in header:
            data = base64.a85decode(data.strip(), adobe=True)
        if b"/FlateDecode" in header:
            data = zlib.decompress(data)
        decoded.append(data)
    return b"\n".join(decoded)


def shown_lines(pdf: bytes) -> list[str]:
    """The text lines a reportlab PDF draws (its ``(...) Tj`` strings), in order."""
    return [_unescape(match.group(1)) for match in _LITERAL.finditer(page_content(pdf))]


def fetch(client: Client, unit_id: object, language: str = "sv") -> tuple[int, bytes, str]:
    client.cookies["vk_language"] = language
    response = client.get(reverse("directory:information", args=[unit_id]))
    return response.status_code, response.content, response.get("Content-Type", "")


def made(demo: Demo, key: str, base_url: str = "https://vardkontakt.example") -> bytes:
    unit = information_units().get(pk=demo.unit(key).pk)
    sheet = sheet_for(unit, base_url=base_url, language="sv")
    assert sheet is not None
    return render_pdf(sheet)


def test_the_pdf_lists_exactly_the_active_e_services(demo: Demo) -> None:
    lines = shown_lines(made(demo, "solna"))

    listed = [line for line in lines if line in ALL_LABELS_SV]
    assert listed == SOLNA_SERVICES
    assert lines[0] == "Vårdcentral Solna"


def test_deactivating_a_service_removes_it_from_the_pdf(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    first = fetch(client, solna.pk)[1]
    assert fetch(client, solna.pk)[1] == first  # the same bytes: cached (a new one has a new id)
    before = shown_lines(first)
    UnitEService.objects.filter(unit=solna, service=EService.JOURNAL).update(active=False)

    after = shown_lines(fetch(client, solna.pk)[1])

    assert [line for line in before if line in ALL_LABELS_SV] == SOLNA_SERVICES
    assert [line for line in after if line in ALL_LABELS_SV] == [
        "Ärenden och meddelanden",
        "Boka, av- och omboka tid",
        "Förnya recept",
    ]


def test_the_qr_code_and_the_link_carry_the_contact_card_url(demo: Demo) -> None:
    solna = demo.unit("solna")
    target = f"https://vardkontakt.example/hitta-vard/{solna.pk}/"
    pdf = made(demo, "solna", base_url="https://vardkontakt.example/")

    assert target in "".join(shown_lines(pdf))  # printed, for those who type it
    assert pdf.count(f"/URI ({target})".encode()) == 2  # the QR code and the printed address are links
    qr = QrCode(target, 100)
    assert qr.matrix == segno.make(target, error="m", micro=False).matrix


def test_the_pdf_is_titled_in_its_language(demo: Demo) -> None:
    pdf = made(demo, "solna")

    assert pdf.startswith(b"%PDF-")
    assert b"/Lang (sv)" in pdf
    assert b"/Title (E-tj\\344nster hos V\\345rdcentral Solna)" in pdf
    assert b"/DisplayDocTitle true" in pdf


def test_anyone_may_download_it_over_http(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")

    status, body, content_type = fetch(client, solna.pk)

    assert status == 200
    assert content_type == "application/pdf"
    assert body.startswith(b"%PDF-")
    for persona in (
        log_in_resident(Client(), demo.resident("anna")),
        log_in_staff(Client(), demo.member("nils")),
    ):
        assert fetch(persona, solna.pk)[0] == 200


def test_the_request_language_chooses_the_pdf_language(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    sheet = sheet_for(information_units().get(pk=solna.pk), base_url="http://testserver", language="en")
    assert sheet is not None
    english = shown_lines(render_pdf(sheet))
    with translation.override("en"):
        expected = [str(service.label) for service in solna.active_eservices()]

    assert [line for line in english if line in expected] == expected
    assert "Ärenden och meddelanden" not in english
    status, body, _ = fetch(client, solna.pk, language="en")
    assert status == 200
    assert b"/Lang (en)" in body  # the document dictionary is not compressed


@override_settings(VK_PUBLIC_URL="https://1177.vardkontakt.example")
def test_the_public_url_setting_decides_the_qr_target(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")

    status, body, _ = fetch(client, solna.pk)

    assert status == 200
    assert f"/URI (https://1177.vardkontakt.example/hitta-vard/{solna.pk}/)".encode() in body


def test_without_the_setting_the_request_host_is_used(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")

    status, body, _ = fetch(client, solna.pk)

    assert status == 200
    assert f"/URI (http://testserver/hitta-vard/{solna.pk}/)".encode() in body


@pytest.mark.parametrize("key", ["vaccination", "nacka"])  # listed in the directory, not connected
def test_a_unit_that_is_not_connected_has_none(demo: Demo, client: Client, key: str) -> None:
    UnitEService.objects.get_or_create(
        unit=demo.unit(key), service=EService.BOOKING, defaults={"active": True}
    )

    assert fetch(client, demo.unit(key).pk)[0] == 404


def test_a_deactivated_unit_has_none(demo: Demo, client: Client) -> None:
    solna = demo.unit("solna")
    solna.status = UnitStatus.INACTIVE
    solna.save(update_fields=["status"])

    assert fetch(client, solna.pk)[0] == 404


def test_a_connected_unit_without_active_e_services_has_none(demo: Demo, client: Client) -> None:
    UnitEService.objects.filter(unit=demo.unit("solna")).update(active=False)

    assert fetch(client, demo.unit("solna").pk)[0] == 404


@pytest.mark.parametrize("unit_id", [uuid.uuid4(), "not-a-uuid"])
def test_an_unknown_unit_has_none(db: None, client: Client, unit_id: object) -> None:
    assert fetch(client, unit_id)[0] == 404


def test_the_contact_card_links_to_it_only_when_there_is_one(demo: Demo, client: Client) -> None:
    solna, vaccination = demo.unit("solna"), demo.unit("vaccination")
    link = reverse("directory:information", args=[solna.pk])

    assert link in client.get(reverse("directory:unit", args=[solna.pk])).content.decode()
    card = client.get(reverse("directory:unit", args=[vaccination.pk])).content.decode()
    assert "informationsmaterial.pdf" not in card


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ""),
        ("https://vardkontakt.example", "https://vardkontakt.example"),
        ("https://vardkontakt.example/", "https://vardkontakt.example"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ],
)
def test_the_public_url_setting_accepts(monkeypatch: pytest.MonkeyPatch, value: str, expected: str) -> None:
    monkeypatch.setenv("VK_PUBLIC_URL", value)
    assert env_base_url("VK_PUBLIC_URL") == expected


@pytest.mark.parametrize(
    "value",
    [
        "vardkontakt.example",
        "ftp://vardkontakt.example",
        "https://",
        "https://a.example/?x=1",
        "https://u:p@a.example",
    ],
)
def test_the_public_url_setting_refuses(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("VK_PUBLIC_URL", value)
    with pytest.raises(ImproperlyConfigured, match="VK_PUBLIC_URL"):
        env_base_url("VK_PUBLIC_URL")


def test_the_staff_home_links_a_local_administrator_to_it(demo: Demo) -> None:
    link = reverse("directory:information", args=[demo.unit("solna").pk])
    home = reverse("web:staff_home")

    assert link in log_in_staff(Client(), demo.member("lena")).get(home).content.decode()
    assert link not in log_in_staff(Client(), demo.member("maria")).get(home).content.decode()
