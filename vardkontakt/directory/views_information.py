"""The information material of a connected clinic, as a PDF for anyone (it is the contact card in print)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from vardkontakt.directory.information import information_units, pdf_for, sheet_for
from vardkontakt.ids import first_by_id


@require_safe
def information_pdf(request: HttpRequest, unit_id: str) -> HttpResponse:
    """Made on each request from the unit's active e-services; 404 for a unit that is not connected,
    unknown, or has no active e-service."""
    unit = first_by_id(information_units(), unit_id)
    if unit is None:
        raise Http404
    base_url = settings.VK_PUBLIC_URL or request.build_absolute_uri("/")
    sheet = sheet_for(unit, base_url=base_url, language=get_language() or settings.LANGUAGE_CODE)
    if sheet is None:
        raise Http404
    response = HttpResponse(pdf_for(sheet), content_type="application/pdf")
    # Shown in the browser's PDF viewer, saved under a plain ASCII name.
    response["Content-Disposition"] = 'inline; filename="informationsmaterial.pdf"'
    response["Cache-Control"] = "no-cache"
    return response
