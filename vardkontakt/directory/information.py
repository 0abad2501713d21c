"""Information material: a printable page (PDF) for a connected clinic's waiting room.

It lists the e-services the clinic has active now, with a QR code to its contact card. It is made on
request and cached under its whole content, so it changes as soon as the services change. It holds
nothing personal: the contact card is public, and so is this page.

The PDF carries a title, a language and real text (not a picture of text), so that a screen reader
and a search can read it. reportlab does not write a tagged PDF (structure tree); that is a known
limit, and the same information is on the contact card as HTML.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from dataclasses import dataclass
from xml.sax.saxutils import escape

import segno
from django.core.cache import cache
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.colors import black  # type: ignore[import-untyped]  # reportlab ships no types
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import cm  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    Flowable,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)

from vardkontakt.directory.models import Unit, UnitStatus
from vardkontakt.directory.search import public_units

QR_QUIET_ZONE = 4  # modules of white border the QR specification asks for
CACHE_SECONDS = 24 * 60 * 60  # making one takes some 40 ms; the page is public


@dataclass(frozen=True)
class InformationSheet:
    """What the page says, in the language it is made in."""

    language: str  # "sv" or "en"
    unit_name: str
    services: tuple[str, ...]  # the active e-services' names, in the order of ``EService``
    card_url: str  # absolute: it is printed and scanned
    address: str
    phone: str


def information_units() -> QuerySet[Unit]:
    """Units that may have information material: connected ones the public can see."""
    return public_units().filter(status=UnitStatus.ACTIVE).prefetch_related("eservices")


def card_url(unit: Unit, base_url: str) -> str:
    """The contact card's absolute address: ``base_url`` (VK_PUBLIC_URL, or the request's host) and
    the card's path."""
    return base_url.rstrip("/") + reverse("directory:unit", args=[unit.pk])


def sheet_for(unit: Unit, *, base_url: str, language: str) -> InformationSheet | None:
    """The page for ``unit``, or None when it has no active e-service to tell anyone about."""
    services = unit.active_eservices()
    if not services:
        return None
    place = " ".join(part for part in (unit.postal_code, unit.city) if part)
    language = "en" if language.startswith("en") else "sv"
    with translation.override(language):
        names = tuple(str(service.label) for service in services)
    return InformationSheet(
        language=language,
        unit_name=unit.name,
        services=names,
        card_url=card_url(unit, base_url),
        address=", ".join(part for part in (unit.street_address, place) if part),
        phone=unit.phone,
    )


class QrCode(Flowable):
    """A QR code drawn as vector squares (sharp at any print size), linked to its target."""

    def __init__(self, data: str, size: float) -> None:
        super().__init__()
        self.data = data
        self.size = size
        self.matrix = segno.make(data, error="m", micro=False).matrix

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        canvas = self.canv
        count = len(self.matrix) + 2 * QR_QUIET_ZONE
        module = self.size / count
        canvas.setFillColor(black)
        for y, row in enumerate(self.matrix):
            x = 0
            while x < len(row):  # one rectangle per run of dark modules
                if not row[x]:
                    x += 1
                    continue
                start = x
                while x < len(row) and row[x]:
                    x += 1
                canvas.rect(
                    (start + QR_QUIET_ZONE) * module,
                    self.size - (y + QR_QUIET_ZONE + 1) * module,
                    (x - start) * module,
                    module,
                    stroke=0,
                    fill=1,
                )
        canvas.linkURL(self.data, (0, 0, self.size, self.size), relative=1)


def pdf_for(sheet: InformationSheet) -> bytes:
    """The PDF of ``sheet``, from the cache when the same sheet was made before. The key is the sheet's
    whole content, so a change of services (or name, address, language) makes a new one at once."""
    content = json.dumps(dataclasses.asdict(sheet), sort_keys=True, ensure_ascii=True)
    key = "information-pdf:" + hashlib.sha256(content.encode()).hexdigest()
    pdf = cache.get(key)
    if not isinstance(pdf, bytes):
        pdf = render_pdf(sheet)
        cache.set(key, pdf, CACHE_SECONDS)
    return pdf


def render_pdf(sheet: InformationSheet) -> bytes:
    """The PDF of ``sheet``: one A4 page, in the sheet's language."""
    with translation.override(sheet.language):
        return _render(sheet)


def _render(sheet: InformationSheet) -> bytes:
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=14, leading=19, spaceAfter=8)
    title = ParagraphStyle("title", parent=body, fontName="Helvetica-Bold", fontSize=28, leading=34)
    heading = ParagraphStyle("heading", parent=body, fontName="Helvetica-Bold", fontSize=20, leading=25)
    item = ParagraphStyle("item", parent=body, fontSize=16, leading=22, spaceAfter=4)
    small = ParagraphStyle("small", parent=body, fontSize=11, leading=15)

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2.5 * cm,
        rightMargin=2.5 * cm,
        topMargin=2.5 * cm,
        bottomMargin=2 * cm,
        title=_("E-tjänster hos %(unit)s") % {"unit": sheet.unit_name},
        author=sheet.unit_name,
        subject=_("Informationsmaterial för väntrummet"),
        creator="Vårdkontakt",
        lang=sheet.language,
        displayDocTitle=True,
        pageCompression=1,
    )
    story: list[Flowable] = [
        Paragraph(escape(sheet.unit_name), title),
        Spacer(1, 0.3 * cm),
        Paragraph(escape(_("Kontakta oss digitalt i Vårdkontakt")), heading),
        Paragraph(escape(_("Logga in med BankID eller Freja eID Plus. Hos oss kan du:")), body),
        ListFlowable(
            [ListItem(Paragraph(escape(name), item), leftIndent=18) for name in sheet.services],
            bulletType="bullet",
            bulletFontSize=16,
            leftIndent=18,
        ),
        Spacer(1, 0.6 * cm),
        Paragraph(
            escape(
                _("Skanna QR-koden med mobilens kamera för att komma till vår sida, eller skriv in adressen:")
            ),
            body,
        ),
        QrCode(sheet.card_url, 6 * cm),
        Paragraph(
            f'<link href="{escape(sheet.card_url, {chr(34): "&quot;"})}">{escape(sheet.card_url)}</link>',
            small,  # a long address still fits on one line
        ),
        Spacer(1, 0.6 * cm),
    ]
    contact = [
        part
        for part in (sheet.address, _("Telefon %(phone)s") % {"phone": sheet.phone} if sheet.phone else "")
        if part
    ]
    if contact:
        story.append(Paragraph(escape(" · ".join(contact)), small))
    document.build(story)
    return buffer.getvalue()
