"""Attachments through the actions: limits, the type by content, sealed at rest, all or nothing, and
failing closed when clamd is configured but does not answer (cases/attachments.py)."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings

from vardkontakt.audit.models import AccessLogEntry
from vardkontakt.cases import actions, attachments
from vardkontakt.cases.models import Attachment, Case, CaseStatus, Message, ScanResult
from vardkontakt.cases.tests import attachment_helpers as files
from vardkontakt.cases.tests.attachment_helpers import upload
from vardkontakt.cases.tests.cases_world import World, build_world, case_type, row_counts
from vardkontakt.conftest import Demo

UNAVAILABLE = "Det går inte att kontrollera bifogade filer just nu. Försök igen senare."


@pytest.fixture
def world(demo: Demo) -> World:
    return build_world(demo)


def send_with(demo: Demo, *uploads: Any, key: uuid.UUID | None = None, subject: str = "Provsvar") -> Case:
    anna = demo.resident("anna")
    return actions.send_case(
        user=anna.user,
        resident=anna,
        unit=demo.unit("solna"),
        case_type=case_type(),
        subject=subject,
        body="Här är mina värden.",
        answers={},
        accepted_terms=True,
        idempotency_key=key or uuid.uuid4(),
        files=list(uploads),
    )


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return exc.value.message_dict["attachments"]


# --- Accepted types ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type", "stored_name"),
    [
        ("remiss.pdf", files.PDF, "application/pdf", "remiss.pdf"),
        ("IMG_0001.JPG", files.JPEG, "image/jpeg", "IMG_0001.JPG"),
        ("utslag.png", files.PNG, "image/png", "utslag.png"),
        ("IMG_0002.HEIC", files.HEIC, "image/heic", "IMG_0002.HEIC"),
        ("bild.heif", files.HEIF, "image/heif", "bild.heif"),
        ("värden.txt", files.TEXT, "text/plain; charset=utf-8", "värden.txt"),
        # The type is what the bytes are; the name gets the extension of what it really is.
        ("foto.pdf", files.JPEG, "image/jpeg", "foto.pdf.jpg"),
        ("anteckning", files.TEXT, "text/plain; charset=utf-8", "anteckning.txt"),
        ("C:\\Users\\anna\\Desktop\\remiss.pdf", files.PDF, "application/pdf", "remiss.pdf"),
        ("../../etc/passwd.txt", files.TEXT, "text/plain; charset=utf-8", "passwd.txt"),
    ],
)
def test_accepted_types_are_stored_with_the_type_of_their_content(
    demo: Demo, name: str, data: bytes, content_type: str, stored_name: str
) -> None:
    case = send_with(demo, upload(name, data))
    (attachment,) = Attachment.objects.filter(message__case=case)
    assert attachment.content_type == content_type
    assert attachment.filename == stored_name
    assert attachment.data == data
    assert attachment.size == len(data)
    assert attachment.scan == ScanResult.NOT_SCANNED  # no clamd configured
    assert attachment.message == case.messages.get()


# --- Refused types ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("program.exe", files.EXE),
        ("remiss.pdf", files.EXE),  # an executable that says it is a PDF
        ("remiss.pdf", files.ELF),
        ("remiss.pdf", files.HTML),  # HTML that says it is a PDF
        ("sida.html", files.HTML),
        ("anteckning.txt", files.HTML_INDENTED),
        ("anteckning.txt", files.SCRIPT_IN_TEXT),
        ("bild.png", files.SVG),
        ("bild.svg", files.SVG),
        ("dokument.docx", files.ZIP),
        ("bild.gif", files.GIF),
        ("film.heic", files.MP4),  # an ISO media file that is not HEIF
        ("latin1.txt", files.LATIN1),  # text, but not UTF-8
        ("data.txt", files.BINARY),
    ],
)
def test_other_types_are_refused_by_content_whatever_the_name(demo: Demo, name: str, data: bytes) -> None:
    before = row_counts()
    with pytest.raises(ValidationError) as exc:
        send_with(demo, upload(name, data))
    shown = name.replace("\\", "/").rsplit("/", 1)[-1]
    assert errors_of(exc) == [
        f"Filen {shown} kan inte skickas. Du kan bifoga PDF, JPEG, PNG, HEIC och vanlig text (UTF-8). "
        "Vi avgör filtypen av innehållet, inte av filnamnet."
    ]
    assert row_counts() == before
    assert not Attachment.objects.exists()


def test_an_empty_file_is_refused(demo: Demo) -> None:
    with pytest.raises(ValidationError) as exc:
        send_with(demo, upload("tom.pdf", b""))
    assert errors_of(exc) == ["Filen tom.pdf är tom."]


def test_sniffing_looks_at_the_start_of_the_bytes_not_anywhere() -> None:
    assert attachments.sniff(b"\x00junk" + files.PDF) is None
    assert attachments.sniff(b"junk" + files.PDF) == attachments.TEXT  # harmless text, served as such
    assert attachments.sniff(b"\x00" + files.PNG) is None
    assert attachments.sniff("Puls <3 och mår bra\n".encode()) == attachments.TEXT  # not markup
    assert attachments.sniff("\ufeffMed BOM\n".encode()) == attachments.TEXT


# --- Limits -----------------------------------------------------------------------------------------


def test_a_file_of_exactly_the_default_limit_is_accepted_and_one_byte_more_is_refused(demo: Demo) -> None:
    limit = 10 * 1024 * 1024
    assert attachments.max_bytes() == limit
    case = send_with(demo, upload("stor.pdf", files.PDF + b"0" * (limit - len(files.PDF))))
    assert Attachment.objects.get(message__case=case).size == limit
    before = row_counts()
    with pytest.raises(ValidationError) as exc:
        send_with(demo, upload("för-stor.pdf", files.PDF + b"0" * (limit + 1 - len(files.PDF))))
    assert errors_of(exc) == ["Filen för-stor.pdf är för stor. En fil får vara högst 10 MB."]
    assert row_counts() == before


@override_settings(VK_ATTACHMENT_MAX_BYTES=1536)
def test_the_size_limit_is_configuration(demo: Demo) -> None:
    with pytest.raises(ValidationError) as exc:
        send_with(demo, upload("a.txt", b"x" * 1537))
    assert errors_of(exc) == ["Filen a.txt är för stor. En fil får vara högst 1,5 kB."]
    send_with(demo, upload("a.txt", b"x" * 1536))


def test_the_default_count_limit_is_five(demo: Demo) -> None:
    case = send_with(demo, *[upload(f"sida{i}.pdf", files.PDF) for i in range(5)])
    assert Attachment.objects.filter(message__case=case).count() == 5
    before = row_counts()
    with pytest.raises(ValidationError) as exc:
        send_with(demo, *[upload(f"sida{i}.pdf", files.PDF) for i in range(6)])
    assert errors_of(exc) == ["Du kan bifoga högst 5 filer."]
    assert row_counts() == before
    assert Attachment.objects.count() == 5


@override_settings(VK_ATTACHMENT_MAX_COUNT=2)
def test_the_count_limit_is_configuration(demo: Demo) -> None:
    with pytest.raises(ValidationError) as exc:
        send_with(demo, *[upload("a.pdf", files.PDF)] * 3)
    assert errors_of(exc) == ["Du kan bifoga högst 2 filer."]


def test_file_errors_come_with_the_other_errors_of_the_form(demo: Demo) -> None:
    with pytest.raises(ValidationError) as exc:
        send_with(demo, upload("a.exe", files.EXE), subject="")
    assert set(exc.value.message_dict) == {"subject", "attachments"}


# --- All or nothing ---------------------------------------------------------------------------------


def test_one_refused_file_among_several_writes_nothing_on_send(demo: Demo) -> None:
    before = row_counts()
    with pytest.raises(ValidationError) as exc:
        send_with(
            demo,
            upload("remiss.pdf", files.PDF),
            upload("faktura.pdf", files.EXE),
            upload("bild.png", files.PNG),
            upload("sida.pdf", files.HTML),
        )
    # Every refused file is named, so the resident can fix all of them at once.
    assert len(errors_of(exc)) == 2
    assert "faktura.pdf" in errors_of(exc)[0] and "sida.pdf" in errors_of(exc)[1]
    assert row_counts() == before
    assert not Attachment.objects.exists()


def test_one_refused_file_among_several_writes_nothing_on_reply_and_answer(world: World) -> None:
    anna, hans = world.resident("anna"), world.member("hans")
    case = world.case("anna")
    before, logged = row_counts(), AccessLogEntry.objects.count()
    with pytest.raises(ValidationError):
        actions.reply_as_resident(
            user=anna.user,
            resident=anna,
            case_id=case.pk,
            body="Här kommer bilderna.",
            files=[upload("a.png", files.PNG), upload("b.pdf", files.EXE)],
        )
    with pytest.raises(ValidationError):
        actions.answer_case(
            staff=hans,
            case_id=case.pk,
            body="Se bifogad remiss.",
            files=[upload("remiss.pdf", files.PDF), upload("remiss2.pdf", files.HTML)],
        )
    assert row_counts() == before
    assert AccessLogEntry.objects.count() == logged
    assert not Attachment.objects.exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.DISTRIBUTED


def test_a_failure_while_storing_rolls_back_the_message_and_the_files_before_it(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files are written in the message's transaction: if the second write fails, the first file,
    the message and the case are gone too."""
    saved: list[Attachment] = []
    original = Attachment.save

    def failing_save(self: Attachment, *args: Any, **kwargs: Any) -> None:
        if saved:
            raise RuntimeError("disk full")
        original(self, *args, **kwargs)
        saved.append(self)

    monkeypatch.setattr(Attachment, "save", failing_save)
    before = row_counts()
    with pytest.raises(RuntimeError):
        send_with(demo, upload("a.pdf", files.PDF), upload("b.pdf", files.PDF))
    assert len(saved) == 1
    assert row_counts() == before
    assert not Attachment.objects.exists()


def test_reply_and_answer_store_their_files_on_their_own_message(world: World) -> None:
    anna, hans = world.resident("anna"), world.member("hans")
    case = world.case("anna")
    reply = actions.reply_as_resident(
        user=anna.user, resident=anna, case_id=case.pk, body="Bild.", files=[upload("knä.jpg", files.JPEG)]
    )
    actions.answer_case(
        staff=hans, case_id=case.pk, body="Remiss.", files=[upload("remiss.pdf", files.PDF)], close=True
    )
    answer = Message.objects.filter(case=case).order_by("-created_at").first()
    assert answer is not None
    assert [a.filename for a in reply.attachments.all()] == ["knä.jpg"]
    assert [a.filename for a in answer.attachments.all()] == ["remiss.pdf"]
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_a_double_submit_stores_the_files_once(demo: Demo) -> None:
    key = uuid.uuid4()
    first = send_with(demo, upload("a.pdf", files.PDF), key=key)
    assert send_with(demo, upload("a.pdf", files.PDF), key=key) == first
    assert Attachment.objects.count() == 1


# --- Sealed at rest ---------------------------------------------------------------------------------


def raw_rows(table: str) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (table names are ours)
        return list(cursor.fetchall())


def as_bytes(value: object) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return str(value).encode("utf-8")


def test_no_table_holds_a_file_name_or_file_bytes_in_clear(demo: Demo) -> None:
    secret_text = b"Hemligt provsvar ZEBRATEXT4711\n"
    send_with(demo, upload("ZEBRANAME4711 provsvar.pdf", files.PDF), upload("anteckning.txt", secret_text))
    needles = [b"ZEBRANAME4711", "ZEBRANAME4711".encode("utf-16-le"), b"ZEBRAPDF4711", b"ZEBRATEXT4711"]
    assert raw_rows("cases_attachment")
    for table in connection.introspection.table_names():
        for row in raw_rows(table):
            for value in row:
                raw = as_bytes(value)
                for needle in needles:
                    assert needle not in raw, (table, needle)
    # ... and it opens again with the key ring.
    names = sorted(a.filename for a in Attachment.objects.all())
    assert names == ["ZEBRANAME4711 provsvar.pdf", "anteckning.txt"]


def test_sealed_data_moved_to_another_attachment_does_not_open(demo: Demo) -> None:
    from vardkontakt.crypto.envelope import DecryptionError

    case = send_with(demo, upload("a.pdf", files.PDF), upload("b.txt", files.TEXT))
    first, second = Attachment.objects.filter(message__case=case).order_by("filename_sealed")
    Attachment.objects.filter(pk=second.pk).update(data_sealed=first.data_sealed)
    with pytest.raises(DecryptionError):
        _ = Attachment.objects.get(pk=second.pk).data


# --- clamd configured but not answering: fail closed -----------------------------------------------


@pytest.fixture
def silent_server(tmp_path: Path) -> Iterator[str]:
    """A unix socket that accepts a connection, reads, and hangs up without a verdict."""
    path = str(tmp_path / "s.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(65536)
                    conn.sendall(b"stream: something odd\0")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield path
    stop.set()
    thread.join(5)
    server.close()


def closed_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("where", ["missing socket", "closed port", "no verdict"])
def test_an_unreachable_scanner_refuses_the_upload(
    demo: Demo, tmp_path: Path, silent_server: str, where: str
) -> None:
    choices: dict[str, dict[str, Any]] = {
        "missing socket": {"VK_CLAMD_SOCKET": str(tmp_path / "nobody-here.sock")},
        "closed port": {
            "VK_CLAMD_SOCKET": "",
            "VK_CLAMD_HOST": "127.0.0.1",
            "VK_CLAMD_PORT": closed_tcp_port(),
        },
        "no verdict": {"VK_CLAMD_SOCKET": silent_server},
    }
    settings = choices[where]
    before = row_counts()
    with override_settings(VK_CLAMD_TIMEOUT=2, **settings), pytest.raises(ValidationError) as exc:
        send_with(demo, upload("remiss.pdf", files.PDF))
    assert errors_of(exc) == [UNAVAILABLE]
    assert row_counts() == before
    assert not Attachment.objects.exists()


def test_an_unreachable_scanner_does_not_stop_messages_without_files(demo: Demo, tmp_path: Path) -> None:
    with override_settings(VK_CLAMD_SOCKET=str(tmp_path / "nobody-here.sock")):
        case = send_with(demo)
    assert case.messages.count() == 1
