"""Files sent with a case message: limits, type by content, virus scanning, sealed storage.

The order is always: ``check`` (count, size, type: cheap, no I/O), then ``scan`` (clamd, if
configured; outside any database transaction), then ``store`` inside the transaction that writes the
message, so that a message and its files are written together or not at all.

The type is what the bytes are, never what the name says: PDF, JPEG, PNG, HEIC/HEIF and plain UTF-8
text. Everything else is refused, including text that is markup (HTML, SVG, XML), which a browser
could run. Downloads are served by the case views, with the type found here.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db.models import UUIDField
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from vardkontakt.cases import clamd
from vardkontakt.cases.models import Attachment, Case, Message, ScanResult
from vardkontakt.statements import Param, Statement, pipeline

FIELD = "attachments"  # the form field the errors belong to
NAME_MAX = 200
DEFAULT_NAME = "bilaga"

TEXT = "text/plain; charset=utf-8"
# Sniffed type -> the extensions a name may keep; a name without one of them gets the first added.
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
    "image/heic": (".heic", ".heif"),
    "image/heif": (".heif", ".heic"),
    TEXT: (".txt", ".text", ".csv", ".md", ".log"),
}

_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1"}
# Text that a browser would treat as markup if it ever got the chance.
_MARKUP = re.compile(
    rb"<\s*/?\s*(?:script|html|head|body|iframe|frame|frameset|object|embed|svg|math|style|meta|link|base|form|img)\b"
    rb"|<\?xml|<!doctype|<!--",
    re.IGNORECASE,
)
_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f"}


@dataclass(frozen=True)
class Checked:
    """A file that passed the checks: its clean name, bytes, sniffed type and scan result."""

    name: str
    data: bytes
    content_type: str
    scan: str = ScanResult.NOT_SCANNED


def max_bytes() -> int:
    return int(settings.VK_ATTACHMENT_MAX_BYTES)


def max_count() -> int:
    return int(settings.VK_ATTACHMENT_MAX_COUNT)


def human_size(size: int) -> str:
    """10485760 -> "10 MB" (binary megabytes, as file managers show them)."""
    if size >= 1024 * 1024:
        value, unit = size / (1024 * 1024), "MB"
    elif size >= 1024:
        value, unit = size / 1024, "kB"
    else:
        return f"{size} byte"
    text = f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text} {unit}"


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    text = text.removeprefix("\ufeff")
    for char in text:
        if unicodedata.category(char) == "Cc" and char not in _ALLOWED_CONTROLS:
            return False
    return not (text.lstrip().startswith("<") or _MARKUP.search(data))


def sniff(data: bytes) -> str | None:
    """The type of ``data`` by its content, or None if it is not one we accept."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _HEIC_BRANDS:
            return "image/heic"
        if brand in _HEIF_BRANDS:
            return "image/heif"
        return None  # MP4, MOV, AVIF and friends
    if _is_text(data):
        return TEXT
    return None


def clean_name(raw: str | None, content_type: str) -> str:
    """A file name safe to show and to send back: no folders, no control characters, not too long,
    and ending in the extension of what the file really is."""
    name = (raw or "").replace("\\", "/")
    name = posixpath.basename(name)
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C")
    name = name.strip().strip(".").strip() or DEFAULT_NAME
    allowed = EXTENSIONS[content_type]
    extension = allowed[0]
    _stem, dot, ext = name.rpartition(".")
    if not dot or f".{ext.lower()}" not in allowed:
        name = f"{name}{extension}"
    if len(name) > NAME_MAX:
        keep = NAME_MAX - len(extension)
        name = name[:keep].rstrip() + extension
    return name


def _read(file: File, limit: int) -> bytes:
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    return data if isinstance(data, bytes) else str(data).encode("utf-8")


def _shown(file: File) -> str:
    return posixpath.basename((file.name or "").replace("\\", "/"))[:NAME_MAX] or DEFAULT_NAME


def check(files: Sequence[File]) -> list[Checked]:
    """Count, size and type of ``files``; every problem at once, as a ValidationError on "files"."""
    files = [f for f in files if f is not None]
    if not files:
        return []
    limit, most = max_bytes(), max_count()
    if len(files) > most:
        if most == 0:
            message = _("Det går inte att bifoga filer.")
        else:
            message = _("Du kan bifoga högst %(max)d filer.") % {"max": most}
        raise ValidationError({FIELD: [message]}, code="too_many_files")
    errors: list[str] = []
    checked: list[Checked] = []
    for file in files:
        shown = _shown(file)
        size = getattr(file, "size", None)
        if size is not None and size > limit:
            errors.append(
                _("Filen %(name)s är för stor. En fil får vara högst %(max)s.")
                % {"name": shown, "max": human_size(limit)}
            )
            continue
        data = _read(file, limit)
        if len(data) > limit:
            errors.append(
                _("Filen %(name)s är för stor. En fil får vara högst %(max)s.")
                % {"name": shown, "max": human_size(limit)}
            )
            continue
        if not data:
            errors.append(_("Filen %(name)s är tom.") % {"name": shown})
            continue
        content_type = sniff(data)
        if content_type is None:
            errors.append(
                _(
                    "Filen %(name)s kan inte skickas. Du kan bifoga PDF, JPEG, PNG, HEIC och vanlig "
                    "text (UTF-8). Vi avgör filtypen av innehållet, inte av filnamnet."
                )
                % {"name": shown}
            )
            continue
        checked.append(
            Checked(name=clean_name(file.name, content_type), data=data, content_type=content_type)
        )
    if errors:
        raise ValidationError({FIELD: errors}, code="bad_file")
    return checked


def scan(checked: list[Checked]) -> list[Checked]:
    """Virus-scan the files through clamd, if configured. A file clamd reports is refused; when clamd is
    configured but does not answer, every file is refused (fail closed). Run it outside transactions."""
    if not checked:
        return checked
    scanner = clamd.from_settings()
    if scanner is None:
        return [replace(c, scan=ScanResult.NOT_SCANNED) for c in checked]
    errors: list[str] = []
    result: list[Checked] = []
    for item in checked:
        try:
            verdict = scanner.scan(item.data)
        except clamd.ClamdError:
            raise ValidationError(
                {FIELD: [_("Det går inte att kontrollera bifogade filer just nu. Försök igen senare.")]},
                code="scanner_unavailable",
            ) from None
        if not verdict.clean:
            errors.append(
                _(
                    "Filen %(name)s innehåller ett virus eller annan skadlig kod och kan inte skickas. "
                    "Ta bort filen och försök igen."
                )
                % {"name": item.name}
            )
            continue
        result.append(replace(item, scan=ScanResult.CLEAN))
    if errors:
        raise ValidationError({FIELD: errors}, code="infected")
    return result


def prepare(files: Sequence[File] | None) -> list[Checked]:
    """check, then scan: what an action calls before it opens its transaction."""
    return scan(check(list(files or [])))


def store(message: Message, checked: list[Checked]) -> list[Attachment]:
    """Write the files of ``message``, sealed. Call it inside the transaction that writes the message."""
    stored = []
    for item in checked:
        attachment = Attachment(
            message=message, content_type=item.content_type, size=len(item.data), scan=item.scan
        )
        attachment.filename = item.name
        attachment.data = item.data
        attachment.save(force_insert=True)
        stored.append(attachment)
    return stored


# --- Showing and serving ----------------------------------------------------------------------------


def hint() -> str:
    """What a file input says about the limits."""
    return _("Högst %(count)d filer, var och en högst %(size)s: PDF, JPEG, PNG, HEIC eller vanlig text.") % {
        "count": max_count(),
        "size": human_size(max_bytes()),
    }


_CASE = Param("case", UUIDField())
_MESSAGES = Statement(lambda: Message.objects.filter(case_id=_CASE).order_by("created_at", "pk"))
_FILES = Statement(
    lambda: (
        Attachment.objects.filter(message__case_id=_CASE).defer("data_sealed").order_by("created_at", "pk")
    )
)


def thread_of(case: Case) -> list[Message]:
    """The case's messages, oldest first, each with ``message.case`` set and its attachments' names (not
    their contents) in ``message.attachments.all()`` as a prefetch would leave them: read by one query
    for the whole case (joined to the case's messages), cheaper than prefetch_related's id list; on
    PostgreSQL the two queries go in one round trip."""
    with pipeline():
        thread = send_thread(case)
    return thread()


def send_thread(case: Case) -> Callable[[], list[Message]]:
    """``thread_of(case)`` in two steps: the queries are sent now (inside ``statements.pipeline()``, in
    one round trip with whatever else is sent), the messages made when the returned function is called."""
    messages, files = _MESSAGES.send(case=case.pk), _FILES.send(case=case.pk)

    def make() -> list[Message]:
        thread = messages.result()
        by_message: dict[Any, list[Attachment]] = {m.pk: [] for m in thread}
        for file in files.result():
            by_message[file.message_id].append(file)
        to_case, to_message = Message.case.field, Attachment.message.field
        for message in thread:
            to_case.set_cached_value(message, case)
            for file in by_message[message.pk]:
                to_message.set_cached_value(file, message)
            # What prefetch_related_objects leaves on each instance: the manager's .all() answers from it.
            found = Attachment.objects.all()
            found._result_cache = by_message[message.pk]
            found._prefetch_done = True  # type: ignore[attr-defined]
            message._prefetched_objects_cache = {"attachments": found}  # type: ignore[attr-defined]
        return thread

    return make


def download(attachment: Attachment) -> HttpResponse:
    """A stored file as a download, never shown inline: the type found by content, no sniffing by the
    browser, nothing cached, and no script even if something slipped past the checks. The caller has
    found ``attachment`` through the case policy (and, for staff, written the access log)."""
    data = attachment.data
    response = HttpResponse(data, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename) or "attachment"
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
