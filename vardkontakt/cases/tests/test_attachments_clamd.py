"""Virus scanning through a real clamd (Debian's clamav-daemon), started here as its own process with a
config in a temporary folder, a unix socket, and a signature database that holds one signature: the
EICAR test string's. No freshclam, no network; clamd starts in well under a second.

Without clamd on the machine these tests are skipped with the reason; CI (.ci/run) installs it and sets
VK_TEST_REQUIRE_CLAMD=1, so there a missing or broken clamd fails instead."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from vardkontakt.cases import actions
from vardkontakt.cases.clamd import Clamd
from vardkontakt.cases.models import Attachment, Case, ScanResult
from vardkontakt.cases.tests import attachment_helpers as files
from vardkontakt.cases.tests.attachment_helpers import upload
from vardkontakt.cases.tests.cases_world import case_type, row_counts
from vardkontakt.conftest import Demo

# The EICAR anti-virus test file, in two halves so that this source file is not itself reported.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "VK-Test.EICAR"
INFECTED = "innehåller ett virus eller annan skadlig kod och kan inte skickas"


def _clamd_binary() -> str | None:
    found = shutil.which("clamd")
    if found:
        return found
    return "/usr/sbin/clamd" if os.access("/usr/sbin/clamd", os.X_OK) else None


def _unavailable(reason: str) -> None:
    if os.environ.get("VK_TEST_REQUIRE_CLAMD") == "1":
        pytest.fail(f"clamd is required here (VK_TEST_REQUIRE_CLAMD=1): {reason}")
    pytest.skip(f"{reason}; install Debian's clamav-daemon to run these tests (CI does)")


@pytest.fixture(scope="module")
def clamd_socket() -> Iterator[str]:
    binary = _clamd_binary()
    if binary is None:
        _unavailable("clamd is not installed")
        return
    # A short path of our own: a unix socket's path must stay under about 100 bytes.
    base = Path(tempfile.mkdtemp(prefix="vk-clamd-"))
    database = base / "db"
    database.mkdir()
    # An .ndb body signature: name, target type 0 (any file), offset * (anywhere), the bytes in hex.
    (database / "eicar.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    sock = base / "clamd.sock"
    config = base / "clamd.conf"
    config.write_text(
        "\n".join(
            [
                f"LocalSocket {sock}",
                "LocalSocketMode 600",
                f"DatabaseDirectory {database}",
                f"TemporaryDirectory {base}",
                f"PidFile {base / 'clamd.pid'}",
                "Foreground yes",
                "Bytecode no",
                "SelfCheck 0",
                "StreamMaxLength 20M",
                "",
            ]
        )
    )
    log = (base / "clamd.log").open("wb")
    process = subprocess.Popen([binary, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    client = Clamd(socket_path=str(sock), timeout=5)
    try:
        deadline = time.monotonic() + 30
        while not client.ping():
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (base / "clamd.log").read_text(errors="replace")[-500:]
                _unavailable(f"clamd did not start: {tail.strip()!r}")
            time.sleep(0.05)
        yield str(sock)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()
        shutil.rmtree(base, ignore_errors=True)


def send_with(demo: Demo, *uploads: object) -> Case:
    anna = demo.resident("anna")
    return actions.send_case(
        user=anna.user,
        resident=anna,
        unit=demo.unit("solna"),
        case_type=case_type(),
        subject="Provsvar",
        body="Här är filerna.",
        answers={},
        accepted_terms=True,
        idempotency_key=uuid.uuid4(),
        files=list(uploads),  # type: ignore[arg-type]
    )


def test_the_client_speaks_instream_to_a_real_clamd(clamd_socket: str) -> None:
    client = Clamd(socket_path=clamd_socket, timeout=5)
    assert client.ping()
    assert client.scan(files.PDF).clean
    found = client.scan(EICAR)
    assert not found.clean
    assert found.signature.startswith(SIGNATURE)
    # Longer than one chunk, with the test string across a chunk boundary.
    big = b"a" * (64 * 1024 - 10) + EICAR + b"b" * 100_000
    assert not client.scan(big).clean
    assert client.scan(b"a" * 300_000).clean


def test_a_clean_pdf_is_accepted_and_marked_clean(demo: Demo, clamd_socket: str) -> None:
    with override_settings(VK_CLAMD_SOCKET=clamd_socket):
        case = send_with(demo, upload("remiss.pdf", files.PDF), upload("värden.txt", files.TEXT))
    stored = Attachment.objects.filter(message__case=case)
    assert sorted(a.scan for a in stored) == [ScanResult.CLEAN, ScanResult.CLEAN]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("eicar.txt", EICAR),  # the test string is plain text: it passes the type check, not the scan
        ("remiss.pdf", files.PDF.replace(b"% ZEBRAPDF4711", b"% " + EICAR)),  # inside a real type
    ],
)
def test_the_eicar_test_file_is_refused_and_nothing_is_stored(
    demo: Demo, clamd_socket: str, name: str, data: bytes
) -> None:
    before = row_counts()
    with override_settings(VK_CLAMD_SOCKET=clamd_socket), pytest.raises(ValidationError) as exc:
        send_with(demo, upload("ren.pdf", files.PDF), upload(name, data))
    assert exc.value.message_dict["attachments"] == [
        f"Filen {name} {INFECTED}. Ta bort filen och försök igen."
    ]
    assert row_counts() == before
    assert not Attachment.objects.exists()


def test_an_infected_reply_is_refused_too(demo: Demo, clamd_socket: str) -> None:
    anna = demo.resident("anna")
    with override_settings(VK_CLAMD_SOCKET=clamd_socket):
        case = send_with(demo)
        before = row_counts()
        with pytest.raises(ValidationError):
            actions.reply_as_resident(
                user=anna.user, resident=anna, case_id=case.pk, body="Fil.", files=[upload("x.txt", EICAR)]
            )
    assert row_counts() == before
